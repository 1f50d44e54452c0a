"""The published tables of identity resolution, rebuilt from the current staged state each
load: core.identity_link, core.dim_prospect, core.customer_profile, core.profile_lineage."""

from __future__ import annotations

import duckdb

from warehouse.duck import table_exists

# What identity resolution publishes (schema core); absent until a load has staged external
# records, so their expectation suites are skipped until then.
TABLES = ("identity_link", "dim_prospect", "customer_profile", "profile_lineage")


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of each resolution table the snapshot holds; tables not made yet are left out."""
    return {t: con.execute(f"SELECT count(*) FROM core.{t}").fetchone()[0]
            for t in TABLES if table_exists(con, "core", t)}


def identity_link(con: duckdb.DuckDBPyConnection, parts: list[tuple[str, str, str]],
                  load_id: str) -> None:
    """`parts`: (kind, features table, assignment table) per entity kind."""
    selects = " UNION ALL ".join(f"""
        SELECT f.record_id, f.source, '{kind}' AS entity_type, f.file, f.file_row,
               a.customer_id, a.prospect_id, a.cluster_id, a.rule AS match_rule,
               a.match_weight, a.match_probability
        FROM {feat} f JOIN {assign} a USING (unique_id)""" for kind, feat, assign in parts)
    con.execute(f"""
        CREATE OR REPLACE TABLE core.identity_link AS
        SELECT l.record_id, l.source, l.entity_type, l.file, l.file_row, l.customer_id,
               d.customer_key, l.prospect_id, l.cluster_id, l.match_rule,
               CAST(l.match_weight AS DOUBLE) AS match_weight,
               CAST(l.match_probability AS DOUBLE) AS match_probability,
               '{load_id}' AS load_id
        FROM ({selects}) l
        LEFT JOIN core.dim_customer d ON d.customer_id = l.customer_id AND d.is_current
        ORDER BY l.entity_type, l.record_id
    """)


def dim_prospect(con: duckdb.DuckDBPyConnection, wide: str, load_id: str) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE core.dim_prospect AS
        WITH m AS (
            SELECT prospect_id, any_value(entity_type) AS prospect_type,
                   count(*) AS n_records, count(DISTINCT source) AS n_sources
            FROM core.identity_link WHERE prospect_id IS NOT NULL GROUP BY prospect_id
        )
        SELECT row_number() OVER (ORDER BY m.prospect_id) AS prospect_key, m.*, w.* EXCLUDE
               (prospect_id), '{load_id}' AS load_id
        FROM m LEFT JOIN {wide} w USING (prospect_id)
        ORDER BY m.prospect_id
    """)


def customer_profile(con: duckdb.DuckDBPyConnection, wide: str, load_id: str) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE core.customer_profile AS
        WITH m AS (
            SELECT customer_id, any_value(customer_key) AS customer_key,
                   count(*) AS n_records, count(DISTINCT source) AS n_sources
            FROM core.identity_link WHERE customer_id IS NOT NULL GROUP BY customer_id
        )
        SELECT m.*, w.* EXCLUDE (customer_id), '{load_id}' AS load_id
        FROM m LEFT JOIN {wide} w ON CAST(w.customer_id AS BIGINT) = m.customer_id
        ORDER BY m.customer_id
    """)


def profile_lineage(con: duckdb.DuckDBPyConnection, customer: str, prospect: str,
                    load_id: str) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE core.profile_lineage AS
        SELECT 'customer' AS entity, entity_id, attribute, value, source, file, record_id, as_of,
               rule, candidates, distinct_values, '{load_id}' AS load_id FROM {customer}
        UNION ALL
        SELECT 'prospect', entity_id, attribute, value, source, file, record_id, as_of, rule,
               candidates, distinct_values, '{load_id}' FROM {prospect}
        ORDER BY entity, entity_id, attribute
    """)
