"""The query model: one backend-free description of a question, behind every interface.

Names are strings as users write them ("date.quarter", "revenue"); the compiler resolves them
against the cube. Values in cuts are data, always bound as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal


@dataclass(frozen=True)
class PointCut:
    """level = value (`invert`: <>)."""

    level: str
    value: Any
    invert: bool = False


@dataclass(frozen=True)
class SetCut:
    """level IN (values)."""

    level: str
    values: tuple[Any, ...]
    invert: bool = False


@dataclass(frozen=True)
class RangeCut:
    """low <= level <= high; either bound may be None (open)."""

    level: str
    low: Any = None
    high: Any = None
    invert: bool = False


@dataclass(frozen=True)
class PathCut:
    """A member by its path down a hierarchy: ("2025", "2025-Q1") under date.calendar."""

    dimension: str
    path: tuple[Any, ...]
    hierarchy: str | None = None
    invert: bool = False


Cut = PointCut | SetCut | RangeCut | PathCut


@dataclass(frozen=True)
class Order:
    """Order by a level (its sort attribute) or a measure."""

    by: str
    descending: bool = False


@dataclass(frozen=True)
class TopN:
    """Keep the n best cells by `by` within each parent (TopCount per parent, as in MDX).

    `by` is a measure or a time calculation column of the query (e.g. "revenue_last_year").
    The parent is `within` (levels of the drilldown; default: all but the last), the members
    ranked are the other levels' combinations. Ties are broken by the ranked levels' keys,
    ascending, NULL last, so exactly n cells are kept per parent (fewer if it has fewer); a
    NULL `by` ranks last.

    With totals, `subtotals` says what a subtotal or total row adds up:
      * "visible" (default, like an Excel pivot's Top 10 filter): only the kept cells. The
        answer is the same query over the facts of the kept detail cells alone, so every
        measure type stays exact: a subtotal's distinct count counts the distinct values in
        the kept cells' facts (never a sum of the cells' counts), a ratio is the kept cells'
        ratio, a time calculation the kept cells' window.
      * "all" ("include filtered items in totals"): the parent's total over all its members,
        as the query without top-N gives it; only rows that group by every ranked level are
        ranked (each within its parent's levels that the row keeps). A subtotal row is shown
        only when at least one kept row lies under it (MDX TopCount within parent with
        VisualTotals off): a parent whose members were all cut away is not shown; the grand
        total always is.
    """

    n: int
    by: str
    descending: bool = True
    within: tuple[str, ...] | None = None
    subtotals: Literal["visible", "all"] = "visible"


TimeKind = Literal["ytd", "qtd", "mtd", "last_year", "previous", "rolling", "change",
                   "change_pct"]


@dataclass(frozen=True)
class TimeCalc:
    """A measure over a shifted or widened time window, per member of the query's time level.

    ytd/qtd/mtd: to date within the year/quarter/month; last_year: same period a year before;
    previous: the period before; rolling: the last `n` periods; change / change_pct: against
    the previous period (or `against="last_year"`). `name` defaults to measure_kind.

    Periods follow the query's date level: by fiscal_year or fiscal_quarter, last_year,
    previous and rolling are fiscal years and quarters. ytd/qtd run within the calendar year
    (quarter) unless the query drills by a fiscal level, or `hierarchy` names the date
    hierarchy whose year (quarter) to use ("fiscal": fiscal YTD of months drilled alone).
    """

    measure: str
    kind: TimeKind
    n: int = 3
    role: str | None = None
    against: Literal["previous", "last_year"] = "previous"
    name: str | None = None
    hierarchy: str | None = None

    @property
    def column(self) -> str:
        if self.name:
            return self.name
        suffix = f"rolling{self.n}" if self.kind == "rolling" else self.kind
        if self.kind in {"change", "change_pct"} and self.against == "last_year":
            suffix += "_yoy"
        return f"{self.measure}_{suffix}"


@dataclass(frozen=True)
class Query:
    cube: str
    measures: tuple[str, ...] = ()
    drilldown: tuple[str, ...] = ()
    cuts: tuple[Cut, ...] = ()
    segments: tuple[str, ...] = ()
    order: tuple[Order, ...] = ()
    top: TopN | None = None
    limit: int | None = None
    offset: int = 0
    totals: Literal["none", "rollup", "all"] = "none"
    grouping_sets: tuple[tuple[str, ...], ...] | None = None
    time: tuple[TimeCalc, ...] = field(default=())
    renames: tuple[tuple[str, str], ...] = ()       # output column -> name shown (SQL aliases)

    def with_(self, **changes: Any) -> Query:
        return replace(self, **changes)
