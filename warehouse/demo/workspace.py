"""The generator's own DuckDB session: in memory, bounded, with every macro registered.

Generation happens here; the sources are ATTACHed to it and written with INSERT ... SELECT.
A memory limit and a spill folder keep large scales from exhausting memory.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse import duck
from warehouse.config import Home
from warehouse.demo import behaviour, calendar, people, rng, timeline, vocab_sql

MEMORY_LIMIT = "4GB"


def register(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """Every macro the generators use, for `seed`."""
    rng.register(con, seed)
    calendar.register(con)
    vocab_sql.register(con)
    behaviour.register(con)
    people.register(con)
    timeline.register(con)


@contextmanager
def workspace(home: Home, seed: int | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection (with the demo macros when `seed` is known); closed and cleaned
    up after."""
    home.work.mkdir(parents=True, exist_ok=True)
    spill = Path(tempfile.mkdtemp(prefix="demo-spill-", dir=home.work))
    con = duck.connect(memory_limit=MEMORY_LIMIT, temp_directory=spill)
    try:
        con.execute("SET preserve_insertion_order = false")
        # the planner underestimates unnest() outputs and would pick a nested-loop ASOF join
        con.execute("SET asof_loop_join_threshold = 0")
        if seed is not None:
            register(con, seed)
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
