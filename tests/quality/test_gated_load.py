"""Real loads of the mini sources through the gates: quarantine, accounting, blocking, release."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal

import pytest

from tests.mini_sources import DAY2, DAY3, execute
from tests.snapshots import batch, query, unbalanced
from warehouse.errors import LoadError
from warehouse.load import run_load
from warehouse.publish import SnapshotStore
from warehouse.quality.release import all_requests, new_request
from warehouse.quality.report import report_dir
from warehouse.quality.suite import EXPECTATIONS_DIR

D1, D2, D3, D4 = date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12), date(2025, 3, 13)
DISCOUNT = "expect_column_values_to_be_between(discount_pct)"
QUANTITY = "expect_column_values_to_be_between(quantity)"
# Line 6: a 150% discount (the suite allows 0..100).
BAD_LINE = ("INSERT INTO t.sales_order_lines VALUES (6, 1000, 3, 501, 1, 19.90, 150, 0.00, "
            "'2025-03-10 12:00:00', '2025-03-10 12:00:00', false)")


def own_suites(tmp_path, monkeypatch):
    folder = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, folder)
    monkeypatch.setenv("CRMWH_EXPECTATIONS_DIR", str(folder))
    return folder


def edit_suite(folder, name, change):
    path = folder / f"{name}.json"
    suite = json.loads(path.read_text())
    change(suite["expectations"])
    path.write_text(json.dumps(suite))




def fact_lines(home):
    return dict(query(home, "SELECT line_id, quantity FROM core.fact_sales_line"))


def test_bad_rows_are_quarantined_the_rest_load_and_a_release_loads_exactly_once(
        mini, tmp_path, monkeypatch):
    home, crm, _ = mini
    suites = own_suites(tmp_path, monkeypatch)
    execute(crm, BAD_LINE)
    run_load(home, D1)
    rows = query(home, "SELECT load_id, line_id, failures, discount_pct, unit_price, "
                       "released_in FROM quarantine.order_line")
    assert rows == [("L20250310", 6, [{"expectation": DISCOUNT, "column": "discount_pct",
                                       "value": "150.00", "severity": "warning"}],
                     Decimal("150.00"), Decimal("19.90"), None)]
    assert fact_lines(home) == {1: 1, 2: 3, 3: 2}           # the rest loaded
    assert batch(home, "L20250310", "sales_order_lines") == [(4, 3, 0, 1)]
    assert unbalanced(home) == []
    [(ok, quarantined)] = query(home, "SELECT success, quarantined FROM meta.expectation_results "
                                      "WHERE suite = 'staging.order_line' AND expectation = ?",
                                [DISCOUNT])
    assert (ok, quarantined) == (False, 1)
    assert "150.00" in (report_dir(home, "L20250310") / "index.html").read_text()

    # Day 2: line 2 is changed to quantity 0 (quarantined: its previous version stays), and
    # line 6 is released without a fix: it goes through the gates again and fails again.
    execute(crm, *DAY2, "UPDATE t.sales_order_lines SET quantity = 0, "
                        "updated_at = '2025-03-11 12:00:00' WHERE line_id = 2")
    new_request(home, "order_line", DISCOUNT, [])
    run_load(home, D2)
    assert query(home, "SELECT load_id, line_id, failures[1].expectation, released_in, "
                       "release_outcome FROM quarantine.order_line ORDER BY load_id, line_id") == [
        ("L20250310", 6, DISCOUNT, "L20250311", "restaged"),
        ("L20250311", 2, QUANTITY, None, None),
        ("L20250311", 6, DISCOUNT, None, None)]
    assert query(home, "SELECT quantity FROM staging.current_order_line WHERE line_id = 2") == [(3,)]
    assert fact_lines(home) == {1: 1, 2: 3, 4: 1, 5: 2}
    assert batch(home, "L20250311", "order_line") == [(1, 0, 0, 1)]        # the release batch
    assert batch(home, "L20250311", "sales_order_lines") == [(4, 3, 0, 1)]
    assert unbalanced(home) == []

    # The fix (discounts up to 200% accepted), then a release: line 6 loads, once.
    def widen(exps):
        for e in exps:
            if e["kwargs"].get("column") == "discount_pct":
                e["kwargs"]["max_value"] = 200
    edit_suite(suites, "staging.order_line", widen)
    [old] = [r for r in all_requests(home)]
    request = new_request(home, "order_line", None, ["L20250311-order_line-2"])
    execute(crm, *DAY3)
    run_load(home, D3)
    assert fact_lines(home)[6] == 1
    assert query(home, "SELECT released_in, release_outcome FROM quarantine.order_line "
                       "WHERE quarantine_id = 'L20250311-order_line-2'") == [("L20250312", "restaged")]
    assert batch(home, "L20250312", "order_line") == [(1, 1, 0, 0)]
    run_load(home, D4)
    assert query(home, "SELECT count(*) FROM core.fact_sales_line WHERE line_id = 6") == [(1,)]
    assert query(home, "SELECT count(*) FROM meta.batches WHERE source = 'quarantine' "
                       "AND load_id = 'L20250313'") == [(0,)]
    status = {r.id: (r.status, r.applied_in) for r in all_requests(home)}
    assert status == {old.id: ("applied", "L20250311"), request.id: ("applied", "L20250312")}
    assert unbalanced(home) == []


def test_a_blocking_core_failure_keeps_the_previous_snapshot_served(mini, tmp_path, monkeypatch):
    home, crm, _ = mini
    suites = own_suites(tmp_path, monkeypatch)
    first = run_load(home, D1).snapshot
    edit_suite(suites, "core.fact_sales_line", lambda exps: exps.append({
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "net_amount", "max_value": 5000},
        "meta": {"severity": "blocking", "name": "net_amount_at_most_5000"}}))
    execute(crm, *DAY2, "INSERT INTO t.sales_order_lines VALUES (7, 1002, 2, 500, 6, 999.99, 0, "
                        "5999.94, '2025-03-11 14:00:00', '2025-03-11 14:00:00', false)")
    with pytest.raises(LoadError) as err:
        run_load(home, D2)
    message = str(err.value)
    assert "core.fact_sales_line net_amount_at_most_5000 [column net_amount]: " \
           "1 of 3 rows unexpected (e.g. 5999.94)" in message
    assert SnapshotStore(home).current().id == first.id
    assert 7 not in fact_lines(home)
    assert "stopped by blocking core expectations" in (
        report_dir(home, "L20250311") / "index.html").read_text()


def test_a_release_in_a_failed_load_is_applied_by_the_next_one_once(mini, tmp_path, monkeypatch):
    home, crm, _ = mini
    suites = own_suites(tmp_path, monkeypatch)
    execute(crm, BAD_LINE)
    run_load(home, D1)

    def widen(exps):
        for e in exps:
            if e["kwargs"].get("column") == "discount_pct":
                e["kwargs"]["max_value"] = 200
    edit_suite(suites, "staging.order_line", widen)
    request = new_request(home, "order_line", DISCOUNT, [])
    blocker = {"type": "expect_table_row_count_to_be_between", "kwargs": {"max_value": 0},
               "meta": {"severity": "blocking", "name": "stop_this_load"}}
    edit_suite(suites, "core.dim_channel", lambda exps: exps.append(blocker))
    with pytest.raises(LoadError, match="stop_this_load"):
        run_load(home, D2)
    assert query(home, "SELECT released_in FROM quarantine.order_line") == [(None,)]
    assert 6 not in fact_lines(home)
    assert [r.status for r in all_requests(home)] == ["pending"]
    edit_suite(suites, "core.dim_channel", lambda exps: exps.remove(blocker))
    run_load(home, D2)
    run_load(home, D3)
    assert query(home, "SELECT count(*) FROM core.fact_sales_line WHERE line_id = 6") == [(1,)]
    assert query(home, "SELECT released_in FROM quarantine.order_line") == [("L20250311",)]
    assert {r.id: (r.status, r.applied_in) for r in all_requests(home)} == {
        request.id: ("applied", "L20250311")}
    assert unbalanced(home) == []
