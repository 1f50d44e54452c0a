"""Benchmark steps, each run in a child process by bench.measure (so peak memory is its own).

Usage: python -m bench.steps <step> '<json args>'; prints one JSON line with its findings.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path


def baseline(args: dict) -> dict:
    """DuckDB's scanners copying the same source tables, and nothing else."""
    from warehouse import duck
    from warehouse.config import SOURCES_DIR
    from warehouse.contracts.sources import load_sources

    target = Path(args["target"])
    target.unlink(missing_ok=True)
    con = duck.connect(target)
    rows = 0
    for name, source in load_sources(SOURCES_DIR).items():
        if name not in args["sources"]:
            continue
        duck.attach(con, args["urls"][name], f"src_{name}")
        for table in source.tables:
            con.execute(f'CREATE TABLE "{name}_{table}" AS SELECT * FROM src_{name}."{table}"')
            rows += con.execute(f'SELECT count(*) FROM "{name}_{table}"').fetchone()[0]
    con.execute("CHECKPOINT")
    con.close()
    return {"rows": rows}


def load(args: dict) -> dict:
    """Our nightly load of one business date."""
    from warehouse.config import home
    from warehouse.load import run_load

    result = run_load(home(args["home"]), date.fromisoformat(args["date"]))
    extract_s: dict[str, float] = {}
    for b in result.batches:
        extract_s[b.source] = extract_s.get(b.source, 0.0) + b.duration_s
    return {"load_s": round(result.duration_s, 2),
            "extract_s": {k: round(v, 2) for k, v in extract_s.items()},
            "rows_extracted": sum(b.counts.rows_extracted for b in result.batches),
            "rows_loaded": sum(b.counts.rows_loaded for b in result.batches),
            "fact_sales_line": result.changes["fact_sales_line"].rows_after}


def dlt_load(args: dict) -> dict:
    """dlt's sql_database source (pyarrow backend) into a DuckDB destination, same tables."""
    import dlt
    from dlt.sources.sql_database import sql_database

    from warehouse.config import SOURCES_DIR
    from warehouse.contracts.sources import load_sources

    tables = list(load_sources(SOURCES_DIR)[args["source"]].tables)
    started = time.perf_counter()
    pipeline = dlt.pipeline(pipeline_name="bench_dlt", pipelines_dir=args["work"],
                            destination=dlt.destinations.duckdb(args["target"]),
                            dataset_name="crm")
    source = sql_database(credentials=args["url"].replace("postgresql://", "postgresql+psycopg://"),
                          table_names=tables, backend="pyarrow")
    info = pipeline.run(source, write_disposition="replace")
    info.raise_on_failed_jobs()
    rows = sum(pipeline.last_trace.last_normalize_info.row_counts.get(t, 0) for t in tables)
    return {"rows": rows, "seconds": round(time.perf_counter() - started, 2)}


def advance(args: dict) -> dict:
    from warehouse.config import home
    from warehouse.demo import advance_demo

    summary = advance_demo(home(args["home"]), days=args["days"], crm_url=args["crm_url"],
                           erp_url=args["erp_url"])
    return {"changed": summary}


def init(args: dict) -> dict:
    from warehouse.config import home
    from warehouse.demo import init_demo

    summary = init_demo(home(args["home"]), scale=args["scale"], crm_url=args["crm_url"],
                        erp_url=args["erp_url"])
    return {"rows": summary}


STEPS = {"baseline": baseline, "load": load, "dlt": dlt_load, "advance": advance, "init": init}

if __name__ == "__main__":
    output = STEPS[sys.argv[1]](json.loads(sys.argv[2]))
    print(json.dumps(output, default=str))
