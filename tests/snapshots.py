"""Reading the served snapshot from tests, the way a reader process would (read-only)."""

from __future__ import annotations

from warehouse.publish import SnapshotStore


def query(home, sql: str, params=None) -> list[tuple]:
    con = SnapshotStore(home).connect()
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
