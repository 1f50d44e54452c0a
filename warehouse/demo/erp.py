"""The ERP side: debtors, invoices, receipts and shipments, in the ERP's own conventions.

Money is in cents, invoice status is a code (O open, P paid, T partially paid, X void) and
the link to the CRM is a free-text `crm_ref` that is often right, sometimes blank (then the
tax number or e-mail still match) and sometimes wrong. A few debtors exist only in the ERP.
An invoice is issued when an order ships (net = its live lines, tax 13%); receipts and voids
follow a plan per invoice, deliveries follow the order's plan.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from warehouse.demo.params import ERP_ONLY_DEBTORS, ts
from warehouse.demo.rng import text_choice

# ERP-only debtors appear steadily from 400 days before the period start.
ERP_ONLY_LEAD_DAYS = 400
ERP_ONLY_MEAN_GAP_DAYS = 200
MAX_ERP_ONLY_INVOICES = 40


def erp_only_spacing_days(scale: float) -> float:
    return (ERP_ONLY_LEAD_DAYS + 731) / (ERP_ONLY_DEBTORS * scale)


def erp_only_plan(con: duckdb.DuckDBPyConnection, scale: float, start_ts: datetime,
                  upto: datetime, debtors_out: str, invoices_out: str) -> None:
    """ERP-only debtors created up to `upto` and all their planned invoices (any time from
    `start_ts` on: the ERP's history before the period is not part of the demo)."""
    origin = start_ts - timedelta(days=ERP_ONLY_LEAD_DAYS)
    spacing = erp_only_spacing_days(scale)
    k_max = int((upto - origin).total_seconds() / 86400 / spacing) + 2
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {debtors_out} AS
        SELECT * FROM (
            SELECT k AS erp_only_no,
                   {ts(origin)} + secs(86400 * CAST({spacing} AS DOUBLE) * (k - 1 + u(k, 'eo.c')))
                       AS created_at
            FROM range(1, {k_max} + 1) t(k)
        ) WHERE created_at <= {ts(upto)}
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {invoices_out} AS
        WITH g AS (
            SELECT erp_only_no, greatest(created_at, {ts(start_ts)}) AS created_at, j,
                   -{ERP_ONLY_MEAN_GAP_DAYS} * ln(1 - u2(erp_only_no, j, 'eo.g')) AS gap
            FROM {debtors_out}, range(1, {MAX_ERP_ONLY_INVOICES} + 1) t(j)
        )
        SELECT erp_only_no, j,
               created_at + secs(86400 * sum(gap) OVER (PARTITION BY erp_only_no ORDER BY j))
                   AS inv_ts,
               CAST(round(500 * exp(ln(160) * u2(erp_only_no, j, 'eo.a'))) AS BIGINT) * 100
                   AS net_cents
        FROM g
    """)


def terms_days(cust_id: str, b2c: str) -> str:
    """Payment terms: consumers pay at once, businesses in 30 or 60 days."""
    return (f"CASE WHEN {b2c} THEN 0 WHEN u({cust_id}, 'erp.terms') < 0.6 THEN 30 "
            "ELSE 60 END")


def crm_debtor_rows(debtors: str, customers: str, t: str) -> str:
    """ar_customer rows for `debtors`(cust_id, customer_id, created_at, fresh) from the CRM
    `customers` rows; `fresh` debtors are not modified after creation."""
    ref = """CASE WHEN r < 0.83 THEN c.customer_no
                  WHEN r < 0.84 THEN '  ' || c.customer_no
                  WHEN r < 0.85 THEN c.customer_no || ' '
                  WHEN r < 0.90 THEN NULL
                  WHEN r < 0.93 THEN ''
                  WHEN r < 0.95 THEN ' '
                  WHEN r < 0.975 THEN 'C' || lpad(CAST(c.customer_id + 1
                       + ui(c.customer_id, 'erp.wr', 500) AS VARCHAR), 8, '0')
                  ELSE 'CRM-' || c.customer_id END"""
    blank = "(r >= 0.85 AND r < 0.95)"
    return f"""
        SELECT db.cust_id, 'AR' || lpad(CAST(db.cust_id AS VARCHAR), 6, '0') AS cust_code,
               {ref} AS crm_ref,
               CASE WHEN c.customer_type = 'B2B' AND u(c.customer_id, 'erp.short') < 0.15
                    THEN replace(trim(c.full_name), '有限公司', '')
                    ELSE trim(c.full_name) END AS cust_name,
               CASE WHEN c.customer_type = 'B2B'
                         AND ({blank} OR u(c.customer_id, 'erp.tax') < 0.95)
                    THEN c.tax_id END AS tax_no,
               CASE WHEN {blank} OR u(c.customer_id, 'erp.mail') < 0.9
                    THEN lower(trim(c.email)) END AS email,
               nullif(regexp_replace(c.phone, '[^0-9]', '', 'g'), '') AS tel,
               CASE WHEN u(c.customer_id, 'erp.city') < 0.3 THEN replace(rc.city_name, '市', '')
                    ELSE rc.city_name END AS city,
               CASE WHEN c.customer_type = 'B2B'
                    THEN CAST(50000 + 10000 * floor(195 * u(c.customer_id, 'erp.cl'))
                              AS BIGINT) * 100
                    ELSE 0 END AS credit_limit_cents,
               CASE WHEN NOT db.fresh AND u(c.customer_id, 'erp.mod') < 0.2
                    THEN db.created_at + secs(u(c.customer_id, 'erp.modt')
                                              * epoch({t} - db.created_at))
                    ELSE db.created_at END AS last_modified
        FROM {debtors} db
        JOIN (SELECT *, u(customer_id, 'erp.ref') AS r FROM {customers}) c USING (customer_id)
        LEFT JOIN ref_city rc ON rc.city_id = c.city_id
    """


def erp_only_debtor_rows(debtors: str, t: str, n_cn_slots: int) -> str:
    """ar_customer rows for `debtors`(cust_id, erp_only_no, created_at, fresh): companies
    that never appear in the CRM."""
    eid = "(900000000 + erp_only_no)"
    return f"""
        SELECT cust_id, 'AR' || lpad(CAST(cust_id AS VARCHAR), 6, '0') AS cust_code,
               CASE WHEN u({eid}, 'eo.ref') < 0.6 THEN NULL ELSE '' END AS crm_ref,
               replace(rc.city_name, '市', '') || brand_h()[co_ibr({eid})]
                   || ind_cn()[co_iind({eid})] || pick(co_suffix(), u({eid}, 'eo.sfx'))
                   AS cust_name,
               uscc({eid}, CAST(rc.city_id AS VARCHAR)) AS tax_no,
               'finance@' || co_domain({eid}) AS email,
               ltrim(rc.area_code, '0') || CAST(20000000 + ui({eid}, 'eo.tel', 79999999)
                                                AS VARCHAR) AS tel,
               rc.city_name AS city,
               CAST(100000 + 10000 * floor(90 * u({eid}, 'eo.cl')) AS BIGINT) * 100
                   AS credit_limit_cents,
               CASE WHEN NOT fresh AND u({eid}, 'eo.mod') < 0.2
                    THEN created_at + secs(u({eid}, 'eo.modt') * epoch({t} - created_at))
                    ELSE created_at END AS last_modified
        FROM {debtors}
        JOIN cn_city_slots cs ON cs.slot = ui({eid}, 'eo.city', {n_cn_slots})
        JOIN ref_city rc ON rc.city_id = cs.city_id
    """


def invoices_due(debtor_map: str, window: str) -> str:
    """CRM order invoices and ERP-only invoices with their debtor; `window` bounds the
    ERP-only plan by inv_ts. Init and advance both use it, so they cannot drift apart."""
    return f"""
        SELECT m.cust_id, c.order_no AS sales_order_ref, c.inv_ts, c.net_cents,
               {terms_days("m.cust_id", "c.ctype = 'B2C'")} AS terms, 0 AS kind,
               c.order_id AS key
        FROM crm_inv c JOIN {debtor_map} m USING (customer_id)
        UNION ALL
        SELECT m.cust_id, NULL, e.inv_ts, e.net_cents, {terms_days("m.cust_id", "false")},
               1, e.erp_only_no * 1000 + e.j
        FROM eo_inv_plan e JOIN {debtor_map} m USING (erp_only_no)
        WHERE {window}"""


def receipt_plan(invoices: str) -> str:
    """Planned receipts of `invoices`(inv_id, cust_id, inv_date, due_date, gross):
    (inv_id, cust_id, k, amount_cents, received_at, pay_method). Consumers (due at once) pay
    the next day (3% never); businesses pay on time, late, partly, in two instalments, or
    not at all. Times count from the day after the invoice date, so the plan needs only
    what the invoice row itself holds."""
    b2c_method = text_choice("u2(inv_id, k, 'pay.m')", [("ALIPAY", 45), ("WECHAT", 40),
                                                         ("UNIONPAY", 15)])
    b2b_method = text_choice("u2(inv_id, k, 'pay.m')", [("BANK_TRANSFER", 85),
                                                         ("ACCEPTANCE_BILL", 15)])
    return f"""
        WITH i AS (
            SELECT inv_id, cust_id, gross, due_date - inv_date AS terms,
                   CAST(inv_date + 1 AS TIMESTAMP) AS t0, CAST(due_date AS TIMESTAMP) AS due,
                   u(inv_id, 'pay') AS up, u(inv_id, 'pay.t1') AS a1,
                   u(inv_id, 'pay.t2') AS a2, u(inv_id, 'pay.amt') AS am,
                   u(inv_id, 'pay.p2') < 0.5 AS second
            FROM {invoices} WHERE NOT inv_voids(inv_id)
        ), r AS (
            SELECT inv_id, cust_id, terms, 1 AS k,
                   CASE WHEN terms = 0 THEN CASE WHEN up < 0.97 THEN gross END
                        WHEN up < 0.73 THEN gross
                        WHEN up < 0.85 THEN CAST(round(gross * (0.3 + 0.5 * am)) AS BIGINT)
                        WHEN up < 0.93 THEN gross // 2 END AS amount_cents,
                   CASE WHEN terms = 0 THEN t0 + secs(28800 + 50400 * a1)
                        WHEN up < 0.55 OR (up >= 0.73 AND up < 0.85)
                        THEN t0 + secs(86400 * (4 + a1 * (terms - 5)))
                        WHEN up < 0.73 THEN due + secs(86400 * (1 + 60 * a1))
                        ELSE t0 + secs(86400 * (4 + a1 * (terms / 2 - 5))) END AS received_at
            FROM i
            UNION ALL
            SELECT inv_id, cust_id, terms, 2,
                   CASE WHEN terms > 0 AND up >= 0.73 AND up < 0.85 AND second
                        THEN gross - CAST(round(gross * (0.3 + 0.5 * am)) AS BIGINT)
                        WHEN terms > 0 AND up >= 0.85 AND up < 0.93 THEN gross - gross // 2 END,
                   CASE WHEN up < 0.85 THEN due + secs(86400 * (10 + 80 * a2))
                        ELSE t0 + secs(86400 * (terms / 2 + a2 * terms / 2)) END
            FROM i
        )
        SELECT inv_id, cust_id, k, amount_cents, received_at,
               CASE WHEN terms = 0 THEN {b2c_method} ELSE {b2b_method} END AS pay_method
        FROM r WHERE amount_cents IS NOT NULL AND amount_cents > 0
    """


def invoice_state(invoices: str, receipts: str, t: str) -> str:
    """Contract columns of `invoices` at `t`; `receipts` holds their planned receipts.

    `invoices` has inv_id, cust_id, sales_order_ref, inv_date, due_date, net_cents,
    tax_cents, gross and `base_modified` (when the row was last written before)."""
    void_at = "inv_void_at(i.inv_id, CAST(i.inv_date + 1 AS TIMESTAMP))"
    return f"""
        WITH paid AS (
            SELECT inv_id, sum(amount_cents) AS paid, max(received_at) AS last_paid
            FROM {receipts} WHERE received_at <= {t} GROUP BY inv_id
        )
        SELECT i.inv_id, 'INV' || lpad(CAST(i.inv_id AS VARCHAR), 9, '0') AS inv_no, i.cust_id,
               i.sales_order_ref, i.inv_date, i.due_date, 'CNY' AS curr,
               i.net_cents, i.tax_cents,
               CASE WHEN inv_voids(i.inv_id) AND {void_at} <= {t} THEN 'X'
                    WHEN coalesce(p.paid, 0) >= i.gross THEN 'P'
                    WHEN coalesce(p.paid, 0) > 0 THEN 'T' ELSE 'O' END AS inv_status,
               greatest(i.base_modified,
                        CASE WHEN inv_voids(i.inv_id) AND {void_at} <= {t} THEN {void_at} END,
                        p.last_paid) AS last_modified
        FROM {invoices} i LEFT JOIN paid p USING (inv_id)
    """


def invoice_money(net: str) -> str:
    """tax_cents and gross from net cents: 13% VAT rounded half up to the cent."""
    return f"({net} * 13 + 50) // 100 AS tax_cents, {net} + ({net} * 13 + 50) // 100 AS gross"


def shipment_plan(orders: str) -> str:
    """Parcels of shipped, not cancelled `orders` (order_id, order_no, ship_at, done_at,
    n_lines, ship_city_id): 6% of multi-line orders ship in two parcels."""
    return f"""
        WITH p AS (
            SELECT order_id, order_no, ship_at, done_at, ship_city_id, 1 AS parcel FROM {orders}
            WHERE NOT cancels
            UNION ALL
            SELECT order_id, order_no, ship_at + secs(7200 + 100000 * u(order_id, 'shp.t2')),
                   done_at, ship_city_id, 2 FROM {orders}
            WHERE NOT cancels AND n_lines > 1 AND u(order_id, 'shp.split') < 0.06
        )
        SELECT order_id, order_no AS sales_order_ref, parcel, ship_at AS shipped_ts,
               greatest(ship_at + INTERVAL 2 HOUR,
                        done_at - secs(21600 * u2(order_id, parcel, 'shp.d'))) AS delivered_plan,
               CASE WHEN ship_city_id >= 9000000 THEN pick(carrier_intl(), u(order_id, 'shp.c'))
                    ELSE pick(carrier_cn(), u(order_id, 'shp.c')) END AS carrier_name
        FROM p
    """


def shipment_state(t: str) -> str:
    return f"""
        CASE WHEN delivered_plan <= {t} THEN delivered_plan END AS delivered_ts,
        CASE WHEN delivered_plan <= {t} THEN 'DELIVERED' ELSE 'IN_TRANSIT' END AS shp_status,
        CASE WHEN delivered_plan <= {t} THEN delivered_plan ELSE shipped_ts END AS last_modified
    """
