"""A release undone by a rollback is applied again: the request file says "applied" (by the
load the rollback discarded), but the snapshot the next build starts from decides. Both kinds:
a staging-gate release and a typing-step (source_rows) release. Expected values by hand from
tests/mini_sources.py and tests/files/helpers.py."""

from __future__ import annotations

from datetime import date

import pytest

from tests.mini_sources import execute
from tests.quality.test_gated_load import edit_suite, own_suites
from tests.quality.test_source_row_release import D1, D2, D3, release_p4_after_the_fix
from tests.snapshots import query, unbalanced
from warehouse.errors import UserError
from warehouse.load import run_load
from warehouse.publish import SnapshotStore
from warehouse.quality.release import all_requests, new_request, withdraw

# Line 6 carries a 150% discount, which the staging gate on discount_pct (0..100) refuses.
BAD_LINE = ("INSERT INTO t.sales_order_lines VALUES (6, 1000, 3, 501, 1, 19.90, 150, 0.00, "
            "'2025-03-10 12:00:00', '2025-03-10 12:00:00', false)")
DISCOUNT = "expect_column_values_to_be_between(discount_pct)"


def line_6(home) -> int:
    return query(home, "SELECT count(*) FROM core.fact_sales_line WHERE line_id = 6")[0][0]


def widen_discount(suites) -> None:
    def change(expectations):
        for e in expectations:
            if e["kwargs"].get("column") == "discount_pct":
                e["kwargs"]["max_value"] = 200
    edit_suite(suites, "staging.order_line", change)


def test_a_gate_release_undone_by_a_rollback_is_applied_again(mini, tmp_path, monkeypatch):
    home, crm, _ = mini
    suites = own_suites(tmp_path, monkeypatch)
    execute(crm, BAD_LINE)
    day_1 = run_load(home, D1).snapshot
    assert line_6(home) == 0
    widen_discount(suites)
    request = new_request(home, "order_line", DISCOUNT, [])
    run_load(home, D2)
    run_load(home, D3)
    assert line_6(home) == 1
    assert [(r.status, r.applied_in) for r in all_requests(home)] == [("applied", "L20250311")]

    SnapshotStore(home).rollback(to=day_1.id)
    assert line_6(home) == 0
    run_load(home, D2)       # on day 1 again: the release it holds is not applied there
    assert line_6(home) == 1
    assert query(home, "SELECT released_in, released_by FROM quarantine.order_line") == [
        ("L20250311", request.id)]
    run_load(home, D3)       # ... and applied once: day 3 finds it applied in its base
    assert line_6(home) == 1
    assert [(r.status, r.applied_in) for r in all_requests(home)] == [("applied", "L20250311")]
    assert unbalanced(home) == []


def test_a_typing_release_undone_by_a_rollback_is_applied_again(mini, tmp_path, monkeypatch):
    home, _, _ = mini
    request = release_p4_after_the_fix(home, tmp_path, monkeypatch)
    day_1 = SnapshotStore(home).current()
    run_load(home, D2)
    run_load(home, D3)       # sees the release applied in its base: the file says "applied"
    assert query(home, "SELECT count(*) FROM staging.ext_person WHERE record_id = 'P4'") == [(1,)]
    assert [r.status for r in all_requests(home)] == ["applied"]

    SnapshotStore(home).rollback(to=day_1.id)
    assert query(home, "SELECT count(*) FROM staging.ext_person WHERE record_id = 'P4'") == [(0,)]
    run_load(home, D2)
    assert query(home, "SELECT birth_date, _batch_id FROM staging.ext_person "
                       "WHERE record_id = 'P4'") == [(date(1985, 3, 10), "L20250311")]
    run_load(home, D3)
    assert query(home, "SELECT count(*) FROM staging.ext_person WHERE record_id = 'P4'") == [(1,)]
    assert {r.id: (r.status, r.applied_in) for r in all_requests(home)} == {
        request.id: ("applied", "L20250311")}
    assert unbalanced(home) == []


def test_a_withdrawn_release_stays_undone_after_a_rollback(mini, tmp_path, monkeypatch):
    """How a rollback takes a release back for good: withdraw the request first."""
    home, crm, _ = mini
    suites = own_suites(tmp_path, monkeypatch)
    execute(crm, BAD_LINE)
    day_1 = run_load(home, D1).snapshot
    widen_discount(suites)
    request = new_request(home, "order_line", DISCOUNT, [])
    run_load(home, D2)
    assert line_6(home) == 1
    SnapshotStore(home).rollback(to=day_1.id)
    withdraw(home, request.id)
    run_load(home, D2)
    run_load(home, D3)
    assert line_6(home) == 0
    assert query(home, "SELECT released_in FROM quarantine.order_line") == [(None,)]
    assert [(r.status, r.applied_in) for r in all_requests(home)] == [("withdrawn", None)]
    with pytest.raises(UserError, match="no release request 'R-nope'"):
        withdraw(home, "R-nope")
    assert unbalanced(home) == []
