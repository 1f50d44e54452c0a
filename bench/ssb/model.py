"""The SSB cube model (bench/ssb/cubes/) on an SSB database file."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.cube.agg.spec import Aggregate, load_aggregates
from warehouse.cube.catalog import catalog_from_connection
from warehouse.cube.model import CubeModel, load_cube_model

CUBES = Path(__file__).resolve().parent / "cubes"


def ssb_model(con: duckdb.DuckDBPyConnection) -> tuple[CubeModel, dict[str, list[Aggregate]]]:
    """The cube model checked against this database, and its declared aggregates."""
    model = load_cube_model(CUBES, catalog_from_connection(con))
    return model, load_aggregates(model, CUBES)
