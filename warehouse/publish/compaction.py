"""Which builds compact deleted rows at their final checkpoint (DuckDB's vacuum).

A nightly build deletes the rows it replaces (staged versions, fact rows, aggregate cells).
DuckDB's checkpoint vacuums by default: row groups thinned out by deletes are merged and
rewritten whole. At scale 100 that was 1.7 s of an incremental day's 2.6 s checkpoint, to
reclaim about 1% of the rows. A deleted row only costs space until a vacuum, so builds compact
once a week, on business dates that fall on `$CRMWH_COMPACT_WEEKDAY` (default Sunday, or
`daily`), and skip it on the other days; the space left between two compactions is bounded by
a week's deletes.
"""

from __future__ import annotations

import os
from datetime import date

import duckdb

from warehouse.errors import UserError

COMPACT_ENV = "CRMWH_COMPACT_WEEKDAY"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WEEKDAY = "sun"
DAILY = "daily"
VACUUM_TASKS = 100  # DuckDB's default for max_vacuum_tasks


def compaction_weekday() -> str:
    """$CRMWH_COMPACT_WEEKDAY (mon..sun or daily), else Sunday."""
    raw = os.environ.get(COMPACT_ENV, "").strip().lower() or DEFAULT_WEEKDAY
    if raw != DAILY and raw not in WEEKDAYS:
        raise UserError(f"{COMPACT_ENV}={raw!r}: expected one of {', '.join(WEEKDAYS)} or "
                        f"{DAILY}")
    return raw


def compacts(business_date: date, weekday: str | None = None) -> bool:
    """Whether the build of `business_date` vacuums deleted rows."""
    chosen = weekday or compaction_weekday()
    return chosen == DAILY or WEEKDAYS[business_date.weekday()] == chosen


def set_compaction(con: duckdb.DuckDBPyConnection, compact: bool) -> None:
    """Turn the vacuum of the connection's checkpoints on or off."""
    con.execute(f"SET max_vacuum_tasks = {VACUUM_TASKS if compact else 0}")
