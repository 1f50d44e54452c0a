"""An independent oracle for cube answers: plain Python over the raw fact and dimension rows.

Nothing here reads the cube model or the engine's SQL: the joins, level columns, measure
definitions and filters are written out again by hand from schemas/warehouse/*.yaml, and
aggregation is done with Python's Decimal arithmetic and sets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

Row = dict[str, Any]

SALES_ROLES = {   # role -> (dimension table, its key, fact column)
    "date": ("core.dim_date", "date_key", "order_date_key"),
    "customer": ("core.dim_customer", "customer_key", "customer_key"),
    "product": ("core.dim_product", "product_key", "product_key"),
    "channel": ("core.dim_channel", "channel_key", "channel_key"),
    "sales_org": ("core.dim_sales_org", "sales_org_key", "sales_org_key"),
}

# level -> the flat row's column holding its value
SALES_LEVELS = {
    "date.year": "date.year",
    "date.quarter": "date.year_quarter",
    "date.month": "date.year_month",
    "customer.region": "customer.region_name",
    "customer.segment": "customer.segment",
    "customer.industry": "customer.industry",
    "customer.type": "customer.customer_type",
    "customer.customer": "customer.customer_id",
    "product.category": "product.category_name",
    "channel.type": "channel.channel_type",
    "sales_org.department": "sales_org.department_name",
    "order.status": "order_status",
}

INVOICE_ROLES = {
    "date": ("core.dim_date", "date_key", "invoice_date_key"),
    "customer": ("core.dim_customer", "customer_key", "customer_key"),
}

SEGMENTS: dict[str, Callable[[Row], bool]] = {
    "online": lambda r: r["channel.channel_type"] == "digital",
    "b2b": lambda r: r["customer.customer_type"] == "B2B",
    "completed": lambda r: r["order_status"] in ("shipped", "completed"),
}


def _sum(values: Iterable[Any]) -> Any:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def _ratio(num: Any, den: Any) -> float | None:
    return None if num is None or den is None or den == 0 else float(num) / float(den)


def _avg(values: Iterable[Any]) -> float | None:
    present = [v for v in values if v is not None]
    return float(sum(present, Decimal(0))) / len(present) if present else None


SALES_MEASURES: dict[str, Callable[[list[Row]], Any]] = {
    "revenue": lambda rs: _sum(r["net_amount"] for r in rs),
    "cost": lambda rs: _sum(r["cost_amount"] for r in rs),
    "quantity": lambda rs: sum(r["quantity"] for r in rs) if rs else None,
    "lines": len,
    "orders": lambda rs: len({r["order_id"] for r in rs}),
    "customers": lambda rs: len({r["customer.customer_id"] for r in rs} - {None}),
    "min_line": lambda rs: min((r["net_amount"] for r in rs), default=None),
    "max_line": lambda rs: max((r["net_amount"] for r in rs), default=None),
    "avg_price": lambda rs: _avg(r["unit_price"] for r in rs),
    "online_revenue": lambda rs: _sum(r["net_amount"] for r in rs
                                      if r["channel.channel_type"] == "digital"),
    "margin_pct": lambda rs: _ratio(_sum(r["net_amount"] for r in rs)
                                    - _sum(r["cost_amount"] for r in rs) if rs else None,
                                    _sum(r["net_amount"] for r in rs)),
    "margin": lambda rs: (_sum(r["net_amount"] for r in rs) - _sum(r["cost_amount"] for r in rs)
                          if rs else None),
}


def flat_rows(con, fact: str, roles: dict[str, tuple[str, str, str]]) -> list[Row]:
    """Fact rows with every role's dimension columns as '<role>.<column>' (a left join)."""
    dims = {}
    for role, (table, key, _fk) in roles.items():
        dims[role] = {r[key]: r for r in con.execute(f"SELECT * FROM {table}")
                      .to_arrow_table().to_pylist()}
    out = []
    for row in con.execute(f"SELECT * FROM {fact}").to_arrow_table().to_pylist():
        flat = dict(row)
        for role, (_table, _key, fk) in roles.items():
            for col, value in dims[role].get(row[fk], {}).items():
                flat[f"{role}.{col}"] = value
        out.append(flat)
    return out


def keep(value: Any, values: tuple[Any, ...], invert: bool) -> bool:
    """SQL semantics of `key IN values` (IS NULL for None), and of NOT(...) on a NULL key."""
    present = [v for v in values if v is not None]
    if value is None:
        return None in values and not invert
    return (value in present) != invert


def answer(rows: list[Row], measures: list[str], levels: list[str], cuts, segments,
           totals: str, level_cols: dict[str, str] = SALES_LEVELS,
           measure_fns: dict[str, Callable] = SALES_MEASURES) -> dict[tuple, tuple]:
    """{(level values..., grouping id): (measure values...)} for the filtered rows."""
    picked = [r for r in rows
              if all(keep(r[level_cols[lv]], vals, inv) for lv, vals, inv in cuts)
              and all(SEGMENTS[s](r) for s in segments)]
    n = len(levels)
    prefixes = [n] if totals == "none" else list(range(n, -1, -1))
    out: dict[tuple, tuple] = {}
    for k in prefixes:
        groups: dict[tuple, list[Row]] = defaultdict(list)
        if k == 0:
            groups[()] = []      # SQL: an aggregate over no groups still returns one row
        for r in picked:
            groups[tuple(r[level_cols[lv]] for lv in levels[:k])].append(r)
        gid = (1 << (n - k)) - 1
        for key, members in groups.items():
            full = key + (None,) * (n - k) + ((gid,) if totals != "none" else ())
            out[full] = tuple(measure_fns[m](members) for m in measures)
    return out


def top_cells(values: dict[tuple, Any], within: list[int], n: int,
              descending: bool = True) -> set[tuple]:
    """TopCount per parent: of the cells {cell: value}, the n best by value among those with
    the same members at the `within` positions. A NULL value ranks last; ties go to the cell
    whose keys come first (ascending, NULL last), so exactly n are kept per parent."""
    parents: dict[tuple, list[tuple]] = defaultdict(list)
    for cell in values:
        parents[tuple(cell[i] for i in within)].append(cell)

    def rank(cell: tuple) -> tuple:
        v = values[cell]
        return ((v is None, (-v if descending else v) if v is not None else 0),
                tuple((k is None, k if k is not None else 0) for k in cell))

    return {cell for cells in parents.values() for cell in sorted(cells, key=rank)[:n]}


def top_answer(rows: list[Row], measures: list[str], levels: list[str], cuts, segments,
               totals: str, n: int, by: str, within: list[int], subtotals: str,
               level_cols: dict[str, str] = SALES_LEVELS,
               measure_fns: dict[str, Callable] = SALES_MEASURES,
               descending: bool = True) -> dict[tuple, tuple]:
    """A top-N answer ({(level values..., grouping id): measures}), from `answer` alone:
    `visible` is the query over the rows of the kept cells; `all` the query over all rows,
    keeping the best n rows per parent (the `within` values the row keeps) of the sets that
    have every ranked level, and of the others (totals over all their members) the rows with
    a kept row under them (grouping by their levels, with their members), and the grand
    total."""
    picked = [r for r in rows
              if all(keep(r[level_cols[lv]], vals, inv) for lv, vals, inv in cuts)
              and all(SEGMENTS[s](r) for s in segments)]
    detail = answer(picked, [by], levels, [], [], "none", level_cols, measure_fns)
    kept = top_cells({cell: v[0] for cell, v in detail.items()}, within, n, descending)
    if subtotals == "visible":
        mine = [r for r in picked if tuple(r[level_cols[lv]] for lv in levels) in kept]
        return answer(mine, measures, levels, [], [], totals, level_cols, measure_fns)
    full = answer(picked, [*measures, by], levels, [], [], totals, level_cols, measure_fns)
    count = len(levels)
    ranked = [i for i in range(count) if i not in within]
    out, candidates, subtotals_ = {}, defaultdict(dict), {}
    for key, values in full.items():
        gid = key[-1] if totals != "none" else 0
        if any(gid >> (count - 1 - i) & 1 for i in ranked):
            subtotals_[key] = values[:-1]               # a total over all the members
        else:
            candidates[gid][key] = values
    for group in candidates.values():
        best = top_cells({k: v[-1] for k, v in group.items()}, within, n, descending)
        out |= {k: v[:-1] for k, v in group.items() if k in best}

    def grouped(key: tuple) -> list[int]:
        return [i for i in range(count) if not key[-1] >> (count - 1 - i) & 1]

    kept = list(out)
    for key, values in subtotals_.items():
        mine = grouped(key)
        if not mine or any(set(mine) <= set(grouped(k)) and all(k[i] == key[i] for i in mine)
                           for k in kept):
            out[key] = values
    return out


INVOICE_MEASURES: dict[str, Callable[[list[Row]], Any]] = {
    "invoiced": lambda rs: _sum(r["gross_amount"] for r in rs),
    "invoices": len,
    "invoiced_customers": lambda rs: len({r["customer.customer_id"] for r in rs} - {None}),
}
COUNTS = {"lines", "orders", "customers", "invoices", "invoiced_customers"}


def drill_across(parts: list[tuple[list[Row], dict[str, Callable]]], measures: list[str],
                 levels: list[str], cuts) -> dict[tuple, tuple]:
    """Each fact answered alone, then matched on the level values (a full outer match)."""
    answers = []
    for rows, fns in parts:
        mine = [m for m in measures if m in fns]
        answers.append((mine, answer(rows, mine, levels, cuts, [], "none", measure_fns=fns)
                        if mine else {}))
    keys = set().union(*(a for _m, a in answers))
    out = {}
    for key in keys:
        values = {}
        for mine, ans in answers:
            got = ans.get(key)
            for i, m in enumerate(mine):
                values[m] = got[i] if got is not None else (0 if m in COUNTS else None)
        out[key] = tuple(values[m] for m in measures)
    return out


# Time intelligence with totals, by hand: each answer row's calculation is evaluated for the
# row's own time member, the one of its finest date level (a year subtotal is the year).
DATE_PERIODS = {"date.year": "year", "date.quarter": "quarter", "date.month": "month"}
_FINER = ["year", "quarter", "month"]


def _member(period: str, value: Any) -> int | None:
    """A member as a running index (years, quarters or months since year 0); None if unknown."""
    if value is None or value == "Unknown":
        return None
    if period == "year":
        return int(value)
    year, part = str(value).split("-")
    return int(year) * 4 + int(part[1:]) - 1 if period == "quarter" else int(year) * 12 + int(part) - 1


def _bounds(period: str, index: int) -> tuple[date, date]:
    """First and last day of member `index`."""
    months = {"year": 12, "quarter": 3, "month": 1}[period]
    first = index * months                     # months since year 0
    last = first + months                      # the next member's first month
    start = date(first // 12, first % 12 + 1, 1)
    end = date(last // 12, last % 12 + 1, 1) - timedelta(days=1)
    return start, end


def time_window(kind: str, n: int, period: str, index: int) -> tuple[date, date] | None:
    """The days a calculation of member `index` sums, or None where it is undefined."""
    end = _bounds(period, index)[1]
    per_year = {"year": 1, "quarter": 4, "month": 12}[period]
    if kind in ("ytd", "qtd", "mtd"):
        span = {"ytd": "year", "qtd": "quarter", "mtd": "month"}[kind]
        if _FINER.index(period) < _FINER.index(span):
            return None                        # e.g. month-to-date of a whole year
        return _bounds(span, _member(span, _label(span, end)))[0], end
    if kind == "last_year":
        return _bounds(period, index - per_year)
    if kind == "previous":
        return _bounds(period, index - 1)
    if kind == "rolling":
        return _bounds(period, index - n + 1)[0], end
    raise ValueError(kind)


def _label(period: str, day: date) -> Any:
    if period == "year":
        return day.year
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def time_answer(rows: list[Row], levels: list[str], sets: list[tuple[int, ...]], cuts,
                calcs: list[tuple[str, int]], measure: str = "revenue",
                kept: set[tuple] | None = None) -> dict[tuple, tuple]:
    """{(level values..., grouping id): (measure, calculation values...)} per grouping set.

    Cuts select the rows (the members shown); a window aggregates every fact of its days that
    matches the row's other levels and the cuts on other dimensions (a cut on date.year
    does not stop last_year from reading the year before). A row without a date level has no
    window (None); the unknown date's window holds no day (a count of it is 0).

    `kept` (top-N, subtotals of the visible cells; one date level only): only facts of those
    cells are shown, and a window of member m reads the facts whose cell, with m for the date
    level, is kept (the window of the kept cells the row adds up)."""
    fn = SALES_MEASURES[measure]
    def passes(r: Row, only_other: bool) -> bool:
        return all(keep(r[SALES_LEVELS[lv]], vals, inv) for lv, vals, inv in cuts
                   if not (only_other and lv.startswith("date.")))

    def cell(r: Row, member: Any = None, as_target: bool = False) -> tuple:
        return tuple(member if as_target and lv in DATE_PERIODS else r[SALES_LEVELS[lv]]
                     for lv in levels)

    if kept is not None:
        assert sum(lv in DATE_PERIODS for lv in levels) <= 1
    shown = [r for r in rows if passes(r, False) and (kept is None or cell(r) in kept)]
    others = [r for r in rows if passes(r, True)]
    n = len(levels)
    out: dict[tuple, tuple] = {}
    for s in sets:
        groups: dict[tuple, list[Row]] = defaultdict(list)
        if not s:
            groups[()] = []
        for r in shown:
            groups[tuple(r[SALES_LEVELS[levels[i]]] for i in s)].append(r)
        gid = sum(1 << (n - 1 - i) for i in range(n) if i not in s)
        timed = [i for i in s if levels[i] in DATE_PERIODS]
        finest = max(timed, key=lambda i: _FINER.index(DATE_PERIODS[levels[i]]), default=None)
        for key, members in groups.items():
            by_level = dict(zip(s, key, strict=True))
            full = (*(by_level.get(i) for i in range(n)), gid)
            values = [fn(members)]
            for kind, k in calcs:
                if finest is None:
                    values.append(None)
                    continue
                period = DATE_PERIODS[levels[finest]]
                index = _member(period, by_level[finest])
                if index is None:               # the unknown date: no day in its window
                    values.append(fn([]))
                    continue
                window = time_window(kind, k, period, index)
                if window is None:
                    values.append(None)
                    continue
                lo, hi = window
                values.append(fn([
                    r for r in others
                    if r["date.date"] is not None and lo <= r["date.date"] <= hi
                    and all(r[SALES_LEVELS[levels[i]]] == by_level[i] for i in s
                            if levels[i] not in DATE_PERIODS)
                    and (kept is None or cell(r, by_level[finest], True) in kept)]))
            out[full] = tuple(values)
    return out
