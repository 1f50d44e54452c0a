"""Maintain one dimension: new members, type-1 overwrites, type-2 versions, inferred members.

The source state comes from the dimension's declared `select`; the dimension is compared with
it every load, so the result depends only on staging, never on load history or timing.
Surrogate keys are assigned in (natural key, valid_from) order, so reruns give the same keys.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

import duckdb

from warehouse.contracts.model import PLACEHOLDER, Dimension
from warehouse.contracts.types import duckdb_type
from warehouse.core.render import render
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit
from warehouse.duck import table_exists, transaction
from warehouse.errors import LoadError
from warehouse.stage.schema import current_table

BEGINNING = "TIMESTAMP '1900-01-01 00:00:00'"
END_OF_TIME = "TIMESTAMP '9999-12-31 00:00:00'"
SCD_COLUMNS = {
    "valid_from": "TIMESTAMP NOT NULL",
    "valid_to": "TIMESTAMP NOT NULL",
    "is_current": "BOOLEAN NOT NULL",
    "is_inferred": "BOOLEAN NOT NULL",
    "version": "INTEGER NOT NULL",
    "_load_id": "VARCHAR NOT NULL",
}


@dataclass
class ChangeCounts:
    rows_before: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0
    rows_after: int = 0
    # Columns some existing row now holds a different value in (type-1 overwrites, closed
    # versions, completed inferred members): what readers of old rows, such as aggregate
    # tables, must know to tell whether they went stale.
    columns_updated: set[str] = field(default_factory=set)


def dimension_ddl(name: str, dim: Dimension) -> str:
    cols = [f"{q(dim.surrogate_key)} BIGINT NOT NULL"]
    cols += [f"{q(c)} {duckdb_type(spec.type)}" for c, spec in dim.columns.items()]
    cols += [f"{q(c)} {t}" for c, t in SCD_COLUMNS.items()]
    return f"CREATE TABLE core.{q(name)} ({', '.join(cols)})"


def create_dimension(con: duckdb.DuckDBPyConnection, name: str, dim: Dimension) -> None:
    """Create the table with its unknown member (-1) if it does not exist."""
    if table_exists(con, "core", name):
        return
    con.execute(dimension_ddl(name, dim))
    values = ["-1"] + [
        "'Unknown'" if spec.type == "text" else "NULL" for spec in dim.columns.values()
    ] + [BEGINNING, END_OF_TIME, "true", "false", "1", "'init'"]
    con.execute(f"INSERT INTO core.{q(name)} VALUES ({', '.join(values)})")


def _hash(cols: tuple[str, ...] | list[str], alias: str) -> str:
    if not cols:
        return "0::UBIGINT"
    return f"hash({', '.join(f'{alias}.{q(c)}' for c in cols)})"


def updated_rows_table(dim_name: str) -> str:
    """Temp table (sk, changed_columns) of the rows this load changed in place, with the columns it
    changed: aggregate tables rebuild only what holds facts of members whose kept columns
    changed."""
    return f"_dim_updated_{dim_name}"


def previous_rows_table(dim_name: str) -> str:
    """Temp table of the rows this load changed in place, as they were before it: aggregate
    tables subtract those members' facts under their old attributes and add them under the
    new ones, instead of rebuilding every partition that holds them."""
    return f"_dim_before_{dim_name}"


def _keep_previous(con: duckdb.DuckDBPyConnection, table: str, sk: str, changed_rows: str,
                   previous: str) -> None:
    """Copy the rows listed in `changed_rows` that are not yet in `previous`, before they
    change: a row changed twice in one load (closed, then corrected) keeps its first state.
    Found by rowid, so only the key column is scanned and only those rows are read whole."""
    listed, kept = con.execute(f"SELECT (SELECT count(DISTINCT sk) FROM {changed_rows}), "
                               f"(SELECT count(*) FROM {previous})").fetchone()
    if listed == kept:
        return                # every listed row is kept already (or none was listed)
    with transaction(con):  # the rowids hold only until the next checkpoint
        con.execute(f"CREATE OR REPLACE TEMP TABLE _dim_rids AS SELECT rowid AS _rid FROM "
                    f"{table} WHERE {sk} IN (SELECT sk FROM {changed_rows}) AND {sk} NOT IN "
                    f"(SELECT {sk} FROM {previous})")
        con.execute(f"INSERT INTO {previous} SELECT * FROM {table} WHERE rowid IN "
                    f"(SELECT _rid FROM _dim_rids)")
        con.execute("DROP TABLE _dim_rids")


def _overwrite(con: duckdb.DuckDBPyConnection, table: str, nk: str, sk: str,
               columns: list[str], where: str, load_id: str,
               changed_rows: str, previous: str) -> tuple[int, set[str]]:
    """Overwrite `columns` of the rows (d) matching their source row (s) where `where` holds;
    returns (rows updated, columns that really changed). The source and dimension are joined
    once, into a temp table of the rows to change, which both questions then read."""
    changed = ", ".join(f"s.{q(c)} IS DISTINCT FROM d.{q(c)} AS {q('_x_' + c)}" for c in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _dim_over AS SELECT d.{sk} AS _sk, "
                f"{', '.join(f's.{q(c)}' for c in columns)}, {changed} "
                f"FROM _dim_src s JOIN {table} d ON d.{nk} = s.{nk} WHERE {where}")
    tests = ", ".join(f"coalesce(bool_or({q('_x_' + c)}), false)" for c in columns)
    differ = con.execute(f"SELECT {tests} FROM _dim_over").fetchone()
    listed = ", ".join(f"CASE WHEN {q('_x_' + c)} THEN {lit(c)} END" for c in columns)
    con.execute(f"INSERT INTO {changed_rows} SELECT _sk, list_filter([{listed}], "
                f"x -> x IS NOT NULL) FROM _dim_over")
    _keep_previous(con, table, sk, changed_rows, previous)
    set_cols = ", ".join(f"{q(c)} = o.{q(c)}" for c in columns)
    updated = con.execute(f"UPDATE {table} d SET {set_cols}, _load_id = {lit(load_id)} "
                          f"FROM _dim_over o WHERE d.{sk} = o._sk").fetchone()[0]
    con.execute("DROP TABLE _dim_over")
    return updated, {c for c, x in zip(columns, differ, strict=True) if x}


def update_dimension(con: duckdb.DuckDBPyConnection, name: str, dim: Dimension, *,
                     load_id: str, business_date: date) -> ChangeCounts:
    table = f"core.{q(name)}"
    nk, sk = q(dim.natural_key), q(dim.surrogate_key)
    counts = ChangeCounts(rows_before=_count(con, table))
    narrowed = _changed_only(con, name, dim, load_id, counts.rows_before)
    select = render(dim.select, load_id=load_id, business_date=business_date,
                    narrowed=narrowed)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _dim_src AS {select}")
    dupes = con.execute(f"SELECT {nk}, count(*) FROM _dim_src GROUP BY 1 HAVING count(*) > 1 "
                        f"LIMIT 3").fetchall()
    if dupes:
        raise LoadError(f"dimension {name}: its select returns several rows for natural key "
                        f"{dim.natural_key} = {[d[0] for d in dupes]}")
    cols = list(dim.columns)
    type1 = [c for c in dim.type1 if c != dim.changed_at]
    changed_at = f"s.{q(dim.changed_at)}" if dim.changed_at else "NULL::TIMESTAMP"
    s_cols = ", ".join(f"s.{q(c)}" for c in cols)

    changed_rows = q(updated_rows_table(name))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {changed_rows} "
                f"(sk BIGINT, changed_columns VARCHAR[])")
    previous = q(previous_rows_table(name))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {previous} AS FROM {table} LIMIT 0")

    # 1. Inferred members whose real row has arrived: complete them in place.
    set_all = ", ".join(f"{q(c)} = s.{q(c)}" for c in cols if c != dim.natural_key)
    every = "[" + ", ".join(lit(c) for c in [*cols, "is_inferred"] if c != dim.natural_key) + "]"
    con.execute(f"INSERT INTO {changed_rows} SELECT d.{sk}, {every} FROM {table} d "
                f"JOIN _dim_src s ON d.{nk} = s.{nk} WHERE d.is_inferred")
    _keep_previous(con, table, sk, changed_rows, previous)
    updated = con.execute(
        f"UPDATE {table} d SET {set_all}, is_inferred = false, _load_id = {lit(load_id)} "
        f"FROM _dim_src s WHERE d.{nk} = s.{nk} AND d.is_inferred"
    ).fetchone()[0]
    counts.rows_updated += updated
    if updated:
        counts.columns_updated.update(c for c in cols if c != dim.natural_key)
        counts.columns_updated.add("is_inferred")

    # 2. Type-2 changes: close the current version, open a new one from the change time.
    if dim.type2:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _dim_t2 AS "
            f"SELECT s.*, d.{sk} AS _old_sk, d.version AS _old_version, {changed_at} AS _changed_at "
            f"FROM _dim_src s JOIN {table} d ON d.{nk} = s.{nk} AND d.is_current "
            f"WHERE {_hash(dim.type2, 's')} <> {_hash(dim.type2, 'd')} "
            f"AND {changed_at} IS NOT NULL AND {changed_at} > d.valid_from"
        )
        con.execute(f"INSERT INTO {changed_rows} SELECT _old_sk, ['valid_to', 'is_current'] "
                    f"FROM _dim_t2")
        _keep_previous(con, table, sk, changed_rows, previous)
        closed = con.execute(
            f"UPDATE {table} d SET valid_to = t._changed_at, is_current = false, "
            f"_load_id = {lit(load_id)} FROM _dim_t2 t WHERE d.{sk} = t._old_sk"
        ).fetchone()[0]
        counts.rows_updated += closed
        if closed:
            counts.columns_updated.update(("valid_to", "is_current"))
        next_key = _next_key(con, table, sk)
        inserted = con.execute(
            f"INSERT INTO {table} SELECT {next_key} + row_number() OVER "
            f"(ORDER BY t.{nk}, t._changed_at), {', '.join(f't.{q(c)}' for c in cols)}, "
            f"t._changed_at, {END_OF_TIME}, true, false, t._old_version + 1, {lit(load_id)} "
            f"FROM _dim_t2 t"
        ).fetchone()[0]
        counts.rows_inserted += inserted

    # 3. Type-1 (and late type-2 corrections): overwrite where the value differs.
    overwrite = [c for c in cols if c != dim.natural_key and c not in dim.type2] if type1 else []
    if overwrite:
        updated, changed = _overwrite(con, table, nk, sk, overwrite,
                                      f"{_hash(overwrite, 's')} <> {_hash(overwrite, 'd')}",
                                      load_id, changed_rows, previous)
        counts.rows_updated += updated
        counts.columns_updated |= changed
    if dim.type2:
        # A type-2 change dated at or before the current version's start is a correction.
        updated, changed = _overwrite(
            con, table, nk, sk, list(dim.type2),
            f"d.is_current AND {_hash(dim.type2, 's')} <> {_hash(dim.type2, 'd')}", load_id,
            changed_rows, previous)
        counts.rows_updated += updated
        counts.columns_updated |= changed

    # 4. New members.
    next_key = _next_key(con, table, sk)
    counts.rows_inserted += con.execute(
        f"INSERT INTO {table} SELECT {next_key} + row_number() OVER (ORDER BY s.{nk}), {s_cols}, "
        f"{BEGINNING}, {END_OF_TIME}, true, false, 1, {lit(load_id)} FROM _dim_src s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} d WHERE d.{nk} = s.{nk})"
    ).fetchone()[0]
    counts.rows_after = _count(con, table)
    con.execute("INSERT OR REPLACE INTO meta.dimension_definitions VALUES (?, ?, ?)",
                [name, _definition(dim), load_id])
    return counts


def _definition(dim: Dimension) -> str:
    return hashlib.sha256(dim.model_dump_json().encode()).hexdigest()


def _changed_only(con: duckdb.DuckDBPyConnection, name: str, dim: Dimension, load_id: str,
                  rows: int) -> dict[str, str] | None:
    """The condition narrowing the driver entity to its rows this load changed, when that is
    exact: the last load compared every other row under the same definition, and no other
    entity the select reads changed. None means compare every row (the first load, a changed
    definition, a dimension without a driver, or a change in, say, the geography it joins)."""
    con.execute("CREATE TABLE IF NOT EXISTS meta.dimension_definitions (dimension VARCHAR "
                "PRIMARY KEY, definition VARCHAR NOT NULL, load_id VARCHAR NOT NULL)")
    if not dim.driver or rows <= 1:              # empty but for the unknown member
        return None
    stored = con.execute("SELECT definition FROM meta.dimension_definitions WHERE dimension = ?",
                         [name]).fetchone()
    if stored is None or stored[0] != _definition(dim):
        return None
    for entity in PLACEHOLDER.finditer(dim.select):
        other = entity.group(2)
        if other != dim.driver and con.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {current_table(other)} WHERE _batch_id = "
                f"? LIMIT 1)", [load_id]).fetchone()[0]:
            return None
    nk = q(dim.natural_key)
    return {dim.driver: f"_batch_id = {lit(load_id)} OR {nk} IN "
                        f"(SELECT {nk} FROM core.{q(name)} WHERE is_inferred)"}


def add_inferred_members(con: duckdb.DuckDBPyConnection, name: str, dim: Dimension,
                         keys_sql: str, load_id: str) -> int:
    """Facts referencing a member not yet known get a placeholder, completed when it arrives."""
    table = f"core.{q(name)}"
    nk, sk = q(dim.natural_key), q(dim.surrogate_key)
    next_key = _next_key(con, table, sk)
    others = [
        "'Unknown'" if spec.type == "text" else "NULL"
        for c, spec in dim.columns.items() if c != dim.natural_key
    ]
    other_cols = [q(c) for c in dim.columns if c != dim.natural_key]
    return con.execute(
        f"INSERT INTO {table} ({sk}, {nk}, {', '.join(other_cols)}, "
        f"{', '.join(SCD_COLUMNS)}) "
        f"SELECT {next_key} + row_number() OVER (ORDER BY k), k, {', '.join(others)}, "
        f"{BEGINNING}, {END_OF_TIME}, true, true, 1, {lit(load_id)} "
        f"FROM (SELECT DISTINCT k FROM ({keys_sql}) t(k) WHERE k IS NOT NULL) n "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} d WHERE d.{nk} = n.k)"
    ).fetchone()[0]


def _next_key(con: duckdb.DuckDBPyConnection, table: str, sk: str) -> int:
    return con.execute(f"SELECT greatest(coalesce(max({sk}), 0), 0) FROM {table}").fetchone()[0]


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
