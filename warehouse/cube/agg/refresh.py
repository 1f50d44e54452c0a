"""The nightly load's step for aggregates: after the facts, bring every declared one up to date."""

from __future__ import annotations

from pathlib import Path

import duckdb
from sqlglot import exp

from warehouse.cube.agg.build import BuildResult, build_aggregates
from warehouse.cube.agg.layout import FACT, layout_of
from warehouse.cube.agg.spec import load_aggregates
from warehouse.cube.model import CUBES_DIR, CubeModel, load_cube_model
from warehouse.duck import quote_ident, table_exists


def refresh_aggregates(con: duckdb.DuckDBPyConnection, load_id: str,
                       cubes_dir: Path | None = None,
                       model: CubeModel | None = None) -> list[BuildResult]:
    """Build new aggregates in full; bring the others up to date with this load's changes
    (merged from its deltas where it can, else by rebuilding the partitions it touched)."""
    model = model or load_cube_model(cubes_dir)
    aggregates = load_aggregates(model, cubes_dir or CUBES_DIR)
    drop_undeclared(con, {a.table for aggs in aggregates.values() for a in aggs})
    try:
        return build_aggregates(con, model, aggregates, load_id=load_id) if aggregates else []
    finally:
        drop_load_deltas(con)


def drop_load_deltas(con: duckdb.DuckDBPyConnection) -> None:
    """The load's records of deleted fact rows and of dimension rows changed in place are
    merged once: dropped after the refresh, so a rerun rebuilds partitions instead."""
    for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary AND (starts_with("
            "table_name, '_replaced_') OR starts_with(table_name, '_dim_updated_') OR "
            "starts_with(table_name, '_dim_before_'))").fetchall():
        con.execute(f"DROP TABLE {quote_ident(name)}")


def fact_columns_read(cubes_dir: Path | None = None,
                      model: CubeModel | None = None) -> dict[str, set[str]]:
    """Per fact table, the columns its declared aggregates read: what a load must keep of the
    fact rows it deletes for the aggregates to subtract them (warehouse.cube.agg.delta)."""
    model = model or load_cube_model(cubes_dir)
    out: dict[str, set[str]] = {}
    for aggs in load_aggregates(model, cubes_dir or CUBES_DIR).values():
        for agg in aggs:
            cube = model.cube(agg.cube)
            select = layout_of(cube, agg).select(cube)
            out.setdefault(cube.fact, set()).update(
                c.name for c in select.find_all(exp.Column) if c.table == FACT)
    return out


def drop_undeclared(con: duckdb.DuckDBPyConnection, declared: set[str]) -> list[str]:
    """Aggregate tables whose declaration was removed: dropped with their meta row."""
    tables = [r[0] for r in con.execute(
        "SELECT 'agg.' || table_name FROM duckdb_tables() WHERE schema_name = 'agg'").fetchall()]
    gone = sorted(t for t in tables if t not in declared)
    for table in gone:
        con.execute(f"DROP TABLE agg.{quote_ident(table.split('.', 1)[1])}")
    if gone and table_exists(con, "meta", "aggregates"):
        con.execute("DELETE FROM meta.aggregates WHERE list_contains(?, table_name)", [gone])
    return gone
