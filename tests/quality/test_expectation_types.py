"""Each supported expectation type fails on the fault it exists for and passes otherwise.

Every case builds a small DuckDB table by hand: good rows only must pass; adding the one bad
row must fail with exactly that row unexpected (and its value in the sample).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from warehouse.quality.evaluate import HITS, Target, evaluate
from warehouse.quality.sql import Params
from warehouse.quality.suite import parse_suite

DDL = ("CREATE TABLE t (id INTEGER, status VARCHAR, amount DECIMAL(12,2), email VARCHAR, "
       "started DATE, ended DATE, ts TIMESTAMP, code VARCHAR)")
GOOD = [
    "(1, 'open', 10.00, 'a@example.com', '2025-01-01', '2025-01-31', '2025-03-10 08:00', 'A')",
    "(2, 'paid', 0.00, NULL, '2025-02-01', '2025-02-01', '2025-03-10 23:59:59', 'B')",
]
PARAMS = Params(date(2025, 3, 10), "L20250310")

# (expectation type, kwargs, the bad row, the offending value shown)
CASES = [
    ("expect_column_values_to_not_be_null", {"column": "status"},
     "(9, NULL, 1, NULL, NULL, NULL, NULL, 'Z')", "NULL"),
    ("expect_column_values_to_be_in_set", {"column": "status", "value_set": ["open", "paid"]},
     "(9, 'lost', 1, NULL, NULL, NULL, NULL, 'Z')", "lost"),
    ("expect_column_values_to_not_be_in_set", {"column": "code", "value_set": ["X"]},
     "(9, 'open', 1, NULL, NULL, NULL, NULL, 'X')", "X"),
    ("expect_column_values_to_be_between", {"column": "amount", "min_value": 0},
     "(9, 'open', -0.01, NULL, NULL, NULL, NULL, 'Z')", "-0.01"),
    ("expect_column_values_to_be_between", {"column": "amount", "min_value": 0, "max_value": 10.01,
                                            "strict_max": True},
     "(9, 'open', 10.01, NULL, NULL, NULL, NULL, 'Z')", "10.01"),
    ("expect_column_values_to_be_between",
     {"column": "ts", "max_value": {"$PARAMETER": "business_end"}},
     "(9, 'open', 1, NULL, NULL, NULL, '2025-03-11 00:00:00', 'Z')", "2025-03-11 00:00:00"),
    ("expect_column_values_to_be_between",
     {"column": "started", "min_value": "2000-01-01", "max_value": {"$PARAMETER": "business_date"}},
     "(9, 'open', 1, NULL, '2025-03-11', NULL, NULL, 'Z')", "2025-03-11"),
    ("expect_column_value_lengths_to_be_between", {"column": "code", "min_value": 1, "max_value": 1},
     "(9, 'open', 1, NULL, NULL, NULL, NULL, 'ZZ')", "ZZ"),
    ("expect_column_values_to_match_regex",
     {"column": "email", "regex": r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$"},
     "(9, 'open', 1, 'A@Example.com ', NULL, NULL, NULL, 'Z')", "A@Example.com "),
    ("expect_column_values_to_not_match_regex", {"column": "code", "regex": "[;']"},
     "(9, 'open', 1, NULL, NULL, NULL, NULL, 'x''; DROP')", "x'; DROP"),
    ("expect_column_values_to_be_unique", {"column": "code"},
     "(9, 'open', 1, NULL, NULL, NULL, NULL, 'A')", "A"),
    ("expect_compound_columns_to_be_unique", {"column_list": ["status", "code"]},
     "(9, 'paid', 1, NULL, NULL, NULL, NULL, 'B')", "paid|B"),
    ("expect_column_pair_values_a_to_be_greater_than_b",
     {"column_A": "ended", "column_B": "started", "or_equal": True},
     "(9, 'open', 1, NULL, '2025-05-02', '2025-05-01', NULL, 'Z')", "2025-05-01 vs 2025-05-02"),
    ("unexpected_rows_expectation",
     {"unexpected_rows_query": "SELECT * FROM {batch} WHERE status = 'open' AND amount = 1"},
     "(9, 'open', 1, NULL, NULL, NULL, NULL, 'Z')", "9"),
]


def run(rows: list[str], type_: str, kwargs: dict):
    con = duckdb.connect()
    con.execute(DDL)
    con.execute("INSERT INTO t VALUES " + ", ".join(rows))
    suite = parse_suite(Path("staging.t.json"), {"name": "staging.t", "expectations": [
        {"type": type_, "kwargs": kwargs, "meta": {"severity": "blocking"}}]})
    [result] = evaluate(con, suite, Target("SELECT * FROM t", "t", ("id",)), PARAMS)
    ids = sorted(r[0] for r in con.execute(f"SELECT id FROM {HITS}").fetchall())
    return result, ids


@pytest.mark.parametrize(("type_", "kwargs", "bad", "value"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_type_catches_its_fault_and_passes_clean_rows(type_, kwargs, bad, value):
    clean, _ = run(GOOD, type_, kwargs)
    assert clean.success and clean.unexpected_count == 0 and clean.element_count == 2
    dirty, ids = run([*GOOD, bad], type_, kwargs)
    assert not dirty.success and dirty.blocks
    assert 9 in ids
    assert dirty.unexpected_count == len(ids) >= 1
    if value is not None:
        assert value in dirty.sample


def test_mostly_tolerates_a_share_of_bad_rows():
    rows = [*GOOD, "(9, 'lost', 1, NULL, NULL, NULL, NULL, 'Z')"]
    kwargs = {"column": "status", "value_set": ["open", "paid"]}
    strict, _ = run(rows, "expect_column_values_to_be_in_set", kwargs)
    lenient, _ = run(rows, "expect_column_values_to_be_in_set", {**kwargs, "mostly": 0.6})
    assert not strict.success and lenient.success and lenient.unexpected_count == 1


def table_result(type_: str, kwargs: dict, n_rows: int, before: int | None = None):
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS id, 2.5 AS amount FROM range(?)", [n_rows])
    suite = parse_suite(Path("core.t.json"), {"name": "core.t", "expectations": [
        {"type": type_, "kwargs": kwargs, "meta": {"severity": "warning"}}]})
    target = Target("SELECT * FROM t", "t", ("id",), rows_before=before, rows_after=n_rows)
    [result] = evaluate(con, suite, target, PARAMS)
    return result


def test_table_level_types():
    count = "expect_table_row_count_to_be_between"
    assert table_result(count, {"min_value": 1, "max_value": 10}, 10).success
    assert not table_result(count, {"min_value": 1, "max_value": 10}, 11).success
    assert not table_result(count, {"min_value": 1}, 0).success
    total = "expect_column_sum_to_be_between"
    assert table_result(total, {"column": "amount", "min_value": 10, "max_value": 10}, 4).success
    assert not table_result(total, {"column": "amount", "max_value": 9.99}, 4).success
    change = "expect_table_row_count_change_to_be_between"
    bounds = {"min_ratio": 0.9, "max_ratio": 2}
    assert table_result(change, bounds, 95, before=100).success
    assert not table_result(change, bounds, 89, before=100).success
    assert not table_result(change, bounds, 201, before=100).success
    first = table_result(change, bounds, 5000, before=None)
    assert first.success and "nothing to compare" in first.observed


def test_an_unknown_column_names_file_and_expectation():
    from warehouse.errors import ContractError

    with pytest.raises(ContractError, match=r"staging.t.json: expectations\[0\] "
                                            r"expect_column_values_to_not_be_null\(nope\): "
                                            "table staging.t has no column nope"):
        run(GOOD, "expect_column_values_to_not_be_null", {"column": "nope"})


def test_uniqueness_counts_the_live_table_beyond_the_rows_under_test():
    """A row of this load that repeats a key loaded earlier fails, though the load's own rows
    are unique; a row whose key occurs once in the live table passes."""
    con = duckdb.connect()
    con.execute(DDL)
    con.execute("INSERT INTO t VALUES " + ", ".join(
        [*GOOD, "(9, 'open', 1, NULL, NULL, NULL, NULL, 'A')"]))
    suite = parse_suite(Path("staging.t.json"), {"name": "staging.t", "expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "code"},
         "meta": {"severity": "blocking"}}]})
    [repeated] = evaluate(con, suite, Target("SELECT * FROM t WHERE id = 9", "t", ("id",)),
                          PARAMS)
    assert not repeated.success and repeated.element_count == 1 and "A" in repeated.sample
    [single] = evaluate(con, suite, Target("SELECT * FROM t WHERE id = 2", "t", ("id",)), PARAMS)
    assert single.success
