"""Fiscal time intelligence (the fiscal year starts on 1 April), against the pandas oracle
(tests/cube/pandas_oracle.py: members as month indexes shifted by three months, windows as
day ranges), on the mini sources with sales from November 2023 to March 2025 (fiscal years
2024 and 2025, months missing, a line of unknown date) and on the hand-written customer
snapshot of test_semi_time.

By fiscal_year or fiscal_quarter, last_year / previous / rolling are fiscal years and quarters,
and ytd / qtd run from 1 April (the fiscal quarter's first day). By months alone ytd is the
calendar's unless TimeCalc(hierarchy="fiscal") says otherwise; calendar and fiscal levels
together make a to-date calculation ambiguous: refused unless the hierarchy is named.
"""

from __future__ import annotations

import pytest

from tests.cube import pandas_oracle as oracle
from tests.cube.answers import assert_cells, cells
from tests.cube.test_semi_time import SNAPSHOT, snapshot_copy
from warehouse.cube import PointCut, TimeCalc, make_query
from warehouse.errors import UserError

KINDS = [("ytd", 3), ("qtd", 3), ("last_year", 3), ("previous", 3), ("rolling", 2),
         ("change", 3)]


@pytest.fixture(scope="module")
def frames(mini_time_wh):
    return oracle.load_world(mini_time_wh.con)


@pytest.fixture(scope="module")
def snapshot_wh(mini_time_wh, cube_model):
    engine = snapshot_copy(mini_time_wh.con, SNAPSHOT, cube_model)
    yield engine
    engine.con.close()


def run(engine, cube, measures, levels, calcs, hierarchy=None, **kw) -> dict[tuple, tuple]:
    """The engine's answer: {(level values..., [grouping id]): (measures..., calculations...)}."""
    time = tuple(TimeCalc(m, kind, n=k, hierarchy=hierarchy) for kind, k, m in calcs)
    query = make_query(cube, measures, levels, time=time, **kw)
    return cells(engine, query, [*measures, *(t.column for t in time)])


def calcs_of(measures: list[str], kinds=KINDS) -> list[tuple]:
    return [(kind, k, m) for m in measures for kind, k in kinds]


@pytest.mark.parametrize("totals", ["none", "rollup"])
@pytest.mark.parametrize("levels", [["date.fiscal_year"], ["date.fiscal_quarter"],
                                    ["date.fiscal_year", "date.fiscal_quarter", "date.month"],
                                    ["customer.type", "date.fiscal_year", "date.fiscal_quarter"]])
def test_fiscal_levels_match_the_oracle(mini_time_wh, frames, levels, totals):
    measures = ["revenue", "customers"]
    calcs = calcs_of(measures)
    if levels == ["date.fiscal_year"]:              # a quarter-to-date of a year
        with pytest.raises(UserError, match=r"qtd.*fiscal_year"):
            run(mini_time_wh, "sales", measures, levels, calcs, totals=totals)
        calcs = [c for c in calcs if c[0] != "qtd"]
    got = run(mini_time_wh, "sales", measures, levels, calcs, totals=totals)
    want = oracle.time_answer(frames, "sales", measures, levels, [], calcs, totals)
    assert_cells(got, want)


def test_fiscal_ytd_differs_from_the_calendars(mini_time_wh, frames):
    """The trap: fiscal and calendar YTD differ for quarters that straddle 1 January."""
    levels = ["date.fiscal_quarter"]
    fiscal = run(mini_time_wh, "sales", ["revenue"], levels, [("ytd", 3, "revenue")])
    calendar = run(mini_time_wh, "sales", ["revenue"], levels, [("ytd", 3, "revenue")],
                   hierarchy="calendar")
    assert any(fiscal[k] != calendar[k] for k in fiscal)
    assert_cells(calendar, oracle.time_answer(frames, "sales", ["revenue"], levels, [],
                                             [("ytd", 3, "revenue", "calendar")]))


@pytest.mark.parametrize("hierarchy", [None, "calendar", "fiscal"])
def test_months_alone_are_calendar_unless_the_hierarchy_is_named(mini_time_wh, frames,
                                                                 hierarchy):
    levels = ["date.month"]
    calcs = [("ytd", 3, "revenue"), ("qtd", 3, "revenue"), ("ytd", 3, "customers")]
    got = run(mini_time_wh, "sales", ["revenue", "customers"], levels, calcs, hierarchy)
    want = oracle.time_answer(frames, "sales", ["revenue", "customers"], levels, [],
                              [(*c, hierarchy or "calendar") for c in calcs])
    assert_cells(got, want)
    if hierarchy == "fiscal":       # April starts a fiscal year: YTD is April's own value
        calendar = run(mini_time_wh, "sales", ["revenue"], levels, [("ytd", 3, "revenue")])
        assert any(got[k][2] != calendar[k][1] for k in got)


@pytest.mark.parametrize("totals", ["none", "rollup"])
def test_months_under_fiscal_years_are_fiscal(mini_time_wh, frames, totals):
    levels = ["date.fiscal_year", "date.month"]
    calcs = calcs_of(["revenue"], [("ytd", 3), ("qtd", 3), ("previous", 3), ("rolling", 3)])
    got = run(mini_time_wh, "sales", ["revenue"], levels, calcs, totals=totals,
              cuts=[PointCut("date.fiscal_year", 2025)])
    want = oracle.time_answer(frames, "sales", ["revenue"], levels,
                              [PointCut("date.fiscal_year", 2025)], calcs, totals)
    assert_cells(got, want)


def test_calendar_and_fiscal_levels_together_need_the_hierarchy(mini_time_wh, frames):
    levels = ["date.year", "date.fiscal_quarter"]
    ytd = [("ytd", 3, "revenue")]
    with pytest.raises(UserError, match=r"ambiguous.*hierarchy='fiscal'"):
        run(mini_time_wh, "sales", ["revenue"], levels, ytd)
    for hierarchy in ("calendar", "fiscal"):
        got = run(mini_time_wh, "sales", ["revenue"], levels, ytd, hierarchy)
        assert_cells(got, oracle.time_answer(frames, "sales", ["revenue"], levels, [],
                                            [(*ytd[0], hierarchy)]))
    # Not to-date kinds are not ambiguous: they follow the rows' period.
    calcs = [("last_year", 3, "revenue"), ("previous", 3, "revenue")]
    assert_cells(run(mini_time_wh, "sales", ["revenue"], levels, calcs),
                oracle.time_answer(frames, "sales", ["revenue"], levels, [], calcs))


def test_refusals_say_what_to_ask(mini_time_wh):
    def ask(levels, hierarchy, kind="ytd"):
        return run(mini_time_wh, "sales", ["revenue"], levels, [(kind, 3, "revenue")],
                   hierarchy)
    with pytest.raises(UserError, match=r"ytd.*fiscal_year.*not within one year"):
        ask(["date.fiscal_year"], "calendar")
    with pytest.raises(UserError, match=r"no hierarchy 'fiscl'.*calendar"):
        ask(["date.month"], "fiscl")
    with pytest.raises(UserError, match=r"hierarchy iso .*no level with a year period"):
        ask(["date.month"], "iso")
    # Where a hierarchy chooses nothing it is refused, not silently ignored.
    for kind in ("mtd", "last_year", "previous"):
        with pytest.raises(UserError, match=rf"time calculation {kind}: a hierarchy "
                                            r"\(@fiscal\) only chooses"):
            ask(["date.month"], "fiscal", kind)
    # A year row grouped by fiscal years too is part of its year (January to March in one
    # fiscal year, the rest in the next), its window the whole year: refused, with totals too.
    for totals in ("none", "rollup"):
        with pytest.raises(UserError, match=r"revenue_last_year: its rows are years, but "
                                            r"grouped by date\.fiscal_year too"):
            run(mini_time_wh, "sales", ["revenue"], ["date.year", "date.fiscal_year"],
                [("last_year", 3, "revenue")], totals=totals)


@pytest.mark.parametrize("totals", ["none", "rollup"])
def test_semi_additive_balances_over_fiscal_periods(snapshot_wh, totals):
    """Balances (last and first value) by fiscal quarter: fiscal YTD, last_year, previous."""
    frames = oracle.load_world(snapshot_wh.con)
    levels = ["date.fiscal_year", "date.fiscal_quarter"]
    measures = ["open_receivables", "opening_receivables"]
    calcs = calcs_of(measures, [("ytd", 3), ("last_year", 3), ("previous", 3), ("rolling", 2)])
    got = run(snapshot_wh, "customer_snapshot", measures, levels, calcs, totals=totals)
    want = oracle.time_answer(frames, "customer_snapshot", measures, levels, [], calcs, totals)
    assert_cells(got, want)


def test_the_cli_names_the_hierarchy_after_an_at_sign():
    from warehouse.cli.cube import parse_time

    assert parse_time("revenue:ytd@fiscal") == TimeCalc("revenue", "ytd", hierarchy="fiscal")
    assert parse_time("revenue:rolling:2") == TimeCalc("revenue", "rolling", n=2)
