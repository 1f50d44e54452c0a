"""Star Schema Benchmark: 13 queries as hand-written SQL, through the cube engine (base facts and
with aggregate tables) and through boring-semantic-layer, side by side in one process.

    python -m bench.ssb --sf 1          # also --sf 10; --runs N; --work DIR; --skip-peer

Every answer is checked against the hand-written SQL (exact: DECIMALs compared as Decimal).
Medians over the runs; runs interleave the variants query by query, in an order that rotates
from run to run, so machine noise and the previous query's footprint hit all alike.
Results: bench/results/ssb-sf<N>-<date>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from dataclasses import asdict
from pathlib import Path

from bench.measure import machine, write_results
from bench.ssb.build import build, ssb_path
from bench.ssb.compare import same, same_text
from bench.ssb.engine import cube_query
from bench.ssb.model import ssb_model
from bench.ssb.queries import QUERIES
from warehouse import duck
from warehouse.config import home
from warehouse.cube import CubeEngine
from warehouse.cube.agg.build import build_aggregates
from warehouse.cube.agg.navigate import AggregatePicker
from warehouse.cube.execute import arrow_table

# The peer lives in its own venv (`make bench-ssb-peer`), beside the project's .venv.
PEER_PYTHON = Path(os.environ.get("CRMWH_BSL_VENV")
                   or Path(__file__).resolve().parents[2] / ".venv-bsl") / "bin" / "python"
RUNNER = Path(__file__).resolve().parent / "bsl_runner.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sf", type=int, default=1, help="scale factor (integer: dbgen rounds)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--work", default=None, help="where SSB files are cached "
                        "(default $CRMWH_HOME/warehouse/work/ssb)")
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--peer-runs", type=int, default=3)
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--rebuild-aggregates", action="store_true")
    opts = parser.parse_args()
    work = Path(opts.work) if opts.work else home().work / "ssb"

    print(f"SSB sf={opts.sf}: data in {work}", flush=True)
    cached = ssb_path(work, opts.sf).exists()
    t0 = time.perf_counter()
    path = build(work, opts.sf, memory_limit=opts.memory_limit, threads=opts.threads)
    setup = {"ssb_file": str(path), "ssb_build_s": round(time.perf_counter() - t0, 1),
             "ssb_cached": cached}

    con = duck.connect(path, memory_limit=opts.memory_limit, threads=opts.threads)
    model, aggs = ssb_model(con)
    setup["lineorder_rows"] = con.execute("SELECT count(*) FROM lineorder").fetchone()[0]
    t0 = time.perf_counter()
    picker = AggregatePicker.from_connection(con, model, aggs)
    stale = [a for a in aggs["ssb"] if a.table not in picker.built
             or picker.built[a.table][0] != picker.layout(model.cube("ssb"), a)[1]]
    if stale or opts.rebuild_aggregates:
        todo = aggs["ssb"] if opts.rebuild_aggregates else stale
        print(f"  building {len(todo)} aggregate table(s)", flush=True)
        build_aggregates(con, model, {"ssb": todo}, full=True)
        con.execute("CHECKPOINT")
    setup["aggregates"] = [
        {"table": t, "rows": n, "build_s": s}
        for t, n, s in con.execute("SELECT table_name, rows, duration_s FROM meta.aggregates "
                                   "ORDER BY table_name").fetchall()]
    setup["aggregates_built_now"] = bool(stale or opts.rebuild_aggregates)
    setup["aggregates_build_s"] = round(sum(a["build_s"] for a in setup["aggregates"]), 1)
    picker = AggregatePicker.from_connection(con, model, aggs)
    base_engine = CubeEngine(con, model)
    agg_engine = CubeEngine(con, model, picker=picker)

    print(f"  {setup['lineorder_rows']:,} lineorder rows; {opts.runs} runs", flush=True)
    # The machine may be shared: its load while the timed runs ran is part of the result.
    setup["load_avg_start"] = round(os.getloadavg()[0], 1)
    times: dict[str, dict[str, list[float]]] = {q.name: {} for q in QUERIES}
    checks: dict[str, dict[str, str]] = {q.name: {} for q in QUERIES}
    chosen: dict[str, str] = {}
    for q in QUERIES:                                  # warm-up + correctness
        expected = con.execute(q.sql).fetchall()
        for label, engine in (("cube", base_engine), ("cube_agg", agg_engine)):
            picker.decisions.clear()
            result = engine.run(cube_query(q))
            ok, why = same(expected, result.rows())
            checks[q.name][label] = "identical" if ok else f"DIFFERENT: {why}"
            if label == "cube_agg":
                chosen[q.name] = picker.decisions[0].aggregate or "base fact"
        checks[q.name]["rows"] = str(len(expected))
    variants = ("hand", "cube", "cube_agg")
    engines = {"cube": base_engine, "cube_agg": agg_engine}
    for run in range(opts.runs):
        # The order rotates run by run: a variant run right after a base-fact scan finds the
        # CPU caches cold and DuckDB's threads busy, and no variant should always be that one.
        order = variants[run % 3:] + variants[:run % 3]
        for q in QUERIES:
            t = times[q.name]
            for label in order:
                if label == "hand":
                    started = time.perf_counter()
                    arrow_table(con.execute(q.sql))     # read as the engine reads its answers
                    t.setdefault("hand", []).append(time.perf_counter() - started)
                    continue
                picker.decisions.clear()
                started = time.perf_counter()
                result = engines[label].run(cube_query(q))
                t.setdefault(label, []).append(time.perf_counter() - started)
                t.setdefault(label + "_compile", []).append(result.compile_ms / 1000)
    setup["load_avg_end"] = round(os.getloadavg()[0], 1)
    con.close()

    peer = run_peer(path, opts.peer_runs) if not opts.skip_peer else {"status": "skipped"}
    if peer.get("status") == "ok":
        con = duck.connect(path, read_only=True)
        for q in QUERIES:
            got = peer["queries"][q.name]
            ok, why = same_text(con.execute(q.sql).fetchall(), got["rows"])
            checks[q.name]["bsl"] = "identical" if ok else f"DIFFERENT: {why}"
            times[q.name]["bsl"] = [c + e for c, e in zip(got["compile_s"], got["execute_s"],
                                                          strict=True)]
            times[q.name]["bsl_compile"] = got["compile_s"]
        con.close()

    payload = summarise(opts, setup, times, checks, chosen, peer)
    files = write_results(f"ssb-sf{opts.sf}", payload, markdown(payload))
    print(markdown(payload))
    print("wrote " + ", ".join(str(f) for f in files))
    bad = [f"{n} {k}" for n, c in checks.items() for k, v in c.items() if v.startswith("DIFF")]
    if bad:
        raise SystemExit("answers differ from the hand-written SQL: " + ", ".join(bad))


def run_peer(path: Path, runs: int) -> dict:
    """boring-semantic-layer in its own venv (make bench-ssb-peer), if it is there."""
    if not PEER_PYTHON.exists():
        return {"status": f"not installed ({PEER_PYTHON} missing; run `make bench-ssb-peer`)"}
    queries = {q.name: asdict(q.cube) for q in QUERIES}
    print(f"  boring-semantic-layer ({runs} runs) in {PEER_PYTHON.parent.parent}", flush=True)
    proc = subprocess.run([str(PEER_PYTHON), str(RUNNER), str(path), str(runs),
                           json.dumps(queries)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"status": "failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["status"] = "ok"
    return out


def med(values: list[float] | None) -> float | None:
    return round(statistics.median(values) * 1000, 2) if values else None


def summarise(opts, setup, times, checks, chosen, peer) -> dict:
    rows = []
    for q in QUERIES:
        t = times[q.name]
        row = {"query": q.name, "hand_ms": med(t["hand"]), "cube_ms": med(t["cube"]),
               "cube_compile_ms": med(t["cube_compile"]), "cube_agg_ms": med(t["cube_agg"]),
               "cube_agg_compile_ms": med(t["cube_agg_compile"]), "bsl_ms": med(t.get("bsl")),
               "bsl_compile_ms": med(t.get("bsl_compile")), "aggregate": chosen[q.name],
               "checks": checks[q.name]}
        row["cube_vs_hand"] = round(row["cube_ms"] / row["hand_ms"], 3)
        row["agg_speedup_vs_cube"] = round(row["cube_ms"] / row["cube_agg_ms"], 1)
        row["bsl_vs_hand"] = round(row["bsl_ms"] / row["hand_ms"], 2) if row["bsl_ms"] else None
        rows.append(row)

    def total(key: str) -> float | None:
        vals = [r[key] for r in rows]
        return round(sum(vals), 1) if all(v is not None for v in vals) else None

    totals = {k: total(k) for k in ("hand_ms", "cube_ms", "cube_agg_ms", "bsl_ms",
                                    "cube_compile_ms")}
    summary = {
        "cube_vs_hand_sum_of_medians": round(totals["cube_ms"] / totals["hand_ms"], 3),
        "cube_vs_hand_median_ratio": round(statistics.median(r["cube_vs_hand"] for r in rows), 3),
        "agg_speedup_sum_of_medians": round(totals["cube_ms"] / totals["cube_agg_ms"], 1),
        "agg_speedup_vs_hand": round(totals["hand_ms"] / totals["cube_agg_ms"], 1),
        "bsl_vs_hand_sum_of_medians": (round(totals["bsl_ms"] / totals["hand_ms"], 2)
                                       if totals["bsl_ms"] else None),
        "all_identical": all(not v.startswith("DIFF") for r in rows for v in r["checks"].values()),
    }
    return {"benchmark": "ssb", "sf": opts.sf, "runs": opts.runs, "machine": machine(),
            "setup": setup, "totals_ms": totals, "summary": summary, "queries": rows,
            "peer": {k: v for k, v in peer.items() if k != "queries"}}


def markdown(p: dict) -> str:
    m, s, tot = p["machine"], p["summary"], p["totals_ms"]
    lines = [f"# SSB SF{p['sf']} — hand SQL vs cube engine vs aggregates vs boring-semantic-layer",
             "",
             f"{m['date']} · {m['platform']} · Python {m['python']} · {m['cpus']} CPUs · "
             f"{m['memory_gb']} GB · {p['setup']['lineorder_rows']:,} lineorder rows · "
             f"median of {p['runs']} runs (peer: {p['peer'].get('status')}) · 1-minute load "
             f"average {p['setup'].get('load_avg_start')} before the timed runs, "
             f"{p['setup'].get('load_avg_end')} after",
             "",
             "| query | hand SQL ms | cube ms (compile) | cube/hand | with aggregates ms | "
             "aggregate used | base/agg | BSL ms (compile) | BSL/hand | answers |",
             "|---|---:|---:|---:|---:|---|---:|---:|---:|---|"]
    for r in p["queries"]:
        bsl = (f"{r['bsl_ms']} ({r['bsl_compile_ms']})" if r["bsl_ms"] is not None else "n/a")
        ok = "all identical" if all(not v.startswith("DIFF") for v in r["checks"].values()) \
            else "; ".join(f"{k}: {v}" for k, v in r["checks"].items() if v.startswith("DIFF"))
        lines.append(f"| {r['query']} | {r['hand_ms']} | {r['cube_ms']} ({r['cube_compile_ms']}) "
                     f"| {r['cube_vs_hand']} | {r['cube_agg_ms']} | {r['aggregate']} | "
                     f"{r['agg_speedup_vs_cube']}x | {bsl} | {r['bsl_vs_hand'] or 'n/a'} | {ok} "
                     f"({r['checks']['rows']} rows) |")
    built = ("cached" if p["setup"]["ssb_cached"]
             else f"built in {p['setup']['ssb_build_s']} s")
    lines += [f"| **sum** | {tot['hand_ms']} | {tot['cube_ms']} ({tot['cube_compile_ms']}) | "
              f"{s['cube_vs_hand_sum_of_medians']} | {tot['cube_agg_ms']} | | "
              f"{s['agg_speedup_sum_of_medians']}x | {tot['bsl_ms'] or 'n/a'} | "
              f"{s['bsl_vs_hand_sum_of_medians'] or 'n/a'} | |", "",
              f"- Cube engine vs hand SQL: {s['cube_vs_hand_sum_of_medians']}x on the sum of "
              f"medians, median per-query ratio {s['cube_vs_hand_median_ratio']} (target: within "
              f"1.10).",
              f"- With aggregate tables: {s['agg_speedup_sum_of_medians']}x faster than the "
              f"cube on base facts ({s['agg_speedup_vs_hand']}x faster than hand SQL) "
              f"(target: 10x).",
              f"- Aggregate tables: {len(p['setup']['aggregates'])}, "
              f"{sum(a['rows'] for a in p['setup']['aggregates']):,} rows in all, full build "
              f"{p['setup']['aggregates_build_s']} s"
              f"{'' if p['setup']['aggregates_built_now'] else ' (reused from an earlier run)'}.",
              f"- SSB data: {p['setup']['ssb_file']} ({built}).",
              f"- Every answer compared with the hand-written SQL: "
              f"{'all identical' if s['all_identical'] else 'DIFFERENCES, see table'}.",
              ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
