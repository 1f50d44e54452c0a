"""Choose each external record's customer: a deterministic key first, else its best Splink
candidate over the threshold. Best candidate, not connected components: components chain
distinct customers together through shared names and addresses.
"""

from __future__ import annotations

import duckdb

from warehouse.resolve.model import probability_sql


def decide(con: duckdb.DuckDBPyConnection, ext: str, deterministic: str, pairs: str,
           threshold: float, out: str) -> None:
    """`out`(unique_id, customer_id, rule, match_weight, match_probability) per linked record.
    A best candidate tied with another customer at the same weight is not linked. A
    deterministic link records Splink's weight and probability of its pair where Splink
    scored it, else those of its key alone (deterministic.links): the link stands on its key
    whatever that probability."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH ranked AS (
            SELECT ext_id, CAST(substr(int_id, 3) AS BIGINT) AS customer_id, match_weight,
                   match_probability, rule,
                   row_number() OVER (PARTITION BY ext_id ORDER BY match_weight DESC, int_id)
                       AS rk,
                   count(*) OVER (PARTITION BY ext_id, match_weight) AS tied
            FROM {pairs}
        ), best AS (
            SELECT * FROM ranked WHERE rk = 1 AND tied = 1 AND match_probability >= {threshold}
        )
        SELECT d.unique_id, d.customer_id, d.rule, coalesce(p.match_weight, d.match_weight)
                   AS match_weight,
               coalesce(p.match_probability, {probability_sql('d.match_weight')})
                   AS match_probability
        FROM {deterministic} d
        LEFT JOIN {pairs} p ON p.ext_id = d.unique_id AND p.int_id = 'i:' || d.customer_id
        UNION ALL
        SELECT b.ext_id, b.customer_id, b.rule, b.match_weight, b.match_probability
        FROM best b JOIN {ext} e ON e.unique_id = b.ext_id
        WHERE b.ext_id NOT IN (SELECT unique_id FROM {deterministic})
    """)
