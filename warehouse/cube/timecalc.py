"""Time intelligence as remapped dates: exact for every measure type, distinct counts included.

A time calculation replaces the date role's dimension with a derived table pairing each source
date (__src_key) with the target period it contributes to: for YTD at month level, every day
from 1 January to the month's end maps to that month. Facts joined through it are aggregated per
target period like any other query, so a year-to-date distinct count is a true distinct count.
Target periods are represented by their last day; all of the dimension's attributes are the
target's, so cuts and drilldown on the date role refer to the target period.

Fiscal periods. fiscal_year and fiscal_quarter are the calendar year and quarter shifted to
start in the dimension's fiscal_year_start month (April: FY2025 = 1 April 2024 .. 31 March
2025); truncating a day to one shifts it back, truncates, and shifts forward (period_start). By a
fiscal level, last_year, previous and rolling step whole fiscal years (quarters), and ytd / qtd
run within the fiscal year (quarter). A to-date span is chosen per query (to_date_span): the
calculation's `hierarchy` if named ("fiscal": fiscal YTD of months), else fiscal when the query
drills by a fiscal level of the role, calendar when by year or quarter (both: refused as
ambiguous), and the calendar's for months, weeks or days alone. A span must hold the whole row
member (nests()): a calendar quarter nests in an April fiscal year, a fiscal year in no
calendar year (calendar ytd of a fiscal year is refused, NULL on a subtotal). Rows grouped
by two levels of the role whose periods do not nest (year and fiscal_year, month and iso_week)
are refused (compile._check_unsplit): a row would be part of its period, its window the whole.

Totals (rollup, cube, grouping sets). A row's calculation is evaluated for the row's own time
member, as MDX evaluates YTD, ParallelPeriod or LastPeriods on an aggregated member: the row's
period is the finest period level of the calculation's date role that the row still groups by
(compile._window_plan), and its window is built at that period. In a rollup of year > month the
month rows get month windows and a year subtotal gets its year's: ytd = the year's total (to
its end: for the year in progress, all of it so far), qtd/mtd undefined, last_year and previous
= the year before's total, rolling n = the last n years, change/change_pct against those. A
quarter subtotal gets the quarter's window (ytd = 1 January to the quarter's end). Never a sum
of the detail rows' windows. NULL (counts included) where there is no member to evaluate for:
  * rows that group by no period level of the role: the grand total, subtotals over other
    dimensions, rows that keep only levels without a period (iso_year);
  * a to-date calculation coarser than its row (mtd of a quarter or year, qtd of a year, any
    to-date of a week subtotal; at the detail grain these stay errors, see relation()).
The unknown date member (-1, no date) is a member whose window holds no day, at every grain: a
sum over it is NULL, a count 0 (as for any empty window).

Each period's grouping sets are one part of the window component (GROUP BY GROUPING SETS of
just those sets), the parts are UNION ALL'd and joined to the base values on the level keys and
GROUPING bits. Base measures are computed as without time calculations.

Cuts on the date role keep selecting target members. At the query's own time level that is as
without totals; a coarser subtotal row needs whole members: its period must nest in the period
of every cut (or segment condition) on the role, e.g. date.year for year and quarter rows.
Otherwise (rollup year > month cut on date.month, date.day or fiscal_year) the year subtotal's
base value would cover part of the year and its window all of it: the query is refused
(compile._check_whole), saying to cut on a level the subtotal nests in or drop the totals.
Rows at the query's own time level are refused likewise when a cut is on a finer calendar
level (year rows cut on date.month or date.day: the value would be the month's, the window
found no year member inside the cut), and when a cut is on a level without a period that no
hierarchy puts above the rows' level: iso_year (iso: iso_year > iso_week > day) does not pass
for months. fiscal_year nests months and calendar quarters (a cut on it passes for them), not
calendar years.

Semi-additive measures (a balance: the last or first value over the date role, summed over the
other dimensions). A member's value is the sum of its cell's values on its last (first) day
with data, a day with a value that is not NULL (component._pick_period_end; a day of NULL
balances only is no data, as LastNonEmpty's empty cell); a time calculation is the same pick over its window:
each such measure gets a window component of its own, summed per target cell and source day
(the fact row's own day: the role's dimension joined again beside the window,
scope.Scope.source_attr), keeping the window's last (first) day with data. Hence
  * last_year / previous: the shifted member's balance; change / change_pct: the row's balance
    against it;
  * rolling n: the last (first) value within the n periods (for a last value, the balance at
    the end of the window);
  * ytd / qtd / mtd: the last (first) value from the span's start to the member's end. For a
    last value that is the member's own balance whenever the member has data (Analysis
    Services' LastNonEmpty over YTD); for a member without data (a drill-across row of a month
    with sales but no snapshot) the latest earlier balance of the span. For a first value it is
    the span's opening balance (the year's first day with data), not the member's own.
Totals as above: each row for its own member, NULL without one. Refused (compile._split): a
cut or segment on the role that can keep part of the query's own period (date.day or
iso_year with months): the row's balance would be taken at the last kept day, its window's
at the window's end; and a calculation over another date role than the measure's `over`.
"""

from __future__ import annotations

from sqlglot import exp

from warehouse.cube.model import Dimension
from warehouse.cube.query import TimeCalc
from warehouse.cube.scope import alias, col, join, table_expr
from warehouse.errors import UserError

WEEK_YEAR_DAYS = 364   # "same week last year" is 52 weeks back


# Periods: their calendar unit (date_trunc, INTERVAL) and grain rank, fine to coarse. Fiscal
# periods are their unit's members shifted to start in the dimension's fiscal_start month.
UNITS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year",
         "fiscal_quarter": "quarter", "fiscal_year": "year"}
GRAIN = {"day": 0, "week": 1, "month": 2, "quarter": 3, "fiscal_quarter": 3, "year": 4,
         "fiscal_year": 4}
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
TO_DATE_SPANS = {"ytd": "year", "qtd": "quarter", "mtd": "month"}    # kind -> span's grain


def shift(dim: Dimension, period: str) -> int:
    """Months a period's members start after its calendar unit's (0 but for fiscal ones)."""
    return dim.fiscal_start - 1 if period.startswith("fiscal_") else 0


def nests(dim: Dimension, inner: str, outer: str) -> bool:
    """Whether every member of period `inner` lies within one member of period `outer`: a
    calendar quarter within a fiscal year starting in April, not a calendar year."""
    if inner == outer or inner == "day":
        return True
    a, b = UNITS[inner], UNITS[outer]
    if "week" in (a, b) or b == "day" or _MONTHS[a] > _MONTHS[b]:
        return False
    return (shift(dim, inner) - shift(dim, outer)) % _MONTHS[a] == 0


def period_start(dim: Dimension, period: str, value: exp.Expression) -> exp.Expression:
    """The first day of the member of `period` holding day `value`."""
    months = shift(dim, period)
    if months:
        value = _minus(value, months, "month")
    start = exp.Cast(this=exp.Anonymous(this="date_trunc", expressions=[
        exp.Literal.string(UNITS[period]), value]), to=exp.DataType(this=exp.DataType.Type.DATE))
    if months:
        start = exp.Cast(this=exp.Add(this=start, expression=_interval(months, "month")),
                         to=exp.DataType(this=exp.DataType.Type.DATE))
    return start


def _interval(n: int, unit: str) -> exp.Expression:
    return exp.Interval(this=exp.Literal.string(str(n)), unit=exp.Var(this=unit.upper()))


def _minus(value: exp.Expression, n: int, unit: str) -> exp.Expression:
    return exp.Cast(this=exp.Sub(this=value, expression=_interval(n, unit)),
                    to=exp.DataType(this=exp.DataType.Type.DATE))


def _period_end(dim: Dimension, period: str, day: exp.Expression) -> exp.Expression:
    if period == "day":
        return day.copy()
    start = period_start(dim, period, day)
    return _minus(exp.Add(this=start, expression=_interval(1, UNITS[period])), 1, "day")


def to_date_span(dim: Dimension, kind: str, hierarchy: str | None, drilled: list[str]
                 ) -> str | None:
    """The period a to-date calculation runs within (None: not a to-date kind).

    Calendar or fiscal: the calculation's `hierarchy` if it names one (its level of the span's
    grain), else the query's date levels of that role (`drilled`, periods): fiscal ones
    (fiscal_year, fiscal_quarter) make it fiscal, calendar ones (year, quarter) calendar, both
    are ambiguous; with neither (months, days only) it is the calendar's.
    """
    grain = TO_DATE_SPANS.get(kind)
    if hierarchy is not None and grain in (None, "month"):
        raise UserError(f"time calculation {kind}: a hierarchy (@{hierarchy}) only chooses the "
                        "year or quarter ytd and qtd run within; drop it for "
                        f"{kind}, or drill by the hierarchy's levels")
    if grain is None:
        return None
    if grain == "month":
        return "month"
    if hierarchy is not None:
        if hierarchy not in dim.hierarchies:
            raise UserError(f"time calculation {kind}: dimension {dim.name} has no hierarchy "
                            f"{hierarchy!r}; known: {', '.join(dim.hierarchies)}")
        found = [dim.levels[lv].period for lv in dim.hierarchies[hierarchy]
                 if dim.levels[lv].period and UNITS[dim.levels[lv].period] == grain]
        if not found:
            raise UserError(f"time calculation {kind}: hierarchy {hierarchy} of {dim.name} has "
                            f"no level with a {grain} period")
        return found[0]
    kinds = {p for p in drilled if UNITS.get(p) in ("quarter", "year")}
    fiscal = {p for p in kinds if p.startswith("fiscal_")}
    if fiscal and fiscal != kinds:
        raise UserError(
            f"time calculation {kind}: the query drills by calendar and fiscal {dim.name} "
            f"levels ({', '.join(sorted(kinds))}), so the {grain} to date is ambiguous; say "
            f"which with TimeCalc(..., hierarchy='fiscal') or hierarchy='calendar' (CLI: "
            f"--time measure:{kind}@fiscal)")
    return f"fiscal_{grain}" if fiscal else grain


def defined(dim: Dimension, kind: str, period: str, span: str | None) -> bool:
    """Whether a calculation of kind `kind` (change/change_pct: their `against`) has a value
    for a member of `period`: a to-date span must contain the period."""
    if span is not None:
        return nests(dim, period, span)
    return True


def relation(dim: Dimension, kind: str, period: str, span: str | None, n: int,
             s: exp.Expression, t: exp.Expression) -> exp.Expression:
    """Condition: source day `s` contributes to the target period ending on day `t`."""
    if kind in TO_DATE_SPANS:
        if not defined(dim, kind, period, span):
            raise UserError(
                f"{kind} is not defined for a {period} row: a {period} is not within one "
                f"{span}; drill down by a finer date level"
                + (", or ask hierarchy='fiscal'" if not span.startswith("fiscal_")
                   and period.startswith("fiscal_") else ""))
        return exp.and_(exp.EQ(this=period_start(dim, span, s), expression=period_start(dim, span, t)),
                        exp.LTE(this=s.copy(), expression=t.copy()))
    if kind == "last_year":
        shifted = _minus(t, WEEK_YEAR_DAYS, "day") if period == "week" else _minus(t, 1, "year")
        return exp.EQ(this=period_start(dim, period, s), expression=period_start(dim, period, shifted))
    if kind == "previous":
        before = _minus(period_start(dim, period, t), 1, "day")
        return exp.EQ(this=period_start(dim, period, s), expression=period_start(dim, period, before))
    if kind == "rolling":
        if n < 1:
            raise UserError("rolling needs n >= 1 periods")
        first = period_start(dim, period, _minus(period_start(dim, period, t), n - 1, UNITS[period]))
        return exp.and_(exp.GTE(this=period_start(dim, period, s), expression=first),
                        exp.LTE(this=s.copy(), expression=t.copy()))
    raise UserError(f"unknown time calculation {kind!r}")


def window_table(dim: Dimension, calc: TimeCalc, period: str, span: str | None
                 ) -> exp.Select:
    """SELECT s.<key> AS __src_key, t.* FROM dim s JOIN dim t ON relation, one t per period
    (`span`: a to-date calculation's, see to_date_span)."""
    if dim.time is None:
        raise UserError(f"dimension {dim.name} has no `time:` column: no time calculations")
    kind = calc.against if calc.kind in {"change", "change_pct"} else calc.kind
    day = dim.time.expr
    s_day = col(day.name, "s")
    t_day = col(day.name, "t")
    cond = exp.and_(relation(dim, kind, period, span, calc.n, s_day, t_day),
                    exp.EQ(this=t_day.copy(), expression=_period_end(dim, period, t_day)))
    target_cols = exp.Column(this=exp.Star(), table=exp.to_identifier("t"))
    return exp.Select(expressions=[target_cols, alias(col(dim.key, "s"), "__src_key")],
                      from_=exp.From(this=table_expr(dim.table, "s")),
                      joins=[join(table_expr(dim.table, "t"), cond, None)])
