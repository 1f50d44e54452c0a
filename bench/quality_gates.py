"""Cost of the quality gates: the same demo loads with and without the expectation suites.

    python -m bench.quality_gates [--scale 1] [--rounds 2]

One demo source set is generated once; each round copies it into two fresh home folders and
runs, side by side in this process, a full first load and one incremental day with the
committed suites and with none (CRMWH_EXPECTATIONS_DIR pointing at an empty folder). The
order alternates per round. The gate steps are timed on their own as well.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.measure import RESULTS, machine
from warehouse.config import home as make_home
from warehouse.demo import advance_demo, init_demo
from warehouse.load import run_load
from warehouse.quality import gates
from warehouse.quality.suite import EXPECTATIONS_DIR

GATE_SECONDS = {"t": 0.0}


def _timed(fn):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            GATE_SECONDS["t"] += time.perf_counter() - started
    return wrapper


gates.run_staging_gates = _timed(gates.run_staging_gates)
gates.run_core_gates = _timed(gates.run_core_gates)


def one_variant(base: Path, root: Path, suites: Path) -> dict:
    shutil.copytree(base / "sources", root / "sources")
    os.environ["CRMWH_HOME"] = str(root)
    os.environ["CRMWH_EXPECTATIONS_DIR"] = str(suites)
    home = make_home(root)
    out = {}
    for step in ("full", "incremental"):
        if step == "incremental":
            advance_demo(home, days=1)
        GATE_SECONDS["t"] = 0.0
        started = time.perf_counter()
        result = run_load(home)
        out[step] = {"wall_s": round(time.perf_counter() - started, 2),
                     "gates_s": round(GATE_SECONDS["t"], 2),
                     "quarantined": sum(b.counts.rows_quarantined for b in result.batches)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="crmwh-gates-bench-"))
    empty = work / "no-suites"
    empty.mkdir()
    base = work / "base"
    os.environ["CRMWH_HOME"] = str(base)
    init_demo(make_home(base), scale=args.scale, seed=42)
    rounds = []
    for i in range(args.rounds):
        order = [("gated", EXPECTATIONS_DIR), ("plain", empty)]
        if i % 2:
            order.reverse()
        row = {}
        for name, suites in order:
            row[name] = one_variant(base, work / f"r{i}-{name}", suites)
            print(f"round {i} {name}: {row[name]}", flush=True)
        rounds.append(row)
    summary = {}
    for step in ("full", "incremental"):
        gated = sum(r["gated"][step]["wall_s"] for r in rounds) / len(rounds)
        plain = sum(r["plain"][step]["wall_s"] for r in rounds) / len(rounds)
        gate = sum(r["gated"][step]["gates_s"] for r in rounds) / len(rounds)
        summary[step] = {"gated_s": round(gated, 2), "plain_s": round(plain, 2),
                         "ratio": round(gated / plain, 3), "gate_steps_s": round(gate, 2),
                         "gate_share": round(gate / gated, 3)}
    suites = len(list(EXPECTATIONS_DIR.glob("*.json")))
    expectations = sum(len(json.loads(p.read_text())["expectations"])
                       for p in EXPECTATIONS_DIR.glob("*.json"))
    report = {"benchmark": "quality_gates", "scale": args.scale, "rounds": rounds,
              "summary": summary, "suites": suites, "expectations": expectations,
              "machine": machine()}
    stamp = report["machine"]["date"][:10].replace("-", "")
    name = f"quality_gates-scale{args.scale:g}-{stamp}"
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2))
    lines = [f"# Quality gates cost, demo scale {args.scale:g} ({report['machine']['date']})", "",
             f"{suites} suites, {expectations} expectations; {args.rounds} rounds, order "
             "alternating; machine: " + json.dumps(report["machine"]), "",
             "| load | with gates (s) | without (s) | ratio | gate steps (s) | share of load |",
             "|---|---|---|---|---|---|"]
    for step, s in summary.items():
        lines.append(f"| {step} | {s['gated_s']} | {s['plain_s']} | {s['ratio']} | "
                     f"{s['gate_steps_s']} | {s['gate_share']:.1%} |")
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
