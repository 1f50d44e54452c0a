"""Write generated rows into a target table: bulk inserts, upserts by key, hard deletes.

Every write casts each column to the contract's type, so whatever the generating SQL produced,
the source holds exactly the declared types. MySQL's scanner cannot UPDATE from a join or
DELETE with a subquery, so upserts there (and on PostgreSQL, where it is index-driven) go
through a staging table and one native statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import duckdb

from warehouse.contracts.sources import SourceTable
from warehouse.contracts.types import duckdb_type
from warehouse.demo.targets import Target, native
from warehouse.duck import quote_ident as q

Progress = Callable[[str, int], None]


def typed_select(table: SourceTable, relation: str) -> str:
    """SELECT the contract's columns from `relation`, each cast to its contract type."""
    cols = ", ".join(f"CAST({q(n)} AS {duckdb_type(c.type)}) AS {q(n)}"
                     for n, c in table.columns.items())
    return f"SELECT {cols} FROM {relation}"


def insert(con: duckdb.DuckDBPyConnection, target: Target, table: str, relation: str) -> int:
    """INSERT every row of a DuckDB relation (table name or parenthesised query)."""
    spec = target.source.tables[table]
    cols = ", ".join(q(n) for n in spec.columns)
    result = con.execute(f"INSERT INTO {target.ref(table)} ({cols}) "
                         f"{typed_select(spec, relation)}").fetchone()
    return int(result[0]) if result else 0


def upsert(con: duckdb.DuckDBPyConnection, target: Target, table: str, relation: str) -> int:
    """Replace rows by key with the full rows in `relation` (new keys are inserted)."""
    spec = target.source.tables[table]
    con.execute(f"CREATE OR REPLACE TEMP TABLE _upsert_rows AS {typed_select(spec, relation)}")
    n = int(con.execute("SELECT count(*) FROM _upsert_rows").fetchone()[0])
    if not n:
        return 0
    cols = ", ".join(q(c) for c in spec.columns)
    keys = ", ".join(q(k) for k in spec.key)
    if target.kind == "sqlite":
        con.execute("BEGIN")
        try:
            con.execute(f"DELETE FROM {target.ref(table)} WHERE ({keys}) IN "
                        f"(SELECT ({keys}) FROM _upsert_rows)")
            con.execute(f"INSERT INTO {target.ref(table)} ({cols}) SELECT {cols} FROM _upsert_rows")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        return n
    stage = target.ref("demo_stage")
    con.execute(f"DROP TABLE IF EXISTS {stage}")
    con.execute(f"CREATE TABLE {stage} AS SELECT * FROM _upsert_rows")
    if target.kind == "postgres":
        on = " AND ".join(f't."{k}" = s."{k}"' for k in spec.key)
        names = ", ".join(f'"{c}"' for c in spec.columns)
        native(con, target, f'BEGIN; DELETE FROM "{table}" t USING demo_stage s WHERE {on}; '
                            f'INSERT INTO "{table}" ({names}) SELECT {names} FROM demo_stage; '
                            "COMMIT")
    else:
        names = ", ".join(f"`{c}`" for c in spec.columns)
        native(con, target, f"REPLACE INTO `{table}` ({names}) SELECT {names} FROM demo_stage")
    con.execute(f"DROP TABLE {stage}")
    return n


def delete_keys(con: duckdb.DuckDBPyConnection, target: Target, table: str,
                keys: Iterable[int]) -> int:
    """Hard-delete rows by a single integer key."""
    spec = target.source.tables[table]
    ids = sorted({int(k) for k in keys})
    if not ids:
        return 0
    (key,) = spec.key
    listed = ", ".join(str(i) for i in ids)
    if target.kind == "sqlite":
        con.execute(f"DELETE FROM {target.ref(table)} WHERE {q(key)} IN ({listed})")
    elif target.kind == "postgres":
        native(con, target, f'DELETE FROM "{table}" WHERE "{key}" IN ({listed})')
    else:
        native(con, target, f"DELETE FROM `{table}` WHERE `{key}` IN ({listed})")
    return len(ids)


def read_typed(target: Target, table: str, where: str = "") -> str:
    """A query over a target table with every column cast back to its contract type.

    `where` may refer to the typed columns by name (it is applied after the casts).
    """
    spec = target.source.tables[table]
    sql = f"({typed_select(spec, target.ref(table))})"
    return f"(SELECT * FROM {sql} WHERE {where})" if where else sql
