"""Suite files: the committed ones load; a bad one is refused naming file, expectation, problem."""

from __future__ import annotations

import json

import pytest

from warehouse.config import MODEL_DIR
from warehouse.contracts.model import load_model
from warehouse.errors import ContractError
from warehouse.quality.scaffold import scaffold
from warehouse.quality.suite import EXPECTATIONS_DIR, check_tables, load_suite, load_suites


def test_committed_suites_cover_every_staged_and_core_table():
    from warehouse.resolve.outputs import TABLES as RESOLUTION_TABLES

    model = load_model(MODEL_DIR)
    suites = load_suites(EXPECTATIONS_DIR)
    check_tables(suites, set(model.staging.entities))
    expected = {f"staging.{e}" for e in model.staging.entities}
    expected |= {f"core.{t}" for t in (*model.dimensions, *model.facts, *RESOLUTION_TABLES)}
    assert expected <= set(suites)
    for suite in suites.values():
        assert all(e.severity in {"blocking", "warning"} for e in suite.expectations)
        raw = json.loads(suite.path.read_text())["expectations"]
        assert all("on_fail" in r["meta"] for r, e in zip(raw, suite.expectations, strict=True)
                   if e.row_level), suite.path    # declared, not left to the default


def test_scaffold_writes_loadable_suites_and_keeps_hand_edits(tmp_path):
    model = load_model(MODEL_DIR)
    written = scaffold(model, tmp_path)
    assert len(written) == len(model.staging.entities) + len(model.dimensions) + len(model.facts)
    edited = tmp_path / "staging.order.json"
    edited.write_text(edited.read_text().replace('"warning"', '"blocking"'))
    assert scaffold(model, tmp_path) == []          # nothing overwritten
    assert '"warning"' not in edited.read_text()
    assert load_suites(tmp_path)["staging.order"].expectations


def write(tmp_path, expectations, name="staging.order"):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"name": name, "expectations": expectations}))
    return path


BAD = [
    ([{"type": "expect_column_values_to_be_blue", "kwargs": {"column": "status"},
       "meta": {"severity": "blocking"}}],
     "expectations[0] expect_column_values_to_be_blue(status): unsupported expectation type"),
    ([{"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "status"},
       "meta": {"severity": "blocking"}}],
     "expectations[0] expect_column_values_to_be_in_set(status): "
     "expect_column_values_to_be_in_set needs kwargs value_set"),
    ([{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x", "colour": 1},
       "meta": {"severity": "warning"}}],
     "does not take kwargs colour"),
    ([{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"},
       "meta": {"severity": "fatal"}}],
     "expectations[0].meta.severity"),
    ([{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}, "meta": {}}],
     "expectations[0].meta.severity: Field required"),
    ([{"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1},
       "meta": {"severity": "warning", "on_fail": "quarantine"}}],
     "on_fail quarantine needs a row-level expectation"),
    ([{"type": "expect_column_values_to_be_between",
       "kwargs": {"column": "x", "max_value": {"$PARAMETER": "tomorrow"}},
       "meta": {"severity": "warning"}}],
     "with name one of business_date, business_end, load_id"),
    ([{"type": "unexpected_rows_expectation", "kwargs": {"unexpected_rows_query": "SELECT 1"},
       "meta": {"severity": "warning"}}],
     "must read the rows under test as {batch}"),
    ([{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"},
       "meta": {"severity": "warning"}}] * 2,
     "expectations[1] expect_column_values_to_not_be_null(x): duplicate name (also expectations[0])"),
]


@pytest.mark.parametrize(("expectations", "message"), BAD)
def test_invalid_suite_names_file_expectation_and_problem(tmp_path, expectations, message):
    path = write(tmp_path, expectations)
    with pytest.raises(ContractError) as err:
        load_suite(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_suite_name_must_match_file_and_a_known_table(tmp_path):
    path = tmp_path / "staging.order.json"
    path.write_text(json.dumps({"name": "staging.orders", "expectations": []}))
    with pytest.raises(ContractError, match=r"must be in staging\.orders\.json"):
        load_suite(path)
    write(tmp_path, [], name="staging.orders")
    path.unlink()
    with pytest.raises(ContractError, match=r"staging\.orders\.json: name 'staging\.orders': no "
                                            r"staging entity 'orders'"):
        check_tables(load_suites(tmp_path), {"order", "customer"})
    bad_json = tmp_path / "core.fact_x.json"
    bad_json.write_text("{ nope")
    with pytest.raises(ContractError, match=r"core.fact_x.json: not valid JSON: line 1"):
        load_suite(bad_json)


def test_core_suites_cannot_quarantine(tmp_path):
    path = write(tmp_path, [{"type": "expect_column_values_to_not_be_null",
                             "kwargs": {"column": "x"},
                             "meta": {"severity": "warning", "on_fail": "quarantine"}}],
                 name="core.fact_sales_line")
    with pytest.raises(ContractError, match="on_fail quarantine is for staging suites"):
        load_suite(path)
