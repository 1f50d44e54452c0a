"""Great Expectations Data Docs from the stored results (`crmwh docs --quality`).

The results are turned into GX's own ExpectationSuiteValidationResult objects, put into a
file-based GX project under docs/quality/gx and rendered by GX's build_data_docs(). Separate
from the load on purpose: importing GX alone takes 3 s (13 s on a busy machine), while the
HTML report the gates write themselves costs milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from warehouse.config import Home
from warehouse.quality.evaluate import ExpectationResult


def gx_name(suite: str) -> str:
    """GX stores results in folders split at dots: staging.order -> staging__order."""
    return suite.replace(".", "__")


def _result(r: ExpectationResult):
    from great_expectations.core import ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    meta = {"severity": r.severity, "on_fail": r.on_fail, "name": r.expectation,
            "quarantined": r.quarantined}
    config = ExpectationConfiguration(type=r.type, kwargs=r.kwargs, meta=meta)
    if r.unexpected_count is None:
        detail = {"observed_value": r.observed}
    else:
        detail = {"element_count": r.element_count, "unexpected_count": r.unexpected_count,
                  "unexpected_percent": r.unexpected_percent or 0.0, "missing_count": 0,
                  "partial_unexpected_list": r.sample}
    return ExpectationValidationResult(success=r.success, expectation_config=config,
                                       result=detail)


def _register_project_types() -> None:
    """GX renders only registered types: declare the project's own (defining the class
    registers it); evaluation stays in warehouse/quality (sql.py, batch_change.py)."""
    from great_expectations.expectations.expectation import BatchExpectation
    from great_expectations.expectations.registry import _registered_expectations

    if "expect_batch_row_count_change_to_be_between" in _registered_expectations:
        return

    class ExpectTableRowCountChangeToBeBetween(BatchExpectation):
        """Rows after the load divided by rows before it lie between min_ratio and max_ratio."""

        min_ratio: float | None = None
        max_ratio: float | None = None
        metric_dependencies = ("table.row_count",)
        success_keys = ("min_ratio", "max_ratio")

        def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
            raise NotImplementedError("evaluated by warehouse.quality, rendered by GX")

    class ExpectBatchRowCountChangeToBeBetween(BatchExpectation):
        """Rows read from each source table or file family by this load, divided by those
        of its previous batch, lie between min_ratio and max_ratio."""

        min_ratio: float | None = None
        max_ratio: float | None = None
        include_incremental: bool = False
        metric_dependencies = ("table.row_count",)
        success_keys = ("min_ratio", "max_ratio", "include_incremental")

        def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
            raise NotImplementedError("evaluated by warehouse.quality, rendered by GX")

    for cls in (ExpectTableRowCountChangeToBeBetween, ExpectBatchRowCountChangeToBeBetween):
        assert not cls.is_abstract()


def build(home: Home, load_id: str, results: list[ExpectationResult]) -> Path:
    """Render the load's results with GX; returns the Data Docs index page."""
    import great_expectations as gx

    _register_project_types()
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    root = home.docs / "quality" / "gx"
    context = gx.get_context(mode="file", project_root_dir=str(root))
    run = RunIdentifier(run_name=load_id, run_time=datetime.now(UTC))
    for suite in sorted({r.suite for r in results}):
        mine = [_result(r) for r in results if r.suite == suite]
        ok = sum(x.success for x in mine)
        validation = ExpectationSuiteValidationResult(
            success=ok == len(mine), results=mine, suite_name=gx_name(suite),
            statistics={"evaluated_expectations": len(mine), "successful_expectations": ok,
                        "unsuccessful_expectations": len(mine) - ok,
                        "success_percent": 100.0 * ok / len(mine) if mine else 100.0},
            meta={"run_id": run, "load_id": load_id, "table": suite})
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=gx_name(suite)),
            run_id=run, batch_identifier=gx_name(suite))
        context.validation_results_store.set(key, validation)
    sites = context.build_data_docs()
    return Path(next(iter(sites.values())).removeprefix("file://"))
