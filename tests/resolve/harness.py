"""Shared steps of the resolution tests: a writable copy of the published snapshot, and the
demo's truth beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from warehouse import duck
from warehouse.config import Home
from warehouse.demo.external import TRUTH_FILE
from warehouse.publish import SnapshotStore


def snapshot_copy(home: Home, target: Path) -> Path:
    """A writable copy of the served snapshot."""
    current = SnapshotStore(home).current()
    assert current is not None, "load the demo first"
    shutil.copy(home.snapshots / f"{current.id}.duckdb", target)
    return target


def truth(con: duckdb.DuckDBPyConnection, home: Home) -> str:
    path = home.sources / TRUTH_FILE
    con.execute(f"CREATE OR REPLACE TEMP TABLE truth AS SELECT * FROM read_parquet('{path}')")
    return "truth"


def connect(path: Path, home: Home) -> duckdb.DuckDBPyConnection:
    home.work.mkdir(parents=True, exist_ok=True)
    return duck.connect(path, temp_directory=home.work / "spill")
