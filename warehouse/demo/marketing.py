"""Campaign responses (a plan per campaign and customer) and web sessions (per customer and
per day, plus anonymous visitors)."""

from __future__ import annotations

from datetime import date

import duckdb

from warehouse.demo.params import ANONYMOUS_SESSIONS_PER_DAY, SESSIONS_PER_BROWSE_DAY, d
from warehouse.demo.rng import text_choice


def response_plan(con: duckdb.DuckDBPyConnection, campaigns: str, customers: str,
                  out: str, where: str = "TRUE") -> None:
    """Responses of targeted customers: `out`(campaign_id, customer_id, responded_at,
    response_type, consent_marketing). 30% of the audience is targeted; opens, clicks,
    purchases, replies and unsubscribes follow. `customers` is a profile; `where` filters
    the campaigns (e.g. those running around one day)."""
    pair = "c.campaign_id, p.customer_id"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH pairs AS (
            SELECT c.campaign_id, p.customer_id, p.created_at AS cust_created,
                   consent(p.customer_id) AS consent, CAST(c.start_date AS TIMESTAMP) AS t0,
                   86400 * (c.end_date - c.start_date + 1) AS span,
                   u2({pair}, 'cr.op') < 0.30 AS opens,
                   u2({pair}, 'cr.cl') < 0.35 AS clicks,
                   u2({pair}, 'cr.pu') < 0.08 AS buys,
                   u2({pair}, 'cr.re') < 0.02 AS replies,
                   u2({pair}, 'cr.un') < 0.008 AS unsubscribes,
                   u2({pair}, 'cr.ot') AS u_open, u2({pair}, 'cr.ct') AS u_click,
                   u2({pair}, 'cr.pt') AS u_buy, u2({pair}, 'cr.rt') AS u_reply,
                   u2({pair}, 'cr.ut') AS u_unsub
            FROM (SELECT * FROM {campaigns} WHERE {where}) c
            JOIN campaign_plan cp USING (campaign_code)
            JOIN {customers} p
              ON (cp.audience = 'all' OR upper(cp.audience) = p.ctype)
             AND p.created_at < CAST(c.end_date + 1 AS TIMESTAMP)
            WHERE u2({pair}, 'cr.t') < 0.3
        ), ev AS (
            SELECT *, t0 + secs(span * u_open) AS t_open,
                   t0 + secs(span * u_open + 60 + 7140 * u_click) AS t_click
            FROM pairs
        ), r AS (
            SELECT campaign_id, customer_id, cust_created, consent, 'open' AS response_type,
                   t_open AS r_at FROM ev WHERE opens
            UNION ALL
            SELECT campaign_id, customer_id, cust_created, consent, 'click', t_click
            FROM ev WHERE opens AND clicks
            UNION ALL
            SELECT campaign_id, customer_id, cust_created, consent, 'purchase',
                   t_click + secs(1800 + 259200 * u_buy) FROM ev WHERE opens AND clicks AND buys
            UNION ALL
            SELECT campaign_id, customer_id, cust_created, consent, 'reply',
                   t0 + secs(span * u_reply) FROM ev WHERE replies
            UNION ALL
            SELECT campaign_id, customer_id, cust_created, consent, 'unsubscribe',
                   t0 + secs(span * u_unsub) FROM ev WHERE unsubscribes
        )
        SELECT campaign_id, customer_id, r_at AS responded_at, response_type,
               CASE WHEN response_type = 'unsubscribe' THEN false ELSE consent END
                   AS consent_marketing
        FROM r WHERE r_at >= cust_created
    """)


def _session_attrs(rows: str) -> str:
    """Contract columns for `rows`(session_id, customer_id, started_at, ctype)."""
    device_b2b = text_choice("u(session_id, 'ws.dev')", [("desktop", 70), ("mobile", 20),
                                                          ("tablet", 10)])
    device = text_choice("u(session_id, 'ws.dev')", [("mobile", 40), ("app_ios", 15),
                                                      ("app_android", 20), ("desktop", 20),
                                                      ("tablet", 5)])
    return f"""
        SELECT s.session_id, s.customer_id, s.started_at,
               CAST(least(7200, 15 + floor(-300 * ln(1 - u(s.session_id, 'ws.dur'))))
                    AS INTEGER) AS duration_seconds,
               CAST(greatest(1, least(80, floor((15 + floor(-300 * ln(1 - u(s.session_id,
                    'ws.dur')))) / 40 * (0.5 + u(s.session_id, 'ws.pv'))))) AS INTEGER)
                   AS page_views,
               CASE WHEN s.ctype = 'B2B' THEN {device_b2b} ELSE {device} END AS device,
               CASE WHEN cd.campaign_id IS NOT NULL AND u(s.session_id, 'ws.cmp') < 0.2
                    THEN '/campaign/' || cd.campaign_id
                    ELSE pick(landing(), u(s.session_id, 'ws.lp')) END AS landing_page,
               u(s.session_id, 'ws.cv') < CASE WHEN s.customer_id IS NULL THEN 0.01 ELSE 0.06
                                           END AS converted
        FROM {rows} s
        LEFT JOIN campaign_day cd ON cd.ctype = 'B2C' AND cd.day = CAST(s.started_at AS DATE)
    """


def anonymous_sessions(scale: float, first: date, last: date) -> str:
    """Anonymous visits per day in first..last: (customer_id NULL, started_at, ctype, key)."""
    return f"""
        SELECT CAST(NULL AS BIGINT) AS customer_id, 'B2C' AS ctype, dayno(g.day) AS dn,
               CAST(g.day AS TIMESTAMP) + secs(21600 + 64800 * u2(dayno(g.day), j, 'ws.at'))
                   AS started_at,
               -j AS k
        FROM (SELECT CAST(day AS DATE) AS day FROM generate_series({d(first)}, {d(last)},
                                                                  INTERVAL 1 DAY) t(day)) g,
             LATERAL (SELECT unnest(range(1, 1 + CAST(floor({ANONYMOUS_SESSIONS_PER_DAY * scale}
                      * season('B2C', g.day) + u(dayno(g.day), 'ws.anon')) AS BIGINT))) AS j)
    """


def init_sessions(con: duckdb.DuckDBPyConnection, scale: float, first: date, last: date,
                  end_ts: str, out: str) -> None:
    """Sessions of known customers (by browsing weight over their window, +30 days after
    churn) and anonymous visitors over first..last; ids in time order."""
    key = "customer_id * 100000 + k"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH w AS (
            SELECT customer_id, ctype, created_at, wb, active_from AS ws,
                   least(coalesce(active_to + INTERVAL 30 DAY, {end_ts}), {end_ts},
                         CASE WHEN is_deleted THEN deleted_at END) AS we
            FROM profile
        ), m AS (
            SELECT w.*, c0.cum_before AS m0, c1.cum_after AS m1
            FROM w JOIN cal c0 ON c0.ctype = 'B2C' AND c0.day = CAST(w.ws AS DATE)
                   JOIN cal c1 ON c1.ctype = 'B2C' AND c1.day = CAST(w.we AS DATE)
            WHERE w.ws < w.we
        ), n AS (
            SELECT *, unnest(range(CAST(floor({SESSIONS_PER_BROWSE_DAY} * wb * (m1 - m0)
                                               + u(customer_id, 'ws.n')) AS BIGINT))) AS k
            FROM m
        ), k AS (
            SELECT *, m0 + (m1 - m0) * u2(customer_id, k, 'ws.day') AS target FROM n
        ), known AS (
            SELECT k.customer_id, k.ctype, 0 AS dn,
                   least(greatest(CAST(c.day AS TIMESTAMP)
                                  + secs(21600 + 64800 * u({key}, 'ws.tod')),
                                  k.created_at + secs(60 + 600 * u({key}, 'ws.gap'))), k.we)
                       AS started_at, k.k
            FROM k ASOF JOIN cal c ON c.ctype = 'B2C' AND k.target >= c.cum_before
        ), rows AS (
            SELECT * FROM known
            UNION ALL {anonymous_sessions(scale, first, last)}
        ), ided AS (
            SELECT row_number() OVER (ORDER BY started_at, coalesce(customer_id, 0), dn, k)
                       AS session_id, customer_id, started_at, ctype
            FROM rows
        )
        {_session_attrs("ided")}
    """)


def day_sessions(con: duckdb.DuckDBPyConnection, scale: float, day: date, end_ts: str,
                 first_id: int, out: str) -> None:
    """One day's sessions: each active customer browses with its weight, plus anonymous."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH n AS (
            SELECT customer_id, ctype, created_at,
                   unnest(range(CAST(floor({SESSIONS_PER_BROWSE_DAY} * wb
                                           * season('B2C', {d(day)})
                                           + u2(customer_id, dayno({d(day)}), 'ws.dn'))
                                     AS BIGINT))) AS k
            FROM profile
            WHERE NOT is_deleted AND created_at <= {end_ts}
              AND (active_to IS NULL OR active_to + INTERVAL 30 DAY > CAST({d(day)} AS TIMESTAMP))
        ), known AS (
            SELECT customer_id, ctype, 0 AS dn, k,
                   least({end_ts}, greatest(CAST({d(day)} AS TIMESTAMP)
                       + secs(21600 + 64800 * u2(customer_id * 1000 + k, dayno({d(day)}),
                                                'ws.dt')),
                       created_at + secs(60))) AS started_at
            FROM n
        ), rows AS (
            SELECT * FROM known
            UNION ALL SELECT customer_id, ctype, dn, k, started_at
            FROM ({anonymous_sessions(scale, day, day)})
        ), ided AS (
            SELECT {first_id} - 1 + row_number() OVER (ORDER BY started_at,
                   coalesce(customer_id, 0), dn, k) AS session_id, customer_id, started_at, ctype
            FROM rows
        )
        {_session_attrs("ided")}
    """)
