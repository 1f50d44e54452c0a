"""An independent oracle for cube answers in pandas, over the flat joined data.

Each fact table is read with plain SELECT * and joined to its dimensions' core tables with
pandas merges (one column "<role>.<column>" per dimension column). Nothing here reads
cubes/*.yaml, the engine, its SQL or the `cubes` views: the roles, levels, hierarchies,
measures, segments and drill-across cubes are written out again by hand below, and filters,
grouping, totals, time windows and top-N are evaluated by the rules in this file:

* A cut or segment is SQL's WHERE on the member value: `level = v` (IS NULL for None),
  `IN`, `low <= level <= high`, a path's levels all equal; inverted with NOT, in three-valued
  logic (a NULL member compared with a value is unknown, so neither kept nor kept by NOT).
* NULL members (a missing industry, the unknown member -1's "Unknown" or NULL attributes) are
  members like any other: they group together.
* Sums, averages, minima and maxima of nothing are NULL, counts 0.
* Semi-additive balances (last/first): within each answer cell, the rows of the cell's last
  (first) day with data (a value that is not NULL), summed.
* Drill-across: each fact answered alone, matched on the level values (a full outer match);
  a fact without a row for a cell counts 0 and sums NULL there; formulas last.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import combinations
from typing import Any

import pandas as pd
import pyarrow as pa

# ---------------------------------------------------------------- the model, written by hand


@dataclass(frozen=True)
class Dim:
    table: str
    key: str
    levels: dict[str, str]                       # level -> column of the (widened) table
    hierarchies: dict[str, tuple[str, ...]]
    default: str


DIMENSIONS = {
    "date": Dim("core.dim_date", "date_key", {
        "year": "year", "quarter": "year_quarter", "month": "year_month", "day": "date",
        "iso_year": "iso_year", "iso_week": "iso_year_week", "fiscal_year": "fiscal_year",
        "fiscal_quarter": "fiscal_quarter"},
        {"calendar": ("year", "quarter", "month", "day"), "iso": ("iso_year", "iso_week", "day"),
         "fiscal": ("fiscal_year", "fiscal_quarter", "month", "day")}, "calendar"),
    "customer": Dim("core.dim_customer", "customer_key", {
        "region": "region_name", "province": "province_name", "city": "city_name",
        "customer": "customer_id", "type": "customer_type", "segment": "segment", "tier": "tier",
        "industry": "industry"},
        {"geography": ("region", "province", "city", "customer"),
         "segmentation": ("type", "segment", "customer")}, "geography"),
    "product": Dim("core.dim_product", "product_key", {
        "category": "category_name", "subcategory": "subcategory_name", "product": "product_id"},
        {"category": ("category", "subcategory", "product")}, "category"),
    "geography": Dim("core.dim_geography", "geography_key", {
        "country": "country_name", "province": "province_name", "city": "city_name"},
        {"geography": ("country", "province", "city")}, "geography"),
    "sales_org": Dim("core.dim_sales_org", "sales_org_key", {
        "region": "region_name", "department": "department_name", "rep": "rep_id"},
        {"organisation": ("region", "department", "rep")}, "organisation"),
    "channel": Dim("core.dim_channel", "channel_key", {"type": "channel_type",
                                                       "channel": "channel_name"},
                   {"channel": ("type", "channel")}, "channel"),
    "campaign": Dim("core.dim_campaign", "campaign_key", {"objective": "objective",
                                                          "campaign": "campaign_id"},
                    {"campaign": ("objective", "campaign")}, "campaign"),
}

PERIODS = {"year": "year", "quarter": "quarter", "month": "month", "day": "day",
           "iso_week": "week"}     # date levels with a calendar period


@dataclass(frozen=True)
class Base:
    """A measure computed from fact rows: its kind, column and optional row condition."""

    kind: str      # sum count distinct approx avg min max last first
    column: str | None = None
    where: tuple[str, tuple] | None = None       # (level, values): only rows of those members


@dataclass(frozen=True)
class Calc:
    """A measure computed from other measures' final values."""

    formula: Callable[[dict[str, Any]], Any]
    deps: tuple[str, ...]


def _sub(a, b):
    return None if a is None or b is None else a - b


def _div(a, b):
    return None if a is None or b is None or b == 0 else float(a) / float(b)


@dataclass(frozen=True)
class Fact:
    table: str
    roles: dict[str, tuple[str, str]]            # role -> (dimension, fact column of its key)
    degenerate: dict[str, str]                   # "role.level" -> fact column
    measures: dict[str, Base | Calc]
    segments: dict[str, tuple[tuple[str, tuple], ...]] = field(default_factory=dict)


FACTS = {
    "sales": Fact(
        "core.fact_sales_line",
        {"date": ("date", "order_date_key"), "customer": ("customer", "customer_key"),
         "product": ("product", "product_key"), "sales_org": ("sales_org", "sales_org_key"),
         "channel": ("channel", "channel_key"), "geography": ("geography", "geography_key"),
         "campaign": ("campaign", "campaign_key")},
        {"order.status": "order_status", "order.number": "order_no"},
        {"revenue": Base("sum", "net_amount"), "gross_revenue": Base("sum", "gross_amount"),
         "discount": Base("sum", "discount_amount"), "cost": Base("sum", "cost_amount"),
         "quantity": Base("sum", "quantity"), "lines": Base("count"),
         "orders": Base("distinct", "order_id"),
         "customers": Base("distinct", "customer.customer_id"),
         "approx_customers": Base("approx", "customer.customer_id"),
         "avg_price": Base("avg", "unit_price"), "min_line": Base("min", "net_amount"),
         "max_line": Base("max", "net_amount"),
         "online_revenue": Base("sum", "net_amount", ("channel.type", ("digital",))),
         "margin": Calc(lambda v: _sub(v["revenue"], v["cost"]), ("revenue", "cost")),
         "margin_pct": Calc(lambda v: _div(_sub(v["revenue"], v["cost"]), v["revenue"]),
                            ("revenue", "cost")),
         "revenue_per_customer": Calc(lambda v: _div(v["revenue"], v["customers"]),
                                      ("revenue", "customers")),
         "avg_order_value": Calc(lambda v: _div(v["revenue"], v["orders"]),
                                 ("revenue", "orders"))},
        {"online": (("channel.type", ("digital",)),), "b2b": (("customer.type", ("B2B",)),),
         "completed": (("order.status", ("shipped", "completed")),)}),
    "invoices": Fact(
        "core.fact_invoice",
        {"date": ("date", "invoice_date_key"), "due_date": ("date", "due_date_key"),
         "customer": ("customer", "customer_key")},
        {"invoice.status": "status", "invoice.currency": "currency",
         "invoice.match_rule": "match_rule"},
        {"invoiced": Base("sum", "gross_amount"), "invoiced_net": Base("sum", "net_amount"),
         "tax": Base("sum", "tax_amount"), "invoices": Base("count"),
         "invoiced_customers": Base("distinct", "customer.customer_id"),
         "avg_invoice": Base("avg", "gross_amount"),
         "void_amount": Base("sum", "gross_amount", ("invoice.status", ("void",)))},
        {"unmatched": (("customer.customer", (None,)),)}),
    "payments": Fact(
        "core.fact_payment",
        {"date": ("date", "paid_date_key"), "customer": ("customer", "customer_key")},
        {"payment.method": "method"},
        {"paid": Base("sum", "amount"), "payments": Base("count"),
         "paying_customers": Base("distinct", "customer.customer_id")}),
    "service": Fact(
        "core.fact_service_ticket",
        {"date": ("date", "opened_date_key"),
         "first_response_date": ("date", "first_response_date_key"),
         "resolved_date": ("date", "resolved_date_key"), "customer": ("customer", "customer_key"),
         "channel": ("channel", "channel_key")},
        {"ticket.category": "category", "ticket.priority": "priority", "ticket.status": "status",
         "ticket.open": "is_open"},
        {"tickets": Base("count"), "unresolved_tickets": Base("count", None,
                                                               ("ticket.open", (True,))),
         "complaints": Base("count", None, ("ticket.category", ("complaint",))),
         "ticket_customers": Base("distinct", "customer.customer_id"),
         "avg_hours_to_resolve": Base("avg", "hours_to_resolve"),
         "avg_hours_to_first_response": Base("avg", "hours_to_first_response"),
         "max_hours_to_resolve": Base("max", "hours_to_resolve"),
         "avg_satisfaction": Base("avg", "satisfaction_score"),
         "complaint_rate": Calc(lambda v: _div(v["complaints"], v["tickets"]),
                                ("complaints", "tickets"))},
        {"complaints": (("ticket.category", ("complaint",)),)}),
    "campaign": Fact(
        "core.fact_campaign_response",
        {"date": ("date", "response_date_key"), "customer": ("customer", "customer_key"),
         "campaign": ("campaign", "campaign_key")},
        {"response.type": "response_type", "response.consent": "consent_marketing",
         "response.purchase": "is_purchase"},
        {"responses": Base("count"), "responders": Base("distinct", "customer.customer_id"),
         "purchases": Base("count", None, ("response.purchase", (True,))),
         "consents": Base("count", None, ("response.consent", (True,))),
         "conversion_rate": Calc(lambda v: _div(v["purchases"], v["responses"]),
                                 ("purchases", "responses")),
         "budget": Base("max", "campaign.budget")}),
    "customer_snapshot": Fact(
        "core.fact_customer_day",
        {"date": ("date", "snapshot_date_key"), "customer": ("customer", "customer_key")},
        {"consent.state": "consent_state"},
        {"open_receivables": Base("last", "open_receivables"),
         "opening_receivables": Base("first", "open_receivables"),
         "open_tickets": Base("last", "open_tickets"),
         "snapshot_customers": Base("distinct", "customer_id"),
         "receivables_per_customer": Calc(
             lambda v: _div(v["open_receivables"], v["snapshot_customers"]),
             ("open_receivables", "snapshot_customers"))}),
}

# Drill-across cubes: the facts they combine and their own formulas over those facts' measures.
DRILL_ACROSS = {
    "receivables": (("invoices", "payments"), {
        "outstanding": Calc(lambda v: _sub(v["invoiced"], v["paid"]), ("invoiced", "paid")),
        "collection_rate": Calc(lambda v: _div(v["paid"], v["invoiced"]), ("paid", "invoiced"))}),
    "customer360": (("sales", "invoices", "payments", "service", "campaign",
                     "customer_snapshot"), {
        "revenue_per_ticket": Calc(lambda v: _div(v["revenue"], v["tickets"]),
                                   ("revenue", "tickets")),
        "collected_share": Calc(lambda v: _div(v["paid"], v["invoiced"]),
                                ("paid", "invoiced"))}),
}
COUNT_KINDS = {"count", "distinct", "approx"}


def facts_of(cube: str) -> tuple[str, ...]:
    return DRILL_ACROSS[cube][0] if cube in DRILL_ACROSS else (cube,)


def measures_of(cube: str) -> dict[str, Base | Calc]:
    """Every measure a cube answers (a drill-across cube: its facts' and its own)."""
    out: dict[str, Base | Calc] = {}
    for fact in facts_of(cube):
        out.update(FACTS[fact].measures)
    if cube in DRILL_ACROSS:
        out.update(DRILL_ACROSS[cube][1])
    return out


def roles_of(cube: str) -> dict[str, str]:
    """role -> dimension, for the roles every fact of the cube has."""
    shared = None
    for fact in facts_of(cube):
        mine = {r: d for r, (d, _fk) in FACTS[fact].roles.items()}
        shared = mine if shared is None else {r: d for r, d in shared.items() if mine.get(r) == d}
    return shared or {}


def levels_of(cube: str) -> dict[str, str]:
    """"role.level" -> column of the flat frame, for every level the cube can group by."""
    out = {f"{role}.{level}": f"{role}.{column}"
           for role, dim in roles_of(cube).items()
           for level, column in DIMENSIONS[dim].levels.items()}
    if cube not in DRILL_ACROSS:
        out.update(FACTS[cube].degenerate)
    return out


# ---------------------------------------------------------------- the flat joined data


def read_table(con, table: str) -> pd.DataFrame:
    """A core table as pandas: DECIMAL as float, and nullable integers, booleans and dates as
    Python objects (None for NULL) so that members keep their type."""
    arrow = con.execute(f"SELECT * FROM {table}").to_arrow_table()
    frame = arrow.to_pandas()
    for name, typ in zip(arrow.column_names, arrow.schema.types, strict=True):
        if pa.types.is_decimal(typ):
            frame[name] = frame[name].astype("float64")
        elif (pa.types.is_integer(typ) or pa.types.is_boolean(typ)) and arrow[name].null_count:
            frame[name] = pd.Series(arrow[name].to_pylist(), index=frame.index, dtype=object)
    return frame


def _widen_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """dim_date plus the attributes cubes derive: ISO year and week, fiscal year (from April,
    named after the year it ends in) and fiscal quarter; NULL for the unknown date."""
    frame = frame.copy()

    def each(fn):
        return pd.Series([None if d is None else fn(d) for d in frame["date"]],
                         index=frame.index, dtype=object)

    frame["iso_year"] = each(lambda d: d.isocalendar()[0])
    frame["iso_year_week"] = each(lambda d: f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}")
    fiscal = each(lambda d: d.year + 1 if d.month >= 4 else d.year)
    frame["fiscal_year"] = fiscal
    frame["fiscal_quarter"] = each(lambda d: f"FY{d.year + 1 if d.month >= 4 else d.year}"
                                             f"-Q{(d.month + 8) % 12 // 3 + 1}")
    return frame


def flat_fact(con, fact: str, dims: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The fact's rows, each with its dimensions' columns as "<role>.<column>" (left merges)."""
    spec = FACTS[fact]
    dims = {} if dims is None else dims
    frame = read_table(con, spec.table)
    for role, (dim_name, fk) in spec.roles.items():
        dim = DIMENSIONS[dim_name]
        if dim_name not in dims:
            table = read_table(con, dim.table)
            dims[dim_name] = _widen_dates(table) if dim_name == "date" else table
        right = dims[dim_name].add_prefix(f"{role}.")
        frame = frame.merge(right, how="left", left_on=fk, right_on=f"{role}.{dim.key}",
                            validate="many_to_one")
    return frame


def load_world(con, dims: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """fact name -> flat frame, for every fact above (`dims` collects the dimension tables)."""
    dims = {} if dims is None else dims
    return {fact: flat_fact(con, fact, dims) for fact in FACTS}


# ---------------------------------------------------------------- cuts (three-valued logic)


def _and(parts: Iterable[bool | None]) -> bool | None:
    parts = list(parts)
    return False if False in parts else None if None in parts else True


def _or(parts: Iterable[bool | None]) -> bool | None:
    parts = list(parts)
    return True if True in parts else None if None in parts else False


def _not(x: bool | None) -> bool | None:
    return None if x is None else not x


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def member_in(x: Any, values: tuple) -> bool | None:
    """key = v / key IN (...) / key IS NULL for a None among the values."""
    parts = [None if _missing(x) else x == v for v in values if v is not None]
    if any(v is None for v in values):
        parts.append(_missing(x))
    return _or(parts)


def in_range(x: Any, low: Any, high: Any) -> bool | None:
    """low <= key <= high, either bound open (no bound at all: every row)."""
    parts = []
    if low is not None:
        parts.append(None if _missing(x) else x >= low)
    if high is not None:
        parts.append(None if _missing(x) else x <= high)
    return _and(parts)


def point_cut(rows, cols, cut) -> list[bool | None]:
    out = [member_in(x, (cut.value,)) for x in rows[cols[cut.level]]]
    return [_not(x) for x in out] if cut.invert else out


def set_cut(rows, cols, cut) -> list[bool | None]:
    out = [member_in(x, tuple(cut.values)) for x in rows[cols[cut.level]]]
    return [_not(x) for x in out] if cut.invert else out


def range_cut(rows, cols, cut) -> list[bool | None]:
    out = [in_range(x, cut.low, cut.high) for x in rows[cols[cut.level]]]
    return [_not(x) for x in out] if cut.invert else out


def path_levels(role_dims: dict[str, str], cut) -> list[str]:
    dim = DIMENSIONS[role_dims[cut.dimension]]
    levels = dim.hierarchies[cut.hierarchy or dim.default]
    return [f"{cut.dimension}.{lv}" for lv in levels[:len(cut.path)]]


def path_cut(rows, cols, cut, role_dims) -> list[bool | None]:
    columns = [rows[cols[lv]] for lv in path_levels(role_dims, cut)]
    out = [_and(member_in(x, (v,)) for x, v in zip(xs, cut.path, strict=True))
           for xs in zip(*columns, strict=True)]
    return [_not(x) for x in out] if cut.invert else out


def cut_mask(rows: pd.DataFrame, cols: dict[str, str], cut, role_dims: dict[str, str]) -> pd.Series:
    """Rows a cut keeps: where its condition is true (not false, not unknown)."""
    kind = type(cut).__name__
    if kind == "PathCut":
        truth = path_cut(rows, cols, cut, role_dims)
    else:
        truth = {"PointCut": point_cut, "SetCut": set_cut, "RangeCut": range_cut}[kind](
            rows, cols, cut)
    return pd.Series([t is True for t in truth], index=rows.index, dtype=bool)


def condition_mask(rows: pd.DataFrame, cols: dict[str, str], level: str, values: tuple
                   ) -> pd.Series:
    """A segment's or filtered measure's condition: the level's member is one of `values`."""
    return pd.Series([member_in(x, values) is True for x in rows[cols[level]]],
                     index=rows.index, dtype=bool)


def select(rows: pd.DataFrame, fact: str, cuts, segments) -> pd.DataFrame:
    """The fact rows the cuts and segments keep."""
    cols = levels_of(fact)
    roles = {r: d for r, (d, _fk) in FACTS[fact].roles.items()}
    keep = pd.Series(True, index=rows.index)
    for cut in cuts:
        keep &= cut_mask(rows, cols, cut, roles)
    for name in segments:
        for level, values in FACTS[fact].segments[name]:
            keep &= condition_mask(rows, cols, level, values)
    return rows[keep]


# ---------------------------------------------------------------- measures: one function a kind


def _groups(values: pd.Series, keys: list[pd.Series]):
    return values.groupby(keys or [pd.Series(0, index=values.index)], dropna=False, sort=False)


def sum_of(rows, keys, m: Base) -> pd.Series:
    return _groups(rows[m.column], keys).sum(min_count=1)


def count_of(rows, keys, m: Base) -> pd.Series:
    return _groups(pd.Series(1, index=rows.index), keys).sum()


def distinct_of(rows, keys, m: Base) -> pd.Series:
    return _groups(rows[m.column], keys).nunique(dropna=True)


def avg_of(rows, keys, m: Base) -> pd.Series:
    return _groups(rows[m.column].astype("float64"), keys).mean()


def min_of(rows, keys, m: Base) -> pd.Series:
    return _groups(rows[m.column].astype("float64"), keys).min()


def max_of(rows, keys, m: Base) -> pd.Series:
    return _groups(rows[m.column].astype("float64"), keys).max()


def balance_of(rows, keys, m: Base) -> pd.Series:
    """Semi-additive: the sum over the rows of each cell's last (first) day with data, a day
    with a value that is not NULL (LastNonEmpty: a day of NULLs only is no data); NULL when
    no day of the cell has a value. Rows of the unknown date (no day) never count."""
    days = pd.to_datetime(rows["date.date"])
    with_value = days.where(rows[m.column].notna())
    edge = _groups(with_value, keys).transform("max" if m.kind == "last" else "min")
    on_edge = days == edge
    return _groups(rows[m.column].where(on_edge), keys).sum(min_count=1)


KINDS: dict[str, Callable[[pd.DataFrame, list[pd.Series], Base], pd.Series]] = {
    "sum": sum_of, "count": count_of, "distinct": distinct_of, "approx": distinct_of,
    "avg": avg_of, "min": min_of, "max": max_of, "last": balance_of, "first": balance_of,
}


def plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()          # numpy scalars
    return value


def base_cells(rows: pd.DataFrame, fact: str, by: list[str], m: Base) -> dict[tuple, Any]:
    """{member values of `by`: the measure} for the cells that have rows (and the one cell of
    no levels, which exists even without rows)."""
    cols = levels_of(fact)
    if m.where is not None:
        rows = rows[condition_mask(rows, cols, *m.where)]
    keys = [rows[cols[lv]] for lv in by]
    series = KINDS[m.kind](rows, keys, m)
    out = {}
    for key, value in series.items():
        key = key if isinstance(key, tuple) else (key,)
        out[tuple(plain(k) for k in key) if by else ()] = plain(value)
    if not by and () not in out:
        out[()] = None
    if m.kind in COUNT_KINDS:
        out = {k: 0 if v is None else v for k, v in out.items()}
    return out


def with_formulas(cube: str, measures: list[str], values: dict[str, Any]) -> tuple:
    """The requested measures of one cell from its base values."""
    catalogue = measures_of(cube)

    def value(name: str) -> Any:
        m = catalogue[name]
        if isinstance(m, Calc):
            return m.formula({d: value(d) for d in m.deps})
        return values[name]
    return tuple(value(name) for name in measures)


def base_names(cube: str, measures: Iterable[str]) -> list[str]:
    catalogue = measures_of(cube)
    out: list[str] = []

    def visit(name: str) -> None:
        m = catalogue[name]
        if isinstance(m, Calc):
            for d in m.deps:
                visit(d)
        elif name not in out:
            out.append(name)
    for name in measures:
        visit(name)
    return out


def owner(cube: str, base: str) -> str:
    return next(f for f in facts_of(cube) if base in FACTS[f].measures)


# ---------------------------------------------------------------- answers, totals, drill-across


def grouping_sets(n: int, totals: str) -> list[tuple[int, ...]] | None:
    if totals == "none":
        return None
    if totals == "rollup":
        return [tuple(range(k)) for k in range(n, -1, -1)]
    return [c for k in range(n, -1, -1) for c in combinations(range(n), k)]


def answer(world: dict[str, pd.DataFrame], cube: str, measures: list[str], levels: list[str],
           cuts=(), segments=(), totals: str = "none") -> dict[tuple, tuple]:
    """{(level values..., [grouping id]): (measure values...)}: the engine's answer, by hand.

    Per grouping set, every base measure is aggregated on its own fact's selected rows; the
    cells of all facts are matched on the level values; counts absent from a fact are 0."""
    n = len(levels)
    sets = grouping_sets(n, totals)
    bases = base_names(cube, measures)
    selected = {f: select(world[f], f, cuts, segments) for f in facts_of(cube)}
    kinds = {name: measures_of(cube)[name].kind for name in bases}
    out: dict[tuple, tuple] = {}
    for s in sets if sets is not None else [tuple(range(n))]:
        by = [levels[i] for i in s]
        cells: dict[tuple, dict[str, Any]] = {}
        for fact in dict.fromkeys(owner(cube, name) for name in bases):
            for key in base_cells(selected[fact], fact, by, Base("count")):
                cells.setdefault(key, {})          # a cell of each fact that has rows there
        for name in bases:
            fact = owner(cube, name)
            for key, value in base_cells(selected[fact], fact, by, FACTS[fact].measures[name]
                                         ).items():
                cells.setdefault(key, {})[name] = value
        gid = sum(1 << (n - 1 - i) for i in range(n) if i not in s)
        for key, values in cells.items():
            for name in bases:
                values.setdefault(name, 0 if kinds[name] in COUNT_KINDS else None)
            by_level = dict(zip(s, key, strict=True))
            full = tuple(by_level.get(i) for i in range(n))
            out[full + ((gid,) if sets is not None else ())] = with_formulas(cube, measures,
                                                                             values)
    return out


# ---------------------------------------------------------------- time calculations

_PERIOD_MONTHS = {"year": 12, "quarter": 3, "month": 1, "fiscal_year": 12, "fiscal_quarter": 3}
FISCAL_START = 4            # fiscal years start on 1 April, named after the year they end in
TIME_LEVELS = tuple(f"date.{p}" for p in _PERIOD_MONTHS)


def _offset(period: str) -> int:
    """Months a period's members start after January (fiscal: April)."""
    return FISCAL_START - 1 if period.startswith("fiscal_") else 0


def member_index(period: str, value: Any) -> int | None:
    """A member as a running index (its first month is index * its months + its offset);
    None for the unknown date."""
    if value is None or value == "Unknown":
        return None
    if period == "year":
        return int(value)
    if period == "fiscal_year":
        return int(value) - 1                               # FY2025 starts in April 2024
    if period == "fiscal_quarter":                          # "FY2025-Q1"
        fiscal_year, quarter = str(value)[2:].split("-Q")
        return (int(fiscal_year) - 1) * 4 + int(quarter) - 1
    year, part = str(value).split("-")
    return int(year) * 4 + int(part[1:]) - 1 if period == "quarter" \
        else int(year) * 12 + int(part) - 1


def member_days(period: str, index: int) -> tuple[date, date]:
    """First and last day of member `index` of `period`."""
    first = index * _PERIOD_MONTHS[period] + _offset(period)      # months since year 0
    after = first + _PERIOD_MONTHS[period]
    return (date(first // 12, first % 12 + 1, 1),
            date(after // 12, after % 12 + 1, 1) - timedelta(days=1))


def span_of(kind: str, levels: list[str], hierarchy: str | None = None) -> str:
    """The period a to-date kind runs within: fiscal when `hierarchy` is "fiscal", or without
    one when the query drills by a fiscal level; the calendar's otherwise."""
    grain = {"ytd": "year", "qtd": "quarter", "mtd": "month"}[kind]
    fiscal = hierarchy == "fiscal" or (hierarchy is None and any(
        lv in ("date.fiscal_year", "date.fiscal_quarter") for lv in levels))
    return f"fiscal_{grain}" if fiscal and grain != "month" else grain


def window(kind: str, n: int, period: str, index: int, span: str | None = None
           ) -> tuple[date, date] | None:
    """The days a calculation of a member sums; None where it has no value (a to-date span
    that does not hold the whole member: quarter-to-date of a year, calendar YTD of a fiscal
    year)."""
    start, end = member_days(period, index)
    if kind in ("ytd", "qtd", "mtd"):
        span = span or {"ytd": "year", "qtd": "quarter", "mtd": "month"}[kind]
        months = end.year * 12 + end.month - 1
        first = member_days(span, (months - _offset(span)) // _PERIOD_MONTHS[span])[0]
        return None if first > start else (first, end)
    if kind == "last_year":
        return member_days(period, index - 12 // _PERIOD_MONTHS[period])
    if kind == "previous":
        return member_days(period, index - 1)
    if kind == "rolling":
        return member_days(period, index - n + 1)[0], end
    raise ValueError(kind)


def time_answer(world, cube: str, measures: list[str], levels: list[str], cuts, calcs,
                totals: str = "none") -> dict[tuple, tuple]:
    """answer() with one more value per calculation (kind, n, measure[, hierarchy]): the
    measure over the window of the row's own time member, the member of the finest date level
    (year, quarter, month, fiscal year or quarter; the first of equals) its grouping set keeps;
    to-date spans as span_of says. The window holds every fact of its days that
    matches the row's other levels and the cuts on other dimensions (a cut on a date level
    selects the members shown, not the days a window reads). NULL for a row keeping no date
    level; the unknown date is a member whose window holds no day (a count of it is 0)."""
    plain = answer(world, cube, measures, levels, cuts, (), totals)
    n = len(levels)
    sets = grouping_sets(n, totals) or [tuple(range(n))]
    other_cuts = [c for c in cuts if not _on_date(c)]
    others = {f: select(world[f], f, other_cuts, ()) for f in facts_of(cube)}
    by_gid = {sum(1 << (n - 1 - i) for i in range(n) if i not in s): s for s in sets}
    out = {}
    for key, values in plain.items():
        s = by_gid[key[-1]] if totals != "none" else tuple(range(n))
        timed = [i for i in s if levels[i] in TIME_LEVELS]
        finest = max(timed, key=lambda i: -_PERIOD_MONTHS[levels[i][5:]], default=None)
        extra = []
        for kind, k, measure, *hierarchy in calcs:
            if finest is None:
                extra.append(None)
                continue
            period = levels[finest][5:]
            index = member_index(period, key[finest])
            span = span_of(kind, levels, *hierarchy) if kind in ("ytd", "qtd", "mtd") else None
            # Whether a window is defined does not depend on the member: the unknown date's
            # quarter-to-date of a year is undefined (NULL) too, not an empty window (0).
            days = window(kind if kind != "change" else "previous", k, period,
                          2024 * 12 // _PERIOD_MONTHS[period] if index is None else index, span)
            if days is None:
                extra.append(None)
                continue
            rows = {}
            for f, frame in others.items():
                keep = pd.Series(index is not None, index=frame.index)
                if index is not None:
                    lo, hi = days
                    keep &= frame["date.date"].map(lambda d, lo=lo, hi=hi:
                                                   d is not None and lo <= d <= hi)
                cols = levels_of(f)
                for i in s:
                    if not levels[i].startswith("date."):
                        keep &= frame[cols[levels[i]]].map(
                            lambda x, v=key[i]: (_missing(x) and v is None) or x == v)
                rows[f] = frame[keep]
            prior = measure_over(cube, measure, rows)
            if kind == "change":
                current = values[measures.index(measure)]
                prior = None if current is None or prior is None else current - prior
            extra.append(prior)
        out[key] = values + tuple(extra)
    return out


def _on_date(cut) -> bool:
    name = cut.dimension if type(cut).__name__ == "PathCut" else cut.level.split(".")[0]
    return name == "date"


def measure_over(cube: str, measure: str, rows: dict[str, pd.DataFrame]) -> Any:
    """One measure over given fact rows (no grouping)."""
    values = {}
    for name in base_names(cube, [measure]):
        fact = owner(cube, name)
        values[name] = base_cells(rows[fact], fact, [], FACTS[fact].measures[name])[()]
    return with_formulas(cube, [measure], values)[0]


# ---------------------------------------------------------------- top-N within parent


def rank_value(value: Any) -> Any:
    """A measure as ranked: floats rounded so sums equal in exact arithmetic tie."""
    return round(float(value), 6) if value is not None else None


def top_n(plain: dict[tuple, tuple], n_levels: int, measure_at: int, n: int,
          descending: bool = True, within: list[int] | None = None) -> dict[tuple, tuple]:
    """Keep each parent's (the values at the `within` positions; default all levels but the
    last) n best rows by the measure, NULLs last; ties broken by the level values, ascending,
    NULLs last."""
    within = list(range(n_levels - 1)) if within is None else within
    parents: dict[tuple, list[tuple]] = {}
    for key in plain:
        parents.setdefault(tuple(null_last(key[i]) for i in within), []).append(key)
    out = {}
    for keys in parents.values():
        def order(key):
            v = rank_value(plain[key][measure_at])
            return ((v is None, -v if descending and v is not None else v),
                    tuple(null_last(x) for x in key))
        for key in sorted(keys, key=order)[:n]:
            out[key] = plain[key]
    return out


def top_answer(world, cube: str, measures: list[str], levels: list[str], cuts, segments,
               totals: str, top) -> dict[tuple, tuple]:
    """A top-N query's answer (top: query.TopN, `by` one of `measures`), from answer() alone.

    Without totals, the n best detail cells per parent. With totals, subtotals "visible": the
    query over the facts of the kept detail cells only (each fact's rows whose cell is kept);
    "all": the query over all facts, the rows grouping by every ranked level (not in `within`)
    ranked per grouping set and parent, and a subtotal row kept when a kept row groups by its
    levels with its members under it; the grand total always."""
    n = len(levels)
    within = list(range(n - 1)) if top.within is None else [levels.index(w)
                                                            for w in top.within]
    at = measures.index(top.by)
    if totals == "none" or top.subtotals == "visible":
        detail = answer(world, cube, measures, levels, cuts, segments)
        kept = top_n(detail, n, at, top.n, top.descending, within)
        if totals == "none":
            return kept
        shown = dict(world)
        for fact in facts_of(cube):
            cols = [levels_of(fact)[lv] for lv in levels]
            frame = world[fact]
            mask = [tuple(plain(v) for v in row) in kept
                    for row in frame[cols].itertuples(index=False, name=None)]
            shown[fact] = frame[pd.Series(mask, index=frame.index, dtype=bool)]
        return answer(shown, cube, measures, levels, cuts, segments, totals)
    full = answer(world, cube, measures, levels, cuts, segments, totals)
    ranked = [i for i in range(n) if i not in within]

    def grouped(key: tuple) -> set[int]:
        return {i for i in range(n) if not key[-1] >> (n - 1 - i) & 1}

    candidates: dict[int, dict[tuple, tuple]] = {}
    for key, values in full.items():
        if set(ranked) <= grouped(key):
            candidates.setdefault(key[-1], {})[key] = values
    out: dict[tuple, tuple] = {}
    for group in candidates.values():
        out |= top_n(group, n, at, top.n, top.descending, within)
    kept = list(out)
    for key, values in full.items():
        mine = grouped(key)
        if set(ranked) <= mine:
            continue
        if not mine or any(mine <= grouped(k) and all(k[i] == key[i] for i in mine)
                           for k in kept):
            out[key] = values
    return out


def null_last(x: Any) -> tuple:
    return (x is None, x if x is not None else 0)
