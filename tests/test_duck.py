"""warehouse.duck.transaction: commits, rolls back, and does not pretend to nest."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.duck import transaction


def test_a_transaction_commits_or_rolls_back_as_a_whole() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER)")
    with transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(ValueError), transaction(con):
        con.execute("INSERT INTO t VALUES (2)")
        raise ValueError("the caller failed half-way")
    assert con.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_a_nested_transaction_is_refused_not_joined() -> None:
    """DuckDB aborts the outer transaction when a nested BEGIN fails, so swallowing that
    error (as this helper once did) would only move the failure to the next statement."""
    con = duckdb.connect()
    con.execute("BEGIN TRANSACTION")
    with pytest.raises(duckdb.TransactionException, match="within a transaction"), \
            transaction(con):
        pass
    with pytest.raises(duckdb.TransactionException, match="aborted"):
        con.execute("SELECT 1")
