"""Survivorship: one value per entity and attribute when sources or records disagree, picked
by the declared rule, with lineage saying which source, file and record won and how many
candidates (and distinct values) there were.
"""

from __future__ import annotations

import duckdb

from warehouse.resolve.config import SQL_TYPES, Attribute, Survivorship

# staged column that feeds an attribute, where its name differs
ALIASES = {"ext_company": {"full_name": "company_name"}}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    schema, name = table.split(".")
    return {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
        "AND table_name = ?", [schema, name]).fetchall()}


def candidates(con: duckdb.DuckDBPyConnection, attrs: dict[str, Attribute],
               feeds: list[tuple[str, str, str]], out: str) -> None:
    """`out`(entity_id, attribute, value, source, file, record_id, as_of): every non-empty
    value offered. `feeds` are (staged table, entity id SQL, join SQL) triples; the staged
    rows carry _source, which must be one of the attribute's sources."""
    parts = []
    for table, entity_sql, join_sql in feeds:
        cols = _columns(con, table)
        file = "CAST(s._file AS VARCHAR)" if "_file" in cols else "NULL"
        rid = "s.record_id" if "record_id" in cols else "CAST(s.customer_id AS VARCHAR)"
        as_of = "CAST(s.as_of AS DATE)" if "as_of" in cols else "CAST(s.updated_at AS DATE)"
        for name, attr in attrs.items():
            col = ALIASES.get(table.split(".current_")[-1], {}).get(name, name)
            if col not in cols:
                continue
            srcs = ", ".join(f"'{x}'" for x in attr.sources)
            parts.append(f"""
                SELECT {entity_sql} AS entity_id, '{name}' AS attribute,
                       nullif(trim(CAST(s.{col} AS VARCHAR)), '') AS value, s._source AS source,
                       {file} AS file, {rid} AS record_id, {as_of} AS as_of
                FROM {table} s {join_sql}
                WHERE s._source IN ({srcs}) AND NOT coalesce(s._deleted, false)""")
    body = " UNION ALL ".join(parts) if parts else (
        "SELECT NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, "
        "NULL::VARCHAR, NULL::DATE WHERE false")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM ({body}) "
                "WHERE value IS NOT NULL AND entity_id IS NOT NULL")


def pick(con: duckdb.DuckDBPyConnection, rules: Survivorship, attrs: dict[str, Attribute],
         cands: str, lineage_out: str, wide_out: str, key: str) -> None:
    """`lineage_out`: the winning candidate per (entity, attribute) with counts;
    `wide_out`: one row per entity, a typed column per attribute."""
    prio = " ".join(f"WHEN '{s}' THEN {p}" for s, p in rules.sources.items())
    rule_of = " ".join(f"WHEN '{n}' THEN '{a.rule}'" for n, a in attrs.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {lineage_out} AS
        WITH c AS (
            SELECT *, CASE source {prio} ELSE 999 END AS priority,
                   CASE attribute {rule_of} END AS rule,
                   len(string_split(value, ';')) * 1000 + length(value) AS completeness
            FROM {cands}
        ), r AS (
            SELECT *, row_number() OVER (PARTITION BY entity_id, attribute ORDER BY
                       CASE WHEN rule = 'source_priority' THEN priority ELSE 0 END,
                       CASE WHEN rule = 'most_complete' THEN -completeness ELSE 0 END,
                       as_of DESC NULLS LAST, priority, record_id) AS rk,
                   count(*) OVER (PARTITION BY entity_id, attribute) AS candidates,
                   count(DISTINCT value) OVER (PARTITION BY entity_id, attribute) AS distinct_values
            FROM c
        )
        SELECT entity_id, attribute, value, source, file, record_id, as_of, rule, candidates,
               distinct_values
        FROM r WHERE rk = 1
    """)
    cols = ", ".join(
        f"TRY_CAST(max(value) FILTER (WHERE attribute = '{n}') AS {SQL_TYPES[a.type]}) AS {n}"
        for n, a in attrs.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {wide_out} AS SELECT entity_id AS {key}, {cols} "
                f"FROM {lineage_out} GROUP BY entity_id")
