"""Source tables created from the contracts, through DuckDB's scanners, in any backend.

The contract's logical type is turned into a DuckDB type and DuckDB's scanner picks the
backend's type. What each backend ends up storing (as DuckDB reads it back) is recorded in
STORED_AS, so tests can check every column and the loader knows what to expect.
"""

from __future__ import annotations

import duckdb

from warehouse.contracts.sources import Source, SourceTable
from warehouse.contracts.types import duckdb_type
from warehouse.demo.targets import Target, native
from warehouse.duck import quote_ident as q

# How DuckDB reads back each logical type after creating it in the backend (None = the
# DuckDB type itself). SQLite keeps decimals, dates and timestamps as text and booleans
# and integers as 64-bit integers; values stay exact since decimals are written as text.
STORED_AS: dict[str, dict[str, str]] = {
    "sqlite": {"integer": "BIGINT", "boolean": "BIGINT", "date": "VARCHAR",
               "timestamp": "VARCHAR", "decimal": "VARCHAR"},
    "postgres": {},
    "mysql": {},
}

# Tables the generator keeps for itself; not in the contracts, the loader ignores them.
CLOCK_TABLE = "demo_clock"
CLOCK_COLUMNS = "as_of DATE, seed BIGINT, scale DOUBLE, start_date DATE"
# ERP only: the true CRM customer behind each ERP debtor (ground truth for matching).
TRUTH_TABLE = "demo_customer_map"
TRUTH_COLUMNS = ("cust_id BIGINT NOT NULL, customer_id BIGINT, erp_only_no BIGINT, "
                 "PRIMARY KEY (cust_id)")


def stored_type(kind: str, logical: str) -> str:
    """The DuckDB type a column of `logical` type reads back as from a `kind` backend."""
    family = "decimal" if logical.startswith("decimal") else logical
    return STORED_AS[kind].get(family) or duckdb_type(logical)


def create_table_sql(target: Target, table: SourceTable) -> str:
    """CREATE TABLE for one contract table, with its key as the primary key."""
    cols = [
        f"{q(name)} {duckdb_type(col.type)}" + ("" if col.nullable else " NOT NULL")
        for name, col in table.columns.items()
    ]
    cols.append(f"PRIMARY KEY ({', '.join(q(k) for k in table.key)})")
    return f"CREATE TABLE {target.ref(table.name)} ({', '.join(cols)})"


def index_sql(target: Target, table: SourceTable) -> str | None:
    """The native CREATE INDEX on the watermark column, or None (incremental reads need it)."""
    if not table.watermark:
        return None
    name = f"ix_{table.name}_{table.watermark}"
    if target.kind in ("postgres", "sqlite"):
        return f'CREATE INDEX "{name}" ON "{table.name}" ("{table.watermark}")'
    return f"CREATE INDEX `{name}` ON `{table.name}` (`{table.watermark}`)"


def demo_tables(source: Source) -> dict[str, str]:
    tables = {CLOCK_TABLE: CLOCK_COLUMNS}
    if source.source == "erp":
        tables[TRUTH_TABLE] = TRUTH_COLUMNS
    return tables


def drop_all(con: duckdb.DuckDBPyConnection, target: Target) -> None:
    """Drop the contract's tables and the generator's own, so init starts from nothing."""
    names = [*target.source.tables, *demo_tables(target.source), "demo_stage"]
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS {target.ref(name)}")


def create_all(con: duckdb.DuckDBPyConnection, target: Target) -> None:
    """Create every contract table (keys included) and the generator's own tables."""
    for table in target.source.tables.values():
        con.execute(create_table_sql(target, table))
    for name, cols in demo_tables(target.source).items():
        con.execute(f"CREATE TABLE {target.ref(name)} ({cols})")


def create_indexes(con: duckdb.DuckDBPyConnection, target: Target) -> None:
    """Watermark indexes, after the bulk load (faster than maintaining them while loading)."""
    for table in target.source.tables.values():
        statement = index_sql(target, table)
        if statement:
            native(con, target, statement)
    if target.kind == "postgres":
        native(con, target, "ANALYZE")
