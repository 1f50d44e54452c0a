"""Which entities a delivered file holds: the first full list, then monthly refreshes.

Shared by the people and company lists; entities are 'C<customer_id>' or 'X<n>' (prospect
number n), with their hash key `ek` and, for customers, `created_at`.
"""

from __future__ import annotations

from datetime import date

import duckdb

from warehouse.demo.params import end_of, ts


def init_selection(con: duckdb.DuckDBPyConnection, people: str, salt: str, out: str) -> None:
    """The first full list: everyone once, some twice (a duplicate under a new id)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT * , 0 AS dup FROM {people}
        UNION ALL
        SELECT *, 1 FROM {people} WHERE u(ek, '{salt}.dup') < 0.04 * mess()
    """)


def refresh_selection(con: duckdb.DuckDBPyConnection, people: str, version: int,
                      since: date, old_prospects: int, salt: str, out: str) -> None:
    """A monthly refresh: a share of known people again with changed values, the people new
    since `since`, and some known people re-keyed by the vendor (a duplicate across files)."""
    t0 = ts(end_of(since))
    n0 = "CAST(substr(entity, 2) AS BIGINT)"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH s AS (
            SELECT p.*,
                   CASE WHEN entity LIKE 'C%' THEN created_at > {t0}
                        ELSE {n0} > {int(old_prospects)} END AS is_new
            FROM {people} p
        )
        SELECT * EXCLUDE (is_new), 0 AS dup FROM s
        WHERE is_new OR u2(ek, {version}, '{salt}.rf') < 0.3
        UNION ALL
        SELECT * EXCLUDE (is_new), 2 + {version} FROM s
        WHERE NOT is_new AND u2(ek, {version}, '{salt}.rk') < 0.01 * mess()
    """)
