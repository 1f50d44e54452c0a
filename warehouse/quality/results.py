"""Expectation results of a load, stored in its snapshot (meta.expectation_results).

Stored in the snapshot they describe, so a published snapshot carries its own quality record
(read by `crmwh status`, the Dagster asset checks and the data docs); a failed load's results
are in its HTML report only, since its build is thrown away.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from warehouse.duck import table_exists
from warehouse.quality.evaluate import ExpectationResult

DDL = """
CREATE TABLE IF NOT EXISTS meta.expectation_results (
    load_id VARCHAR NOT NULL, suite VARCHAR NOT NULL, expectation VARCHAR NOT NULL,
    expectation_type VARCHAR NOT NULL, column_name VARCHAR, severity VARCHAR NOT NULL,
    on_fail VARCHAR NOT NULL, success BOOLEAN NOT NULL, element_count BIGINT,
    unexpected_count BIGINT, unexpected_percent DOUBLE, quarantined BIGINT NOT NULL,
    observed VARCHAR, sample VARCHAR[], kwargs JSON, evaluated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (load_id, suite, expectation))
"""

COLUMNS = ("suite", "expectation", "expectation_type", "column_name", "severity", "on_fail",
           "success", "element_count", "unexpected_count", "unexpected_percent", "quarantined",
           "observed", "sample", "kwargs")


def store(con: duckdb.DuckDBPyConnection, load_id: str, results: list[ExpectationResult]) -> None:
    """One statement for all rows (row-by-row inserts cost ~40 ms each on a build file)."""
    con.execute(DDL)
    if not results:
        return
    con.execute("DELETE FROM meta.expectation_results WHERE load_id = ? AND suite IN "
                "(SELECT unnest(?))", [load_id, sorted({r.suite for r in results})])
    row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::JSON, now())"
    params = []
    for r in results:
        params += [load_id, r.suite, r.expectation, r.type, r.column, r.severity, r.on_fail,
                   r.success, r.element_count, r.unexpected_count, r.unexpected_percent,
                   r.quarantined, r.observed, r.sample, json.dumps(r.kwargs, default=str)]
    con.execute("INSERT INTO meta.expectation_results VALUES "
                + ", ".join([row] * len(results)), params)


def has_results(con: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(con, "meta", "expectation_results")


def read(con: duckdb.DuckDBPyConnection, load_id: str) -> list[ExpectationResult]:
    """The stored results of one load, in suite then declaration order."""
    if not has_results(con):
        return []
    rows = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM meta.expectation_results WHERE load_id = ? "
        "ORDER BY suite, evaluated_at, rowid", [load_id]).fetchall()
    out = []
    for (suite, name, type_, col, sev, on_fail, ok, n, bad, _pct, quarantined, observed,
         sample, kwargs) in rows:
        out.append(ExpectationResult(suite, name, type_, col, sev, on_fail, ok, n, bad, observed,
                                     list(sample or []), quarantined, json.loads(kwargs or "{}")))
    return out


def read_snapshot(path: Path, load_id: str | None = None) -> tuple[str | None, list[ExpectationResult]]:
    """Results stored in a published snapshot file (its latest load unless `load_id`)."""
    from warehouse import duck

    con = duck.connect(path, read_only=True)
    try:
        if load_id is None:
            row = con.execute("SELECT load_id FROM meta.loads ORDER BY business_date DESC "
                              "LIMIT 1").fetchone()
            load_id = row[0] if row else None
        return load_id, read(con, load_id) if load_id else []
    finally:
        con.close()
