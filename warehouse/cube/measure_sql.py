"""Measure types as data: the aggregates each type computes, and how they combine.

An average is kept as two components (sum, count) divided at the end, so it stays right at any
roll-up and can be re-aggregated from an aggregate table. Calculated measures are formulas over
the final values of other measures.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from warehouse.cube.model import Cube, Measure

Agg = Callable[[exp.Expression], exp.Expression]

# type -> ((component suffix, aggregate of the row value), ...)
COMPONENTS: dict[str, tuple[tuple[str, Agg], ...]] = {
    "sum": (("", lambda v: exp.Sum(this=v)),),
    "count": (("", lambda v: exp.Count(this=v)),),
    "count_distinct": (("", lambda v: exp.Count(this=exp.Distinct(expressions=[v]))),),
    "approx_count_distinct": (("", lambda v: exp.ApproxDistinct(this=v)),),
    "min": (("", lambda v: exp.Min(this=v)),),
    "max": (("", lambda v: exp.Max(this=v)),),
    "avg": (("__sum", lambda v: exp.Sum(this=v)), ("__count", lambda v: exp.Count(this=v))),
}

# How a partial aggregate stored in an aggregate table rolls up further, by (type, suffix).
REAGGREGATE: dict[tuple[str, str], Agg] = {
    ("sum", ""): lambda v: exp.Sum(this=v),
    # SUM of BIGINT counts is HUGEINT in DuckDB: cast back so the answer's type is the base's.
    ("count", ""): lambda v: exp.Cast(this=exp.Sum(this=v), to=exp.DataType.build("BIGINT")),
    ("min", ""): lambda v: exp.Min(this=v),
    ("max", ""): lambda v: exp.Max(this=v),
    ("count_distinct", ""): lambda v: exp.Count(this=exp.Distinct(expressions=[v])),
    ("approx_count_distinct", ""): lambda v: exp.ApproxDistinct(this=v),
    ("avg", "__sum"): lambda v: exp.Sum(this=v),
    ("avg", "__count"): lambda v: exp.Sum(this=v),
}

ZERO_WHEN_EMPTY = {"count", "count_distinct", "approx_count_distinct"}


def components(measure: Measure) -> list[str]:
    """Names of the columns a base measure is computed from (what an aggregate table stores)."""
    return [measure.name + suffix for suffix, _ in COMPONENTS[measure.type]]


def final(measure: Measure, column: Callable[[str], exp.Expression]) -> exp.Expression:
    """The measure's value from its component columns."""
    if measure.type == "avg":
        total, count = column(measure.name + "__sum"), column(measure.name + "__count")
        return exp.Div(this=exp.Cast(this=total, to=exp.DataType(this=exp.DataType.Type.DOUBLE)),
                       expression=exp.Nullif(this=count, expression=exp.Literal.number(0)))
    value = column(measure.name)
    if measure.type in ZERO_WHEN_EMPTY:
        return exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
    return value


def calculated(cube: Cube, measure: Measure, value: Callable[[str], exp.Expression]
               ) -> exp.Expression:
    """A formula with every measure name replaced by its value; division by zero gives NULL."""
    tree = measure.formula.copy()
    for div in list(tree.find_all(exp.Div)):
        num = exp.Cast(this=div.this, to=exp.DataType(this=exp.DataType.Type.DOUBLE))
        safe = exp.Div(this=num, expression=exp.Nullif(this=div.expression,
                                                       expression=exp.Literal.number(0)))
        if div is tree:
            tree = safe
        else:
            div.replace(safe)
    for column in list(tree.find_all(exp.Column)):
        if column.table:
            continue
        dep = cube.measures[column.name]
        inner = calculated(cube, dep, value) if dep.type == "calculated" else value(dep.name)
        if column is tree:
            return inner
        column.replace(exp.Paren(this=inner))
    return tree


def base_measures(cube: Cube, names: list[str]) -> list[Measure]:
    """The base measures that `names` (base or calculated) are computed from, in order."""
    out: dict[str, Measure] = {}

    def visit(name: str) -> None:
        m = cube.measure(name)
        if m.type == "calculated":
            for dep in m.depends:
                visit(dep)
        else:
            out.setdefault(name, m)
    for name in names:
        visit(name)
    return list(out.values())
