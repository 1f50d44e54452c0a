"""Run one benchmark step in its own process and read its wall time and peak memory."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Measurement:
    name: str
    wall_s: float
    peak_rss_mb: float
    returncode: int
    output: dict

    def row(self) -> dict:
        return asdict(self)


def run_step(name: str, step: str, args: dict, env: dict[str, str] | None = None) -> Measurement:
    """`python -m bench.steps <step> <json args>` in a child; rusage of that child alone."""
    cmd = [sys.executable, "-m", "bench.steps", step, json.dumps(args)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env={**os.environ, **(env or {})},
                            cwd=Path(__file__).resolve().parent.parent)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    m = Measurement(name, round(wall, 2), round(usage.ru_maxrss / 1024, 1), proc.returncode, result)
    print(f"  {name:<32} {m.wall_s:>8.2f} s {m.peak_rss_mb:>8.0f} MB  rc={m.returncode}",
          flush=True)
    if m.returncode != 0:
        raise SystemExit(f"benchmark step {name} failed (exit {m.returncode})")
    return m


def machine() -> dict:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {"platform": platform.platform(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def write_results(name: str, payload: dict, markdown: str) -> list[Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    js, md = RESULTS / f"{name}-{stamp}.json", RESULTS / f"{name}-{stamp}.md"
    js.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    md.write_text(markdown, encoding="utf-8")
    return [js, md]
