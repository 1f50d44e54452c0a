"""External file ingest throughput against DuckDB's own read_csv of the same file.

    python -m bench.ingest [--rows 1000000]

For a ~1M-row people file in UTF-8 and in GBK: (a) DuckDB's read_csv of the file into a
table (the baseline: the bare copy), (b) our whole path — read as text, standardise by the
contract's rules, type, quarantine, stage, account — into a fresh build database. Both in
this process, side by side, each on a fresh connection; the GBK baseline pays the same
encodings-extension load as ours does. Results: bench/results/ingest-<date>.{json,md}.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.measure import machine, write_results
from bench.people_file import write_people
from tests.files.helpers import PEOPLE
from warehouse import duck
from warehouse.config import MODEL_DIR, Home
from warehouse.contracts.files import FileSource
from warehouse.contracts.staging import load_staging
from warehouse.files.ingest import ingest_files
from warehouse.stage.schema import create_all


def _contract(encoding: str) -> FileSource:
    spec = {**PEOPLE, "files": {"demographics": {**PEOPLE["files"]["demographics"],
                                                 "encoding": encoding, "pattern": "people_*.csv",
                                                 "max_ragged_fraction": 0.01}}}
    return FileSource.model_validate(spec)


def baseline(path: Path, encoding: str) -> tuple[float, int]:
    con = duck.connect()
    started = time.perf_counter()
    option = ""
    if encoding != "utf-8":
        duck.load_extension(con, "encodings")
        option = ", encoding='gb18030'"
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}'{option})")
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    return time.perf_counter() - started, rows


def ours(path: Path, encoding: str, work: Path) -> tuple[float, dict]:
    home = Home(work / f"home-{encoding}").ensure()
    source = _contract(encoding)
    landing = home.landing / source.source
    landing.mkdir(parents=True, exist_ok=True)
    (landing / path.name).symlink_to(path)
    staging = load_staging(MODEL_DIR / "staging.yaml")
    con = duck.connect(work / f"build-{encoding}.duckdb")
    create_all(con, staging)
    started = time.perf_counter()
    [batch] = ingest_files(con, home, {source.source: source}, staging=staging, load_id="B1")
    elapsed = time.perf_counter() - started
    con.close()
    c = batch.counts
    return elapsed, {"read": c.rows_extracted, "loaded": c.rows_loaded, "merged": c.rows_merged,
                     "quarantined": c.rows_quarantined, "balanced": c.balanced}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="crmwh-bench-ingest-") as tmp:
        work = Path(tmp)
        for encoding in ("utf-8", "gbk"):
            path = write_people(work / f"people_20250101.{encoding}.csv".replace(".utf-8", "_u8")
                                .replace(".gbk", "_gbk"), args.rows, encoding)
            base_s, base_rows = baseline(path, encoding)
            our_s, counts = ours(path, encoding, work)
            row = {"encoding": encoding, "rows": base_rows, "bytes": path.stat().st_size,
                   "duckdb_read_csv_s": round(base_s, 2), "ours_s": round(our_s, 2),
                   "duckdb_rows_per_s": round(base_rows / base_s),
                   "ours_rows_per_s": round(counts["read"] / our_s),
                   "ratio": round(our_s / base_s, 2), "accounting": counts}
            print(row, flush=True)
            results.append(row)
    md = ["# External file ingest vs DuckDB read_csv", "", f"Machine: {machine()}", "",
          "| encoding | rows | MB | read_csv s | ours s | ours rows/s | ratio | quarantined |",
          "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        md.append(f"| {r['encoding']} | {r['rows']:,} | {r['bytes'] / 1e6:.0f} | "
                  f"{r['duckdb_read_csv_s']} | {r['ours_s']} | {r['ours_rows_per_s']:,} | "
                  f"{r['ratio']} | {r['accounting']['quarantined']:,} |")
    md += ["", "Ours = read every column as text + standardise (trim, half-width, phone E.164, "
           "e-mail, 3 date formats, amounts with separators, province/city lookup) + type + "
           "quarantine with reasons + stage + per-file accounting; baseline = "
           "`CREATE TABLE AS SELECT * FROM read_csv(file)` with type sniffing.", ""]
    for path in write_results("ingest", {"machine": machine(), "results": results},
                              "\n".join(md)):
        print("wrote", path)


if __name__ == "__main__":
    main()
