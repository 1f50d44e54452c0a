"""Who buys how much: each customer's value weight, churn date and browsing weight.

Pure functions of the customer id (and type and creation time), so the initial history and
every advanced day agree on who is a heavy buyer, who churns and when.
"""

from __future__ import annotations

import duckdb

from warehouse.demo.params import ts

# Pareto shape: alpha 1.16 gives the classic 80/20 split of value over customers.
PARETO_ALPHA = 1.16


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Macros value_w, churn_at, browse_w, consent, pref_channel, home_city_slot."""
    macros = [
        # 12% never buy (prospects); the rest Pareto-distributed, capped; businesses more
        "value_w(id, ctype) AS CASE WHEN u(id, 'b.prospect') < 0.12 THEN 0.0 ELSE "
        f"least(300.0, pow(1 - u(id, 'b.value'), -1 / {PARETO_ALPHA})) "
        "* CASE WHEN ctype = 'B2B' THEN 1.5 ELSE 1.0 END END",
        # 40% of consumers and 20% of businesses churn, on average ~10 months after joining
        "churn_at(id, ctype, from_ts) AS CASE WHEN u(id, 'b.churn') < "
        "CASE WHEN ctype = 'B2B' THEN 0.2 ELSE 0.4 END "
        "THEN from_ts + secs(86400 * (30 - 300 * ln(1 - u(id, 'b.churn.t')))) END",
        "browse_w(w) AS CASE WHEN w = 0 THEN 0.5 ELSE sqrt(w) END",
        "consent(id) AS u(id, 'b.consent') < 0.78",
        # the channel a customer mostly uses
        "pref_channel(id, ctype) AS CASE WHEN ctype = 'B2B' THEN "
        "CASE WHEN u(id, 'b.ch') < 0.5 THEN 5 WHEN u(id, 'b.ch') < 0.8 THEN 4 "
        "WHEN u(id, 'b.ch') < 0.95 THEN 1 ELSE 6 END ELSE "
        "CASE WHEN u(id, 'b.ch') < 0.4 THEN 1 WHEN u(id, 'b.ch') < 0.7 THEN 2 "
        "WHEN u(id, 'b.ch') < 0.85 THEN 3 WHEN u(id, 'b.ch') < 0.9 THEN 4 ELSE 6 END END",
    ]
    for body in macros:
        con.execute(f"CREATE OR REPLACE TEMP MACRO {body}")


def build_profile(con: duckdb.DuckDBPyConnection, customers: str, start_ts: object,
                  out: str = "profile") -> None:
    """Per customer: type, value weight, active window, region, rep; from contract columns.

    `customers` needs customer_id, customer_type, created_at, updated_at, city_id,
    owner_rep_id, is_deleted; a customer without a city is placed by its hash-chosen home city.
    """
    n_slots = con.execute("SELECT count(*) FROM city_slots").fetchone()[0]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH c AS (
            SELECT x.customer_id, x.customer_type AS ctype, x.created_at, x.owner_rep_id,
                   x.is_deleted, CASE WHEN x.is_deleted THEN x.updated_at END AS deleted_at,
                   x.city_id, coalesce(x.city_id, cs.city_id) AS geo_city,
                   greatest(x.created_at, {ts(start_ts)}) AS active_from,
                   value_w(x.customer_id, x.customer_type) AS w
            FROM {customers} x
            JOIN city_slots cs ON cs.slot = ui(x.customer_id, 'c.city', {n_slots})
        )
        SELECT c.*, rc.region_code, churn_at(customer_id, ctype, active_from) AS active_to,
               browse_w(w) AS wb, pref_channel(customer_id, ctype) AS pref_channel
        FROM c JOIN ref_city rc ON rc.city_id = c.geo_city
    """)
