"""demo_clock: the one-row table in each demo database saying how far the demo world has run.

`advance` reads it to know the day to continue from and the seed and scale to continue with;
the CRM and ERP copies must agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from warehouse.demo.ddl import CLOCK_TABLE
from warehouse.demo.targets import Target
from warehouse.duck import redact
from warehouse.errors import UserError


@dataclass(frozen=True)
class Clock:
    as_of: date
    seed: int
    scale: float
    start: date


def write(con: duckdb.DuckDBPyConnection, target: Target, clock: Clock) -> None:
    """Replace the clock row."""
    ref = target.ref(CLOCK_TABLE)
    con.execute(f"DELETE FROM {ref}")
    con.execute(f"INSERT INTO {ref} VALUES (?, ?, ?, ?)",
                [clock.as_of, clock.seed, clock.scale, clock.start])


def read(con: duckdb.DuckDBPyConnection, target: Target) -> Clock:
    """The clock row; a clear error when the database was never initialised."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?",
        [target.alias, CLOCK_TABLE]).fetchone()[0]
    rows = [] if not exists else con.execute(
        f"SELECT CAST(as_of AS DATE), CAST(seed AS BIGINT), CAST(scale AS DOUBLE), "
        f"CAST(start_date AS DATE) FROM {target.ref(CLOCK_TABLE)}").fetchall()
    if len(rows) != 1:
        raise UserError(f"the {target.name} database at {redact(target.url)} has no demo clock: "
                        "run `crmwh demo init` first")
    as_of, seed, scale, start = rows[0]
    return Clock(as_of, int(seed), float(scale), start)
