"""Demo sources -> load day 1 -> advance -> load the next days, checked against the sources.

The oracle is independent of the warehouse: plain `sqlite3` queries on the source files, with
the money summed as Python Decimals.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.core.test_mini_load import core_fingerprint, query
from warehouse.demo import advance_demo, init_demo
from warehouse.load import run_load

AS_OF = date(2025, 6, 30)
DAYS = 3          # days advanced and loaded one by one after the first load


def source_revenue(path) -> tuple[Decimal, int]:
    """Live order lines of live orders, summed exactly."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT l.line_amount FROM sales_order_lines l JOIN sales_orders o "
            "ON o.order_id = l.order_id WHERE NOT l.is_deleted AND NOT o.is_deleted").fetchall()
    return sum((Decimal(str(r[0])) for r in rows), Decimal("0")), len(rows)


def source_invoiced(path) -> Decimal:
    with sqlite3.connect(path) as conn:
        cents = conn.execute("SELECT sum(net_cents + tax_cents) FROM ar_invoice").fetchone()[0]
    return Decimal(cents) / 100


@pytest.fixture(scope="module")
def demo_two_days(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("e2e")
    from warehouse.config import home as make_home

    home = make_home(root / "home")
    mp.setenv("CRMWH_HOME", str(home.root))
    mp.delenv("CRMWH_CRM_URL", raising=False)
    mp.delenv("CRMWH_ERP_URL", raising=False)
    init_demo(home, scale=0.1, seed=7, as_of=AS_OF)
    crm, erp = home.sources / "crm.sqlite", home.sources / "erp.sqlite"
    day1 = run_load(home, AS_OF)
    totals1 = (source_revenue(crm), source_invoiced(erp))
    core1 = query(home, "SELECT sum(net_amount), count(*) FROM core.fact_sales_line")[0]
    invoiced1 = query(home, "SELECT sum(gross_amount) FROM core.fact_invoice")[0][0]
    advance_demo(home, days=DAYS)
    for i in range(1, DAYS + 1):
        day2 = run_load(home, AS_OF + timedelta(days=i))
    yield {"home": home, "crm": crm, "erp": erp, "day1": day1, "day2": day2,
           "totals1": totals1, "core1": core1, "invoiced1": invoiced1}
    mp.undo()


def test_day_one_core_totals_equal_the_sources_to_the_cent(demo_two_days):
    d = demo_two_days
    (revenue, lines), invoiced = d["totals1"]
    assert d["core1"] == (revenue, lines)
    assert d["invoiced1"] == invoiced
    assert lines > 1000


def test_day_two_core_totals_equal_the_sources_to_the_cent(demo_two_days):
    d = demo_two_days
    revenue, lines = source_revenue(d["crm"])
    assert query(d["home"], "SELECT sum(net_amount), count(*) FROM core.fact_sales_line") == [
        (revenue, lines)]
    assert query(d["home"], "SELECT sum(gross_amount) FROM core.fact_invoice")[0][0] == \
        source_invoiced(d["erp"])


def test_every_check_passes_and_accounting_balances(demo_two_days):
    d = demo_two_days
    for result in (d["day1"], d["day2"]):
        assert [c.name for c in result.checks if not c.passed] == []
        assert all(b.counts.balanced for b in result.batches)
    staged_day2 = sum(b.counts.rows_loaded for b in d["day2"].batches)
    assert 0 < staged_day2 < sum(b.counts.rows_loaded for b in d["day1"].batches) / 10


def test_scd2_versions_follow_the_source_change_times(demo_two_days):
    d = demo_two_days
    with sqlite3.connect(d["crm"]) as conn:
        changed = dict(conn.execute(
            "SELECT customer_id, updated_at FROM customers WHERE updated_at >= ? "
            "AND created_at < ?", [str(AS_OF + timedelta(days=1)),
                                   str(AS_OF + timedelta(days=1))]).fetchall())
    versions = query(d["home"], "SELECT customer_id, version, valid_from, valid_to, is_current "
                                "FROM core.dim_customer WHERE version > 1 AND is_current AND "
                                f"customer_id IN ({','.join(map(str, changed)) or 'NULL'})")
    assert versions, "the demo day should move some customers to a new segment, tier or city"
    for customer_id, version, valid_from, valid_to, is_current in versions:
        assert str(valid_from) == str(changed[customer_id])[:19]
        assert is_current and valid_to.year == 9999
        [(closed_to,)] = query(d["home"], "SELECT valid_to FROM core.dim_customer WHERE "
                                          "customer_id = ? AND version = ?",
                               [customer_id, version - 1])
        assert closed_to == valid_from


def test_facts_point_to_the_customer_version_valid_at_the_order_date(demo_two_days):
    d = demo_two_days
    wrong = query(d["home"], """
        SELECT count(*) FROM core.fact_sales_line f
        JOIN core.dim_customer c ON c.customer_key = f.customer_key
        WHERE c.customer_id IS NOT NULL AND NOT c.is_inferred
          AND NOT (f.order_ts >= c.valid_from AND f.order_ts < c.valid_to)""")
    assert wrong == [(0,)]


def test_soft_deleted_orders_leave_the_facts(demo_two_days):
    d = demo_two_days
    with sqlite3.connect(d["crm"]) as conn:
        deleted = [r[0] for r in conn.execute(
            "SELECT line_id FROM sales_order_lines l JOIN sales_orders o USING (order_id) "
            "WHERE l.is_deleted OR o.is_deleted").fetchall()]
    assert deleted
    present = query(d["home"], f"SELECT count(*) FROM core.fact_sales_line WHERE line_id IN "
                               f"({','.join(map(str, deleted))})")
    assert present == [(0,)]


def test_rerunning_the_last_day_gives_identical_core(demo_two_days):
    d = demo_two_days
    before = core_fingerprint(d["home"])
    run_load(d["home"], AS_OF + timedelta(days=DAYS))
    assert core_fingerprint(d["home"]) == before
