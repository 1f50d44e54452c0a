"""The build checks can fail: each is shown catching the fault it exists for."""

from __future__ import annotations

import shutil
from datetime import date

from tests.mini_sources import DAY2, execute
from warehouse import duck
from warehouse.config import MODEL_DIR
from warehouse.contracts.model import load_model
from warehouse.core.checks import run_checks
from warehouse.load import run_load
from warehouse.publish import SnapshotStore


def failing(con, load_id: str) -> set[str]:
    return {c.name for c in run_checks(con, load_model(MODEL_DIR), load_id) if not c.passed}


def writable_copy(home, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(SnapshotStore(home).current().path, path)
    return duck.connect(path)


def test_a_clean_load_passes_and_each_fault_is_caught(mini, tmp_path):
    home, crm, _ = mini
    run_load(home, date(2025, 3, 10))
    execute(crm, *DAY2)
    run_load(home, date(2025, 3, 11))
    con = writable_copy(home, tmp_path)
    load_id = "L20250311"
    assert failing(con, load_id) == set()
    # A fan-out: one order line written twice.
    con.execute("INSERT INTO core.fact_sales_line SELECT * FROM core.fact_sales_line "
                "WHERE line_id = 4")
    # A fact row pointing at a customer version that does not exist.
    con.execute("UPDATE core.fact_sales_line SET customer_key = 424242 WHERE line_id = 5")
    # Two current versions of one customer, and a gap in its history.
    con.execute("UPDATE core.dim_customer SET is_current = true, valid_to = valid_to - "
                "INTERVAL 1 HOUR WHERE customer_id = 1 AND version = 1")
    # Revenue no longer equal to the source.
    con.execute("UPDATE core.fact_sales_line SET net_amount = net_amount + 0.01 WHERE line_id = 1")
    con.execute("UPDATE meta.batches SET rows_loaded = rows_loaded + 1 WHERE load_id = ? "
                "AND source_table = 'customers'", [load_id])
    assert failing(con, load_id) == {
        "fact_sales_line.grain_unique",
        "fact_sales_line.customer_key_references_dim_customer",
        "dim_customer.one_current_version",
        "dim_customer.contiguous_versions",
        "fact_sales_line.net_amount_reconciles",
        "row_accounting",
    }
    con.close()


def test_revenue_reconcile_counts_orphan_lines_and_skips_deleted_orders():
    """Lines of a deleted order drop out; lines with no order row (late) or no order id stay."""
    from warehouse.core.checks import sales_reconcile_to_source

    con = duck.connect()
    con.execute("CREATE SCHEMA staging; CREATE SCHEMA core")
    con.execute("CREATE TABLE staging.current_order (order_id BIGINT, _deleted BOOLEAN)")
    con.execute("INSERT INTO staging.current_order VALUES (1, false), (2, true)")
    con.execute("CREATE TABLE staging.current_order_line "
                "(order_id BIGINT, line_amount DECIMAL(14,2), _deleted BOOLEAN)")
    con.execute("INSERT INTO staging.current_order_line VALUES (1, 10.01, false), "
                "(1, 99.00, true), (2, 5.00, false), (3, 0.10, false), (NULL, 0.02, false)")
    con.execute("CREATE TABLE core.fact_sales_line (net_amount DECIMAL(14,2))")
    con.execute("INSERT INTO core.fact_sales_line VALUES (10.01), (0.10), (0.02)")
    assert sales_reconcile_to_source(con).passed
    con.execute("UPDATE core.fact_sales_line SET net_amount = 0.03 WHERE net_amount = 0.02")
    result = sales_reconcile_to_source(con)
    assert not result.passed and "10.13" in result.detail
    con.close()
