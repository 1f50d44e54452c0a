"""Shared steps of the resolution tests: stage the demo's external files into a copy of the
published snapshot with plain SQL (the file ingestion's stand-in) and compare with the truth."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from warehouse import duck
from warehouse.config import Home
from warehouse.demo import external_stage as es
from warehouse.demo.external import COMPANIES, PEOPLE, TRUTH_FILE
from warehouse.publish import SnapshotStore


def snapshot_copy(home: Home, target: Path) -> Path:
    """A writable copy of the served snapshot."""
    current = SnapshotStore(home).current()
    assert current is not None, "load the demo first"
    shutil.copy(home.snapshots / f"{current.id}.duckdb", target)
    return target


def stage_external(con: duckdb.DuckDBPyConnection, home: Home) -> None:
    """staging.current_ext_person / _company from the landing files."""
    es.register(con)
    es.read_people_files(con, home.landing / PEOPLE, "raw_people")
    es.read_company_files(con, home.landing / COMPANIES, "raw_companies")
    con.execute("CREATE OR REPLACE TABLE staging.current_ext_person AS "
                + es.latest(es.people_sql("raw_people", "T1")))
    con.execute("CREATE OR REPLACE TABLE staging.current_ext_company AS "
                + es.latest(es.companies_sql("raw_companies", "T1")))


def truth(con: duckdb.DuckDBPyConnection, home: Home) -> str:
    path = home.sources / TRUTH_FILE
    con.execute(f"CREATE OR REPLACE TEMP TABLE truth AS SELECT * FROM read_parquet('{path}')")
    return "truth"


def connect(path: Path, home: Home) -> duckdb.DuckDBPyConnection:
    home.work.mkdir(parents=True, exist_ok=True)
    return duck.connect(path, temp_directory=home.work / "spill")
