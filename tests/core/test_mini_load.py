"""End to end on the hand-written mini sources: every expected value below is worked out by hand."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.mini_sources import DAY2, DAY3, ERP_DAY2, execute
from tests.snapshots import query
from warehouse.load import run_load
from warehouse.publish import SnapshotStore

D1, D2, D3 = date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12)


def core_fingerprint(home) -> dict[str, str]:
    """A digest of every core table's full, ordered contents."""
    con = SnapshotStore(home).connect()
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'core' ORDER BY 1"
        ).fetchall()]
        out = {}
        for t in tables:
            rows = con.execute(f'SELECT * FROM core."{t}" ORDER BY ALL').fetchall()
            out[t] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out
    finally:
        con.close()


@pytest.fixture
def three_days(mini):
    home, crm, erp = mini
    run_load(home, D1)
    execute(crm, *DAY2)
    execute(erp, *ERP_DAY2)
    run_load(home, D2)
    return home, crm, erp


def test_day_one_totals_match_the_sources_to_the_cent(mini):
    home, _, _ = mini
    result = run_load(home, D1)
    assert all(c.passed for c in result.checks), [c for c in result.checks if not c.passed]
    [(total, lines)] = query(home, "SELECT sum(net_amount), count(*) FROM core.fact_sales_line")
    assert total == Decimal("999.99") + Decimal("53.73") + Decimal("1899.98")
    assert lines == 3
    # Discount arithmetic: 3 x 19.90 = 59.70 gross, 53.73 net.
    assert query(home, "SELECT gross_amount, discount_amount FROM core.fact_sales_line "
                       "WHERE line_id = 2") == [(Decimal("59.70"), Decimal("5.97"))]


def test_erp_debtors_are_reconciled_by_declared_rules_and_unmatched_kept(mini):
    home, _, _ = mini
    result = run_load(home, D1)
    xref = query(home, "SELECT erp_customer_id, customer_id, match_rule FROM core.customer_xref "
                       "ORDER BY 1")
    assert xref == [(9001, 1, "crm_reference"), (9002, 2, "tax_id"), (9003, None, None)]
    assert result.unmatched_erp_customers == 1
    # The unmatched debtor's invoice is loaded against the unknown member, not dropped.
    assert query(home, "SELECT invoice_id, customer_key, gross_amount FROM core.fact_invoice "
                       "ORDER BY 1")[1] == (2, -1, Decimal("113.00"))


def test_scd2_history_and_facts_point_to_the_version_valid_at_their_date(three_days):
    home, _, _ = three_days
    versions = query(home, "SELECT customer_key, segment, city_name, valid_from, valid_to, "
                           "is_current FROM core.dim_customer WHERE customer_id = 1 "
                           "ORDER BY valid_from")
    change = datetime(2025, 3, 11, 9, 30)
    assert [(v[1], v[2], v[4] if not v[5] else None) for v in versions] == [
        ("mass", "上海市", change), ("affluent", "南京市", None)]
    assert versions[1][3] == change
    old_key, new_key = versions[0][0], versions[1][0]
    keys = dict(query(home, "SELECT line_id, customer_key FROM core.fact_sales_line"))
    assert keys[1] == keys[2] == old_key      # ordered 2025-03-10, before the move
    assert keys[4] == new_key                 # ordered 2025-03-11 14:00, after the move


def test_type1_corrections_overwrite_without_new_versions(three_days):
    home, _, _ = three_days
    rows = query(home, "SELECT email FROM core.dim_customer WHERE customer_id = 2")
    assert rows == [("sales@huaxin.cn",)]
    # Which columns changed in place is recorded (aggregate tables keep some of them): the
    # e-mail overwritten, customer 1's old version closed; its segment went to a new version.
    [(columns,)] = query(home, "SELECT columns_updated FROM meta.table_changes WHERE load_id = "
                               "'L20250311' AND table_name = 'core.dim_customer'")
    assert {"email", "valid_to", "is_current"} <= set(columns)
    assert "segment" not in columns


def test_soft_and_hard_deletes_are_applied(three_days):
    home, _, _ = three_days
    lines = {r[0] for r in query(home, "SELECT line_id FROM core.fact_sales_line")}
    assert 3 not in lines                      # order 1001 cancelled (soft delete)
    assert lines == {1, 2, 4, 5}
    assert query(home, "SELECT shipment_id, _deleted FROM staging.current_shipment "
                       "ORDER BY 1") == [(1, False), (2, True)]
    [(detected,)] = query(home, "SELECT deletes_detected FROM meta.batches WHERE load_id = "
                                "'L20250311' AND source_table = 'wms_shipment'")
    assert detected == 1


def test_late_arriving_customer_is_inferred_then_completed(three_days):
    home, crm, _ = three_days
    inferred = query(home, "SELECT customer_key, full_name, is_inferred FROM core.dim_customer "
                           "WHERE customer_id = 3")
    assert len(inferred) == 1 and inferred[0][2] is True and inferred[0][1] == "Unknown"
    key = inferred[0][0]
    assert query(home, "SELECT customer_key FROM core.fact_sales_line WHERE line_id = 5") == [(key,)]
    execute(crm, *DAY3)
    run_load(home, D3)
    assert query(home, "SELECT customer_key, full_name, is_inferred FROM core.dim_customer "
                       "WHERE customer_id = 3") == [(key, "张敏", False)]


def test_aggregates_after_a_member_is_completed_equal_a_full_build(three_days):
    """Day 3 completes the inferred customer in place: both sales aggregates move its facts
    from the 'Unknown' groups to its real ones as deltas (its row as it was is kept by the
    dimension step), rebuild no partition, and hold exactly what a full build would."""
    from warehouse.cube.agg.layout import layout_of
    from warehouse.cube.agg.spec import load_aggregates
    from warehouse.cube.model import CUBES_DIR, load_cube_model

    home, crm, _ = three_days
    execute(crm, *DAY3)
    run_load(home, D3)
    built = query(home, "SELECT name, partitions_rebuilt, reason FROM meta.aggregates "
                        "WHERE cube = 'sales' ORDER BY 1")
    assert [b[0] for b in built] == ["by_month", "by_month_customer"]
    for name, parts, reason in built:
        assert parts == 0 and "core.dim_customer changed in place merged as deltas" in reason, \
            (name, reason)
    model = load_cube_model()
    con = SnapshotStore(home).connect()
    try:
        for agg in load_aggregates(model, CUBES_DIR)["sales"]:
            cube = model.cube(agg.cube)
            stored = sorted(con.execute(f"SELECT * FROM {agg.table}").fetchall(), key=repr)
            full = sorted(con.execute(layout_of(cube, agg).select(cube).sql("duckdb")).fetchall(),
                          key=repr)
            assert stored == full, agg.table
            names = con.execute(f"SELECT * FROM {agg.table}").fetchdf().to_string()
            assert "张敏" in names or agg.name == "by_month"
    finally:
        con.close()


def test_a_city_renamed_reaches_customers_the_load_did_not_change(three_days):
    """dim_customer compares only the customers a load changed, except when another entity its
    select reads changed: a renamed city must reach every current customer living there."""
    home, crm, _ = three_days
    living = query(home, "SELECT count(*) FROM core.dim_customer WHERE is_current AND "
                         "city_id = 320100")[0][0]
    assert living > 0
    execute(crm, "UPDATE t.geo_cities SET city_name = '南京', updated_at = "
                 "'2025-03-12 09:00:00' WHERE city_id = 320100")
    run_load(home, D3)
    assert query(home, "SELECT count(*) FROM core.dim_customer WHERE is_current AND "
                       "city_id = 320100 AND city_name = '南京'") == [(living,)]


def test_row_accounting_balances_for_every_batch(three_days):
    home, _, _ = three_days
    unbalanced = query(home, "SELECT * FROM meta.batches WHERE rows_extracted <> rows_loaded + "
                             "rows_merged + rows_quarantined")
    assert unbalanced == []
    # The lag window re-reads the last 10 minutes of day 1: none of those rows are re-staged.
    [(merged,)] = query(home, "SELECT sum(rows_merged) FROM meta.batches WHERE mode = 'full' "
                              "AND load_id = 'L20250311'")
    assert merged == 11


def test_rerunning_a_date_gives_identical_core_contents(three_days):
    home, crm, _ = three_days
    execute(crm, *DAY3)
    first = run_load(home, D3)
    before = core_fingerprint(home)
    second = run_load(home, D3)
    assert second.snapshot.id != first.snapshot.id
    assert second.snapshot.parent_id == first.snapshot.parent_id
    assert core_fingerprint(home) == before


def test_bad_values_are_quarantined_with_reason_and_counted(mini):
    home, crm, _ = mini
    execute(crm, "INSERT INTO t.sales_order_lines VALUES (9, 1000, 3, 500, 1, 'abc', 0, 1.00, "
                 "'2025-03-10 12:00:00', '2025-03-10 12:00:00', false)")
    run_load(home, D1)
    rows = query(home, "SELECT source, source_table, row_key, problems FROM "
                       "quarantine.source_rows")
    assert rows == [("crm", "sales_order_lines", "9",
                     ["unit_price: expected decimal(12,2), got abc"])]
    assert query(home, "SELECT rows_extracted, rows_loaded, rows_quarantined FROM meta.batches "
                       "WHERE source_table = 'sales_order_lines'") == [(4, 3, 1)]
