"""Row-count change versus the previous batch in staging suites
(`expect_batch_row_count_change_to_be_between`): on hand-made batch records, then in real
loads of the mini sources with the shipped suites (blocking for full snapshots, a warning for
file families, shown by the Dagster asset checks and `crmwh status`)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckSeverity, DagsterInstance

from tests.files.helpers import contracts_dir, csv_text, drop
from tests.mini_sources import execute
from tests.pipelines.test_definitions import run_partition
from tests.quality.test_quarantine_cli import crmwh
from tests.snapshots import query
from warehouse.errors import ContractError, LoadError
from warehouse.load import run_load
from warehouse.publish import SnapshotStore
from warehouse.quality import batch_change
from warehouse.quality.evaluate import Target, evaluate
from warehouse.quality.sql import Params
from warehouse.quality.suite import parse_suite
from warehouse.stage.schema import META_DDL

TYPE = "expect_batch_row_count_change_to_be_between"
D1, D2 = date(2025, 3, 10), date(2025, 3, 11)


def suite(kwargs: dict, name: str = "staging.ext_person", severity: str = "blocking"):
    data = {"name": name, "expectations": [
        {"type": TYPE, "kwargs": kwargs, "meta": {"severity": severity, "name": "change"}}]}
    return parse_suite(Path(f"{name}.json"), data)


@pytest.fixture
def con():
    """Three loads; ext_person fed by a file family and a full-snapshot table, geography by an
    incremental one; the second load delivered no file."""
    c = duckdb.connect()
    c.execute(META_DDL)
    c.execute("CREATE TABLE meta.file_manifests (load_id VARCHAR, source VARCHAR, family VARCHAR,"
              " file_name VARCHAR, status VARCHAR)")
    c.execute("CREATE TABLE t (record_id VARCHAR)")
    for i, day in enumerate((D1, D2, date(2025, 3, 12)), 1):
        c.execute("INSERT INTO meta.loads VALUES (?, ?, NULL, now(), now(), 'published', 1)",
                  [f"L{i}", day])
    batches = [("L1", "vendor", "people_a.csv", "ext_person", "file", 60_000),
               ("L1", "vendor", "people_b.csv", "ext_person", "file", 40_000),
               ("L1", "crm", "persons", "ext_person", "full", 200),
               ("L2", "crm", "persons", "ext_person", "full", 210),
               ("L3", "vendor", "people_c.csv", "ext_person", "file", 40),
               ("L3", "crm", "persons", "ext_person", "full", 100),
               ("L3", "quarantine", "source_rows.ext_person", "ext_person", "release", 1),
               ("L1", "crm", "cities", "geography", "incremental", 1000),
               ("L3", "crm", "cities", "geography", "incremental", 3)]
    for load, source, table, entity, mode, n in batches:
        c.execute("INSERT INTO meta.batches VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, 0, 0, 0, 0)",
                  [load, source, table, entity, mode, n, n])
        if mode == "file":
            c.execute("INSERT INTO meta.file_manifests VALUES (?, ?, 'demographics', ?, 'loaded')",
                      [load, source, table])
    yield c
    c.close()


def run(con, kwargs: dict, entity: str = "ext_person", load: str = "L3"):
    target = Target("SELECT * FROM t", "t", ("record_id",), entity=entity)
    [result] = evaluate(con, suite(kwargs), target, Params(date(2025, 3, 12), load))
    return result


def test_each_table_and_file_family_is_compared_with_its_previous_batch(con):
    result = run(con, {"min_ratio": 0.01, "max_ratio": 100})
    # the family: 40 rows against the 100,000 of its two files in L1 (L2 had none); the
    # table: 100 against L2's 210 (0.4762), inside the bounds.
    assert not result.success and result.blocks
    assert result.observed == (
        "vendor.demographics (file family): 40 rows read vs 100000 in the previous batch (L1), "
        "ratio 0.0004, outside [0.01, 100] (if the change is real, rerun the load with "
        "`crmwh load --date 2025-03-12 --accept-change vendor.demographics` to accept it for "
        "that load alone, or widen min_ratio/max_ratio in the staging suite or set its severity "
        "to warning; a load that publishes becomes the new baseline)")


def test_a_full_snapshot_that_halved_fails_the_lower_bound(con):
    result = run(con, {"min_ratio": 0.5})
    assert not result.success
    assert "crm.persons: 100 rows read vs 210 in the previous batch (L2), ratio 0.4762, " \
           "outside [0.5, -]" in result.observed
    assert "vendor.demographics" in result.observed


def test_a_change_the_operator_accepted_passes_and_is_named(con):
    target = Target("SELECT * FROM t", "t", ("record_id",), entity="ext_person")
    params = Params(date(2025, 3, 12), "L3", frozenset({"vendor.demographics"}))
    [result] = evaluate(con, suite({"min_ratio": 0.01, "max_ratio": 100}), target, params)
    assert result.success
    assert result.observed == (
        "within [0.01, 100]: crm.persons: 100 rows read vs 210 in the previous batch (L2), "
        "ratio 0.4762; vendor.demographics (file family): 40 rows read vs 100000 in the "
        "previous batch (L1), ratio 0.0004, outside [0.01, 100], accepted for this load "
        "(--accept-change vendor.demographics)")
    # accepting one unit leaves the others to their bounds
    params = Params(date(2025, 3, 12), "L3", frozenset({"crm.persons"}))
    [result] = evaluate(con, suite({"min_ratio": 0.5}), target, params)
    assert not result.success
    assert result.observed.startswith("vendor.demographics (file family): 40 rows read")
    assert "crm.persons: 100 rows read vs 210 in the previous batch (L2), ratio 0.4762, " \
           "outside [0.5, -], accepted for this load (--accept-change crm.persons)" \
        in result.observed
    # the rerun the message proposes keeps what was accepted
    assert "`crmwh load --date 2025-03-12 --accept-change vendor.demographics " \
           "--accept-change crm.persons`" in result.observed


def test_within_bounds_passes_and_says_what_it_compared(con):
    result = run(con, {"min_ratio": 0.0001, "max_ratio": 1})
    assert result.success
    assert result.observed.startswith("within [0.0001, 1]: crm.persons: 100 rows read vs 210")


def test_incremental_tables_are_compared_only_when_declared(con):
    skipped = run(con, {"min_ratio": 0.5}, entity="geography")
    assert skipped.success
    assert skipped.observed == "no batch of this load has an earlier batch to compare with"
    declared = run(con, {"min_ratio": 0.5, "include_incremental": True}, entity="geography")
    assert not declared.success
    assert "crm.cities: 3 rows read vs 1000 in the previous batch (L1)" in declared.observed


def test_a_first_batch_has_nothing_to_compare(con):
    result = run(con, {"min_ratio": 0.5}, load="L1")
    assert result.success
    assert result.observed == "no batch of this load has an earlier batch to compare with"


def test_declaration_errors_name_the_file_and_the_problem():
    with pytest.raises(ContractError, match=r"core.fact_x.json: expectations\[0\] change: "
                                            f"{TYPE} compares the batches of a staging entity"):
        suite({"min_ratio": 0.5}, name="core.fact_x")
    with pytest.raises(ContractError, match="include_incremental must be true or false"):
        suite({"include_incremental": "yes"})
    with pytest.raises(ContractError, match="min_ratio must be a number >= 0"):
        suite({"min_ratio": "half"})


# ---------------------------------------------------------------- real loads, shipped suites

EXTRA_CITIES = ("INSERT INTO t.geo_cities VALUES "
                "(330100, 'CN', '中国', '330000', '浙江省', '杭州市', '2025-01-01 00:00:00'), "
                "(330200, 'CN', '中国', '330000', '浙江省', '宁波市', '2025-01-01 00:00:00'), "
                "(340100, 'CN', '中国', '340000', '安徽省', '合肥市', '2025-01-01 00:00:00')")


def test_a_full_snapshot_that_lost_over_half_its_rows_stops_the_load(mini):
    home, crm, _ = mini
    execute(crm, EXTRA_CITIES)                              # 5 cities on day 1
    first = run_load(home, D1).snapshot
    execute(crm, "DELETE FROM t.geo_cities WHERE city_id IN (330100, 330200, 340100)")
    with pytest.raises(LoadError) as err:
        run_load(home, D2)
    assert ("staging.geography rows_vs_previous_batch [column -]: crm.geo_cities: 2 rows read "
            "vs 5 in the previous batch (L20250310), ratio 0.4, outside [0.5, -]") in str(err.value)
    assert SnapshotStore(home).current().id == first.id
    # The operator says the cities really went: the same date loads with that change accepted
    # (a name that is no source table is refused before anything is built).
    out = crmwh("load", "--date", str(D2), "--accept-change", "crm.geo_city",
                "--home", str(home.root))
    assert out.returncode != 0
    assert "--accept-change: crm.geo_city is not a declared source table" in out.stdout + out.stderr
    assert SnapshotStore(home).current().id == first.id
    accepted = run_load(home, D2, accept_changes=frozenset({"crm.geo_cities"})).snapshot
    assert SnapshotStore(home).current().id == accepted.id
    [(ok, observed)] = query(home, "SELECT success, observed FROM meta.expectation_results "
                                   "WHERE expectation = 'rows_vs_previous_batch' AND suite = "
                                   "'staging.geography' AND load_id = 'L20250311'")
    assert ok and observed.endswith("crm.geo_cities: 2 rows read vs 5 in the previous batch "
                                    "(L20250310), ratio 0.4, outside [0.5, -], accepted for "
                                    "this load (--accept-change crm.geo_cities)")


def people(n: int) -> list[list[str]]:
    return [[f"P{i}", "张三", f"1380013{i:04d}", "", "1985-03-04", "", "上海", "上海"]
            for i in range(1, n + 1)]


def test_a_short_delivery_is_a_warning_in_the_asset_checks_and_status(mini, tmp_path,
                                                                       monkeypatch):
    home, _, _ = mini
    monkeypatch.setenv("CRMWH_SOURCES_DIR", str(contracts_dir(tmp_path)))
    landing = home.landing / "test_people"
    with DagsterInstance.ephemeral() as instance:
        drop(landing, "people_20250310.csv", csv_text(people(150)))
        assert run_partition(instance, home, D1).success
        drop(landing, "people_20250311.csv", csv_text(people(1)))
        result = run_partition(instance, home, D2)
        assert result.success                               # a warning: published
        checks = {c.asset_key.to_user_string(): c for c in result.get_asset_check_evaluations()
                  if c.check_name == "expectations"}
    seen = ("test_people.demographics (file family): 1 rows read vs 150 in the previous batch "
            "(L20250310), ratio 0.0067, outside [0.01, 100]")
    seen += batch_change.way_out([batch_change.Change(
        "test_people", "demographics", "file", 1, 150, "L20250310")], D2)
    assert "--accept-change test_people.demographics" in seen
    person = checks["staging/ext_person"]
    assert not person.passed and person.severity == AssetCheckSeverity.WARN
    failures = person.metadata["failures"].value
    assert failures == {"rows_vs_previous_batch": seen}
    # the full snapshots did not change: their checks pass
    assert checks["staging/geography"].passed
    [(ok, observed)] = query(home, "SELECT success, observed FROM meta.expectation_results WHERE "
                                   "suite = 'staging.ext_person' AND expectation = "
                                   "'rows_vs_previous_batch' AND load_id = 'L20250311'")
    assert (ok, observed) == (False, seen)
    status = crmwh("status")
    assert status.returncode == 0, status.stderr
    text = " ".join(status.stdout.replace("│", " ").split())
    assert "rows_vs_previous_batch" in text and "warning" in text
    assert "1 rows read vs 150" in text


def test_the_shipped_suites_declare_it_for_full_snapshots_and_file_families():
    """Blocking where a full snapshot is read, a warning on the external file families."""
    from warehouse.quality.suite import EXPECTATIONS_DIR

    declared = {}
    for path in EXPECTATIONS_DIR.glob("staging.*.json"):
        for e in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            if e["type"] == TYPE:
                declared[path.stem.split(".", 1)[1]] = e["meta"]["severity"]
    assert {t for t, s in declared.items() if s == "blocking"} >= {"geography", "product",
                                                                      "campaign", "channel"}
    assert {t: declared.get(t) for t in ("ext_person", "ext_company", "market_stat")} == {
        "ext_person": "warning", "ext_company": "warning", "market_stat": "warning"}
    assert "order_line" not in declared and "customer" not in declared   # incremental
