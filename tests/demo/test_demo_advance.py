"""`advance_demo` on SQLite: new rows, changed rows stamped inside the new days, hard
deletes, late-arriving rows, slowly changing customers, and the demo clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from tests.demo.helpers import SOURCES, assert_matches_contract, open_sources, sqlite_urls, typed
from warehouse.config import home
from warehouse.demo import advance_demo, init_demo

AS_OF = date(2025, 6, 8)  # the 618 campaign is running
DAYS = 3
OLD_END = datetime.combine(AS_OF, time(23, 59, 59))
NEW_END = OLD_END + timedelta(days=DAYS)


def _snapshot(urls: dict[str, str]) -> dict[str, dict]:
    """{"source.table": {key: (watermark, row)}} of every incremental table."""
    con, targets = open_sources(urls)
    try:
        out = {}
        for name, source in SOURCES.items():
            for table, spec in source.tables.items():
                mark = spec.watermark or "updated_at"
                (key,) = spec.key
                rows = con.execute(f"SELECT {key}, {mark}, * FROM {typed(targets, name, table)}")\
                    .fetchall()
                out[f"{name}.{table}"] = {r[0]: (r[1], r[2:]) for r in rows}
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def advanced(tmp_path_factory):
    h = home(tmp_path_factory.mktemp("demo_advance"))
    urls = sqlite_urls(h)
    init_demo(h, scale=0.3, seed=11, crm_url=urls["crm"], erp_url=urls["erp"], as_of=AS_OF)
    before = _snapshot(urls)
    summary = advance_demo(h, days=DAYS, crm_url=urls["crm"], erp_url=urls["erp"])
    return urls, before, _snapshot(urls), summary


def _new(before, after, table):
    return {k: v for k, v in after[table].items() if k not in before[table]}


def _changed(before, after, table):
    return {k: v for k, v in after[table].items()
            if k in before[table] and v != before[table][k]}


def test_clock_moves_in_both_databases(advanced):
    con, targets = open_sources(advanced[0])
    for name in ("crm", "erp"):
        row = con.execute(f"SELECT CAST(as_of AS DATE), CAST(seed AS BIGINT), "
                          f"CAST(start_date AS DATE) FROM {targets[name].ref('demo_clock')}")\
            .fetchall()
        assert row == [(AS_OF + timedelta(days=DAYS), 11, date(2024, 1, 1))]


def test_advance_adds_rows(advanced):
    _, before, after, summary = advanced
    for table in ("crm.customers", "crm.sales_orders", "crm.sales_order_lines",
                  "crm.web_sessions", "crm.campaign_responses", "crm.service_tickets",
                  "erp.ar_invoice", "erp.ar_receipt", "erp.wms_shipment"):
        assert _new(before, after, table), table
    assert summary["crm"]["sales_orders"] >= len(_new(before, after, "crm.sales_orders"))


def test_every_new_or_changed_row_is_stamped_inside_the_new_days(advanced):
    _, before, after, _ = advanced
    days_seen = set()
    for table in after:
        touched = {**_new(before, after, table), **_changed(before, after, table)}
        for key, (mark, _row) in touched.items():
            assert OLD_END < mark <= NEW_END, (table, key, mark)
            if table == "crm.sales_orders":
                days_seen.add(mark.date())
    assert days_seen == {AS_OF + timedelta(days=i) for i in range(1, DAYS + 1)}


def test_existing_rows_change(advanced):
    _, before, after, _ = advanced
    for table in ("crm.sales_orders", "crm.sales_order_lines", "crm.customers",
                  "crm.service_tickets", "erp.ar_invoice", "erp.wms_shipment"):
        assert _changed(before, after, table), table
    orders = before["crm.sales_orders"]
    share = len(_changed(before, after, "crm.sales_orders")) / len(orders) / DAYS
    assert 0.003 < share < 0.03  # roughly 1% of orders change a day


def test_orders_move_along_their_lifecycle(advanced):
    _, before, after, _ = advanced
    cols = list(SOURCES["crm"].tables["sales_orders"].columns)
    status = cols.index("status")
    moves = {(before["crm.sales_orders"][k][1][status], row[status])
             for k, (_, row) in _changed(before, after, "crm.sales_orders").items()}
    assert {("open", "shipped"), ("shipped", "completed")} <= moves
    assert not any(old == "completed" and new != "completed" for old, new in moves)
    assert any(new == "cancelled" for _, new in moves)
    lines = list(SOURCES["crm"].tables["sales_order_lines"].columns)
    deleted = lines.index("is_deleted")
    removed = [k for k, (_, row) in _changed(before, after, "crm.sales_order_lines").items()
               if row[deleted]]
    assert removed  # lines removed before shipping, or of a cancelled order (soft delete)


def test_shipments_are_hard_deleted(advanced):
    _, before, after, _ = advanced
    gone = set(before["erp.wms_shipment"]) - set(after["erp.wms_shipment"])
    assert 0 < len(gone) <= DAYS * 2
    for table in after:
        if table != "erp.wms_shipment":
            assert set(before[table]) <= set(after[table]), table


def test_late_arriving_orders_and_customers(advanced):
    urls, before, after, _ = advanced
    con, targets = open_sources(urls)
    orders = typed(targets, "crm", "sales_orders")
    customers = typed(targets, "crm", "customers")
    new_ids = ", ".join(map(str, _new(before, after, "crm.sales_orders")))
    late_facts = con.execute(f"SELECT count(*) FROM {orders} WHERE order_id IN ({new_ids}) "
                             "AND CAST(order_date AS DATE) < CAST(created_at AS DATE)")\
        .fetchone()[0]
    assert late_facts > 0
    # orders that named a customer before the customer row existed; the last day's are
    # still waiting for the next advance
    early = con.execute(f"""
        SELECT count(*) FROM {orders} o JOIN {customers} c USING (customer_id)
        WHERE o.order_id IN ({new_ids}) AND c.created_at > o.created_at
    """).fetchone()[0]
    pending = con.execute(f"SELECT count(*) FROM {orders} WHERE customer_id NOT IN "
                          f"(SELECT customer_id FROM {customers})").fetchone()[0]
    assert early >= DAYS - 1 and pending >= 1


def test_customers_change_attributes(advanced):
    _, before, after, _ = advanced
    cols = list(SOURCES["crm"].tables["customers"].columns)
    tracked = [cols.index(c) for c in ("segment", "tier", "city_id", "owner_rep_id")]
    corrected = [cols.index(c) for c in ("email", "phone")]
    scd = t1 = 0
    for key, (_, row) in _changed(before, after, "crm.customers").items():
        old = before["crm.customers"][key][1]
        scd += any(row[i] != old[i] for i in tracked)
        t1 += any(row[i] != old[i] for i in corrected)
    assert scd > 0 and t1 > 0


def test_advanced_sources_still_match_the_contracts(advanced):
    assert_matches_contract(advanced[0])
    con, targets = open_sources(advanced[0])
    bad = con.execute(f"""
        WITH net AS (SELECT order_id, sum(CAST(line_amount * 100 AS BIGINT)) AS cents
                     FROM {typed(targets, 'crm', 'sales_order_lines')}
                     WHERE NOT is_deleted GROUP BY ALL)
        SELECT count(*) FROM {typed(targets, 'erp', 'ar_invoice')} i
        JOIN {typed(targets, 'crm', 'sales_orders')} o ON o.order_no = i.sales_order_ref
        JOIN net n USING (order_id) WHERE i.net_cents <> n.cents
    """).fetchone()[0]
    assert bad == 0
