"""The nightly load's step for aggregates: after the facts, bring every declared one up to date."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.cube.agg.build import BuildResult, build_aggregates
from warehouse.cube.agg.spec import load_aggregates
from warehouse.cube.model import CUBES_DIR, load_cube_model


def refresh_aggregates(con: duckdb.DuckDBPyConnection, load_id: str,
                       cubes_dir: Path | None = None) -> list[BuildResult]:
    """Build new aggregates in full, rebuild the partitions this load touched of the others."""
    model = load_cube_model(cubes_dir)
    aggregates = load_aggregates(model, cubes_dir or CUBES_DIR)
    if not aggregates:
        return []
    return build_aggregates(con, model, aggregates, load_id=load_id)
