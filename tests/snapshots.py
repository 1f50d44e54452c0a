"""Reading the served snapshot from tests, the way a reader process would (read-only)."""

from __future__ import annotations

from warehouse.publish import SnapshotStore


def query(home, sql: str, params=None) -> list[tuple]:
    con = SnapshotStore(home).connect()
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def batch(home, load_id: str, table: str) -> list[tuple]:
    """(read, loaded, merged, quarantined) of one source table's batch in a load."""
    return query(home, "SELECT rows_extracted, rows_loaded, rows_merged, rows_quarantined FROM "
                       "meta.batches WHERE load_id = ? AND source_table = ?", [load_id, table])


def unbalanced(home) -> list[tuple]:
    """Batches whose rows read are not loaded + merged + quarantined."""
    return query(home, "SELECT load_id, source, source_table FROM meta.batches WHERE "
                       "rows_extracted <> rows_loaded + rows_merged + rows_quarantined")
