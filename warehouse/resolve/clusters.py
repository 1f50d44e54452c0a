"""Duplicates among external records: records sharing a normalised key (e-mail, phone, USCC)
or paired by Splink's dedupe model above its threshold form clusters (connected components,
safe here because they join records of one vendor universe, never two customers: a cluster
touching two customers is split). A cluster with one linked customer carries the link to its
unlinked members; a cluster with none becomes one prospect.
"""

from __future__ import annotations

import duckdb

from warehouse.resolve.model import probability_sql

MAX_ROUNDS = 100


KEYS = ("email", "phone_key", "uscc")


def edges(con: duckdb.DuckDBPyConnection, ext: str, dedupe: str, out: str,
          weights: dict[str, float]) -> None:
    """`out`(a, b, match_weight, match_probability): undirected edges, both directions.
    Records sharing a key are joined with that key's weight and its probability (`weights`,
    by column, model.exact_match_weight; a key the model does not compare makes no edges)."""
    keyed = " UNION ALL ".join(
        f"SELECT unique_id AS a, min(unique_id) OVER (PARTITION BY {k}) AS b, "
        f"{weights[k]!r}::DOUBLE AS w, {probability_sql(repr(weights[k]))}::DOUBLE AS p "
        f"FROM {ext} WHERE {k} IS NOT NULL"
        for k in KEYS if k in weights) or ("SELECT NULL::VARCHAR AS a, NULL::VARCHAR AS b, "
                                           "NULL::DOUBLE AS w, NULL::DOUBLE AS p WHERE false")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH e AS (
            SELECT a, b, match_weight AS w, match_probability AS p FROM {dedupe}
            UNION ALL SELECT * FROM ({keyed}) WHERE a <> b
        )
        SELECT a, b, max(w) AS match_weight, max(p) AS match_probability FROM (
            SELECT a, b, w, p FROM e UNION ALL SELECT b, a, w, p FROM e
        ) GROUP BY a, b
    """)


def components(con: duckdb.DuckDBPyConnection, nodes: str, edge_table: str, out: str) -> None:
    """`out`(unique_id, component): the smallest id reachable, by label propagation."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS "
                f"SELECT unique_id, unique_id AS component FROM {nodes}")
    for _ in range(MAX_ROUNDS):
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _rs_cc_next AS
            SELECT c.unique_id, least(c.component, coalesce(min(n.component), c.component))
                       AS component
            FROM {out} c
            LEFT JOIN {edge_table} e ON e.a = c.unique_id
            LEFT JOIN {out} n ON n.unique_id = e.b
            GROUP BY c.unique_id, c.component
        """)
        changed = con.execute(f"""
            SELECT count(*) FROM _rs_cc_next x JOIN {out} c USING (unique_id)
            WHERE x.component <> c.component""").fetchone()[0]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM _rs_cc_next")
        if not changed:
            break
    con.execute("DROP TABLE IF EXISTS _rs_cc_next")


def assign(con: duckdb.DuckDBPyConnection, ext: str, links: str, edge_table: str,
           comps: str, kind: str, out: str) -> None:
    """`out`: every external record with customer_id (direct or via its cluster), prospect_id,
    cluster_id, rule, match_weight, match_probability."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH c AS (
            SELECT e.unique_id, cc.component, l.customer_id, l.rule, l.match_weight,
                   l.match_probability
            FROM {ext} e JOIN {comps} cc USING (unique_id)
            LEFT JOIN {links} l USING (unique_id)
        ), comp AS (
            SELECT component, count(DISTINCT customer_id) AS n_customers,
                   any_value(customer_id) FILTER (WHERE customer_id IS NOT NULL) AS customer_id
            FROM c GROUP BY component
        ), via AS (   -- the strongest duplicate edge of an unlinked record into a linked one
            SELECT e.a AS unique_id, max(e.match_weight) AS match_weight,
                   max(e.match_probability) AS match_probability
            FROM {edge_table} e JOIN {links} l ON l.unique_id = e.b GROUP BY e.a
        )
        SELECT c.unique_id,
               CASE WHEN c.customer_id IS NOT NULL THEN c.customer_id
                    WHEN comp.n_customers = 1 AND v.unique_id IS NOT NULL
                    THEN comp.customer_id END AS customer_id,
               CASE WHEN c.customer_id IS NOT NULL THEN c.rule
                    WHEN comp.n_customers = 1 AND v.unique_id IS NOT NULL
                    THEN 'duplicate of a linked record' END AS rule,
               CASE WHEN c.customer_id IS NOT NULL THEN c.match_weight
                    ELSE v.match_weight END AS match_weight,
               CASE WHEN c.customer_id IS NOT NULL THEN c.match_probability
                    ELSE v.match_probability END AS match_probability,
               c.component
        FROM c JOIN comp USING (component) LEFT JOIN via v USING (unique_id)
    """)
    # prospects: unlinked records, one per component (of its unlinked members)
    prefix = "PP" if kind == "person" else "PC"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT a.* EXCLUDE (component, rule, match_weight, match_probability),
               CASE WHEN a.customer_id IS NULL
                    THEN '{prefix}-' || substr(min(a.unique_id) OVER (PARTITION BY a.component,
                                                a.customer_id IS NULL), 3) END AS prospect_id,
               CASE WHEN a.customer_id IS NOT NULL THEN 'C' || a.customer_id
                    ELSE '{prefix}-' || substr(min(a.unique_id) OVER (PARTITION BY a.component,
                                               a.customer_id IS NULL), 3) END AS cluster_id,
               coalesce(a.rule, 'unmatched: prospect') AS rule,
               a.match_weight, a.match_probability
        FROM {out} a
    """)
