"""Maintain one fact table: replace the rows of affected keys, resolving surrogate keys.

Affected keys are deleted and re-inserted inside the load's build file, so readers of the
served snapshot never see the gap. Deleted source rows simply are not re-inserted.
"""

from __future__ import annotations

from datetime import date

import duckdb

from warehouse.contracts.model import Dimension, Fact
from warehouse.contracts.types import duckdb_type
from warehouse.core.dates import date_key_sql
from warehouse.core.dimensions import ChangeCounts, add_inferred_members
from warehouse.core.render import render
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit
from warehouse.duck import transaction


def fact_columns(fact: Fact) -> list[tuple[str, str]]:
    """Physical columns: date keys, surrogate keys, then the declared columns, then lineage."""
    cols = [(name, "INTEGER NOT NULL") for name in fact.dates]
    cols += [(name, "BIGINT NOT NULL") for name in fact.lookups]
    cols += [(name, duckdb_type(spec.type)) for name, spec in fact.columns.items()]
    cols.append(("_load_id", "VARCHAR NOT NULL"))
    return cols


def fact_ddl(name: str, fact: Fact) -> str:
    cols = ", ".join(f"{q(c)} {t}" for c, t in fact_columns(fact))
    return f"CREATE TABLE IF NOT EXISTS core.{q(name)} ({cols})"


def create_fact(con: duckdb.DuckDBPyConnection, name: str, fact: Fact) -> None:
    con.execute(fact_ddl(name, fact))


def _lookup_join(alias: str, dim_name: str, dim: Dimension, by: str,
                 as_of: str | None) -> str:
    cond = f"{alias}.{q(dim.natural_key)} = r.{q(by)}"
    if dim.type2 and as_of:
        # No OR here: it turns the hash join into a nested loop. An unknown time reads as
        # "now", which only the current version (valid to 9999-12-31) contains.
        when = f"coalesce(CAST(r.{q(as_of)} AS TIMESTAMP), TIMESTAMP '9999-12-30')"
        cond += f" AND {when} >= {alias}.valid_from AND {when} < {alias}.valid_to"
    elif dim.type2:
        cond += f" AND {alias}.is_current"
    return f"LEFT JOIN core.{q(dim_name)} {alias} ON {cond}"


def replaced_rows_table(fact_name: str) -> str:
    """Temp table of the rows this load deleted from a fact (replaced or gone), as they were:
    aggregate tables subtract them instead of re-reading the fact."""
    return f"_replaced_{fact_name}"


def _delete(con: duckdb.DuckDBPyConnection, name: str, where: str,
            keep: set[str] | None) -> int:
    """Delete the rows of fact `name` matching `where`; with `keep`, those columns of the
    deleted rows stay in a temp table. Found by rowid, so only the key columns are scanned to
    find them and only the kept columns of those rows are read (DELETE ... RETURNING * read
    every column of the whole table, 10x slower)."""
    table = f"core.{q(name)}"
    replaced = q(replaced_rows_table(name))
    if not keep:
        con.execute(f"DROP TABLE IF EXISTS {replaced}")
        return con.execute(f"DELETE FROM {table} WHERE {where}").fetchone()[0]
    with transaction(con):  # the rowids hold only until the next checkpoint
        con.execute(f"CREATE OR REPLACE TEMP TABLE _fact_gone AS SELECT rowid AS _rid "
                    f"FROM {table} WHERE {where}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {replaced} AS SELECT "
                    f"{', '.join(q(c) for c in sorted(keep))} FROM {table} "
                    f"WHERE rowid IN (SELECT _rid FROM _fact_gone)")
        deleted = con.execute(f"DELETE FROM {table} WHERE rowid IN "
                              f"(SELECT _rid FROM _fact_gone)").fetchone()[0]
        con.execute("DROP TABLE _fact_gone")
    return deleted


def update_fact(con: duckdb.DuckDBPyConnection, name: str, fact: Fact,
                dims: dict[str, Dimension], *, load_id: str,
                business_date: date, keep_replaced: set[str] | None = None) -> ChangeCounts:
    """Replace the fact rows of the keys this load affected. `keep_replaced`: columns to keep
    of the deleted rows, in replaced_rows_table(name), for aggregate tables to subtract."""
    table = f"core.{q(name)}"
    counts = ChangeCounts(rows_before=con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    keys = ", ".join(q(k) for k in fact.key)
    select = render(fact.select, load_id=load_id, business_date=business_date)
    if fact.kind == "periodic_snapshot":
        con.execute(f"CREATE OR REPLACE TEMP TABLE _fact_rows AS {select}")
        period = q(fact.key[0])
        counts.rows_deleted = _delete(
            con, name, f"{period} IN (SELECT DISTINCT {period} FROM _fact_rows)", keep_replaced)
    elif counts.rows_before == 0:
        # An empty fact is rebuilt from the whole current state: every key is affected.
        con.execute(f"CREATE OR REPLACE TEMP TABLE _fact_rows AS {select}")
        con.execute(f"DROP TABLE IF EXISTS {replaced_rows_table(name)}")
    else:
        affected = render(fact.affected or "", load_id=load_id, business_date=business_date)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _fact_affected AS "
                    f"SELECT DISTINCT * FROM ({affected}) a")
        in_affected = f"({keys}) IN (SELECT ({keys}) FROM _fact_affected)"
        if fact.driver:
            select = render(fact.select, load_id=load_id, business_date=business_date,
                            narrowed={fact.driver: in_affected})
        con.execute(f"CREATE OR REPLACE TEMP TABLE _fact_rows AS SELECT * FROM ({select}) s "
                    f"WHERE {in_affected}")
        counts.rows_deleted = _delete(
            con, name, f"({keys}) IN (SELECT ({keys}) FROM _fact_affected)", keep_replaced)
    for lookup in fact.lookups.values():
        if lookup.inferred:
            add_inferred_members(
                con, lookup.dim, dims[lookup.dim],
                f"SELECT {q(lookup.by)} FROM _fact_rows WHERE NOT _deleted", load_id)
    parts = [date_key_sql(f"r.{q(col)}") for col in fact.dates.values()]
    joins = []
    for i, lookup in enumerate(fact.lookups.values()):
        alias = f"d{i}"
        dim = dims[lookup.dim]
        joins.append(_lookup_join(alias, lookup.dim, dim, lookup.by, lookup.as_of))
        parts.append(f"CASE WHEN r.{q(lookup.by)} IS NULL THEN -1 "
                     f"ELSE coalesce({alias}.{q(dim.surrogate_key)}, -1) END")
    parts += [f"r.{q(c)}" for c in fact.columns]
    parts.append(lit(load_id))
    counts.rows_inserted = con.execute(
        f"INSERT INTO {table} SELECT {', '.join(parts)} FROM _fact_rows r {' '.join(joins)} "
        f"WHERE NOT r._deleted"
    ).fetchone()[0]
    counts.rows_after = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return counts
