"""Evaluate one suite against one table: a result per expectation, and the failing rows.

Row-level expectations run in one scan of the rows under test (the `scope`: this load's rows)
that records every (row key, expectation, offending value) in the temp table `_gate_hits`;
uniqueness and query expectations look at the live table (the `universe`) as GX would.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import duckdb

from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit
from warehouse.errors import ContractError
from warehouse.quality import batch_change, sql
from warehouse.quality.suite import Expectation, Suite

HITS = "_gate_hits"
SAMPLE_SIZE = 5


@dataclass
class ExpectationResult:
    suite: str
    expectation: str
    type: str
    column: str | None
    severity: str
    on_fail: str
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    observed: str | None = None
    sample: list[str] = field(default_factory=list)
    quarantined: int = 0
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def unexpected_percent(self) -> float | None:
        if self.unexpected_count is None or not self.element_count:
            return None
        return round(100.0 * self.unexpected_count / self.element_count, 4)

    @property
    def blocks(self) -> bool:
        return self.severity == "blocking" and not self.success


@dataclass(frozen=True)
class Target:
    """What a suite runs on: the rows under test, the live table, its key, the table counts."""

    scope: str
    universe: str
    keys: tuple[str, ...]
    rows_before: int | None = None
    rows_after: int | None = None
    entity: str | None = None     # the staging entity (its batches are in meta.batches)


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    return {d[0] for d in con.execute(f"SELECT * FROM {relation} LIMIT 0").description}


def _check_columns(con: duckdb.DuckDBPyConnection, suite: Suite, target: Target) -> None:
    present = _columns(con, target.universe)
    for e in suite.expectations:
        missing = [c for c in e.columns() if c not in present]
        if missing:
            raise ContractError(f"{suite.where(e)}: table {suite.name} has no column "
                                f"{', '.join(missing)}")


def _few(con, target: Target, row_level: list[Expectation], element_count: int) -> bool:
    """Whether the rows under test are under half of a live table some check reads whole."""
    return (any(e.type in sql.LIVE_TABLE_CHECKS for e in row_level) and element_count * 2 <
            con.execute(f"SELECT count(*) FROM {target.universe}").fetchone()[0])


def _row_predicates(con, suite: Suite, target: Target, params: sql.Params,
                    row_level: list[Expectation], few: bool) -> None:
    """One scan: every failing (row, expectation) pair of the predicate types into HITS."""
    rows = sql.Rows(target.universe, target.scope, few=few)
    checks = [(e, sql.ROW_CHECKS[e.type](e, params, rows))
              for e in row_level if e.type in sql.ROW_CHECKS]
    if not checks:
        return
    keys = "".join(f"r.{q(k)}, " for k in target.keys)
    structs = ", ".join(
        f"CASE WHEN {c.unexpected} THEN struct_pack(_exp := {lit(e.name)}, _value := {c.value}) END"
        for e, c in checks)
    any_bad = " OR ".join(f"({c.unexpected})" for _, c in checks)
    key_out = "".join(f"{q(k)}, " for k in target.keys)
    con.execute(
        f"INSERT INTO {HITS} SELECT {key_out}h._exp, h._value FROM (SELECT {keys}"
        f"unnest(list_filter([{structs}], x -> x IS NOT NULL)) AS h "
        f"FROM ({target.scope}) r WHERE {any_bad})")


def _query_hits(con, suite: Suite, target: Target, e: Expectation) -> None:
    query = sql.batch_query(e, target.scope)
    try:
        cols = _columns(con, f"({query})")
    except duckdb.Error as exc:
        raise ContractError(f"{suite.where(e)}: unexpected_rows_query fails: "
                            f"{str(exc).splitlines()[0]}") from exc
    has_keys = bool(target.keys) and all(k in cols for k in target.keys)
    if e.on_fail == "quarantine" and not has_keys:
        raise ContractError(f"{suite.where(e)}: to quarantine rows the query must return the "
                            f"key columns {', '.join(target.keys)}")
    key_out = "".join((f"{q(k)}, " if has_keys else f"NULL AS {q(k)}, ") for k in target.keys)
    # The sample of a row query is the failing rows' keys (it has no single offending column).
    value = (" || '|' || ".join(f"CAST({q(k)} AS VARCHAR)" for k in target.keys)
             if has_keys else "NULL")
    con.execute(f"INSERT INTO {HITS} SELECT {key_out}{lit(e.name)}, {value} FROM ({query})")


def _table_value(con, e: Expectation, target: Target) -> Any:
    if e.type == "expect_table_row_count_to_be_between":
        return con.execute(f"SELECT count(*) FROM {target.universe}").fetchone()[0]
    if e.type == "expect_column_sum_to_be_between":
        return con.execute(f"SELECT sum({q(e.kwargs['column'])}) FROM ({target.scope})").fetchone()[0]
    # expect_table_row_count_change_to_be_between
    if not target.rows_before:
        return None
    return Decimal(target.rows_after or 0) / Decimal(target.rows_before)


def _batch_change(con, e: Expectation, target: Target, params: sql.Params) -> tuple[bool, str]:
    """Each of this load's batches of the entity against its source table's previous batch."""
    if target.entity is None:   # refused on load for core suites; a caller's mistake
        raise ContractError(f"{e.type} needs a staging entity to find its batches")
    found = batch_change.changes(con, target.entity, params.load_id,
                                 bool(e.kwargs.get("include_incremental", False)))
    outside = [c for c in found
               if c.ratio is not None and not sql.in_bounds(c.ratio, e, params, con)]
    failing = [c for c in outside if c.unit not in params.accepted_changes]
    accepted = [c for c in outside if c.unit in params.accepted_changes]
    return not failing, batch_change.summary(found, failing, e.kwargs, accepted,
                                             params.business_date)


def evaluate(con: duckdb.DuckDBPyConnection, suite: Suite, target: Target,
             params: sql.Params) -> list[ExpectationResult]:
    """Run every expectation of `suite`; failing rows are left in the temp table HITS."""
    _check_columns(con, suite, target)
    key_cols = "".join(f"{q(k)}, " for k in target.keys)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {HITS} AS SELECT {key_cols}"
                f"CAST(NULL AS VARCHAR) AS _exp, CAST(NULL AS VARCHAR) AS _value "
                f"FROM ({target.scope}) LIMIT 0")
    row_level = [e for e in suite.expectations if e.row_level]
    element_count = con.execute(f"SELECT count(*) FROM ({target.scope})").fetchone()[0]
    few = _few(con, target, row_level, element_count)
    if few:  # a table of known size: the planner then probes the live table with it
        con.execute(f"CREATE OR REPLACE TEMP TABLE _gate_scope AS {target.scope}")
        target = replace(target, scope="SELECT * FROM _gate_scope")
    try:
        _row_predicates(con, suite, target, params, row_level, few)
    except duckdb.Error as exc:
        raise ContractError(f"{suite.path}: evaluating the row expectations failed: "
                            f"{str(exc).splitlines()[0]}") from exc
    for e in row_level:
        if e.type == "unexpected_rows_expectation":
            _query_hits(con, suite, target, e)
    stats = {name: (n, sample) for name, n, sample in con.execute(
        f"SELECT _exp, count(*), list_sort(list_filter(array_agg(DISTINCT _value), "
        f"x -> x IS NOT NULL))[1:{SAMPLE_SIZE}] FROM {HITS} GROUP BY _exp").fetchall()}
    results = []
    for e in suite.expectations:
        r = ExpectationResult(suite.name, e.name, e.type, e.column, e.severity, e.on_fail,
                              success=True, kwargs=e.kwargs)
        if e.row_level:
            n, sample = stats.get(e.name, (0, []))
            r.element_count, r.unexpected_count, r.sample = element_count, n, list(sample)
            mostly = e.kwargs.get("mostly", 1) if e.type != "unexpected_rows_expectation" else 1
            r.success = n == 0 or (element_count > 0 and n / element_count <= 1 - mostly + 1e-12)
            r.observed = f"{n} of {element_count} rows unexpected"
        elif e.type == batch_change.TYPE:
            r.success, r.observed = _batch_change(con, e, target, params)
        else:
            value = _table_value(con, e, target)
            if e.type == "expect_table_row_count_change_to_be_between" and value is None:
                r.observed = "no rows before this load: nothing to compare"
            else:
                r.success = sql.in_bounds(value, e, params, con)
                r.observed = str(value if not isinstance(value, Decimal) else round(value, 4))
        results.append(r)
    if few:
        con.execute("DROP TABLE _gate_scope")
    return results
