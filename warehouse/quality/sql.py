"""Expectation types as DuckDB SQL: one builder per type, chosen from a dispatch table.

Row-level types become a predicate that is true for an unexpected row (nulls are ignored, as
GX's column-map expectations ignore them), plus the offending value as text; table-level types
become a query returning the observed value. Identifiers are always quoted, values rendered as
literals; `$PARAMETER` values (business_date, business_end, load_id) are filled in per load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit
from warehouse.quality.suite import Expectation


@dataclass(frozen=True)
class Params:
    business_date: date
    load_id: str
    # Batch row-count changes the operator accepted for this load, by "source.table" (or
    # "source.family"): expect_batch_row_count_change_to_be_between lets them pass.
    accepted_changes: frozenset[str] = frozenset()

    def literal(self, name: str) -> str:
        if name == "business_date":
            return f"DATE '{self.business_date.isoformat()}'"
        if name == "business_end":   # the last instant of the business date (max is inclusive)
            end = datetime.combine(self.business_date, datetime.max.time())
            return f"TIMESTAMP '{end.isoformat(sep=' ')}'"
        return lit(self.load_id)


def value_sql(value: Any, params: Params) -> str:
    """A kwarg value as a DuckDB literal (strings are cast implicitly to the column's type)."""
    if isinstance(value, dict):
        return params.literal(value["$PARAMETER"])
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return lit(str(value))


@dataclass(frozen=True)
class Rows:
    """The rows under test (`scope`, a SELECT) and the live table they belong to (`universe`);
    `few`: the rows under test are a small part of it (an incremental load)."""

    universe: str
    scope: str
    few: bool = False


@dataclass(frozen=True)
class RowCheck:
    """`unexpected`: SQL true for a failing row of alias r; `value`: the offending value."""

    unexpected: str
    value: str


def _col(e: Expectation) -> str:
    return f"r.{q(e.kwargs['column'])}"


def _text(expr: str) -> str:
    return f"CAST({expr} AS VARCHAR)"


def _not_null(e: Expectation, p: Params, rows: Rows) -> RowCheck:
    return RowCheck(f"{_col(e)} IS NULL", "'NULL'")


def _in_set(e: Expectation, p: Params, rows: Rows) -> RowCheck:
    values = ", ".join(value_sql(v, p) for v in e.kwargs["value_set"])
    return RowCheck(f"{_col(e)} IS NOT NULL AND {_col(e)} NOT IN ({values})", _text(_col(e)))


def _not_in_set(e: Expectation, p: Params, rows: Rows) -> RowCheck:
    values = ", ".join(value_sql(v, p) for v in e.kwargs["value_set"])
    return RowCheck(f"{_col(e)} IN ({values})", _text(_col(e)))


def _bounds(expr: str, e: Expectation, p: Params) -> str:
    kw, parts = e.kwargs, []
    if kw.get("min_value") is not None:
        parts.append(f"{expr} {'<=' if kw.get('strict_min') else '<'} {value_sql(kw['min_value'], p)}")
    if kw.get("max_value") is not None:
        parts.append(f"{expr} {'>=' if kw.get('strict_max') else '>'} {value_sql(kw['max_value'], p)}")
    return " OR ".join(parts) or "false"


def _between(e: Expectation, p: Params, rows: Rows) -> RowCheck:
    return RowCheck(f"{_col(e)} IS NOT NULL AND ({_bounds(_col(e), e, p)})", _text(_col(e)))


def _lengths(e: Expectation, p: Params, rows: Rows) -> RowCheck:
    length = f"length({_col(e)})"
    return RowCheck(f"{_col(e)} IS NOT NULL AND ({_bounds(length, e, p)})", _text(_col(e)))


def _regex(e: Expectation, p: Params, rows: Rows) -> RowCheck:
    # GX's match_regex is a search (re.search); anchor the pattern for a full match.
    found = f"regexp_matches({_text(_col(e))}, {lit(e.kwargs['regex'])})"
    return RowCheck(f"{_col(e)} IS NOT NULL AND NOT {found}", _text(_col(e)))


def _not_regex(e: Expectation, p: Params, rows: Rows) -> RowCheck:
    found = f"regexp_matches({_text(_col(e))}, {lit(e.kwargs['regex'])})"
    return RowCheck(f"{_col(e)} IS NOT NULL AND {found}", _text(_col(e)))


def _unique_over(cols: list[str], rows: Rows) -> RowCheck:
    """Rows whose values occur more than once in the universe (the whole live table). When the
    rows under test are few, only their values are counted: a probe of the live table, not a
    GROUP BY over all of it."""
    names = ", ".join(q(c) for c in cols)
    match = " AND ".join(f"d.{q(c)} = r.{q(c)}" for c in cols)
    tested = " AND ".join(f"u.{q(c)} = t.{q(c)}" for c in cols)
    probe = (f" SEMI JOIN (SELECT DISTINCT {names} FROM ({rows.scope})) t ON {tested}"
             if rows.few else "")
    dup = (f"(SELECT {', '.join(f'u.{q(c)}' for c in cols)} FROM {rows.universe} u{probe} "
           f"GROUP BY ALL HAVING count(*) > 1)")
    value = " || '|' || ".join(f"coalesce({_text('r.' + q(c))}, 'NULL')" for c in cols)
    return RowCheck(f"EXISTS (SELECT 1 FROM {dup} d WHERE {match})", value)


def _unique(e: Expectation, p: Params, rows: Rows) -> RowCheck:
    return _unique_over([e.kwargs["column"]], rows)


def _compound_unique(e: Expectation, p: Params, rows: Rows) -> RowCheck:
    return _unique_over(list(e.kwargs["column_list"]), rows)


def _pair_greater(e: Expectation, p: Params, rows: Rows) -> RowCheck:
    a, b = f"r.{q(e.kwargs['column_A'])}", f"r.{q(e.kwargs['column_B'])}"
    op = ">=" if e.kwargs.get("or_equal") else ">"
    return RowCheck(f"{a} IS NOT NULL AND {b} IS NOT NULL AND NOT ({a} {op} {b})",
                    f"{_text(a)} || ' vs ' || {_text(b)}")


ROW_CHECKS: dict[str, Callable[[Expectation, Params, Rows], RowCheck]] = {
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_not_be_in_set": _not_in_set,
    "expect_column_values_to_be_between": _between,
    "expect_column_value_lengths_to_be_between": _lengths,
    "expect_column_values_to_match_regex": _regex,
    "expect_column_values_to_not_match_regex": _not_regex,
    "expect_column_values_to_be_unique": _unique,
    "expect_compound_columns_to_be_unique": _compound_unique,
    "expect_column_pair_values_a_to_be_greater_than_b": _pair_greater,
}


# Row checks that read the live table beyond the rows under test.
LIVE_TABLE_CHECKS = {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}


def batch_query(e: Expectation, scope: str) -> str:
    """An unexpected_rows_expectation's query with {batch} bound to the rows under test."""
    return e.kwargs["unexpected_rows_query"].replace("{batch}", f"({scope})")


def in_bounds(observed: Any, e: Expectation, params: Params, con) -> bool:
    """Whether an observed table-level value lies within min/max (evaluated by DuckDB, so
    literals and parameters compare exactly as they would in SQL)."""
    if observed is None:
        return False
    kw = e.kwargs
    lo = kw.get("min_value", kw.get("min_ratio"))
    hi = kw.get("max_value", kw.get("max_ratio"))
    parts = []
    if lo is not None:
        parts.append(f"? >= {value_sql(lo, params)}")
    if hi is not None:
        parts.append(f"? <= {value_sql(hi, params)}")
    if not parts:
        return True
    args = [observed] * len(parts)
    return bool(con.execute(f"SELECT {' AND '.join(parts)}", args).fetchone()[0])
