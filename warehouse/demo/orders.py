"""Sales orders and their lines.

How many orders a customer places follows its Pareto value weight over its active window;
when it places them follows the seasonal calendar (inverse CDF over `cal`). Order and line
attributes are hashes of the order and line ids, so the same functions serve the initial
history (in chunks of order ids) and each advanced day.
"""

from __future__ import annotations

import duckdb

from warehouse.demo.params import ORDERS_PER_WEIGHT_DAY, DemoParams, ts
from warehouse.demo.rng import choice
from warehouse.demo.timeline import order_plan_columns, order_state


def _time_of_day(key: str, ctype: str) -> str:
    """Seconds after midnight: consumers 08:00-23:00, businesses 08:30-18:00."""
    return (f"CASE WHEN {ctype} = 'B2B' THEN 30600 + 34200 * u({key}, 'o.tod') "
            f"ELSE 28800 + 54000 * u({key}, 'o.tod') END")


def init_order_keys(con: duckdb.DuckDBPyConnection, p: DemoParams, out: str) -> None:
    """All orders placed in start..as_of: `out`(order_id, customer_id, order_date, created_at).

    Each customer gets floor(rate * weight * seasonal mass of its window + u) orders, dated by
    inverse CDF over the seasonal calendar; 2% are entered 1-3 days late (created_at later).
    """
    t = ts(p.end_ts)
    key = "customer_id * 100000 + k"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH w AS (
            SELECT customer_id, ctype, created_at, w, active_from AS ws,
                   least(coalesce(active_to, {t}), {t},
                         CASE WHEN is_deleted THEN deleted_at END) AS we
            FROM profile WHERE w > 0
        ), m AS (
            SELECT w.*, c0.cum_before AS m0, c1.cum_after AS m1
            FROM w JOIN cal c0 ON c0.ctype = w.ctype AND c0.day = CAST(w.ws AS DATE)
                   JOIN cal c1 ON c1.ctype = w.ctype AND c1.day = CAST(w.we AS DATE)
            WHERE w.ws < w.we
        ), n AS (
            SELECT *, unnest(range(CAST(floor({ORDERS_PER_WEIGHT_DAY} * w * (m1 - m0)
                                               + u(customer_id, 'o.n')) AS BIGINT))) AS k
            FROM m
        ), k AS (
            SELECT *, m0 + (m1 - m0) * u2(customer_id, k, 'o.day') AS target FROM n
        ), dated AS (
            SELECT k.customer_id, k.k, k.ctype, k.created_at AS cust_created, k.we,
                   CAST(c.day AS TIMESTAMP) + secs({_time_of_day(key, 'k.ctype')}) AS raw_date
            FROM k ASOF JOIN cal c ON c.ctype = k.ctype AND k.target >= c.cum_before
        ), placed AS (
            SELECT customer_id, k,
                   least(greatest(raw_date, cust_created + secs(600 + 3600 * u({key}, 'o.gap'))),
                         we) AS order_date
            FROM dated
        ), late AS (
            SELECT *, order_date + secs(86400 * (1 + 2 * u({key}, 'o.latet'))) AS late_at
            FROM placed
        )
        SELECT row_number() OVER (ORDER BY created_at, customer_id, k) AS order_id,
               customer_id, order_date, created_at
        FROM (SELECT customer_id, k, order_date,
                     CASE WHEN u({key}, 'o.late') < 0.02 AND late_at <= {t} THEN late_at
                          ELSE order_date END AS created_at
              FROM late)
    """)


def order_rows(con: duckdb.DuckDBPyConnection, base: str, out: str) -> None:
    """Full order rows (plan columns and helpers included) for `base`(order_id, customer_id,
    order_date, created_at), joined to `profile` and `campaign_day`."""
    n_slots = con.execute("SELECT count(*) FROM city_slots").fetchone()[0]
    b2c_ch = choice("u(b.order_id, 'o.ch')", [("1", 40), ("2", 35), ("3", 15), ("6", 10)])
    b2b_ch = choice("u(b.order_id, 'o.ch')", [("5", 45), ("4", 30), ("1", 20), ("6", 5)])
    b2c_lines = choice("u(order_id, 'o.nl')", [(str(i + 1), w) for i, w in
                                                 enumerate([50, 25, 12, 7, 4, 2])])
    b2b_lines = choice("u(order_id, 'o.nl')", [(str(i + 1), w) for i, w in
                                                 enumerate([25, 25, 20, 15, 10, 5])])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH b AS (
            SELECT b.order_id, b.customer_id, b.order_date, b.created_at, pf.ctype, pf.geo_city,
                   pf.region_code, pf.owner_rep_id,
                   CASE WHEN u(b.order_id, 'o.pref') < 0.7 THEN pf.pref_channel
                        WHEN pf.ctype = 'B2B' THEN {b2b_ch} ELSE {b2c_ch} END AS channel_id
            FROM {base} b JOIN profile pf USING (customer_id)
        ), bk AS MATERIALIZED (
            SELECT b.*, ui(b.order_id, 'o.rep', rc.n) AS rep_k
            FROM b JOIN (SELECT region_code, max(n) AS n FROM rep_slots GROUP BY ALL) rc
                   USING (region_code)
        ), r AS (
            -- a rep hired after the order date cannot have taken it: the region's first rep did
            SELECT bk.*,
                   CASE WHEN bk.ctype = 'B2C' AND bk.channel_id IN (1, 2) THEN NULL
                        WHEN coalesce(ow.hired_on, rs.hired_on) <= CAST(bk.order_date AS DATE)
                        THEN coalesce(ow.rep_id, rs.rep_id)
                        ELSE r0.rep_id END AS rep_id
            FROM bk JOIN rep_slots rs ON rs.region_code = bk.region_code AND rs.k = bk.rep_k
                    JOIN rep_slots r0 ON r0.region_code = bk.region_code AND r0.k = 0
                    LEFT JOIN rep_slots ow ON ow.rep_id = bk.owner_rep_id
        )
        SELECT r.order_id, 'SO' || lpad(CAST(r.order_id AS VARCHAR), 10, '0') AS order_no,
               r.customer_id, r.rep_id, r.channel_id,
               CASE WHEN u(r.order_id, 'o.cmp') < 0.3 THEN cd.campaign_id END AS campaign_id,
               r.order_date, 'CNY' AS currency,
               CASE WHEN u(r.order_id, 'o.city') < 0.9 THEN r.geo_city ELSE cs.city_id END
                   AS ship_city_id,
               r.created_at, r.ctype,
               CAST(CASE WHEN r.ctype = 'B2B' THEN {b2b_lines} ELSE {b2c_lines} END AS BIGINT)
                   AS n_lines,
               {order_plan_columns()}
        FROM r LEFT JOIN campaign_day cd ON cd.ctype = r.ctype
                                        AND cd.day = CAST(r.order_date AS DATE)
               JOIN city_slots cs ON cs.slot = ui(r.order_id, 'o.city2', {n_slots})
    """)


def orders_at(orders: str, t: str) -> str:
    """The contract's order columns of `orders` (from order_rows) as they stand at `t`."""
    return f"""
        SELECT order_id, order_no, customer_id, rep_id, channel_id, campaign_id, order_date,
               currency, ship_city_id, created_at, {order_state(t)}
        FROM {orders}
    """


def line_rows(con: duckdb.DuckDBPyConnection, orders: str, out: str, t: str) -> None:
    """Lines of `orders` (order_rows columns plus first_line_id) as they stand at `t`,
    with helpers `cents` and `planned_removed` for invoicing."""
    b2c_qty = choice("u(line_id, 'l.q')", [("1", 82), ("2", 13), ("3", 3), ("4", 2)])
    b2b_qty = "least(200, 1 + CAST(floor(-2.5 * ln(1 - u(line_id, 'l.q'))) AS BIGINT))"
    disc_cmp = choice("u(line_id, 'l.d')", [("0", 45), ("5", 20), ("10", 20), ("15", 10),
                                             ("20", 5)])
    disc = choice("u(line_id, 'l.d')", [("0", 78), ("5", 10), ("10", 7), ("15", 3), ("20", 2)])
    sizes = dict(con.execute("SELECT ctype, max(n) FROM prod_slots GROUP BY ALL").fetchall())
    n_slots = f"CASE WHEN ctype = 'B2B' THEN {sizes['B2B']} ELSE {sizes['B2C']} END"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH l AS (
            SELECT order_id, ctype, created_at, order_date, ship_at, cancels, cancel_at,
                   n_lines, campaign_id, first_line_id,
                   unnest(range(1, n_lines + 1)) AS line_no
            FROM {orders}
        ), k0 AS (
            SELECT l.*, first_line_id + line_no - 1 AS line_id FROM l
        ), k AS MATERIALIZED (
            SELECT k0.*, u(line_id, 'l.cx') < 0.45 AND line_no > 1 AS use_complement,
                   ui(order_id, 'l.p1', {n_slots}) AS slot_first,
                   ui(line_id, 'l.p', {n_slots}) AS slot_popular
            FROM k0
        ), p1 AS MATERIALIZED (
            SELECT k.*, s1.product_id AS first_product, sl.product_id AS popular_product
            FROM k JOIN prod_slots s1 ON s1.ctype = k.ctype AND s1.slot = k.slot_first
                   JOIN prod_slots sl ON sl.ctype = k.ctype AND sl.slot = k.slot_popular
        ), p1k AS MATERIALIZED (
            SELECT p1.*, fp.complement,
                   ui(p1.line_id, 'l.cxk', fp.complement_n) AS complement_k
            FROM p1 JOIN ref_product fp ON fp.product_id = p1.first_product
        ), p2 AS (
            SELECT p1k.*, sp.product_id AS complement_product
            FROM p1k JOIN sub_products sp ON sp.category_id = p1k.complement
                                         AND sp.k = p1k.complement_k
        ), chosen AS (
            SELECT p2.*, CASE WHEN line_no = 1 THEN first_product
                              WHEN use_complement THEN complement_product
                              ELSE popular_product END AS wanted
            FROM p2
        ), avail AS (
            -- a product not launched yet, or retired, is replaced by its subcategory's staple
            SELECT c.*, CASE WHEN CAST(c.order_date AS DATE) >= rp.launched_on
                                  AND (rp.retired_on IS NULL
                                       OR CAST(c.order_date AS DATE) < rp.retired_on)
                             THEN c.wanted ELSE st.product_id END AS product_id
            FROM chosen c JOIN ref_product rp ON rp.product_id = c.wanted
                          JOIN sub_products st ON st.category_id = rp.category_id AND st.k = 0
        ), priced AS (
            SELECT a.*, rp.list_price,
                   CAST(CASE WHEN a.ctype = 'B2B' THEN {b2b_qty} ELSE {b2c_qty} END AS INTEGER)
                       AS quantity,
                   CASE WHEN u(a.line_id, 'l.pr') < 0.55 THEN rp.list_price
                        ELSE CAST(round(rp.list_price * (0.92 + 0.11 * u(a.line_id, 'l.pr2')), 0)
                                  AS DECIMAL(12,2)) END AS unit_price
            FROM avail a JOIN ref_product rp USING (product_id)
        ), disc AS (
            SELECT *, CAST(CASE WHEN ctype = 'B2B' AND quantity >= 20
                                THEN greatest(10, {disc})
                                WHEN campaign_id IS NOT NULL THEN {disc_cmp}
                                ELSE {disc} END AS INTEGER) AS disc
            FROM priced
        ), amt AS (
            SELECT *, (quantity * CAST(unit_price * 100 AS BIGINT) * (100 - disc) + 50) // 100
                       AS cents,
                   l_removed(line_id, line_no, n_lines) AND NOT cancels AS planned_removed,
                   l_removed_at(line_id, created_at, ship_at) AS removed_at
            FROM disc
        ), dl AS (
            SELECT *, CASE WHEN planned_removed AND removed_at <= {t} THEN removed_at
                           WHEN cancels AND o_softdel(order_id) AND cancel_at <= {t}
                           THEN cancel_at END AS deleted_at
            FROM amt
        )
        SELECT line_id, order_id, CAST(line_no AS INTEGER) AS line_no, product_id, quantity,
               unit_price, CAST(disc AS DECIMAL(5,2)) AS discount_pct,
               CAST(CAST(cents AS DECIMAL(18,0)) * 0.01 AS DECIMAL(14,2)) AS line_amount,
               created_at, coalesce(deleted_at, created_at) AS updated_at,
               deleted_at IS NOT NULL AS is_deleted,
               cents, planned_removed, removed_at
        FROM dl
    """)
