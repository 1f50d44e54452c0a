"""A tiny, hand-written pair of source databases whose every expected answer is known.

Used by core tests as an oracle: the rows are few enough to reason about by hand.
"""

from __future__ import annotations

from pathlib import Path

from warehouse import duck
from warehouse.config import SOURCES_DIR
from warehouse.contracts.sources import load_sources
from warehouse.contracts.types import duckdb_type


def create_tables(url: str, source_name: str) -> None:
    """Create the contract's tables, empty, in the database at `url`."""
    source = load_sources(SOURCES_DIR)[source_name]
    con = duck.connect()
    duck.attach(con, url, "t", read_only=False)
    for table in source.tables.values():
        cols = ", ".join(f"{duck.quote_ident(n)} {duckdb_type(c.type)}"
                         for n, c in table.columns.items())
        con.execute(f"DROP TABLE IF EXISTS t.{duck.quote_ident(table.name)}")
        con.execute(f"CREATE TABLE t.{duck.quote_ident(table.name)} ({cols})")
    con.close()


def execute(url: str, *statements: str) -> None:
    """Run statements against a source through DuckDB (tables addressed as t.<name>)."""
    con = duck.connect()
    duck.attach(con, url, "t", read_only=False)
    for sql in statements:
        con.execute(sql)
    con.close()


DAY1 = [
    "INSERT INTO t.regions VALUES (1, 'EC', 'East China', '2025-01-01 00:00:00')",
    "INSERT INTO t.departments VALUES (10, 'Shanghai Sales', 1, '2025-01-01 00:00:00')",
    "INSERT INTO t.sales_reps VALUES (100, 'R100', '李娜', 'lina@example.com', 10, "
    "'2020-01-01', true, '2025-01-01 00:00:00')",
    "INSERT INTO t.geo_cities VALUES (310100, 'CN', '中国', '310000', '上海市', '上海市', "
    "'2025-01-01 00:00:00'), (320100, 'CN', '中国', '320000', '江苏省', '南京市', "
    "'2025-01-01 00:00:00')",
    "INSERT INTO t.product_categories VALUES (1, NULL, 'Electronics', 1, '2025-01-01 00:00:00'), "
    "(2, 1, 'Phones', 2, '2025-01-01 00:00:00')",
    "INSERT INTO t.products VALUES (500, 'SKU-500', 'Phone X', 2, 999.99, 600.00, '2024-01-01', "
    "true, '2025-01-01 00:00:00'), (501, 'SKU-501', 'Case', 2, 19.90, 5.00, '2024-01-01', true, "
    "'2025-01-01 00:00:00')",
    "INSERT INTO t.channels VALUES (1, 'WEB', 'Online store', 'online', '2025-01-01 00:00:00')",
    "INSERT INTO t.campaigns VALUES (7, 'C7', 'Spring', 1, '2025-03-01', '2025-03-31', 10000.00, "
    "'acquisition', '2025-01-01 00:00:00')",
    # Customer 1 (B2C), customer 2 (B2B account).
    "INSERT INTO t.customers VALUES "
    "(1, 'C0001', 'B2C', '王伟', 'wang@example.com', '13800000001', 'mass', 'bronze', NULL, NULL, "
    "NULL, '1990-05-01', 'M', 310100, 'Nanjing Rd 1', '200001', 100, '2025-01-05 09:00:00', "
    "'2025-01-05 09:00:00', false), "
    "(2, 'C0002', 'B2B', '上海华信科技有限公司', 'info@huaxin.cn', '021-5555', 'SMB', 'silver', "
    "'91310000MA1FL0XX1A', 'tech', '50-199', NULL, NULL, 310100, 'Century Ave 8', '200120', 100, "
    "'2025-01-06 10:00:00', '2025-01-06 10:00:00', false)",
    "INSERT INTO t.sales_orders VALUES "
    "(1000, 'SO-1000', 1, 100, 1, NULL, '2025-03-10 10:00:00', 'completed', 'CNY', 310100, "
    "'2025-03-10 10:00:00', '2025-03-10 10:00:00', false), "
    "(1001, 'SO-1001', 2, 100, 1, 7, '2025-03-10 11:00:00', 'open', 'CNY', 310100, "
    "'2025-03-10 11:00:00', '2025-03-10 11:00:00', false)",
    "INSERT INTO t.sales_order_lines VALUES "
    "(1, 1000, 1, 500, 1, 999.99, 0, 999.99, '2025-03-10 10:00:00', '2025-03-10 10:00:00', false), "
    "(2, 1000, 2, 501, 3, 19.90, 10, 53.73, '2025-03-10 10:00:00', '2025-03-10 10:00:00', false), "
    "(3, 1001, 1, 500, 2, 999.99, 5, 1899.98, '2025-03-10 11:00:00', '2025-03-10 11:00:00', false)",
]

ERP_DAY1 = [
    "INSERT INTO t.ar_customer VALUES "
    "(9001, 'D-9001', 'C0001', '王伟', NULL, 'wang@example.com', '13800000001', 'Shanghai', "
    "0, '2025-03-10 12:00:00'), "
    "(9002, 'D-9002', '', 'Huaxin Tech', '91310000MA1FL0XX1A', NULL, NULL, 'Shanghai', 5000000, "
    "'2025-03-10 12:00:00'), "
    "(9003, 'D-9003', NULL, 'Walk-in debtor', NULL, 'nobody@example.com', NULL, 'Beijing', 0, "
    "'2025-03-10 12:00:00')",
    "INSERT INTO t.ar_invoice VALUES "
    "(1, 'INV-1', 9001, 'SO-1000', '2025-03-10', '2025-04-09', 'CNY', 105372, 13698, 'O', "
    "'2025-03-10 12:00:00'), "
    "(2, 'INV-2', 9003, NULL, '2025-03-10', '2025-04-09', 'CNY', 10000, 1300, 'O', "
    "'2025-03-10 12:00:00')",
    "INSERT INTO t.ar_receipt VALUES (1, 'R-1', 1, 9001, '2025-03-10 15:00:00', 50000, "
    "'alipay', '2025-03-10 15:00:00')",
    "INSERT INTO t.wms_shipment VALUES (1, 'SH-1', 'SO-1000', '2025-03-10 16:00:00', NULL, 'SF', "
    "'shipped', '2025-03-10 16:00:00'), (2, 'SH-2', 'SO-1001', '2025-03-10 17:00:00', NULL, 'SF', "
    "'shipped', '2025-03-10 17:00:00')",
]

DAY2 = [
    # Customer 1 moves to Nanjing and becomes affluent (type 2); customer 2 fixes its e-mail (type 1).
    "UPDATE t.customers SET segment = 'affluent', city_id = 320100, address_line = 'Zhongshan Rd 2',"
    " updated_at = '2025-03-11 09:30:00' WHERE customer_id = 1",
    "UPDATE t.customers SET email = 'sales@huaxin.cn', updated_at = '2025-03-11 10:00:00' "
    "WHERE customer_id = 2",
    # A new order by customer 1 after the move, and an order by customer 3 who is not in the CRM yet.
    "INSERT INTO t.sales_orders VALUES "
    "(1002, 'SO-1002', 1, 100, 1, NULL, '2025-03-11 14:00:00', 'open', 'CNY', 320100, "
    "'2025-03-11 14:00:00', '2025-03-11 14:00:00', false), "
    "(1003, 'SO-1003', 3, 100, 1, NULL, '2025-03-11 15:00:00', 'open', 'CNY', 320100, "
    "'2025-03-11 15:00:00', '2025-03-11 15:00:00', false)",
    "INSERT INTO t.sales_order_lines VALUES "
    "(4, 1002, 1, 501, 1, 19.90, 0, 19.90, '2025-03-11 14:00:00', '2025-03-11 14:00:00', false), "
    "(5, 1003, 1, 501, 2, 19.90, 0, 39.80, '2025-03-11 15:00:00', '2025-03-11 15:00:00', false)",
    # Order 1001 is cancelled: soft delete of header and line.
    "UPDATE t.sales_orders SET status = 'cancelled', is_deleted = true, "
    "updated_at = '2025-03-11 16:00:00' WHERE order_id = 1001",
    "UPDATE t.sales_order_lines SET is_deleted = true, updated_at = '2025-03-11 16:00:00' "
    "WHERE order_id = 1001",
]

ERP_DAY2 = [
    "DELETE FROM t.wms_shipment WHERE shp_id = 2",
]

DAY3 = [
    # Customer 3 arrives late: the inferred member is completed.
    "INSERT INTO t.customers VALUES (3, 'C0003', 'B2C', '张敏', 'zhang@example.com', "
    "'13900000003', 'mass', 'bronze', NULL, NULL, NULL, '1985-02-02', 'F', 320100, 'Hunan Rd 3', "
    "'210000', 100, '2025-03-12 08:00:00', '2025-03-12 08:00:00', false)",
]


# Orders spread over time, for time intelligence (added to DAY1 by the cubes' `mini_time_wh`):
# one in 2023, three months of 2024 (the others missing), January 2025 next to DAY1's March,
# and one without an order date (date member -1, "unknown"). Customer 1 is B2C, 2 is B2B.
TIME_ORDERS = [  # (order id, customer, order time, line id, product, quantity, price, amount)
    (2001, 1, "2023-11-20 10:00:00", 21, 501, 1, "19.90", "19.90"),
    (2002, 2, "2024-01-15 10:00:00", 22, 500, 1, "999.99", "999.99"),
    (2003, 1, "2024-03-02 10:00:00", 23, 501, 5, "19.90", "99.50"),
    (2004, 2, "2024-11-30 10:00:00", 24, 500, 2, "999.99", "1999.98"),
    (2005, 1, "2025-01-31 10:00:00", 25, 501, 2, "19.90", "39.80"),
    (2006, 2, None, 26, 501, 1, "19.90", "19.90"),
]
TIME_DAY1 = [
    "INSERT INTO t.sales_orders VALUES " + ", ".join(
        f"({o}, 'SO-{o}', {c}, 100, 1, NULL, {'NULL' if ts is None else repr(ts)}, "
        "'completed', 'CNY', 310100, '2025-03-10 09:00:00', '2025-03-10 09:00:00', false)"
        for o, c, ts, *_ in TIME_ORDERS),
    "INSERT INTO t.sales_order_lines VALUES " + ", ".join(
        f"({line}, {o}, 1, {p}, {q}, {price}, 0, {amount}, '2025-03-10 09:00:00', "
        "'2025-03-10 09:00:00', false)"
        for o, _c, _ts, line, p, q, price, amount in TIME_ORDERS),
]


def make_sources(root: Path) -> tuple[str, str]:
    crm = f"sqlite:///{root / 'crm.sqlite'}"
    erp = f"sqlite:///{root / 'erp.sqlite'}"
    create_tables(crm, "crm")
    create_tables(erp, "erp")
    execute(crm, *DAY1)
    execute(erp, *ERP_DAY1)
    return crm, erp
