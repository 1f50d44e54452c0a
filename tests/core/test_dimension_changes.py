"""update_dimension's record of rows changed in place: which rows, which columns, and each
row as it was before the load (what aggregate tables subtract under the old attributes)."""

from __future__ import annotations

from datetime import date

import duckdb

from warehouse.contracts.model import Dimension
from warehouse.core.dimensions import (
    create_dimension,
    previous_rows_table,
    update_dimension,
    updated_rows_table,
)

DIM = Dimension(
    description="test members", grain="one row per member version", natural_key="member_id",
    surrogate_key="member_key", changed_at="changed_at", type2=("region",),
    columns={"member_id": {"type": "bigint"}, "name": {"type": "text"},
             "region": {"type": "text"}, "changed_at": {"type": "timestamp"}},
    select="SELECT member_id, name, region, changed_at FROM src")


def load(con: duckdb.DuckDBPyConnection, load_id: str, rows: list[tuple]) -> None:
    con.execute("CREATE OR REPLACE TABLE src (member_id BIGINT, name VARCHAR, region VARCHAR, "
                "changed_at TIMESTAMP)")
    con.executemany("INSERT INTO src VALUES (?, ?, ?, ?)", rows)
    update_dimension(con, "dim_member", DIM, load_id=load_id, business_date=date(2025, 1, 1))


def test_a_row_closed_then_corrected_in_one_load_keeps_its_state_before_the_load():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core; CREATE SCHEMA meta")
    create_dimension(con, "dim_member", DIM)
    load(con, "L1", [(1, "Ann", "East", "2024-01-01"), (2, "Bob", "West", "2024-01-01")])
    [(ann_key,)] = con.execute("SELECT member_key FROM core.dim_member WHERE member_id = 1"
                               ).fetchall()
    # Member 1 moves region (its version closes) and its name is corrected (type 1: every
    # version, the closed one included); member 2 is unchanged.
    load(con, "L2", [(1, "Anne", "North", "2024-06-01"), (2, "Bob", "West", "2024-01-01")])
    previous = con.execute(
        f"SELECT member_key, name, region, is_current, valid_to "
        f"FROM {previous_rows_table('dim_member')}").fetchall()
    assert [(k, n, r, c) for k, n, r, c, _ in previous] == [(ann_key, "Ann", "East", True)]
    assert str(previous[0][4]).startswith("9999-12-31")
    changed = con.execute(f"SELECT sk, list_sort(changed_columns) FROM "
                          f"{updated_rows_table('dim_member')} ORDER BY ALL").fetchall()
    assert changed == [(ann_key, ["changed_at", "name"]), (ann_key, ["is_current", "valid_to"])]
    now = con.execute("SELECT name, region, is_current FROM core.dim_member WHERE "
                      "member_id = 1 ORDER BY version").fetchall()
    assert now == [("Anne", "East", False), ("Anne", "North", True)]
