"""Service contracts (with renewals) and service tickets (from orders), as plans.

A contract chain is a pure function of the customer; a ticket arises from an order some
days after it was placed. Existence and state at any moment follow from the plan, so the
initial load and every advanced day agree.
"""

from __future__ import annotations

import duckdb

from warehouse.demo.rng import choice, text_choice
from warehouse.demo.timeline import ticket_state

MAX_RENEWALS = 3


def _years(k: int) -> str:
    return (f"(CASE WHEN u2(customer_id, {k}, 'sc.y') < 0.15 THEN 3 "
            f"WHEN u2(customer_id, {k}, 'sc.y') < 0.4 THEN 2 ELSE 1 END)")


def contract_plan(con: duckdb.DuckDBPyConnection, customers: str, out: str) -> None:
    """Every contract of every customer's chain: `out`(customer_id, k, product_id,
    start_date, end_date, annual_fee, signed_at, cancel_at). `customers` is a profile."""
    parts = []
    for k in range(MAX_RENEWALS + 1):
        offset = " + ".join(_years(j) for j in range(k)) or "0"
        renewed = " AND ".join(
            f"u2(customer_id, {j}, 'sc.renew') < 0.6 AND u2(customer_id, {j}, 'sc.cx') >= 0.05"
            for j in range(k)) or "TRUE"
        parts.append(f"""
            SELECT customer_id, ctype, {k} AS k, start0 + 365 * ({offset}) AS start_date,
                   {_years(k)} AS years
            FROM base WHERE {renewed}
        """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH base AS (
            SELECT customer_id, ctype,
                   CAST(created_at AS DATE) + CAST(10 + floor(200 * u(customer_id, 'sc.s'))
                                                   AS INTEGER) AS start0
            FROM {customers}
            WHERE w > 0 AND u(customer_id, 'sc.has')
                  < CASE WHEN ctype = 'B2B' THEN 0.35 ELSE 0.06 END
        ), chain AS ({" UNION ALL ".join(parts)}
        ), prod AS (
            SELECT c.*, CASE WHEN ctype = 'B2C' THEN 62
                             WHEN u2(customer_id, k, 'sc.sub') < 0.7 THEN 63 ELSE 61 END AS sub
            FROM chain c
        )
        SELECT p.customer_id, p.k, sp.product_id, p.start_date,
               p.start_date + 365 * p.years - 1 AS end_date,
               CASE WHEN p.ctype = 'B2C' THEN rp.list_price
                    ELSE CAST(round(rp.list_price * (1 + 4 * u2(p.customer_id, p.k, 'sc.fee')), 0)
                              AS DECIMAL(12,2)) END AS annual_fee,
               CAST(p.start_date AS TIMESTAMP) + INTERVAL 10 HOUR
                   - secs(86400 * (1 + 9 * u2(p.customer_id, p.k, 'sc.sig'))) AS signed_at,
               CASE WHEN u2(p.customer_id, p.k, 'sc.cx') < 0.05
                    THEN CAST(p.start_date AS TIMESTAMP)
                         + secs(86400 * 365 * p.years * u2(p.customer_id, p.k, 'sc.cxt')) END
                   AS cancel_at
        FROM prod p
        JOIN (SELECT category_id, max(n) AS n FROM sub_products GROUP BY ALL) sn
            ON sn.category_id = p.sub
        JOIN sub_products sp ON sp.category_id = p.sub
                            AND sp.k = ui2(p.customer_id, p.k, 'sc.p', sn.n)
        JOIN ref_product rp ON rp.product_id = sp.product_id
    """)


def contract_state(t: str) -> str:
    """status and updated_at of a planned contract at timestamp SQL `t`."""
    activated = "CAST(start_date AS TIMESTAMP) + INTERVAL 5 MINUTE"
    expired = "CAST(end_date + 1 AS TIMESTAMP) + INTERVAL 5 MINUTE"
    return f"""
        CASE WHEN cancel_at <= {t} THEN 'cancelled'
             WHEN {expired} <= {t} THEN 'expired'
             WHEN {activated} <= {t} THEN 'active' ELSE 'pending' END AS status,
        CASE WHEN cancel_at <= {t} THEN cancel_at
             WHEN {expired} <= {t} THEN {expired}
             WHEN {activated} <= {t} THEN greatest({activated}, signed_at)
             ELSE signed_at END AS updated_at
    """


def ticket_plan(con: duckdb.DuckDBPyConnection, orders: str, contracts: str, out: str) -> None:
    """Tickets arising from `orders`(order_id, customer_id, created_at): 14% of orders get
    one 0.5-25.5 days later: `out`(order_id, customer_id, opened_at, category, priority,
    channel_id, contract_id). `contracts` has contract_id, customer_id, start_date, end_date."""
    category = text_choice("u(order_id, 'tk.cat')", [("inquiry", 40), ("complaint", 20),
                                                      ("repair", 22), ("return", 18)])
    prio_complaint = text_choice("u(order_id, 'tk.pr')", [("low", 15), ("medium", 40),
                                                           ("high", 35), ("urgent", 10)])
    prio = text_choice("u(order_id, 'tk.pr')", [("low", 40), ("medium", 40), ("high", 17),
                                                 ("urgent", 3)])
    channel = choice("u(order_id, 'tk.ch')", [("6", 50), ("1", 20), ("2", 20), ("3", 10)])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH t AS (
            SELECT order_id, customer_id,
                   created_at + secs(86400 * (0.5 + 25 * u(order_id, 'tk.at'))) AS opened_at,
                   {category} AS category, CAST({channel} AS BIGINT) AS channel_id
            FROM {orders} WHERE u(order_id, 'tk') < 0.14
        )
        SELECT t.order_id, t.customer_id, t.opened_at, t.category,
               CASE WHEN t.category = 'complaint' THEN {prio_complaint} ELSE {prio} END
                   AS priority,
               t.channel_id,
               CASE WHEN t.category IN ('repair', 'inquiry') AND u(t.order_id, 'tk.sc') < 0.7
                    THEN (SELECT min(c.contract_id) FROM {contracts} c
                          WHERE c.customer_id = t.customer_id
                            AND CAST(t.opened_at AS DATE) BETWEEN c.start_date AND c.end_date)
               END AS contract_id
        FROM t
    """)


def tickets_at(tickets: str, t: str) -> str:
    """Contract columns of `tickets`(ticket_id + ticket_plan columns) at `t`."""
    return f"""
        SELECT ticket_id, 'TK' || lpad(CAST(ticket_id AS VARCHAR), 8, '0') AS ticket_no,
               customer_id, contract_id, channel_id, category, priority, opened_at,
               {ticket_state(t)}
        FROM {tickets}
    """
