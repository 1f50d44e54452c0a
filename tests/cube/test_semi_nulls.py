"""Semi-additive balances whose last (first) day holds only NULL values, against the pandas
oracle (tests/cube/pandas_oracle.py).

The semantics are Analysis Services' LastNonEmpty: a cell's balance is the sum of its values on
its last (first) day with data, a day whose values are not all NULL. A NULL balance on a
period's last day is no data: the cell's balance is the one of the last earlier day with a
value, at every grain and in every total; NULL only when no day of the cell has one. DuckDB's
ARG_MAX skips NULL values, which is what the engine relies on (component._pick_period_end).
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.cube import pandas_oracle as oracle
from tests.cube.answers import assert_cells, cells
from tests.cube.test_semi_time import snapshot_copy
from warehouse.cube import TimeCalc, make_query

# (snapshot date, customer key, open receivables, open tickets); customer 1 is B2C, 2 is B2B.
SNAPSHOT = [
    (date(2024, 3, 1), 1, None, 0),            # a NULL first day: the opening is the 15th's
    (date(2024, 3, 15), 1, "100.00", 1),
    (date(2024, 3, 15), 2, "200.00", 1),
    (date(2024, 3, 31), 1, None, 0),           # the quarter's last day: every balance NULL
    (date(2024, 3, 31), 2, None, 0),
    (date(2024, 5, 31), 1, "110.00", 0),
    (date(2024, 6, 30), 1, None, 1),           # one NULL, one value on the quarter's last day
    (date(2024, 6, 30), 2, "210.00", 0),
    (date(2024, 12, 31), 1, None, 0),          # the year's last day: NULL
    (date(2025, 1, 31), 1, "120.00", 0),
    (date(2025, 1, 31), 2, None, 2),
    (date(2025, 3, 31), 2, None, 0),           # the last day of all: NULL
]
MEASURES = ["open_receivables", "opening_receivables", "open_tickets"]


@pytest.fixture(scope="module")
def null_wh(mini_time_wh, cube_model):
    engine = snapshot_copy(mini_time_wh.con, SNAPSHOT, cube_model)
    yield engine
    engine.con.close()


@pytest.fixture(scope="module")
def frames(null_wh):
    return oracle.load_world(null_wh.con)


def test_the_data_has_all_null_last_days(frames):
    """The trap: periods whose last day with rows has no value (a naive pick gives NULL)."""
    rows = frames["customer_snapshot"]
    by_day = rows.groupby("date.date")["open_receivables"].count()
    assert (by_day == 0).sum() >= 3
    assert by_day.index.max() in set(by_day[by_day == 0].index)


@pytest.mark.parametrize("totals", ["none", "rollup", "all"])
@pytest.mark.parametrize("levels", [["date.quarter", "customer.type"],
                                    ["date.year", "date.month"],
                                    ["customer.customer", "date.quarter"]])
def test_a_null_on_the_last_day_is_skipped_with_and_without_totals(null_wh, frames, levels,
                                                                   totals):
    query = make_query("customer_snapshot", MEASURES, levels, totals=totals)
    want = oracle.answer(frames, "customer_snapshot", MEASURES, levels, totals=totals)
    assert_cells(cells(null_wh, query, MEASURES), want)


@pytest.mark.parametrize("totals", ["none", "rollup"])
def test_time_calculations_pick_the_last_day_with_a_value(null_wh, frames, totals):
    """A window whose last day is all NULL takes the latest earlier value (LastNonEmpty)."""
    levels = ["date.year", "date.quarter"]
    calcs = [("previous", 3, "open_receivables"), ("ytd", 3, "open_receivables"),
             ("last_year", 3, "opening_receivables"), ("rolling", 2, "open_receivables")]
    time = tuple(TimeCalc(m, kind, n=k) for kind, k, m in calcs)
    query = make_query("customer_snapshot", ["open_receivables", "opening_receivables"],
                       levels, totals=totals, time=time)
    columns = ["open_receivables", "opening_receivables", *(t.column for t in time)]
    want = oracle.time_answer(frames, "customer_snapshot",
                              ["open_receivables", "opening_receivables"], levels, [], calcs,
                              totals)
    assert_cells(cells(null_wh, query, columns), want)
