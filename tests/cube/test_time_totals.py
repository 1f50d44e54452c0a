"""Time intelligence with totals: every subtotal row carries the calculation of its own time
member (a year subtotal's YTD is the year's, its last_year the year before), or NULL where the
row has no time member; never a sum of its detail rows' windows. Checked against the Python
oracle (tests/cube/oracle.py) on the mini sources plus TIME_ORDERS: sales in 2023-11, three
months of 2024, 2025-01 and 2025-03, and a line of unknown date."""

from __future__ import annotations

from decimal import Decimal
from itertools import combinations

import pytest

from tests.cube.answers import cells
from tests.cube.oracle import SALES_ROLES, flat_rows, time_answer
from warehouse.cube import PathCut, PointCut, RangeCut, TimeCalc, make_query
from warehouse.errors import UserError

CALCS = [("ytd", 3), ("last_year", 3), ("rolling", 3)]


@pytest.fixture(scope="module")
def time_rows(mini_time_wh):
    return flat_rows(mini_time_wh.con, "core.fact_sales_line", SALES_ROLES)


def engine_answer(engine, levels, calcs, measure="revenue", **kw) -> dict[tuple, tuple]:
    time = tuple(TimeCalc(measure, kind, n=n) for kind, n in calcs)
    query = make_query("sales", [measure], levels, time=time, **kw)
    return cells(engine, query, [measure, *(t.column for t in time)])


def rollup(n: int) -> list[tuple[int, ...]]:
    return [tuple(range(k)) for k in range(n, -1, -1)]


def cube(n: int) -> list[tuple[int, ...]]:
    return [c for k in range(n, -1, -1) for c in combinations(range(n), k)]


@pytest.mark.parametrize("cut", [None, 2024])
def test_year_month_rollup_subtotals_are_the_years_own_windows(mini_time_wh, time_rows, cut):
    levels = ["date.year", "date.month"]
    cuts = [PointCut("date.year", cut)] if cut else []
    got = engine_answer(mini_time_wh, levels, CALCS, cuts=cuts, totals="rollup")
    want = time_answer(time_rows, levels, rollup(2),
                       [("date.year", (cut,), False)] if cut else [], CALCS)
    assert got == want
    # By hand: 2024 sold 999.99 (Jan) + 99.50 (Mar) + 1999.98 (Nov), 2023 only 19.90.
    assert got[(2024, None, 1)] == (Decimal("3099.47"), Decimal("3099.47"), Decimal("19.90"),
                                    Decimal("3119.37"))
    assert got[(2024, "2024-03", 0)][1:] == (Decimal("1099.49"), None, Decimal("1099.49"))
    assert got[(None, None, 3)][1:] == (None, None, None)       # the grand total has no year
    if cut is None:
        # The unknown date (-1) is a member of its own, with no window at any grain.
        assert got[(None, "Unknown", 0)] == (Decimal("19.90"), None, None, None)
        assert got[(None, None, 1)] == (Decimal("19.90"), None, None, None)


def test_subtotals_over_another_dimension_and_quarters(mini_time_wh, time_rows):
    levels = ["customer.type", "date.year", "date.quarter", "date.month"]
    calcs = [*CALCS, ("qtd", 3), ("mtd", 3), ("previous", 3), ("rolling", 2)]
    got = engine_answer(mini_time_wh, levels, calcs, totals="rollup")
    want = time_answer(time_rows, levels, rollup(4), [], calcs)
    assert got == want
    # A customer type's subtotal keeps no date level: no window. Month-to-date of a year or a
    # quarter is not defined either.
    assert got[("B2B", None, None, None, 7)][1:] == (None,) * 7
    b2b_2024 = got[("B2B", 2024, None, None, 3)]
    assert b2b_2024[0] == b2b_2024[1] == Decimal("2999.97") and b2b_2024[5] is None


def test_distinct_counts_of_subtotals_and_null_without_a_time_member(mini_time_wh, time_rows):
    levels = ["date.year", "customer.type", "date.month"]
    got = engine_answer(mini_time_wh, levels, CALCS, "customers", totals="rollup")
    assert got == time_answer(time_rows, levels, rollup(3), [], CALCS, "customers")
    # 2024: customer 2 in January and November, customer 1 in March; the year before only 1.
    assert got[(2024, None, None, 3)] == (2, 2, 1, 2)
    # The grand total has no year: NULL, not a count's 0.
    assert got[(None, None, None, 7)] == (2, None, None, None)


@pytest.mark.parametrize("totals", ["all", "sets"])
def test_cube_totals_and_grouping_sets(mini_time_wh, time_rows, totals):
    levels = ["date.month", "customer.type", "date.year"]
    calcs = [("ytd", 3), ("last_year", 3), ("rolling", 2)]
    if totals == "all":
        sets = cube(3)
        got = engine_answer(mini_time_wh, levels, calcs, totals="all")
    else:
        sets = [(2,), (0, 1), (1, 2), ()]
        got = engine_answer(mini_time_wh, levels, calcs, grouping_sets=[
            [levels[i] for i in s] for s in sets])
    assert got == time_answer(time_rows, levels, sets, [], calcs)


def test_change_against_the_subtotals_own_previous_period(mini_time_wh, time_rows):
    levels = ["date.year", "date.month"]
    time = (TimeCalc("revenue", "change", against="last_year"),
            TimeCalc("revenue", "change_pct"))
    rows = mini_time_wh.run(make_query("sales", ["revenue"], levels, totals="rollup",
                                       time=time)).rows()
    want = time_answer(time_rows, levels, rollup(2), [], [("last_year", 0), ("previous", 0)])
    for year, month, gid, revenue, change, change_pct in rows:
        base, last_year, previous = want[(year, month, gid)]
        assert revenue == base
        assert change == (None if last_year is None else revenue - last_year)
        if previous is None or previous == 0:
            assert change_pct is None
        else:
            assert change_pct == pytest.approx(float(revenue - previous) / float(previous))
    # 2025 so far (2993.50) against the whole of 2024 (3099.47), as MDX's ParallelPeriod.
    year_2025 = [r[3:] for r in rows if r[:3] == (2025, None, 1)]
    assert year_2025 == [(Decimal("2993.50"), Decimal("-105.97"),
                          pytest.approx(-105.97 / 3099.47))]
    assert [r[3:] for r in rows if r[2] == 3] == [(Decimal("6132.77"), None, None)]


def test_a_cut_inside_a_subtotals_period_is_refused(mini_time_wh):
    levels = ["date.year", "date.month"]
    ytd = (TimeCalc("revenue", "ytd"),)
    for cut in (RangeCut("date.month", "2024-01", "2024-06"), PointCut("date.fiscal_year", 2025)):
        with pytest.raises(UserError, match=r"revenue_ytd.*year subtotal.*cut on date\."):
            mini_time_wh.run(make_query("sales", ["revenue"], levels, [cut], totals="rollup",
                                        time=ytd))
        # Without totals each month is its own member, as before: the cut picks rows, and each
        # row's value and YTD are those of the uncut query (the window is not cut).
        cut_rows = mini_time_wh.run(make_query("sales", ["revenue"], levels, [cut],
                                               time=ytd)).rows()
        whole = {r[:2]: r[2:] for r in mini_time_wh.run(
            make_query("sales", ["revenue"], levels, time=ytd)).rows()}
        assert cut_rows and all(whole[r[:2]] == r[2:] for r in cut_rows)


def test_time_calculation_refuses_a_cut_finer_than_its_rows(mini_time_wh):
    """Found by tests/cube/test_properties.py (invoices, avg_invoice by date.year, cut on
    date.quarter, ytd). A year row cut on one quarter or month summed that part of the year
    while its window looked for the year's target member inside the cut: none, so ytd and
    last_year were NULL. Refused now, as the same cut already was for year subtotals."""
    for cut in (PointCut("date.month", "2024-03"), PointCut("date.quarter", "2024-Q1"),
                PathCut("date", (2024, "2024-Q1"))):
        query = make_query("sales", ["revenue"], ["date.year"], [cut],
                           time=(TimeCalc("revenue", "ytd"), TimeCalc("revenue", "last_year")))
        with pytest.raises(UserError, match=r"revenue_ytd: a year row is one whole year.*"
                                            r"cut on date\.year"):
            mini_time_wh.run(query)
    # Cuts the rows' members nest in, or on levels without a calendar period, still answer.
    for cut in (PointCut("date.year", 2024), PointCut("date.fiscal_year", 2025)):
        assert mini_time_wh.run(make_query("sales", ["revenue"], ["date.month"], [cut],
                                           time=(TimeCalc("revenue", "ytd"),))).rows()


def test_a_cut_on_iso_year_at_month_rows_is_refused_and_fiscal_year_answers(mini_time_wh):
    """Found in review: month rows cut on date.iso_year 2025 kept only 30-31 December of 2024's
    December row while its window (previous) read the whole month. iso_year is above no month
    in any hierarchy: refused. fiscal_year is above month (fiscal hierarchy): each month row is
    whole, and its value and window equal the uncut query's."""
    previous = (TimeCalc("revenue", "previous"),)
    with pytest.raises(UserError, match=r"revenue_previous: a month row is one whole month.*"
                                        r"cut on date\.iso_year"):
        mini_time_wh.run(make_query("sales", ["revenue"], ["date.month"],
                                    [PointCut("date.iso_year", 2025)], time=previous))
    cut = mini_time_wh.run(make_query("sales", ["revenue"], ["date.month"],
                                      [PointCut("date.fiscal_year", 2025)], time=previous)).rows()
    whole = dict((r[0], r[1:]) for r in mini_time_wh.run(
        make_query("sales", ["revenue"], ["date.month"], time=previous)).rows())
    assert cut and all(whole[r[0]] == r[1:] for r in cut)
