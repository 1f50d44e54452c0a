"""A tiny SSB database (dbgen sf=0.01, about 60k order lines) with the SSB cube model, for tests.

`ssb_db(tmp, cubes_dir)` builds it (cached per session by the callers' fixtures) and returns a
writable connection, the cube model, and the declared aggregates, with the aggregates built.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import yaml

from bench.ssb.build import build
from bench.ssb.model import CUBES
from warehouse import duck
from warehouse.cube.agg.build import build_aggregates
from warehouse.cube.agg.spec import load_aggregates
from warehouse.cube.catalog import catalog_from_connection
from warehouse.cube.model import load_cube_model

SF = 0.01


def ssb_file(work: Path) -> Path:
    return build(work, SF, say=lambda _msg: None)


def cubes_with(tmp: Path, extra_aggregates: dict | None = None) -> Path:
    """A copy of bench/ssb/cubes with more aggregates declared on the ssb cube."""
    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copy(CUBES / "dimensions.yaml", tmp / "dimensions.yaml")
    doc = yaml.safe_load((CUBES / "ssb.yaml").read_text(encoding="utf-8"))
    doc["cubes"]["ssb"]["aggregates"].update(extra_aggregates or {})
    (tmp / "ssb.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return tmp


def open_copy(source: Path, target: Path, cubes_dir: Path, *, build_aggs: bool = True):
    """A writable copy of the SSB file with its cube model and (built) aggregates."""
    shutil.copy(source, target)
    con = duck.connect(target)
    model = load_cube_model(cubes_dir, catalog_from_connection(con))
    aggregates = load_aggregates(model, cubes_dir)
    if build_aggs:
        build_aggregates(con, model, aggregates, full=True)
    return con, model, aggregates


def rows(con: duckdb.DuckDBPyConnection, sql: str, params=()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()
