"""A day in the ERP: invoices and shipments for orders that shipped today, new debtors,
receipts and voids by plan, deliveries, a few shipments hard-deleted, debtor corrections."""

from __future__ import annotations

from datetime import datetime, time

from warehouse.demo import erp
from warehouse.demo.daily_people import CUSTOMER_COLUMNS
from warehouse.demo.day import Day
from warehouse.demo.ddl import TRUTH_TABLE
from warehouse.demo.params import end_of
from warehouse.demo.writer import read_typed

CREDIT_REVIEW = 0.0005  # daily probability a business debtor's credit limit changes
REF_FIX = 0.003  # daily probability a blank crm_ref gets filled in


def invoices(x: Day) -> None:
    """New debtors and invoices, receipts and invoice status changes."""
    start_ts = datetime.combine(x.clock.start, time())
    x.temp("demo_map", f"SELECT * FROM {x.erp.ref(TRUTH_TABLE)}")
    x.temp("crm_inv", f"""
        SELECT o.order_id, o.order_no, o.customer_id, o.ctype, o.ship_at AS inv_ts, n.net_cents
        FROM ord_all o JOIN ord_net n USING (order_id)
        WHERE NOT o.cancels AND o.ship_at > {x.t_prev} AND o.ship_at <= {x.t}
    """)
    erp.erp_only_plan(x.con, x.clock.scale, start_ts, end_of(x.day), "eo_debtors",
                      "eo_inv_plan")
    first_cust = int(x.scalar("SELECT coalesce(max(cust_id), 0) FROM demo_map")) + 1
    x.temp("new_map", f"""
        WITH d AS (
            SELECT customer_id, NULL::BIGINT AS erp_only_no,
                   greatest(min(inv_ts) - secs(3600 * (1 + u(customer_id, 'erp.c'))),
                            {x.t_prev} + INTERVAL 1 SECOND) AS created_at
            FROM crm_inv
            WHERE customer_id NOT IN (SELECT customer_id FROM demo_map
                                      WHERE customer_id IS NOT NULL)
            GROUP BY customer_id
            UNION ALL
            SELECT NULL, erp_only_no, created_at FROM eo_debtors
            WHERE created_at > {x.t_prev}
        )
        SELECT {first_cust} - 1 + row_number() OVER (ORDER BY created_at, customer_id,
                                                      erp_only_no) AS cust_id, *, true AS fresh
        FROM d
    """)
    n_cn = x.scalar("SELECT count(*) FROM cn_city_slots")
    # the ERP may learn of a customer before the CRM row arrives (late-arriving in the CRM)
    known = (f"(SELECT {CUSTOMER_COLUMNS} FROM all_cust "
             f"UNION ALL SELECT {CUSTOMER_COLUMNS} FROM reserved_cust)")
    x.upsert("erp", "ar_customer", f"""(
        {erp.crm_debtor_rows("(SELECT * FROM new_map WHERE customer_id IS NOT NULL)",
                             known, x.t)}
        UNION ALL
        {erp.erp_only_debtor_rows("(SELECT * FROM new_map WHERE erp_only_no IS NOT NULL)",
                                  x.t, n_cn)})""")
    x.con.execute(f"INSERT INTO {x.erp.ref(TRUTH_TABLE)} "
                  "SELECT cust_id, customer_id, erp_only_no FROM new_map")
    x.temp("all_map", "SELECT cust_id, customer_id, erp_only_no FROM demo_map "
                      "UNION ALL SELECT cust_id, customer_id, erp_only_no FROM new_map")
    first_inv = x.max_id("erp", "ar_invoice") + 1
    open_inv = read_typed(x.erp, "ar_invoice", "inv_status IN ('O', 'T')")
    x.temp("eval_inv", f"""
        WITH i AS ({erp.invoices_due("all_map", f"e.inv_ts > {x.t_prev} AND e.inv_ts <= {x.t}")})
        SELECT {first_inv} - 1 + row_number() OVER (ORDER BY inv_ts, kind, key) AS inv_id,
               cust_id, sales_order_ref, CAST(inv_ts AS DATE) AS inv_date,
               CAST(inv_ts AS DATE) + terms AS due_date, inv_ts AS base_modified,
               net_cents, {erp.invoice_money("net_cents")}, true AS is_new
        FROM i
        UNION ALL
        SELECT inv_id, cust_id, sales_order_ref, inv_date, due_date,
               last_modified AS base_modified, net_cents, tax_cents, net_cents + tax_cents,
               false
        FROM {open_inv}
    """)
    x.con.execute(f"CREATE OR REPLACE TEMP TABLE rcpt_plan AS {erp.receipt_plan('eval_inv')}")
    first_rcpt = x.max_id("erp", "ar_receipt") + 1
    x.insert("erp", "ar_receipt", f"""(
        SELECT {first_rcpt} - 1 + row_number() OVER (ORDER BY received_at, inv_id, k) AS rcpt_id,
               'RC' || lpad(CAST({first_rcpt} - 1 + row_number() OVER (ORDER BY received_at,
                            inv_id, k) AS VARCHAR), 9, '0') AS rcpt_no,
               inv_id, cust_id, received_at, amount_cents, pay_method,
               received_at AS last_modified
        FROM rcpt_plan WHERE received_at > {x.t_prev} AND received_at <= {x.t})""")
    x.upsert("erp", "ar_invoice", f"""(
        SELECT s.* FROM ({erp.invoice_state('eval_inv', 'rcpt_plan', x.t)}) s
        JOIN eval_inv e USING (inv_id)
        WHERE e.is_new OR s.last_modified > e.base_modified)""")


def debtors(x: Day) -> None:
    """Data stewardship in the ERP: blank CRM references filled in, credit limits reviewed."""
    key = f"a.cust_id, {x.dn}"
    x.upsert("erp", "ar_customer", f"""(
        SELECT a.cust_id, a.cust_code,
               CASE WHEN nullif(trim(a.crm_ref), '') IS NULL AND c.customer_no IS NOT NULL
                         AND u2({key}, 'erp.fix') < {REF_FIX}
                    THEN c.customer_no ELSE a.crm_ref END AS crm_ref,
               a.cust_name, a.tax_no, a.email, a.tel, a.city,
               CASE WHEN a.credit_limit_cents > 0 AND u2({key}, 'erp.cr') < {CREDIT_REVIEW}
                    THEN CAST(a.credit_limit_cents * 1.2 AS BIGINT)
                    ELSE a.credit_limit_cents END AS credit_limit_cents,
               {x.at('a.cust_id', 'erp.fixt', 9, 9)} AS last_modified
        FROM {read_typed(x.erp, "ar_customer")} a
        JOIN all_map m USING (cust_id)
        LEFT JOIN all_cust c ON c.customer_id = m.customer_id
        WHERE a.last_modified <= {x.t_prev}
          AND ((nullif(trim(a.crm_ref), '') IS NULL AND c.customer_no IS NOT NULL
                AND u2({key}, 'erp.fix') < {REF_FIX})
               OR (a.credit_limit_cents > 0 AND u2({key}, 'erp.cr') < {CREDIT_REVIEW})))""")


def shipments(x: Day) -> None:
    """New parcels, deliveries, and a few shipment records deleted outright."""
    first = x.max_id("erp", "wms_shipment") + 1
    plan = erp.shipment_plan(f"(SELECT * FROM ord_all WHERE ship_at > {x.t_prev} "
                             f"- INTERVAL 2 DAY AND ship_at <= {x.t})")
    x.temp("new_shp", f"""
        WITH s AS ({plan})
        SELECT {first} - 1 + row_number() OVER (ORDER BY shipped_ts, order_id, parcel) AS shp_id,
               sales_order_ref, shipped_ts, carrier_name, {erp.shipment_state(x.t)}
        FROM s WHERE shipped_ts > {x.t_prev} AND shipped_ts <= {x.t}
    """)
    x.insert("erp", "wms_shipment", """(
        SELECT *, 'SHP' || lpad(CAST(shp_id AS VARCHAR), 9, '0') AS shp_no FROM new_shp)""")
    recent = read_typed(x.erp, "wms_shipment",
                        f"shp_status = 'IN_TRANSIT' OR shipped_ts > {x.t} - INTERVAL 60 DAY")
    x.temp("cur_shp", f"SELECT * FROM {recent} WHERE shp_id < {first}")
    n_delete = max(1, round(2 * x.clock.scale))
    doomed = [r[0] for r in x.con.execute(f"""
        SELECT shp_id FROM cur_shp WHERE shipped_ts > {x.t} - INTERVAL 60 DAY
        ORDER BY u2(shp_id, {x.dn}, 'shp.del'), shp_id LIMIT {n_delete}
    """).fetchall()]
    x.delete("erp", "wms_shipment", doomed)
    excluded = ", ".join(str(i) for i in doomed) or "NULL"
    x.upsert("erp", "wms_shipment", f"""(
        WITH s AS (
            SELECT c.*, o.order_id, o.done_at,
                   row_number() OVER (PARTITION BY c.sales_order_ref ORDER BY c.shp_id) AS parcel
            FROM cur_shp c JOIN ord_all o ON o.order_no = c.sales_order_ref
            WHERE c.shp_status = 'IN_TRANSIT' AND c.shp_id NOT IN ({excluded})
        ), d AS (
            SELECT *, greatest(shipped_ts + INTERVAL 2 HOUR,
                               done_at - secs(21600 * u2(order_id, parcel, 'shp.d')))
                          AS delivered_plan
            FROM s
        )
        SELECT shp_id, shp_no, sales_order_ref, shipped_ts, carrier_name,
               {erp.shipment_state(x.t)}
        FROM d WHERE delivered_plan > {x.t_prev} AND delivered_plan <= {x.t})""")

