"""Splink predictions with the stored model: external records against customers (link_only)
and external records among themselves (dedupe_only), each pair with its match weight,
probability and the blocking rule that produced it. Splink's own tables are dropped after.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from splink import DuckDBAPI, Linker

from warehouse.duck import insert_rows
from warehouse.resolve.model import load, rule_names

# pairs below this are never needed: links need the threshold, weights of deterministic
# links are reported when Splink also scored them above it
KEEP_PROBABILITY = 0.5


def _rules_table(con: duckdb.DuckDBPyConnection, model: dict, out: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out} (match_key VARCHAR, rule VARCHAR)")
    insert_rows(con, out, ["match_key", "rule"],
                [(str(i), "splink: " + r) for i, r in enumerate(rule_names(model))])


def link_pairs(con: duckdb.DuckDBPyConnection, model_path: Path, ext: str, internal: str,
               deterministic: str, out: str) -> None:
    """`out`(ext_id, int_id, match_weight, match_probability, rule): scored pairs likely enough
    to matter, plus every pair a deterministic link made (so the link reports its weight)."""
    model = load(model_path, "link_only")
    db = DuckDBAPI(connection=con)
    linker = Linker([db.register(ext), db.register(internal)], model, log_level="WARNING")
    pred = linker.inference.predict(warning_mode="never")
    _rules_table(con, model, "_rs_rules")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH p AS (
        SELECT CASE WHEN p.unique_id_l LIKE 'e:%' THEN p.unique_id_l ELSE p.unique_id_r END
                   AS ext_id,
               CASE WHEN p.unique_id_l LIKE 'e:%' THEN p.unique_id_r ELSE p.unique_id_l END
                   AS int_id,
               p.match_weight, p.match_probability, r.rule
        FROM {pred.physical_name} p LEFT JOIN _rs_rules r ON r.match_key = CAST(p.match_key AS VARCHAR)
        WHERE (p.unique_id_l LIKE 'e:%') <> (p.unique_id_r LIKE 'e:%')
        )
        SELECT p.* FROM p
        WHERE p.match_probability >= {KEEP_PROBABILITY}
           OR (p.ext_id, p.int_id) IN (SELECT (unique_id, 'i:' || customer_id) FROM {deterministic})
    """)
    cleanup(con)


def dedupe_pairs(con: duckdb.DuckDBPyConnection, model_path: Path, ext: str, threshold: float,
                 out: str) -> None:
    """`out`(a, b, match_weight, match_probability, rule): external duplicates over threshold."""
    model = load(model_path, "dedupe_only")
    db = DuckDBAPI(connection=con)
    linker = Linker(db.register(ext), model, log_level="WARNING")
    pred = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    _rules_table(con, model, "_rs_rules")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT p.unique_id_l AS a, p.unique_id_r AS b, p.match_weight, p.match_probability,
               r.rule
        FROM {pred.physical_name} p LEFT JOIN _rs_rules r ON r.match_key = CAST(p.match_key AS VARCHAR)
    """)
    cleanup(con)


def cleanup(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the tables and views Splink made in this connection (never publish them)."""
    for schema, name, kind in con.execute("""
            SELECT schema_name, table_name, 'TABLE' FROM duckdb_tables()
            WHERE table_name LIKE '__splink__%'
            UNION ALL
            SELECT schema_name, view_name, 'VIEW' FROM duckdb_views()
            WHERE view_name LIKE '__splink__%'""").fetchall():
        con.execute(f'DROP {kind} IF EXISTS "{schema}"."{name}"')
    con.execute("DROP TABLE IF EXISTS _rs_rules")
