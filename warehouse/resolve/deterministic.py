"""Deterministic links: an external record and a customer sharing a normalised key that only
one customer has (e-mail, phone, unified social credit code, a contact's e-mail).

Keys are tried in the configured order; the first that links a record wins, so a record whose
e-mail and phone point at different customers follows its e-mail (and is counted as a conflict).
Each link carries the weight of its key: the weight the stored Splink model gives a pair that
agrees on that key alone, prior included (model.exact_match_weight), so no link is without a
weight on Splink's scale even when Splink never scored the pair.
"""

from __future__ import annotations

import duckdb

# key name -> (external column, internal relation giving (key, customer_id))
KEY_SOURCES = {
    "email": ("email", "SELECT email AS k, customer_id FROM {internal}"),
    "phone": ("phone_key", "SELECT phone_key AS k, customer_id FROM {internal}"),
    "uscc": ("uscc", "SELECT uscc AS k, customer_id FROM {internal}"),
    "contact_email": ("email", "SELECT email AS k, customer_id FROM {contacts}"),
}


def key_columns(keys: list[str]) -> list[str]:
    """The external columns the keys compare (contact_email compares the record's e-mail)."""
    return list(dict.fromkeys(KEY_SOURCES[k][0] for k in keys))


def links(con: duckdb.DuckDBPyConnection, keys: list[str], ext: str, internal: str,
          contacts: str | None, out: str, weights: dict[str, float]) -> int:
    """`out`(unique_id, customer_id, rule, match_weight, conflict): one row per
    deterministically linked record; `weights` by external column (key_columns). Returns the
    number of records whose keys disagreed."""
    parts = []
    for prio, key in enumerate(keys):
        col, rel = KEY_SOURCES[key]
        if key == "contact_email" and contacts is None:
            continue
        src = rel.format(internal=internal, contacts=contacts)
        parts.append(f"""
            SELECT e.unique_id, u.customer_id, '{key}' AS rule, {prio} AS prio,
                   {weights[col]!r}::DOUBLE AS w
            FROM {ext} e JOIN (
                SELECT k, any_value(customer_id) AS customer_id FROM ({src})
                WHERE k IS NOT NULL GROUP BY k HAVING count(DISTINCT customer_id) = 1
            ) u ON u.k = e.{col}""")
    if not parts:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {out} (unique_id VARCHAR, customer_id BIGINT, "
                    "rule VARCHAR, match_weight DOUBLE, conflict BOOLEAN)")
        return 0
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH c AS ({" UNION ALL ".join(parts)})
        SELECT unique_id, arg_min(customer_id, prio) AS customer_id, arg_min(rule, prio) AS rule,
               arg_min(w, prio) AS match_weight, count(DISTINCT customer_id) > 1 AS conflict
        FROM c GROUP BY unique_id
    """)
    return int(con.execute(f"SELECT count(*) FILTER (WHERE conflict) FROM {out}").fetchone()[0])
