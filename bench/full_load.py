"""Full and incremental nightly load from a PostgreSQL CRM, against DuckDB's scanner and dlt.

    python -m bench.full_load --scale 100      # about 10 million order lines

Measured side by side in one run, each step in its own process (wall time, peak RSS):
  1. baseline: DuckDB ATTACH + CREATE TABLE AS of every source table, nothing else;
  2. ours: the nightly load (extract, stage, reconcile, dimensions, facts, checks, publish);
  3. dlt: sql_database (pyarrow backend) -> duckdb for the CRM tables, versus our CRM
     extract-and-stage time (sum of the batch durations of the same tables);
  4. incremental: one demo business day (about 1% of rows new or changed), loaded on top,
     then rerun from the same base (`--incremental-runs`, default 3; the ratio uses the
     median: one run's wall time moves by 10-20% on these shared machines), and once more as
     a weekly compaction night.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

from bench.measure import Measurement, machine, run_step, write_results
from warehouse.publish.compaction import COMPACT_ENV, DAILY, WEEKDAYS
from warehouse.publish.store import KEEP_ENV


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100.0)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="crmwh_bench")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temp folder)")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing bench source")
    parser.add_argument("--skip-dlt", action="store_true")
    parser.add_argument("--incremental-runs", type=int, default=3,
                        help="ordinary incremental nights, each a rerun from the same base")
    opts = parser.parse_args()
    if opts.incremental_runs < 1:
        parser.error("--incremental-runs must be at least 1")

    work = Path(opts.work or tempfile.mkdtemp(prefix="crmwh-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    crm_url = f"{opts.pg}/{opts.database}"
    source_home = work / "source-home"
    erp_url = f"sqlite:///{source_home / 'sources' / 'erp.sqlite'}"
    print(f"bench work folder {work}", flush=True)
    as_of = prepare_sources(opts, source_home, crm_url, erp_url)
    urls = {"crm": crm_url, "erp": erp_url}
    env = {"CRMWH_CRM_URL": crm_url, "CRMWH_ERP_URL": erp_url}

    print("measuring", flush=True)
    base = run_step("baseline: DuckDB scanner copy", "baseline",
                    {"target": str(work / "baseline.duckdb"), "urls": urls,
                     "sources": ["crm", "erp"]})
    load_home = work / "load-home"
    shutil.rmtree(load_home, ignore_errors=True)
    full = run_step("crmwh full load", "load", {"home": str(load_home), "date": str(as_of)}, env)
    crm_only = run_step("baseline: scanner copy, CRM only", "baseline",
                        {"target": str(work / "baseline-crm.duckdb"), "urls": urls,
                         "sources": ["crm"]})
    dlt = None
    if not opts.skip_dlt:
        shutil.rmtree(work / "dlt", ignore_errors=True)
        dlt = run_step("dlt sql_database -> duckdb (CRM)", "dlt",
                       {"url": crm_url, "source": "crm", "target": str(work / "dlt.duckdb"),
                        "work": str(work / "dlt")})
    run_step("demo advance 1 day (setup)", "advance",
             {"home": str(source_home), "days": 1, "crm_url": crm_url, "erp_url": erp_url})
    # An ordinary night, then the same date rerun as a weekly compaction night (the final
    # checkpoint vacuums deleted rows, warehouse.publish.compaction): both from the same base.
    next_day = as_of + timedelta(days=1)
    other_day = WEEKDAYS[(next_day.weekday() + 1) % 7]
    # Reruns of a date build on its parent, which retention must still hold (each run and
    # the compaction night publish one snapshot).
    keep = {KEEP_ENV: str(opts.incremental_runs + 1)}
    incs = [run_step(f"crmwh incremental load, run {i + 1}", "load",
                     {"home": str(load_home), "date": str(next_day)},
                     {**env, **keep, COMPACT_ENV: other_day})
            for i in range(opts.incremental_runs)]
    inc = median_run(incs)
    inc_compact = run_step("crmwh incremental load, compaction night", "load",
                           {"home": str(load_home), "date": str(next_day)},
                           {**env, **keep, COMPACT_ENV: DAILY})

    ratios = {
        "full_load_vs_scanner_copy": round(full.wall_s / base.wall_s, 2),
        "incremental_vs_full_load": round(inc.wall_s / full.wall_s, 3),
        "incremental_runs_vs_full_load": [round(m.wall_s / full.wall_s, 3) for m in incs],
        "compaction_night_vs_full_load": round(inc_compact.wall_s / full.wall_s, 3),
    }
    crm_extract = full.output["extract_s"]["crm"]
    if dlt is not None:
        ratios["dlt_vs_our_crm_extract_and_stage"] = round(dlt.output["seconds"] / crm_extract, 2)
    payload = {"benchmark": "full_load", "scale": opts.scale, "as_of": str(as_of),
               "machine": machine(), "ratios": ratios,
               "steps": [m.row() for m in (base, full, crm_only, dlt, *incs, inc_compact)
                         if m is not None]}
    md = render(payload, base, full, crm_only, dlt, incs, inc_compact, crm_extract)
    for path in write_results(f"full_load-scale{opts.scale:g}", payload, md):
        print(f"wrote {path}")
    print(md)


def prepare_sources(opts, source_home: Path, crm_url: str, erp_url: str) -> date:
    import psycopg

    admin = f"{opts.pg}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              [opts.database]).fetchone()
    if not (opts.reuse and exists and (source_home / "sources" / "erp.sqlite").exists()):
        # In a child process: a parent grown to gigabytes would pass its peak RSS on to every
        # later child (Linux carries the high-water mark across fork), skewing their figures.
        run_step("generate demo sources (setup)", "init",
                 {"home": str(source_home), "scale": opts.scale, "crm_url": crm_url,
                  "erp_url": erp_url})
        with psycopg.connect(crm_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    with psycopg.connect(crm_url) as conn:
        return conn.execute("SELECT max(as_of) FROM demo_clock").fetchone()[0]


def median_run(runs: list[Measurement]) -> Measurement:
    """The run in the middle by wall time (the slower of the two middle ones for an even
    count)."""
    return sorted(runs, key=lambda m: m.wall_s)[len(runs) // 2]


def render(payload, base, full, crm_only, dlt, incs, inc_compact, crm_extract) -> str:
    r = payload["ratios"]
    walls = [m.wall_s for m in incs]
    inc = median_run(incs)
    lines = [f"# Full and incremental load, scale {payload['scale']:g}", "",
             f"Machine: {payload['machine']}", "",
             "| step | wall s | peak RSS MB | notes |", "|---|---|---|---|",
             f"| DuckDB scanner copy (baseline) | {base.wall_s} | {base.peak_rss_mb} | "
             f"{base.output['rows']} rows |",
             f"| crmwh full load | {full.wall_s} | {full.peak_rss_mb} | "
             f"{full.output['fact_sales_line']} order lines; CRM extract+stage {crm_extract} s |",
             f"| DuckDB scanner copy, CRM only | {crm_only.wall_s} | {crm_only.peak_rss_mb} | "
             f"{crm_only.output['rows']} rows |"]
    if dlt is not None:
        lines.append(f"| dlt sql_database -> duckdb, CRM | {dlt.wall_s} | {dlt.peak_rss_mb} | "
                     f"pipeline.run {dlt.output['seconds']} s; "
                     f"{dlt.output['rows']} rows |")
    lines += [f"| crmwh incremental (1 demo day), median of {len(incs)} runs (peak RSS: "
              f"the highest run) | "
              f"{inc.wall_s} | {max(m.peak_rss_mb for m in incs)} | "
              f"{inc.output['rows_loaded']} rows staged; runs: "
              f"{', '.join(str(w) for w in walls)} s |",
              f"| the same day rerun as a weekly compaction night | {inc_compact.wall_s} | "
              f"{inc_compact.peak_rss_mb} | deleted rows vacuumed at the checkpoint |", "",
              f"- full load / scanner copy: **{r['full_load_vs_scanner_copy']}** (target < 3)",
              f"- incremental / full load: **{r['incremental_vs_full_load']}** (target < 0.10; "
              f"median run; each run: "
              f"{', '.join(str(x) for x in r['incremental_runs_vs_full_load'])}); "
              f"on a compaction night {r['compaction_night_vs_full_load']}"]
    if "dlt_vs_our_crm_extract_and_stage" in r:
        lines.append(f"- dlt / our CRM extract-and-stage: "
                     f"**{r['dlt_vs_our_crm_extract_and_stage']}** (target >= 3)")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
