"""The SSB cube model (bench/ssb/cubes/) on an SSB database file, and its fact view."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.cube.agg.spec import Aggregate, load_aggregates
from warehouse.cube.catalog import catalog_from_connection
from warehouse.cube.model import CubeModel, load_cube_model

CUBES = Path(__file__).resolve().parent / "cubes"

# The two row-level products the SSB queries sum, as columns a measure can name.
FACT_VIEW = """CREATE OR REPLACE VIEW lineorder_facts AS
SELECT *, lo_extendedprice * lo_discount AS lo_discounted_price,
       lo_revenue - lo_supplycost AS lo_profit
FROM lineorder"""


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Create the fact view the cube reads (needs a writable connection; idempotent)."""
    con.execute(FACT_VIEW)


def ssb_model(con: duckdb.DuckDBPyConnection) -> tuple[CubeModel, dict[str, list[Aggregate]]]:
    """The cube model checked against this database, and its declared aggregates."""
    model = load_cube_model(CUBES, catalog_from_connection(con))
    return model, load_aggregates(model, CUBES)
