"""Time intelligence as remapped dates: exact for every measure type, distinct counts included.

A time calculation replaces the date role's dimension with a derived table pairing each source
date (__src_key) with the target period it contributes to: for YTD at month level, every day
from 1 January to the month's end maps to that month. Facts joined through it are aggregated per
target period like any other query, so a year-to-date distinct count is a true distinct count.
Target periods are represented by their last day; all of the dimension's attributes are the
target's, so cuts and drilldown on the date role refer to the target period.
"""

from __future__ import annotations

from sqlglot import exp

from warehouse.cube.model import Dimension
from warehouse.cube.query import TimeCalc
from warehouse.cube.scope import alias, col, join, table_expr
from warehouse.errors import UserError

WEEK_YEAR_DAYS = 364   # "same week last year" is 52 weeks back


def _trunc(period: str, value: exp.Expression) -> exp.Expression:
    return exp.Cast(this=exp.Anonymous(this="date_trunc", expressions=[exp.Literal.string(period), value]),
                    to=exp.DataType(this=exp.DataType.Type.DATE))


def _interval(n: int, unit: str) -> exp.Expression:
    return exp.Interval(this=exp.Literal.string(str(n)), unit=exp.Var(this=unit.upper()))


def _minus(value: exp.Expression, n: int, unit: str) -> exp.Expression:
    return exp.Cast(this=exp.Sub(this=value, expression=_interval(n, unit)),
                    to=exp.DataType(this=exp.DataType.Type.DATE))


def _period_end(period: str, day: exp.Expression) -> exp.Expression:
    if period == "day":
        return day.copy()
    start = _trunc(period, day)
    return _minus(exp.Add(this=start, expression=_interval(1, period)), 1, "day")


def relation(kind: str, period: str, n: int, s: exp.Expression, t: exp.Expression
             ) -> exp.Expression:
    """Condition: source day `s` contributes to the target period ending on day `t`."""
    if kind in {"ytd", "qtd", "mtd"}:
        span = {"ytd": "year", "qtd": "quarter", "mtd": "month"}[kind]
        order = ["day", "week", "month", "quarter", "year"]
        if period == "week" or order.index(period) > order.index(span):
            raise UserError(f"{kind} needs a date level at or below {span} (not {period})")
        return exp.and_(exp.EQ(this=_trunc(span, s), expression=_trunc(span, t)),
                        exp.LTE(this=s.copy(), expression=t.copy()))
    if kind == "last_year":
        shifted = _minus(t, WEEK_YEAR_DAYS, "day") if period == "week" else _minus(t, 1, "year")
        return exp.EQ(this=_trunc(period, s), expression=_trunc(period, shifted))
    if kind == "previous":
        before = _minus(_trunc(period, t), 1, "day")
        return exp.EQ(this=_trunc(period, s), expression=_trunc(period, before))
    if kind == "rolling":
        if n < 1:
            raise UserError("rolling needs n >= 1 periods")
        first = _trunc(period, _minus(_trunc(period, t), n - 1, period))
        return exp.and_(exp.GTE(this=_trunc(period, s), expression=first),
                        exp.LTE(this=s.copy(), expression=t.copy()))
    raise UserError(f"unknown time calculation {kind!r}")


def window_table(dim: Dimension, calc: TimeCalc, period: str) -> exp.Select:
    """SELECT s.<key> AS __src_key, t.* FROM dim s JOIN dim t ON relation, one t per period."""
    if dim.time is None:
        raise UserError(f"dimension {dim.name} has no `time:` column: no time calculations")
    kind = calc.against if calc.kind in {"change", "change_pct"} else calc.kind
    day = dim.time.expr
    s_day = col(day.name, "s")
    t_day = col(day.name, "t")
    cond = exp.and_(relation(kind, period, calc.n, s_day, t_day),
                    exp.EQ(this=t_day.copy(), expression=_period_end(period, t_day)))
    target_cols = exp.Column(this=exp.Star(), table=exp.to_identifier("t"))
    return exp.Select(expressions=[target_cols, alias(col(dim.key, "s"), "__src_key")],
                      from_=exp.From(this=table_expr(dim.table, "s")),
                      joins=[join(table_expr(dim.table, "t"), cond, None)])
