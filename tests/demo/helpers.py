"""Helpers for the demo tests: typed reads of the generated sources, per-table checksums."""

from __future__ import annotations

from urllib.parse import urlsplit

import duckdb

from warehouse import duck
from warehouse.config import SOURCES_DIR
from warehouse.contracts.sources import load_sources
from warehouse.contracts.types import duckdb_type
from warehouse.demo.ddl import stored_type
from warehouse.demo.targets import Target, kind_of
from warehouse.demo.writer import read_typed

# the demo's databases (the file sources land as files, checked in test_demo_external)
SOURCES = {n: s for n, s in load_sources(SOURCES_DIR).items() if s.kind != "file"}


def open_sources(urls: dict[str, str]) -> tuple[duckdb.DuckDBPyConnection, dict[str, Target]]:
    """A DuckDB connection with the CRM and ERP attached read-only as `crm` and `erp`."""
    con = duck.connect()
    targets = {}
    for name, url in urls.items():
        duck.attach(con, url, name, read_only=True)
        targets[name] = Target(SOURCES[name], url, kind_of(url), name)
    return con, targets


def typed(targets: dict[str, Target], source: str, table: str) -> str:
    """A table read back with every column cast to its contract type."""
    return read_typed(targets[source], table)


def checksums(urls: dict[str, str]) -> dict[str, tuple[int, int]]:
    """{"source.table": (rows, sum of row hashes)} over the contract-typed contents."""
    con, targets = open_sources(urls)
    try:
        out = {}
        for name, source in SOURCES.items():
            for table, spec in source.tables.items():
                cols = ", ".join(duck.quote_ident(c) for c in spec.columns)
                rows, digest = con.execute(
                    f"SELECT count(*), coalesce(sum(hash({cols})), 0) "
                    f"FROM {typed(targets, name, table)}").fetchone()
                out[f"{name}.{table}"] = (int(rows), int(digest))
        return out
    finally:
        con.close()


def sqlite_urls(home) -> dict[str, str]:
    return {"crm": f"sqlite:///{home.sources / 'crm.sqlite'}",
            "erp": f"sqlite:///{home.sources / 'erp.sqlite'}"}


def physical_columns(con: duckdb.DuckDBPyConnection, target: Target) -> dict[str, list]:
    """{table: [(column, DuckDB type), ...]} as DuckDB sees the attached database.

    DuckDB shows every database of a MySQL server as a schema, so filter by schema."""
    schema = {"sqlite": "main", "postgres": "public",
              "mysql": urlsplit(target.url).path.lstrip("/")}[target.kind]
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name = ? ORDER BY table_name, column_index",
        [target.alias, schema]).fetchall()
    out: dict[str, list] = {}
    for table, column, dtype in rows:
        out.setdefault(table, []).append((column, dtype))
    return out


def expected_columns(target: Target, table: str) -> list:
    """The contract's columns with the type each backend stores them as."""
    spec = target.source.tables[table]
    return [(name, stored_type(target.kind, col.type)) for name, col in spec.columns.items()]


def assert_matches_contract(urls: dict[str, str]) -> None:
    """Every contract table exists with exactly its columns, in order, with the stored types;
    every value casts to its contract type; no NOT NULL column holds a NULL."""
    con, targets = open_sources(urls)
    try:
        for name, target in targets.items():
            physical = physical_columns(con, target)
            for table, spec in target.source.tables.items():
                assert physical.get(table) == expected_columns(target, table), (name, table)
                for col, c in spec.columns.items():
                    qc = duck.quote_ident(col)
                    bad = con.execute(
                        f"SELECT count(*) FROM {target.ref(table)} WHERE {qc} IS NOT NULL "
                        f"AND TRY_CAST({qc} AS {duckdb_type(c.type)}) IS NULL").fetchone()[0]
                    assert bad == 0, (name, table, col, "values not of the contract type")
                    if not c.nullable:
                        nulls = con.execute(f"SELECT count(*) FROM {target.ref(table)} "
                                            f"WHERE {qc} IS NULL").fetchone()[0]
                        assert nulls == 0, (name, table, col, "NULL in a NOT NULL column")
    finally:
        con.close()
