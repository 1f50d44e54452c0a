"""Canary for Great Expectations 1.24: it reads our suite files and renders our results.

GX is not on the load's path (its import alone costs seconds); these tests keep the two
promises that depend on it: the suite files are GX's format, and `crmwh docs --quality`
renders stored results with GX's own build_data_docs().
"""

from __future__ import annotations

import json
import re

from warehouse.config import Home
from warehouse.quality.evaluate import ExpectationResult
from warehouse.quality.gx_docs import _register_project_types, build
from warehouse.quality.suite import EXPECTATIONS_DIR


def test_gx_reads_every_committed_suite():
    import great_expectations as gx

    gx.get_context(mode="ephemeral")
    _register_project_types()
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        suite = gx.ExpectationSuite(name=data["name"], expectations=[
            gx.expectations.expectation_configuration.ExpectationConfiguration(**e).to_domain_obj()
            for e in data["expectations"]])
        assert len(suite.expectations) == len(data["expectations"]), path


def test_build_data_docs_renders_stored_results(tmp_path):
    home = Home(tmp_path)
    results = [
        ExpectationResult("staging.order", "expect_column_values_to_be_in_set(status)",
                          "expect_column_values_to_be_in_set", "status", "warning", "quarantine",
                          False, 10, 2, "2 of 10 rows unexpected", ["lost", "weird"], 2,
                          {"column": "status", "value_set": ["open", "paid"]}),
        ExpectationResult("core.fact_sales_line", "expect_table_row_count_change_to_be_between",
                          "expect_table_row_count_change_to_be_between", None, "blocking",
                          "report", True, observed="1.0500",
                          kwargs={"min_ratio": 0.9, "max_ratio": 10}),
    ]
    index = build(home, "L20250310", results)
    assert index.exists()
    [page] = list((index.parent / "validations" / "staging__order").rglob("*.html"))
    text = re.sub(r"<[^>]+>", " ", page.read_text())
    assert "L20250310" in text and "status" in text and "weird" in text
    assert list((index.parent / "validations" / "core__fact_sales_line").rglob("*.html"))
