"""A day's sales: new orders and lines, status progression, cancellations, corrections.

New orders: each active customer buys with probability rate * weight * season(day); 3% are
entered 1-3 days after their order date; about 1% come from customers whose own row only
arrives the next day (late-arriving dimension). Existing orders move along their plan;
a few recent ones get corrected. Leaves `ord_all` (orders of the last 90 days and today's,
with plan columns) and `ord_net` (each order's invoiceable net in cents).
"""

from __future__ import annotations

from datetime import datetime, time

from warehouse.demo import orders, people
from warehouse.demo.behaviour import build_profile
from warehouse.demo.daily_people import CUSTOMER_COLUMNS
from warehouse.demo.day import Day
from warehouse.demo.params import ORDERS_PER_WEIGHT_DAY
from warehouse.demo.rng import choice
from warehouse.demo.timeline import order_plan_columns, order_state
from warehouse.demo.writer import read_typed

ORDER_FIX = 0.008  # daily probability that a recent order gets corrected
LINE_TOUCH = 0.012  # daily probability that a recent line is re-saved unchanged
LATE_ORDERS = 0.03  # share of new orders entered 1-3 days after their order date


def new_orders(x: Day) -> None:
    """Today's new orders and lines (`new_orders`, `new_lines`); builds `profile`."""
    start_ts = datetime.combine(x.clock.start, time())
    build_profile(x.con, "all_cust", start_ts)
    key = "customer_id * 1000 + k"
    n = x.temp("new_keys", f"""
        WITH n AS (
            SELECT customer_id, ctype, created_at AS cust_created,
                   unnest(range(CAST(floor({ORDERS_PER_WEIGHT_DAY} * w
                                           * season(ctype, CAST({x.start} AS DATE))
                                           + u2(customer_id, {x.dn}, 'o.dn')) AS BIGINT))) AS k
            FROM profile
            WHERE w > 0 AND NOT is_deleted AND created_at <= {x.t}
              AND (active_to IS NULL OR active_to > {x.start})
        ), t AS (
            SELECT customer_id, k, cust_created,
                   least({x.t}, greatest(CASE WHEN ctype = 'B2B' THEN {x.at(key, 'o.tod', 8.5, 9.5)}
                                             ELSE {x.at(key, 'o.tod', 8, 15)} END,
                                        cust_created + INTERVAL 10 MINUTE)) AS created_at,
                   u2({key}, {x.dn}, 'o.late') < {LATE_ORDERS} AS late,
                   secs(86400 * (1 + 2 * u2({key}, {x.dn}, 'o.latet'))) AS delay
            FROM n
        )
        SELECT customer_id, k, created_at,
               CASE WHEN late AND created_at - delay > cust_created THEN created_at - delay
                    ELSE created_at END AS order_date
        FROM t
    """)
    late = max(1, round(0.01 * n)) if n else 0
    reserved_from = max(int(x.scalar("SELECT coalesce(max(customer_id), 0) FROM all_cust")),
                        x.max_customer_referenced()) + 1
    tomorrow = f"({x.start} + INTERVAL 1 DAY + secs(1800 + 28800 * u2(customer_id, " \
               f"{x.dn + 1}, 'late.t')))"
    x.temp("reserved_seeds", f"""
        SELECT customer_id, {tomorrow} AS created_at, {tomorrow} AS updated_at,
               false AS is_deleted
        FROM range({reserved_from}, {reserved_from + late}) t(customer_id)
    """)
    people.generate_customers(x.con, "reserved_seeds", "reserved_cust")
    build_profile(x.con, f"(SELECT {CUSTOMER_COLUMNS} FROM all_cust UNION ALL "
                         f"SELECT {CUSTOMER_COLUMNS} FROM reserved_cust)", start_ts)
    x.con.execute(f"""
        INSERT INTO new_keys
        SELECT customer_id, 0, {x.at('customer_id', 'ld.t', 8, 14)},
               {x.at('customer_id', 'ld.t', 8, 14)}
        FROM reserved_seeds
    """)
    first = x.max_id("crm", "sales_orders") + 1
    x.temp("new_base", f"""
        SELECT {first} - 1 + row_number() OVER (ORDER BY created_at, customer_id, k) AS order_id,
               customer_id, order_date, created_at
        FROM new_keys
    """)
    orders.order_rows(x.con, "new_base", "new_orders")
    first_line = x.max_id("crm", "sales_order_lines") + 1
    x.temp("new_orders", f"""
        SELECT *, {first_line} + sum(n_lines) OVER (ORDER BY order_id) - n_lines AS first_line_id
        FROM new_orders
    """)
    orders.line_rows(x.con, "new_orders", "new_lines", x.t)


def order_changes(x: Day) -> None:
    """Write new orders, plan progressions (ship, complete, cancel) and corrections."""
    recent = read_typed(x.crm, "sales_orders", f"created_at > {x.t} - INTERVAL 400 DAY")
    x.temp("ord_plan", f"""
        SELECT *, {order_plan_columns()}
        FROM (SELECT o.*, pf.ctype FROM {recent} o LEFT JOIN profile pf USING (customer_id))
    """)
    x.temp("progressed", f"""
        SELECT * FROM (
            SELECT order_id, order_no, customer_id, rep_id, channel_id, campaign_id, order_date,
                   currency, ship_city_id, created_at, {order_state(x.t)}
            FROM ord_plan WHERE status IN ('open', 'shipped') AND NOT is_deleted
        ) WHERE updated_at > {x.t_prev}
    """)
    n_slots = x.scalar("SELECT count(*) FROM city_slots")
    kind = choice(f"u2(order_id, {x.dn}, 'o.fixk')", [("0", 50), ("1", 30), ("2", 20)])
    x.temp("corrected", f"""
        WITH f AS MATERIALIZED (
            SELECT *, {kind} AS kind, ui2(order_id, {x.dn}, 'o.fixc', {n_slots}) AS city_slot
            FROM ord_plan
            WHERE status IN ('completed', 'shipped') AND NOT is_deleted
              AND created_at > {x.t} - INTERVAL 365 DAY
              AND u2(order_id, {x.dn}, 'o.fix') < {ORDER_FIX}
              AND order_id NOT IN (SELECT order_id FROM progressed)
        )
        SELECT f.order_id, f.order_no, f.customer_id,
               CASE WHEN f.kind = 2 THEN pick((SELECT list(rep_id ORDER BY rep_id) FROM rep_slots),
                                            u2(f.order_id, {x.dn}, 'o.fixr'))
                    ELSE f.rep_id END AS rep_id,
               f.channel_id,
               CASE WHEN f.kind = 0 THEN coalesce(f.campaign_id, cd.campaign_id)
                    ELSE f.campaign_id END AS campaign_id,
               f.order_date, f.currency,
               CASE WHEN f.kind = 1 THEN cs.city_id ELSE f.ship_city_id END AS ship_city_id,
               f.created_at, f.status, {x.at('f.order_id', 'o.fixt', 8, 12)} AS updated_at,
               f.is_deleted
        FROM f JOIN city_slots cs ON cs.slot = f.city_slot
        LEFT JOIN campaign_day cd ON cd.ctype = f.ctype AND cd.day = CAST(f.order_date AS DATE)
    """)
    x.upsert("crm", "sales_orders", f"""(
        {orders.orders_at("new_orders", x.t)}
        UNION ALL BY NAME SELECT * FROM progressed
        UNION ALL BY NAME SELECT * FROM corrected)""")


def line_changes(x: Day) -> None:
    """Write new lines, removals before shipping, soft deletes of cancelled orders and
    unchanged re-saves; leave `ord_all` and `ord_net`."""
    low = x.scalar(f"SELECT min(order_id) FROM ord_plan WHERE created_at > {x.t} "
                   "- INTERVAL 90 DAY")
    low = int(low) if low is not None else int(x.scalar("SELECT min(order_id) FROM new_orders")
                                                or 0)
    recent = read_typed(x.crm, "sales_order_lines", f"order_id >= {low}")
    x.temp("cur_lines", f"SELECT * FROM {recent}")
    cols = ("order_id, order_no, customer_id, ctype, created_at, channel_id, ship_at, done_at, "
            "cancels, cancel_at, ship_city_id, n_lines")
    x.temp("ord_all", f"""
        SELECT {cols} FROM ord_plan
        JOIN (SELECT order_id, count(*) AS n_lines FROM cur_lines GROUP BY ALL) USING (order_id)
        UNION ALL SELECT {cols} FROM new_orders
    """)
    x.temp("line_changes", f"""
        WITH l AS (
            SELECT c.*, o.created_at AS o_created, o.ship_at, o.cancels, o.cancel_at, o.n_lines,
                   l_removed(c.line_id, c.line_no, o.n_lines) AND NOT o.cancels
                       AND l_removed_at(c.line_id, o.created_at, o.ship_at) > {x.t_prev}
                       AND l_removed_at(c.line_id, o.created_at, o.ship_at) <= {x.t} AS removed,
                   o.cancels AND o_softdel(c.order_id) AND o.cancel_at > {x.t_prev}
                       AND o.cancel_at <= {x.t} AS dropped,
                   c.created_at > {x.t} - INTERVAL 90 DAY
                       AND u2(c.line_id, {x.dn}, 'l.touch') < {LINE_TOUCH} AS touched
            FROM cur_lines c JOIN ord_all o USING (order_id)
            WHERE NOT c.is_deleted
        )
        SELECT line_id, order_id, line_no, product_id, quantity, unit_price, discount_pct,
               line_amount, created_at,
               CASE WHEN removed THEN l_removed_at(line_id, o_created, ship_at)
                    WHEN dropped THEN cancel_at
                    ELSE {x.at('line_id', 'l.toucht', 8, 12)} END AS updated_at,
               removed OR dropped AS is_deleted
        FROM l WHERE removed OR dropped OR touched
    """)
    x.upsert("crm", "sales_order_lines", """(
        SELECT * EXCLUDE (cents, planned_removed, removed_at) FROM new_lines
        UNION ALL BY NAME SELECT * FROM line_changes)""")
    x.temp("ord_net", """
        SELECT c.order_id, sum(CAST(c.line_amount * 100 AS BIGINT)) FILTER (
                   WHERE NOT (l_removed(c.line_id, c.line_no, o.n_lines) AND NOT o.cancels))
                   AS net_cents
        FROM cur_lines c JOIN ord_all o USING (order_id) GROUP BY ALL
        UNION ALL
        SELECT order_id, sum(cents) FILTER (WHERE NOT planned_removed) FROM new_lines GROUP BY ALL
    """)
