"""Lifecycles as plans: when an order ships, completes or is cancelled, when a ticket is
answered and resolved, when an invoice is paid or voided.

Each event time is a pure function of the row's id and creation time, so the state of any
row at any moment is computable. The initial load takes the state at `as_of`; an advanced
day applies exactly the events that fall inside it. The functions return SQL text over
column names, so the same formula serves the initial bulk SQL and the daily updates.
"""

from __future__ import annotations

import duckdb

from warehouse.demo.catalog import SLOW_CHANNELS

DAY = 86400


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Macros for order, ticket and invoice event times."""
    slow = ", ".join(map(str, SLOW_CHANNELS))
    macros = [
        # orders: B2B channels ship in 1-7 days, others in 0.3-2.8; delivery 1.5-9.5 days later
        f"o_ship(oid, created, ch) AS created + secs({DAY} * CASE WHEN ch IN ({slow}) "
        "THEN 1 + 6 * u(oid, 't.ship') ELSE 0.3 + 2.5 * u(oid, 't.ship') END)",
        f"o_done(oid, created, ch) AS o_ship(oid, created, ch) "
        f"+ secs({DAY} * (1.5 + 8 * u(oid, 't.done')))",
        "o_cancels(oid) AS u(oid, 't.cx') < 0.045",
        "o_cancel_at(oid, created, ch) AS created + secs(0.9 * u(oid, 't.cxat') "
        "* epoch(o_ship(oid, created, ch) - created))",
        "o_softdel(oid) AS u(oid, 't.del') < 0.5",
        # a line removed from an order before it ships (1.2% of non-first lines)
        "l_removed(lid, line_no, n_lines) AS line_no > 1 AND n_lines > 1 "
        "AND u(lid, 't.rm') < 0.012",
        "l_removed_at(lid, created, ship) AS created + secs(0.8 * u(lid, 't.rmat') "
        "* epoch(ship - created))",
        # tickets: response by priority, resolution by category, closed a week later
        "tk_responds(tid) AS u(tid, 'tk.resp') >= 0.04",
        "tk_resp_at(tid, opened, prio) AS opened + secs(CASE prio "
        "WHEN 'urgent' THEN 300 + 3300 * u(tid, 'tk.rt') "
        "WHEN 'high' THEN 600 + 14400 * u(tid, 'tk.rt') "
        "WHEN 'medium' THEN 1800 + 84600 * u(tid, 'tk.rt') "
        "ELSE 3600 + 169200 * u(tid, 'tk.rt') END)",
        "tk_resolves(tid) AS tk_responds(tid) AND u(tid, 'tk.res') >= 0.07",
        f"tk_res_at(tid, opened, prio, cat) AS tk_resp_at(tid, opened, prio) + secs({DAY} * "
        "CASE cat WHEN 'inquiry' THEN 0.05 + 1.5 * u(tid, 'tk.rs') "
        "WHEN 'complaint' THEN 0.5 + 6 * u(tid, 'tk.rs') "
        "WHEN 'repair' THEN 2 + 12 * u(tid, 'tk.rs') ELSE 3 + 7 * u(tid, 'tk.rs') END)",
        # 3% of resolved tickets never had their first response logged
        "tk_logs_resp(tid) AS u(tid, 'tk.log') >= 0.03",
        "tk_surveyed(tid) AS u(tid, 'tk.sv') < 0.55",
        "tk_score(tid, cat, days) AS CAST(least(5, greatest(1, round(4.4 "
        "- CASE cat WHEN 'complaint' THEN 1.3 WHEN 'return' THEN 0.4 ELSE 0 END "
        "- CASE WHEN days > 5 THEN 0.8 ELSE 0 END + 2.2 * (u(tid, 'tk.sc') - 0.5)))) AS INTEGER)",
        # invoices: 1% voided within two weeks
        "inv_voids(iid) AS u(iid, 'inv.void') < 0.01",
        f"inv_void_at(iid, created) AS created + secs({DAY} * (1 + 14 * u(iid, 'inv.voidt')))",
    ]
    for body in macros:
        con.execute(f"CREATE OR REPLACE TEMP MACRO {body}")


def order_state(t: str) -> str:
    """SELECT-list items status, updated_at, is_deleted of an order at timestamp SQL `t`.

    Needs columns order_id, created_at, channel_id and ship_at, done_at, cancels, cancel_at.
    """
    return f"""
        CASE WHEN cancels AND cancel_at <= {t} THEN 'cancelled'
             WHEN cancels THEN 'open'
             WHEN done_at <= {t} THEN 'completed'
             WHEN ship_at <= {t} THEN 'shipped' ELSE 'open' END AS status,
        CASE WHEN cancels AND cancel_at <= {t} THEN cancel_at
             WHEN cancels THEN created_at
             WHEN done_at <= {t} THEN done_at
             WHEN ship_at <= {t} THEN ship_at ELSE created_at END AS updated_at,
        coalesce(cancels AND o_softdel(order_id) AND cancel_at <= {t}, false) AS is_deleted
    """


def order_plan_columns() -> str:
    """SELECT-list items ship_at, done_at, cancels, cancel_at from order_id, created_at,
    channel_id."""
    return """
        o_ship(order_id, created_at, channel_id) AS ship_at,
        o_done(order_id, created_at, channel_id) AS done_at,
        o_cancels(order_id) AS cancels,
        o_cancel_at(order_id, created_at, channel_id) AS cancel_at
    """


def ticket_state(t: str) -> str:
    """Ticket columns first_response_at .. updated_at at `t`, from ticket_id, opened_at,
    priority, category (the plan's event times are recomputed)."""
    resp = "tk_resp_at(ticket_id, opened_at, priority)"
    res = "tk_res_at(ticket_id, opened_at, priority, category)"
    resolved = f"(tk_resolves(ticket_id) AND {res} <= {t})"
    closed = f"({resolved} AND {res} + INTERVAL 7 DAY <= {t})"
    days = f"epoch({res} - opened_at) / 86400"
    score = f"tk_score(ticket_id, category, {days})"
    has_score = f"({resolved} AND tk_surveyed(ticket_id))"
    mood = (f"CASE WHEN {score} >= 4 THEN 'positive' WHEN {score} = 3 THEN 'neutral' "
            "ELSE 'negative' END")
    text = ("CASE WHEN u(ticket_id, 'tk.lang') < 0.25 THEN "
            f"CASE {mood} WHEN 'positive' THEN pick(fb_en_positive(), u(ticket_id, 'tk.tx')) "
            "WHEN 'neutral' THEN pick(fb_en_neutral(), u(ticket_id, 'tk.tx')) "
            "ELSE pick(fb_en_negative(), u(ticket_id, 'tk.tx')) END ELSE "
            f"CASE {mood} WHEN 'positive' THEN pick(fb_zh_positive(), u(ticket_id, 'tk.tx')) "
            "WHEN 'neutral' THEN pick(fb_zh_neutral(), u(ticket_id, 'tk.tx')) "
            "ELSE pick(fb_zh_negative(), u(ticket_id, 'tk.tx')) END END")
    return f"""
        CASE WHEN tk_responds(ticket_id) AND {resp} <= {t}
                  AND (tk_logs_resp(ticket_id) OR NOT {resolved})
             THEN {resp} END AS first_response_at,
        CASE WHEN {resolved} THEN {res} END AS resolved_at,
        CASE WHEN {closed} THEN 'closed' WHEN {resolved} THEN 'resolved'
             WHEN tk_responds(ticket_id) AND {resp} <= {t} THEN 'in_progress'
             ELSE 'open' END AS status,
        CASE WHEN {has_score} THEN {score} END AS satisfaction_score,
        CASE WHEN {has_score} AND u(ticket_id, 'tk.fb') < 0.65 THEN {text} END AS feedback_text,
        CASE WHEN {closed} THEN {res} + INTERVAL 7 DAY
             WHEN {resolved} THEN {res}
             WHEN tk_responds(ticket_id) AND {resp} <= {t} THEN {resp}
             ELSE opened_at END AS updated_at
    """
