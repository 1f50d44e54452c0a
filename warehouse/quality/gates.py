"""The two gates of a load, called from warehouse/load.py's build.

Staging gates run right after extraction, before core is built: row-level failures marked
`on_fail: quarantine` move their rows to quarantine.<entity> (and the batch counts move from
loaded to quarantined, so read = loaded + merged + quarantined still holds); anything blocking
that fails stops the load. Core gates run after core is built, on the rows this load wrote;
a blocking failure stops publishing and the served snapshot stays as it was.
"""

from __future__ import annotations

from datetime import date

import duckdb

from warehouse.config import Home
from warehouse.contracts.files import FileSource
from warehouse.contracts.model import Model
from warehouse.contracts.sources import Source
from warehouse.contracts.staging import Entity
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit
from warehouse.duck import table_exists
from warehouse.errors import ContractError, LoadError
from warehouse.extract.run import BatchRecord
from warehouse.quality import release, report, results, retype
from warehouse.quality.evaluate import ExpectationResult, Target, evaluate
from warehouse.quality.quarantine import move_rows
from warehouse.quality.release import apply_releases
from warehouse.resolve.outputs import TABLES as RESOLUTION_TABLES

__all__ = ["begin", "run_core_gates", "run_staging_gates"]
from warehouse.quality.sql import Params
from warehouse.quality.suite import Suite, check_tables, load_suites
from warehouse.stage.schema import current_table


def _suites(model: Model, schema: str) -> list[Suite]:
    suites = load_suites()
    check_tables(suites, set(model.staging.entities))
    return [s for s in suites.values() if s.schema == schema]


def begin(con: duckdb.DuckDBPyConnection, home: Home, model: Model, load_id: str,
          sources: dict[str, Source | FileSource] | None = None) -> list[BatchRecord]:
    """At the start of a build: refuse invalid suites before anything is read, then re-stage
    the rows of pending release requests (one batch record per entity released); rows the
    typing step held back are re-typed by `sources`' contracts first."""
    _suites(model, "staging")
    return apply_releases(con, home, model.staging, load_id, sources)


def _staging_target(entity: str, keys: tuple[str, ...], load_id: str) -> Target:
    table = current_table(entity)
    return Target(scope=f"SELECT * FROM {table} WHERE _batch_id = {lit(load_id)} AND NOT _deleted",
                  universe=f"(SELECT * FROM {table} WHERE NOT _deleted)", keys=keys,
                  entity=entity)


def _move_counts(con: duckdb.DuckDBPyConnection, load_id: str, batches: list[BatchRecord],
                 moved: dict[tuple[str, str], int]) -> None:
    """Rows a gate quarantined were counted as loaded: count them as quarantined instead."""
    for (source, table), n in moved.items():
        con.execute("UPDATE meta.batches SET rows_loaded = rows_loaded - ?, rows_quarantined = "
                    "rows_quarantined + ? WHERE load_id = ? AND source = ? AND source_table = ?",
                    [n, n, load_id, source, table])
        for b in batches:
            if (b.source, b.table) == (source, table):
                b.counts.rows_loaded -= n
                b.counts.rows_quarantined += n


def _blocking(found: list[ExpectationResult]) -> str | None:
    failed = [r for r in found if r.blocks]
    if not failed:
        return None
    lines = []
    for r in failed:
        sample = f" (e.g. {', '.join(r.sample[:3])})" if r.sample else ""
        lines.append(f"{r.suite} {r.expectation} [column {r.column or '-'}]: {r.observed}{sample}")
    return "\n  ".join(lines)


def _finish(con, home: Home, load_id: str, found: list[ExpectationResult], stage: str) -> None:
    results.store(con, load_id, found)
    problem = _blocking(found)
    everything = results.read(con, load_id)
    outcome = (f"stopped by blocking {stage} expectations: nothing published" if problem
               else f"{stage} gates passed")
    report.write_report(home, load_id, everything, outcome)
    if problem:
        raise LoadError(f"blocking {stage} expectations failed, nothing published "
                        f"(report: {report.report_dir(home, load_id) / 'index.html'}):\n  {problem}")


def run_staging_gates(con: duckdb.DuckDBPyConnection, home: Home, model: Model, load_id: str,
                      business_date: date, batches: list[BatchRecord],
                      accepted_changes: frozenset[str] = frozenset()
                      ) -> list[ExpectationResult]:
    """Evaluate the staging suites on this load's rows; quarantine the failing ones.
    `accepted_changes`: batch row-count changes the operator accepted for this load."""
    retype.assign_ids(con)   # this load's typing-step rows get their release ids
    params = Params(business_date, load_id, accepted_changes)
    found: list[ExpectationResult] = []
    for suite in _suites(model, "staging"):
        got, moved = gate_entity(con, suite, model.staging.entities[suite.table], load_id, params)
        _move_counts(con, load_id, batches, moved)
        found += got
    _finish(con, home, load_id, found, "staging")
    return found


def gate_entity(con: duckdb.DuckDBPyConnection, suite: Suite, entity: Entity, load_id: str,
                params: Params) -> tuple[list[ExpectationResult], dict[tuple[str, str], int]]:
    """One staging suite on this load's rows of its entity: the results, and the rows moved
    to quarantine per (source, table) batch."""
    got = evaluate(con, suite, _staging_target(suite.table, entity.key, load_id), params)
    failing = {r.expectation: (r.column, r.severity) for r in got
               if r.on_fail == "quarantine" and r.unexpected_count}
    released = release.released_keys_table(con, suite.table)
    moved = move_rows(con, name=suite.table, entity=entity, load_id=load_id,
                      failing=failing, released=released)
    for r in got:
        if r.expectation in failing:
            r.quarantined = r.unexpected_count or 0
    return got, moved


def _core_target(con, model: Model, table: str, load_id: str) -> Target:
    cols = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'core' AND table_name = ?",
        [table]).fetchall()}
    if not cols:
        raise LoadError(f"core table {table!r} does not exist")
    name = f"core.{q(table)}"
    scope = f"SELECT * FROM {name}" + (f" WHERE _load_id = {lit(load_id)}"
                                       if "_load_id" in cols else "")
    keys: tuple[str, ...] = ()
    if table in model.facts:
        keys = model.facts[table].key
    elif table in model.dimensions:
        keys = (model.dimensions[table].surrogate_key,)
    row = con.execute("SELECT rows_before, rows_after FROM meta.table_changes WHERE load_id = ? "
                      "AND table_name = ?", [load_id, f"core.{table}"]).fetchone()
    before, after = row if row else (None, None)
    earlier = con.execute("SELECT count(*) FROM meta.loads WHERE load_id <> ? AND status = "
                          "'published'", [load_id]).fetchone()[0]
    if not earlier:   # the first load: dimensions hold only their unknown member before it
        before = None
    return Target(scope=scope, universe=name, keys=keys, rows_before=before, rows_after=after)


def run_core_gates(con: duckdb.DuckDBPyConnection, home: Home, model: Model, load_id: str,
                   business_date: date) -> list[ExpectationResult]:
    """Evaluate the core suites on the rows this load wrote; blocking failures stop publishing."""
    params = Params(business_date, load_id)
    found: list[ExpectationResult] = []
    for suite in _suites(model, "core"):
        if suite.table in RESOLUTION_TABLES and not table_exists(con, "core", suite.table):
            continue          # identity resolution has not run yet: nothing to check
        try:
            target = _core_target(con, model, suite.table, load_id)
        except LoadError as exc:
            raise ContractError(f"{suite.path}: {exc}") from None
        found += evaluate(con, suite, target, params)
    _finish(con, home, load_id, found, "core")
    return found
