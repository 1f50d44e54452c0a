"""`init`: generate the demo world from start to as_of and write it into fresh source tables.

Order: reference data, customers, orders and lines (lines in chunks of order ids, which
bounds memory at large scales), service, marketing, then the ERP, which follows from the
orders. Each table is written as soon as it is complete, then its helpers are dropped.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from warehouse.config import Home
from warehouse.demo import ddl, erp, external, marketing, orders, people, reference, service
from warehouse.demo.behaviour import build_profile
from warehouse.demo.calendar import build_days
from warehouse.demo.clock import Clock
from warehouse.demo.clock import write as write_clock
from warehouse.demo.params import CHUNK_ORDERS, DemoParams, ts
from warehouse.demo.targets import Target, attach, contracts
from warehouse.demo.workspace import workspace
from warehouse.demo.writer import Progress, insert

REFERENCE_TABLES = ["regions", "departments", "sales_reps", "geo_cities", "product_categories",
                    "products", "channels", "campaigns"]


class Writer:
    """Writes relations into the two targets and keeps the row counts for the summary."""

    def __init__(self, con: duckdb.DuckDBPyConnection, targets: dict[str, Target],
                 progress: Progress | None) -> None:
        self.con, self.targets, self.progress = con, targets, progress
        self.counts: dict[str, dict[str, int]] = {name: {} for name in targets}

    def __call__(self, source: str, table: str, relation: str) -> int:
        n = insert(self.con, self.targets[source], table, relation)
        total = self.counts[source].get(table, 0) + n
        self.counts[source][table] = total
        if self.progress:
            self.progress(f"{source}.{table}", total)
        return n


def init(home: Home, p: DemoParams, crm_url: str | None, erp_url: str | None,
         progress: Progress | None) -> dict[str, dict[str, int]]:
    sources = contracts()
    with workspace(home, p.seed) as con:
        targets = {"crm": attach(con, home, sources["crm"], crm_url, create=True),
                   "erp": attach(con, home, sources["erp"], erp_url, create=True)}
        for target in targets.values():
            ddl.drop_all(con, target)
            ddl.create_all(con, target)
        write = Writer(con, targets, progress)
        t = ts(p.end_ts)
        reference.build(con, p)
        build_days(con, p.start, p.as_of)
        for table in REFERENCE_TABLES:
            write("crm", table, f"g_{table}")
        _customers(con, p, write, t)
        _orders(con, p, write, t)
        _service(con, write, t)
        _marketing(con, p, write, t)
        _erp(con, p, write, t)
        write.counts["landing"] = external.write_init(
            con, home, targets["crm"].ref("customers"), seed=p.seed, scale=p.scale,
            start=p.start, as_of=p.as_of)
        for target in targets.values():
            write_clock(con, target, Clock(p.as_of, p.seed, p.scale, p.start))
            ddl.create_indexes(con, target)
        return write.counts


def _customers(con: duckdb.DuckDBPyConnection, p: DemoParams, write: Writer, t: str) -> None:
    """A fifth of the customers predate the period (up to 3 years); the rest join during it.
    Ids follow creation time; 35% were edited since and 0.4% are soft-deleted."""
    start = ts(datetime.combine(p.start, datetime.min.time()))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE cust_seeds AS
        WITH raw AS (
            SELECT j, CASE WHEN j <= {p.n_before}
                           THEN {start} - secs(86400 * (1 + floor(1095 * u(j, 'c.pre'))))
                           ELSE {start} + secs(86400 * floor(u(j, 'c.day') * {p.period_days}))
                      END + secs(25200 + 57600 * u(j, 'c.tod')) AS created_at
            FROM range(1, {p.n_customers} + 1) t(j)
        ), ided AS (
            SELECT row_number() OVER (ORDER BY created_at, j) AS customer_id,
                   least(created_at, {t}) AS created_at
            FROM raw
        )
        SELECT customer_id, created_at,
               u(customer_id, 'c.del') < 0.004 AS is_deleted,
               CASE WHEN u(customer_id, 'c.del') < 0.004 OR u(customer_id, 'c.edit') < 0.35
                    THEN created_at + secs(u(customer_id, 'c.editt') * epoch({t} - created_at))
                    ELSE created_at END AS updated_at
        FROM ided
    """)
    people.generate_customers(con, "cust_seeds", "g_customers")
    write("crm", "customers", "g_customers")
    build_profile(con, "g_customers", datetime.combine(p.start, datetime.min.time()))
    people.contact_plan(con, "g_customers", "contact_plan")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE g_contacts AS
        SELECT row_number() OVER (ORDER BY created_at, customer_id, k) AS contact_id, *
        FROM ({people.contacts_at("contact_plan", t)})
    """)
    write("crm", "contacts", "g_contacts")


def _orders(con: duckdb.DuckDBPyConnection, p: DemoParams, write: Writer, t: str) -> None:
    orders.init_order_keys(con, p, "order_keys")
    orders.order_rows(con, "order_keys", "g_orders")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE g_orders AS
        SELECT *, sum(n_lines) OVER (ORDER BY order_id) - n_lines + 1 AS first_line_id
        FROM g_orders
    """)
    con.execute("DROP TABLE order_keys")
    write("crm", "sales_orders", f"({orders.orders_at('g_orders', t)})")
    con.execute("CREATE OR REPLACE TEMP TABLE order_net (order_id BIGINT, net_cents BIGINT)")
    last = con.execute("SELECT coalesce(max(order_id), 0) FROM g_orders").fetchone()[0]
    for low in range(1, last + 1, CHUNK_ORDERS):
        chunk = f"(SELECT * FROM g_orders WHERE order_id >= {low} AND order_id < " \
                f"{low + CHUNK_ORDERS})"
        orders.line_rows(con, chunk, "chunk_lines", t)
        write("crm", "sales_order_lines", "chunk_lines")
        con.execute("INSERT INTO order_net SELECT order_id, sum(cents) FILTER "
                    "(WHERE NOT planned_removed) FROM chunk_lines GROUP BY order_id")
    con.execute("DROP TABLE IF EXISTS chunk_lines")


def _service(con: duckdb.DuckDBPyConnection, write: Writer, t: str) -> None:
    service.contract_plan(con, "profile", "contract_plan")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE g_contracts AS
        SELECT row_number() OVER (ORDER BY signed_at, customer_id, k) AS contract_id, *
        FROM contract_plan WHERE signed_at <= {t}
    """)
    write("crm", "service_contracts", f"""(
        SELECT contract_id, 'SC' || lpad(CAST(contract_id AS VARCHAR), 7, '0') AS contract_no,
               customer_id, product_id, start_date, end_date, annual_fee,
               {service.contract_state(t)}
        FROM g_contracts)""")
    service.ticket_plan(con, "g_orders", "g_contracts", "ticket_plan")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE g_tickets AS
        SELECT row_number() OVER (ORDER BY opened_at, order_id) AS ticket_id, *
        FROM ticket_plan WHERE opened_at <= {t}
    """)
    write("crm", "service_tickets", f"({service.tickets_at('g_tickets', t)})")
    con.execute("DROP TABLE g_tickets")


def _marketing(con: duckdb.DuckDBPyConnection, p: DemoParams, write: Writer, t: str) -> None:
    marketing.response_plan(con, "g_campaigns", "profile", "response_plan")
    write("crm", "campaign_responses", f"""(
        SELECT row_number() OVER (ORDER BY responded_at, campaign_id, customer_id,
                                  response_type) AS response_id,
               campaign_id, customer_id, responded_at, response_type, consent_marketing,
               responded_at AS updated_at
        FROM response_plan WHERE responded_at <= {t})""")
    con.execute("DROP TABLE response_plan")
    marketing.init_sessions(con, p.scale, p.start, p.as_of, t, "g_sessions")
    write("crm", "web_sessions", "g_sessions")
    con.execute("DROP TABLE g_sessions")


def _erp(con: duckdb.DuckDBPyConnection, p: DemoParams, write: Writer, t: str) -> None:
    start_ts = datetime.combine(p.start, datetime.min.time())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE crm_inv AS
        SELECT o.order_id, o.order_no, o.customer_id, o.ctype, o.ship_at AS inv_ts, n.net_cents
        FROM g_orders o JOIN order_net n USING (order_id)
        WHERE NOT o.cancels AND o.ship_at <= {t}
    """)
    erp.erp_only_plan(con, p.scale, start_ts, p.end_ts, "eo_debtors", "eo_inv_plan")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE demo_map AS
        WITH d AS (
            SELECT customer_id, NULL::BIGINT AS erp_only_no,
                   min(inv_ts) - secs(3600 * (1 + u(customer_id, 'erp.c'))) AS created_at
            FROM crm_inv GROUP BY customer_id
            UNION ALL
            SELECT NULL, erp_only_no, created_at FROM eo_debtors
        )
        SELECT row_number() OVER (ORDER BY created_at, customer_id, erp_only_no) AS cust_id, *,
               false AS fresh
        FROM d
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE g_invoices AS
        WITH i AS ({erp.invoices_due("demo_map", f"e.inv_ts <= {t}")})
        SELECT row_number() OVER (ORDER BY inv_ts, kind, key) AS inv_id, cust_id,
               sales_order_ref, CAST(inv_ts AS DATE) AS inv_date,
               CAST(inv_ts AS DATE) + terms AS due_date, inv_ts AS base_modified,
               net_cents, {erp.invoice_money("net_cents")}
        FROM i
    """)
    n_cn = con.execute("SELECT count(*) FROM cn_city_slots").fetchone()[0]
    write("erp", "ar_customer", f"""(
        {erp.crm_debtor_rows("(SELECT * FROM demo_map WHERE customer_id IS NOT NULL)",
                             "g_customers", t)}
        UNION ALL
        {erp.erp_only_debtor_rows("(SELECT * FROM demo_map WHERE erp_only_no IS NOT NULL)",
                                  t, n_cn)})""")
    con.execute(f"INSERT INTO {write.targets['erp'].ref(ddl.TRUTH_TABLE)} "
                "SELECT cust_id, customer_id, erp_only_no FROM demo_map")
    con.execute(f"CREATE OR REPLACE TEMP TABLE rcpt_plan AS {erp.receipt_plan('g_invoices')}")
    write("erp", "ar_invoice", f"({erp.invoice_state('g_invoices', 'rcpt_plan', t)})")
    write("erp", "ar_receipt", f"""(
        SELECT row_number() OVER (ORDER BY received_at, inv_id, k) AS rcpt_id,
               'RC' || lpad(CAST(row_number() OVER (ORDER BY received_at, inv_id, k) AS VARCHAR),
                            9, '0') AS rcpt_no,
               inv_id, cust_id, received_at, amount_cents, pay_method,
               received_at AS last_modified
        FROM rcpt_plan WHERE received_at <= {t})""")
    write("erp", "wms_shipment", f"""(
        WITH s AS ({erp.shipment_plan(f"(SELECT * FROM g_orders WHERE ship_at <= {t})")})
        SELECT row_number() OVER (ORDER BY shipped_ts, order_id, parcel) AS shp_id,
               'SHP' || lpad(CAST(row_number() OVER (ORDER BY shipped_ts, order_id, parcel)
                                  AS VARCHAR), 9, '0') AS shp_no,
               sales_order_ref, shipped_ts, carrier_name, {erp.shipment_state(t)}
        FROM s WHERE shipped_ts <= {t})""")

