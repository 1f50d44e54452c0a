"""The Dagster wiring: definitions load, the job runs a partition, retries, a 30-day backfill."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance

from pipelines.definitions import defs
from pipelines.resources import WarehouseResource
from tests.core.test_mini_load import query
from tests.mini_sources import execute
from warehouse.publish import SnapshotStore


def test_definitions_resolve_job_schedule_and_lineage():
    job = defs.resolve_job_def("nightly_job")
    assert job.partitions_def is not None
    schedule = defs.resolve_schedule_def("nightly_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    graph = defs.resolve_asset_graph()
    fact = graph.get(AssetKey(["core", "fact_sales_line"]))
    parents = {k.to_user_string() for k in fact.parent_keys}
    assert {"staging/order_line", "staging/order", "core/dim_customer"} <= parents
    snapshot = graph.get(AssetKey(["meta", "snapshot"]))
    assert AssetKey(["core", "fact_customer_day"]) in snapshot.parent_keys
    link = graph.get(AssetKey(["core", "identity_link"]))
    assert {k.to_user_string() for k in link.parent_keys} == {
        "staging/ext_person", "staging/ext_company", "core/dim_customer"}
    for name in ("identity_link", "dim_prospect", "customer_profile", "profile_lineage"):
        assert AssetKey(["core", name]) in snapshot.parent_keys
    checked = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ("core/identity_link", "expectations") in checked


def run_partition(instance, home, day: date, **resource):
    job = defs.resolve_job_def("nightly_job")
    return job.execute_in_process(
        partition_key=day.isoformat(), instance=instance, raise_on_error=False,
        resources={"warehouse": WarehouseResource(home=str(home.root), **resource)})


def test_job_materialises_every_asset_and_passes_its_checks(mini):
    home, _, _ = mini
    with DagsterInstance.ephemeral() as instance:
        result = run_partition(instance, home, date(2025, 3, 10))
        assert result.success
        materialised = {m.asset_key.to_user_string()
                        for m in result.asset_materializations_for_node("nightly_load")}
        checks = result.get_asset_check_evaluations()
    assert {"meta/snapshot", "core/fact_sales_line", "staging/customer"} <= materialised
    assert {c.check_name: c.passed for c in checks if c.check_name != "expectations"} == {
        "row_accounting": True, "checks_passed": True}
    suites = {c.asset_key.to_user_string(): c.passed for c in checks
              if c.check_name == "expectations"}
    assert suites["staging/order_line"] and suites["core/fact_sales_line"]
    assert SnapshotStore(home).current().business_date == date(2025, 3, 10)


def test_source_outage_is_retried_then_fails_clearly_keeping_the_snapshot(mini, monkeypatch):
    home, _, _ = mini
    with DagsterInstance.ephemeral() as instance:
        assert run_partition(instance, home, date(2025, 3, 10)).success
        before = SnapshotStore(home).current()
        monkeypatch.setenv("CRMWH_CRM_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
        result = run_partition(instance, home, date(2025, 3, 11), retries=2,
                               retry_base_seconds=0.01)
        assert not result.success
        restarts = [e for e in result.all_events
                    if e.event_type == DagsterEventType.STEP_RESTARTED]
        failure = next(e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE)
    assert len(restarts) == 2
    assert "cannot be reached" in failure.step_failure_data.error.cause.message
    assert SnapshotStore(home).current() == before


@pytest.mark.slow
def test_thirty_day_backfill_runs_clean_and_keeps_every_cent(mini):
    home, crm, _ = mini
    first = date(2025, 3, 10)
    with DagsterInstance.ephemeral() as instance:
        for i in range(30):
            day = first + timedelta(days=i)
            if i:
                ts = f"{day} 12:00:00"
                execute(crm,
                        f"INSERT INTO t.sales_orders VALUES ({5000 + i}, 'SO-{5000 + i}', 2, 100, 1, "
                        f"NULL, '{ts}', 'open', 'CNY', 310100, '{ts}', '{ts}', false)",
                        f"INSERT INTO t.sales_order_lines VALUES ({5000 + i}, {5000 + i}, 1, 501, {i}, "
                        f"19.90, 0, {Decimal('19.90') * i}, '{ts}', '{ts}', false)")
            assert run_partition(instance, home, day).success, day
    history = SnapshotStore(home).history()
    assert history[0].business_date == first + timedelta(days=29)
    added = sum(Decimal("19.90") * i for i in range(1, 30))
    [(total, days)] = query(home, "SELECT sum(net_amount), count(DISTINCT order_date_key) "
                                  "FROM core.fact_sales_line")
    assert total == Decimal("999.99") + Decimal("53.73") + Decimal("1899.98") + added
    assert days == 30
    assert query(home, "SELECT count(*) FROM meta.loads") == [(30,)]
    assert query(home, "SELECT count(DISTINCT snapshot_date) FROM core.fact_customer_day") == [(30,)]
