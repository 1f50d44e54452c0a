"""Time intelligence over semi-additive measures (balances of the customer snapshot), against a
plain-Python oracle over the flat joined snapshot rows.

A last-value measure at a member is the sum, over the cell's rows, of the values of the last
day with data in the member (a day whose sum is not NULL; rows of the unknown date never
count); a first-value measure the same at the first such day. A time calculation is that same
pick over its window's days: last_year / previous = the shifted member's balance, rolling n = the
last (first) value within the n periods, ytd/qtd/mtd = the last (first) value from the span's
start to the member's end (for a last value: the member's own balance when it has data, as
Analysis Services' LastNonEmpty; for a first value: the span's opening balance). change /
change_pct compare the member's balance with the shifted one's. With totals each row is
evaluated for its own time member; rows without one are NULL (see warehouse/cube/timecalc.py).

Fixture: the mini warehouse with TIME_ORDERS (sales 2023-11 .. 2025-03), its snapshot rows
replaced by hand-written ones over the same months: months without rows (2024-01, 2024-04,
2024-07..10), customer 2 appearing in March 2024 and missing from that month's last day, a row
of the unknown customer, a NULL balance, and a row of the unknown date.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from tests.cube.answers import assert_cells, cells
from tests.cube.oracle import (
    SALES_MEASURES,
    SALES_ROLES,
    _member,
    flat_rows,
    keep,
    time_window,
    top_cells,
)
from warehouse.cube import PointCut, RangeCut, SetCut, TimeCalc, TopN, make_query
from warehouse.cube.compile import compile_query
from warehouse.cube.execute import CubeEngine
from warehouse.errors import UserError

# (snapshot date or None for the unknown date, customer key, open receivables, open tickets)
SNAPSHOT = [
    (date(2023, 11, 5), 1, "100.00", 1),
    (date(2023, 11, 28), 1, "120.00", 2),
    (date(2023, 12, 31), 1, "130.00", 0),
    # 2024-01: no snapshot rows
    (date(2024, 2, 10), 1, "150.00", 1),
    (date(2024, 2, 20), 1, "160.00", 1),
    (date(2024, 3, 15), 1, "170.00", 0),
    (date(2024, 3, 15), 2, "500.00", 3),        # customer 2 appears late ...
    (date(2024, 3, 29), 1, "175.00", 0),        # ... and is not on March's last day
    (date(2024, 5, 31), 2, "520.00", 2),
    (date(2024, 5, 31), -1, "7.00", 0),         # the unknown customer
    (date(2024, 6, 30), 1, "180.00", 1),
    (date(2024, 6, 30), 2, None, 1),            # a NULL balance: B2B's June has no value
    (date(2024, 11, 15), 1, "190.00", 0),
    (date(2024, 11, 15), 2, "600.00", 1),
    (date(2024, 12, 1), 2, "610.00", 0),
    (date(2025, 1, 31), 1, "200.00", 2),
    (date(2025, 1, 31), 2, "650.00", 0),
    (date(2025, 2, 14), 1, "210.00", 1),
    (date(2025, 3, 3), 2, "630.00", 0),
    (date(2025, 3, 10), 1, "220.00", 0),
    (date(2025, 3, 10), 2, "640.00", 1),
    (None, 1, "999.00", 9),                      # the unknown date
]

SNAPSHOT_ROLES = {
    "date": ("core.dim_date", "date_key", "snapshot_date_key"),
    "customer": ("core.dim_customer", "customer_key", "customer_key"),
}
LEVELS = {
    "date.year": "date.year",
    "date.quarter": "date.year_quarter",
    "date.month": "date.year_month",
    "customer.type": "customer.customer_type",
}
PERIODS = {"date.year": "year", "date.quarter": "quarter", "date.month": "month"}
_FINER = ["year", "quarter", "month"]

CALCS = [TimeCalc("open_receivables", "last_year"),
         TimeCalc("open_receivables", "previous"),
         TimeCalc("open_receivables", "change"),
         TimeCalc("open_receivables", "change_pct", against="last_year"),
         TimeCalc("open_receivables", "rolling", n=3),
         TimeCalc("open_receivables", "ytd"),
         TimeCalc("open_receivables", "qtd"),
         TimeCalc("opening_receivables", "last_year"),
         TimeCalc("opening_receivables", "previous"),
         TimeCalc("opening_receivables", "change_pct"),
         TimeCalc("opening_receivables", "rolling", n=2),
         TimeCalc("opening_receivables", "ytd")]


def snapshot_copy(src, rows, cube_model) -> CubeEngine:
    """An engine over an in-memory copy of `src`'s core tables, its customer snapshot replaced
    by `rows` (as SNAPSHOT)."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core")
    tables = [t for (t,) in src.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'core' "
        "AND table_type = 'BASE TABLE'").fetchall()]
    for name in tables:
        data = src.execute(f'SELECT * FROM core."{name}"').to_arrow_table()
        con.register("__copy", data)
        con.execute(f'CREATE TABLE core."{name}" AS SELECT * FROM __copy')
        con.unregister("__copy")
    con.execute("DELETE FROM core.fact_customer_day")
    ids = dict(con.execute("SELECT customer_key, customer_id FROM core.dim_customer").fetchall())
    con.executemany(
        "INSERT INTO core.fact_customer_day VALUES (?, ?, ?, ?, ?, ?, 'unknown', 'L-test')",
        [(int(d.strftime("%Y%m%d")) if d else -1, key, d, ids[key],
          Decimal(v) if v is not None else None, tickets)
         for d, key, v, tickets in rows])
    return CubeEngine(con, cube_model)


@pytest.fixture(scope="module")
def semi_wh(mini_time_wh, cube_model):
    """An in-memory copy of the mini time warehouse's core tables, its customer snapshot
    replaced by SNAPSHOT."""
    engine = snapshot_copy(mini_time_wh.con, SNAPSHOT, cube_model)
    yield engine
    engine.con.close()


@pytest.fixture(scope="module")
def snapshot_rows(semi_wh):
    return flat_rows(semi_wh.con, "core.fact_customer_day", SNAPSHOT_ROLES)


@pytest.fixture(scope="module")
def sales_rows(semi_wh):
    return flat_rows(semi_wh.con, "core.fact_sales_line", SALES_ROLES)


# ---------------------------------------------------------------------------------------------
# The oracle


def balance(rows, which: str) -> Decimal | None:
    """The sum of the values of the last (first) day with data (a non-NULL day sum)."""
    days: dict[date, list] = defaultdict(list)
    for r in rows:
        if r["date.date"] is not None:
            days[r["date.date"]].append(r["open_receivables"])
    sums = {d: sum((v for v in vs if v is not None), Decimal(0))
            for d, vs in days.items() if any(v is not None for v in vs)}
    if not sums:
        return None
    return sums[max(sums) if which == "last" else min(sums)]


MEASURES = {"open_receivables": lambda rs: balance(rs, "last"),
            "opening_receivables": lambda rs: balance(rs, "first"),
            "revenue": SALES_MEASURES["revenue"]}
OWNER = {"revenue": "sales"}        # the fact of a measure not of the snapshot


def window_kind(calc: TimeCalc) -> str:
    return calc.against if calc.kind in ("change", "change_pct") else calc.kind


def oracle(facts: dict[str, list], levels: list[str], sets, cuts, measures: list[str],
           calcs: list[TimeCalc], kept: set[tuple] | None = None) -> dict[tuple, tuple]:
    """{(level values..., grouping id): (measures..., calculations...)}, `sets` None: no
    totals (no grouping id). `facts`: {"snapshot": rows, "sales": rows}; a row of the answer
    is a cell with rows in any of them (drill-across), each measure from its own fact.
    Calculations: of their fact's rows whose day is in the row member's window, that match
    the row's other levels and the cuts on other dimensions (cuts on the date select members).
    `kept` (top-N with subtotals of the visible cells, one date level): only the rows of those
    cells are shown, and a window of member m reads the rows whose cell, with m as its date
    member, is kept."""
    n = len(levels)

    def passes(r, only_other: bool) -> bool:
        return all(keep(r[LEVELS[lv]], vals, inv) for lv, vals, inv in cuts
                   if not (only_other and lv in PERIODS))

    def cell(r, member=None, as_target=False) -> tuple:
        return tuple(member if as_target and lv in PERIODS else r[LEVELS[lv]] for lv in levels)

    shown = {f: [r for r in rows if passes(r, False) and (kept is None or cell(r) in kept)]
             for f, rows in facts.items()}
    windowed = {f: [r for r in rows if passes(r, True)] for f, rows in facts.items()}
    out = {}
    for s in (sets if sets is not None else [tuple(range(n))]):
        cells: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        if not s:
            cells[()] = defaultdict(list)
        for f, rows in shown.items():
            for r in rows:
                cells[tuple(r[LEVELS[levels[i]]] for i in s)][f].append(r)
        gid = sum(1 << (n - 1 - i) for i in range(n) if i not in s)
        timed = [i for i in s if levels[i] in PERIODS]
        finest = max(timed, key=lambda i: _FINER.index(PERIODS[levels[i]]), default=None)
        for key, members in cells.items():
            by_level = dict(zip(s, key, strict=True))
            full = tuple(by_level.get(i) for i in range(n))
            if sets is not None:
                full += (gid,)
            values = [MEASURES[m](members[OWNER.get(m, "snapshot")]) for m in measures]
            for calc in calcs:
                fn = MEASURES[calc.measure]
                fact = OWNER.get(calc.measure, "snapshot")
                if finest is None:
                    values.append(None)
                    continue
                period = PERIODS[levels[finest]]
                index = _member(period, by_level[finest])
                window = None if index is None else time_window(window_kind(calc), calc.n,
                                                                 period, index)
                prior = None if window is None else fn([
                    r for r in windowed[fact]
                    if r["date.date"] is not None and window[0] <= r["date.date"] <= window[1]
                    and all(r[LEVELS[levels[i]]] == by_level[i] for i in s
                            if levels[i] not in PERIODS)
                    and (kept is None or cell(r, by_level[finest], True) in kept)])
                if index is not None and window is None:
                    values.append(None)             # undefined: e.g. qtd of a year
                    continue
                if calc.kind in ("change", "change_pct"):
                    current = fn(members[fact])
                    if current is None or prior is None:
                        values.append(None)
                    elif calc.kind == "change":
                        values.append(current - prior)
                    else:
                        values.append(None if prior == 0 else float(current - prior) / float(prior))
                else:
                    values.append(prior)
            out[full] = tuple(values)
    return out


def engine_answer(engine, cube, levels, measures, calcs, **kw) -> dict[tuple, tuple]:
    query = make_query(cube, measures, levels, time=tuple(calcs), **kw)
    return cells(engine, query, [*measures, *(c.column for c in calcs)])


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9)
    return a == b and type(a) is type(b)


def assert_same(got: dict, want: dict) -> None:
    assert_cells(got, want, same)


def rollup(n: int) -> list[tuple[int, ...]]:
    return [tuple(range(k)) for k in range(n, -1, -1)]


MEASURE_NAMES = ["open_receivables", "opening_receivables"]


# ---------------------------------------------------------------------------------------------
# Tests


@pytest.mark.parametrize("level", ["date.month", "date.quarter"])
def test_balances_by_period_with_every_calculation(semi_wh, snapshot_rows, level):
    got = engine_answer(semi_wh, "customer_snapshot", [level], MEASURE_NAMES, CALCS)
    assert_same(got, oracle({"snapshot": snapshot_rows}, [level], None, [], MEASURE_NAMES,
                            CALCS))
    # A last value's to-date is its own balance wherever the period has one.
    ytd = [c.column for c in CALCS].index("open_receivables_ytd") + 2
    for key, values in got.items():
        if values[0] is not None:
            assert values[ytd] == values[0], key


def test_by_month_by_hand(semi_wh):
    got = engine_answer(semi_wh, "customer_snapshot", ["date.month"], MEASURE_NAMES, CALCS)
    cols = MEASURE_NAMES + [c.column for c in CALCS]

    def row(month):
        return dict(zip(cols, got[(month,)], strict=True))

    march = row("2024-03")
    # Customer 2 has no row on 29 March: the month's balance is customer 1's of that day.
    assert march["open_receivables"] == Decimal("175.00")
    assert march["opening_receivables"] == Decimal("670.00")            # 15 March, both
    assert march["open_receivables_previous"] == Decimal("160.00")
    assert march["open_receivables_change"] == Decimal("15.00")
    assert march["open_receivables_rolling3"] == Decimal("175.00")
    assert march["opening_receivables_rolling2"] == Decimal("150.00")   # 10 February
    assert march["opening_receivables_ytd"] == Decimal("150.00")        # the year's first day
    # February 2024: January has no snapshot rows, so no previous and no change.
    feb = row("2024-02")
    assert feb["open_receivables_previous"] is None and feb["open_receivables_change"] is None
    # May: customer 2 and the unknown customer on the 31st. June: customer 1's 180 and
    # customer 2's NULL on the 30th, summed as 180.
    assert row("2024-05")["open_receivables"] == Decimal("527.00")
    assert row("2024-06")["open_receivables"] == Decimal("180.00")
    assert row("2024-06")["open_receivables_rolling3"] == Decimal("180.00")
    nov = row("2024-11")
    assert nov["open_receivables_last_year"] == Decimal("120.00")
    assert nov["open_receivables_change_pct_yoy"] == pytest.approx((790 - 120) / 120)
    mar25 = row("2025-03")
    assert mar25["open_receivables"] == Decimal("860.00")
    assert mar25["open_receivables_last_year"] == Decimal("175.00")
    assert mar25["open_receivables_qtd"] == Decimal("860.00")
    assert mar25["opening_receivables_ytd"] == Decimal("850.00")         # 31 January 2025
    # The unknown date is a member without a window, and without a day of its own.
    assert all(v is None for v in row("Unknown").values())


@pytest.mark.parametrize("levels", [["date.year", "date.quarter", "date.month"],
                                    ["date.year", "date.month"],
                                    ["customer.type", "date.year", "date.quarter"]])
def test_rollup_subtotals_are_their_own_members(semi_wh, snapshot_rows, levels):
    got = engine_answer(semi_wh, "customer_snapshot", levels, MEASURE_NAMES, CALCS,
                        totals="rollup")
    want = oracle({"snapshot": snapshot_rows}, levels, rollup(len(levels)), [], MEASURE_NAMES,
                  CALCS)
    assert_same(got, want)
    if levels[0] == "date.year":
        # The 2024 subtotal: 1 December's balance (customer 2's), the year's last day with
        # data; its last_year is 31 December 2023's. The grand total has no time member.
        year = got[(2024,) + (None,) * (len(levels) - 1) + ((1 << (len(levels) - 1)) - 1,)]
        assert year[0] == Decimal("610.00") and year[2] == Decimal("130.00")
        grand = got[(None,) * len(levels) + ((1 << len(levels)) - 1,)]
        assert grand[0] == Decimal("860.00") and all(v is None for v in grand[2:])


@pytest.mark.parametrize("cuts", [
    [PointCut("customer.type", "B2B")],
    [SetCut("customer.type", ("B2C", "Unknown"))],
    [PointCut("date.year", 2024)],
    [PointCut("customer.type", "B2B", invert=True), PointCut("date.year", 2025)],
])
@pytest.mark.parametrize("totals", ["none", "rollup"])
def test_cuts_on_another_dimension_and_on_the_year(semi_wh, snapshot_rows, cuts, totals):
    levels = ["date.year", "customer.type", "date.month"]
    got = engine_answer(semi_wh, "customer_snapshot", levels, MEASURE_NAMES, CALCS, cuts=cuts,
                        totals=totals)
    oracle_cuts = [(c.level, (c.value,) if isinstance(c, PointCut) else tuple(c.values),
                    c.invert) for c in cuts]
    want = oracle({"snapshot": snapshot_rows}, levels,
                  rollup(3) if totals == "rollup" else None, oracle_cuts, MEASURE_NAMES, CALCS)
    assert_same(got, want)


@pytest.mark.parametrize("totals", ["none", "rollup"])
@pytest.mark.parametrize("cuts", [[], [PointCut("customer.type", "B2B")]])
def test_customer360_drill_across(semi_wh, snapshot_rows, sales_rows, totals, cuts):
    """Months with sales but no snapshot rows are rows too: their balance is NULL, their
    calculations still the shifted members' balances."""
    levels = ["date.year", "date.month"]
    measures = ["revenue", "open_receivables", "opening_receivables"]
    calcs = [TimeCalc("open_receivables", "last_year"), TimeCalc("open_receivables", "previous"),
             TimeCalc("open_receivables", "change"), TimeCalc("open_receivables", "rolling", n=3),
             TimeCalc("open_receivables", "ytd"), TimeCalc("opening_receivables", "qtd"),
             TimeCalc("revenue", "last_year")]
    got = engine_answer(semi_wh, "customer360", levels, measures, calcs, cuts=cuts,
                        totals=totals)
    oracle_cuts = [(c.level, (c.value,), c.invert) for c in cuts]
    want = oracle({"snapshot": snapshot_rows, "sales": sales_rows}, levels,
                  rollup(2) if totals == "rollup" else None, oracle_cuts, measures, calcs)
    assert_same(got, want)
    if not cuts:
        jan = got[(2024, "2024-01") + ((0,) if totals == "rollup" else ())]
        # January 2024 sold but has no snapshot: a NULL balance; January 2023 has none either,
        # December's 130 is its previous and ends its rolling 3; nothing from 1 to 31 January.
        assert jan[:3] == (Decimal("999.99"), None, None)
        assert jan[3:8] == (None, Decimal("130.00"), None, Decimal("130.00"), None)


def test_calculated_measure_over_a_balance(semi_wh, snapshot_rows):
    """receivables_per_customer = open_receivables / snapshot_customers: its last_year is the
    ratio of the year before's balance and distinct customers."""
    calc = TimeCalc("receivables_per_customer", "last_year")
    got = engine_answer(semi_wh, "customer_snapshot", ["date.month"],
                        ["receivables_per_customer"], [calc])
    by_month = defaultdict(list)
    for r in snapshot_rows:
        by_month[r["date.year_month"]].append(r)

    def ratio(rows):
        b = balance(rows, "last")
        n = len({r["customer_id"] for r in rows} - {None})
        return None if b is None or n == 0 else float(b) / n

    want = {(month,): (ratio(rows), None if month == "Unknown" else
                       ratio(by_month.get(f"{int(month[:4]) - 1}{month[4:]}", [])))
            for month, rows in by_month.items()}
    assert want[("2024-11",)][1] == 120.0 and want[("2024-03",)][0] == 87.5
    assert_same(got, want)


def test_a_balance_over_another_date_role_is_refused(tmp_path):
    import shutil

    from warehouse.cube.model import CUBES_DIR, load_cube_model

    folder = tmp_path / "cubes"
    folder.mkdir()
    shutil.copy(CUBES_DIR / "dimensions.yaml", folder / "dimensions.yaml")
    (folder / "shop.yaml").write_text("""
cubes:
  shop:
    fact: core.fact_customer_day
    dimensions:
      date: {dimension: date, key: snapshot_date_key}
      as_of: {dimension: date, key: snapshot_date_key}
      customer: {dimension: customer, key: customer_key}
    measures:
      balance: {type: sum, column: open_receivables, semi_additive: last, over: date}
""", encoding="utf-8")
    model = load_cube_model(folder)
    query = make_query("shop", ["balance"], ["as_of.month"],
                       time=(TimeCalc("balance", "last_year", role="as_of"),))
    with pytest.raises(UserError, match="balance over date, the calculation shifts as_of"):
        compile_query(model, query)
    # Over its own role it compiles.
    compile_query(model, make_query("shop", ["balance"], ["date.month"],
                                    time=(TimeCalc("balance", "last_year"),)))


def test_totals_over_every_combination(semi_wh, snapshot_rows):
    """totals="all": every subset of the levels, each row evaluated for its own member."""
    from itertools import combinations

    levels = ["customer.type", "date.quarter", "date.month"]
    sets = [c for k in range(3, -1, -1) for c in combinations(range(3), k)]
    got = engine_answer(semi_wh, "customer_snapshot", levels, MEASURE_NAMES, CALCS,
                        totals="all")
    assert_same(got, oracle({"snapshot": snapshot_rows}, levels, sets, [], MEASURE_NAMES, CALCS))


@pytest.mark.parametrize("subtotals", ["visible", "all"])
def test_top_n_by_last_years_balance(semi_wh, snapshot_rows, subtotals):
    """The customer type with the highest balance a year before, per month, with totals."""
    levels = ["date.month", "customer.type"]
    calcs = [TimeCalc("open_receivables", "last_year"),
             TimeCalc("open_receivables", "change", against="last_year")]
    top = TopN(1, "open_receivables_last_year", within=("date.month",), subtotals=subtotals)
    got = engine_answer(semi_wh, "customer_snapshot", levels, ["open_receivables"], calcs,
                        top=top, totals="rollup")
    facts = {"snapshot": snapshot_rows}
    detail = oracle(facts, levels, None, [], ["open_receivables"], calcs)
    kept = top_cells({k: v[1] for k, v in detail.items()}, [0], 1)
    if subtotals == "visible":
        want = oracle(facts, levels, rollup(2), [], ["open_receivables"], calcs, kept=kept)
    else:
        full = oracle(facts, levels, rollup(2), [], ["open_receivables"], calcs)
        want = {k: v for k, v in full.items() if k[-1] != 0 or k[:-1] in kept}
    assert_same(got, want)
    # November 2024: B2C had 120 a year before, B2B nothing: B2C is kept.
    assert got[("2024-11", "B2C", 0)] == (Decimal("190.00"), Decimal("120.00"), Decimal("70.00"))
    assert ("2024-11", "B2B", 0) not in got


def test_a_cut_keeping_part_of_the_period_is_refused(semi_wh):
    """A balance under a cut on days of the month is the last kept day's, while its window's
    would be the whole window's: refused, for every calculation, saying what to ask."""
    cut = RangeCut("date.day", date(2024, 3, 1), date(2024, 3, 20))
    for kind in ("ytd", "last_year", "change"):
        query = make_query("customer_snapshot", ["open_receivables"], ["date.month"], [cut],
                           time=(TimeCalc("open_receivables", kind),))
        with pytest.raises(UserError, match=f"the cut on {cut.level} can keep part of the "
                                            "month") as info:
            semi_wh.run(query)
        assert "cut on date.year or date.quarter or date.month" in str(info.value)
    # Drilled down to the cut's level, or without a time calculation, it answers.
    semi_wh.run(make_query("customer_snapshot", ["open_receivables"], ["date.day"], [cut],
                           time=(TimeCalc("open_receivables", "last_year"),)))
    semi_wh.run(make_query("customer_snapshot", ["open_receivables"], ["date.month"], [cut]))
    # An additive measure's time calculation is refused too when the cut is on a finer
    # calendar level (its month value would cover the kept days, its window the whole month).
    with pytest.raises(UserError, match=r"the cut on date\.day can keep part of it"):
        semi_wh.run(make_query("customer360", ["revenue"], ["date.month"], [cut],
                               time=(TimeCalc("revenue", "ytd"),)))


def test_a_cut_on_whole_fiscal_years_selects_month_rows(semi_wh):
    """A fiscal year holds whole months (it starts on 1 April): a cut on date.fiscal_year
    selects month rows, each with the balance and calculations of the uncut query."""
    calcs = (TimeCalc("open_receivables", "ytd"), TimeCalc("open_receivables", "last_year"),
             TimeCalc("open_receivables", "change"))
    for cube, measure in (("customer_snapshot", "open_receivables"), ("customer360", "revenue")):
        time = calcs if measure == "open_receivables" else (TimeCalc("revenue", "ytd"),)
        whole = {r[0]: r[1:] for r in semi_wh.run(
            make_query(cube, [measure], ["date.month"], time=time)).rows()}
        cut = semi_wh.run(make_query(cube, [measure], ["date.month"],
                                     [PointCut("date.fiscal_year", 2025)], time=time)).rows()
        assert cut and all(whole[r[0]] == r[1:] for r in cut)
        assert {r[0] for r in cut} == {m for m in whole if "2024-04" <= m <= "2025-03"}
