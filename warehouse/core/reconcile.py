"""Reconcile ERP debtors to CRM customers by the declared rules: one customer, one truth."""

from __future__ import annotations

import hashlib
import json

import duckdb

from warehouse.contracts.model import Reconciliation
from warehouse.duck import quote_literal as lit
from warehouse.duck import table_exists
from warehouse.quality.quarantine import quarantine_table
from warehouse.stage.schema import current_table, superseded_table

XREF_DDL = """
CREATE TABLE IF NOT EXISTS core.customer_xref (
    erp_customer_id BIGINT NOT NULL, erp_customer_code VARCHAR, erp_name VARCHAR,
    customer_id BIGINT, match_rule VARCHAR, candidates INTEGER NOT NULL)
"""


STATE_DDL = """
CREATE TABLE IF NOT EXISTS meta.reconciliation_state (rules_fingerprint VARCHAR NOT NULL)
"""


def reconcile_customers(con: duckdb.DuckDBPyConnection, rules: Reconciliation,
                        load_id: str | None = None) -> dict[str, int]:
    """Bring core.customer_xref up to date; leave the debtors whose link changed in temp
    `_xref_changed`.

    Rules run in order; a rule matches a debtor only to exactly one live CRM customer (an
    ambiguous match falls through to the next rule). Unmatched debtors stay, with NULL customer.

    With `load_id`, only the debtors this load can have moved are matched again (see
    `_affected_debtors`); the first load, and a load after the rules changed, match them all.
    """
    con.execute(XREF_DDL)
    con.execute(STATE_DDL)
    erp, crm = current_table(rules.erp_entity), current_table(rules.crm_entity)
    fingerprint = _fingerprint(rules)
    stored = con.execute("SELECT rules_fingerprint FROM meta.reconciliation_state").fetchone()
    incremental = load_id is not None and stored is not None and stored[0] == fingerprint
    debtors = f"(SELECT * FROM {erp} WHERE NOT _deleted"
    if incremental:
        _affected_debtors(con, rules, load_id)
        debtors += " AND erp_customer_id IN (SELECT erp_customer_id FROM _affected)"
    debtors += ")"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _xref AS SELECT erp_customer_id, "
                f"erp_customer_code, name AS erp_name, NULL::BIGINT AS customer_id, "
                f"NULL::VARCHAR AS match_rule, 0 AS candidates FROM {debtors}")
    for rule in rules.rules:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _rule_hits AS "
            f"SELECT e.erp_customer_id, min(c.customer_id) AS customer_id, "
            f"count(DISTINCT c.customer_id) AS n "
            f"FROM {debtors} e JOIN {crm} c ON ({_on(rule.erp, 'e')}) = ({_on(rule.crm, 'c')}) "
            f"WHERE NOT c._deleted AND ({_on(rule.erp, 'e')}) IS NOT NULL "
            f"AND ({_on(rule.erp, 'e')}) <> '' GROUP BY e.erp_customer_id"
        )
        con.execute(
            f"UPDATE _xref x SET customer_id = h.customer_id, match_rule = {lit(rule.name)}, "
            f"candidates = h.n FROM _rule_hits h "
            f"WHERE x.erp_customer_id = h.erp_customer_id AND x.customer_id IS NULL AND h.n = 1"
        )
    # Rewrite only what moved: links that changed (also kept in _xref_changed, for the facts),
    # debtors whose code, name or candidate count changed (their facts need nothing), and
    # debtors no longer in the ERP.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _xref_rewrite AS SELECT n.erp_customer_id, "
        "o.erp_customer_id IS NULL OR o.customer_id IS DISTINCT FROM n.customer_id "
        "OR o.match_rule IS DISTINCT FROM n.match_rule AS link_moved FROM _xref n "
        "LEFT JOIN core.customer_xref o ON o.erp_customer_id = n.erp_customer_id "
        "WHERE link_moved OR o.erp_customer_code IS DISTINCT FROM n.erp_customer_code "
        "OR o.erp_name IS DISTINCT FROM n.erp_name OR o.candidates IS DISTINCT FROM n.candidates"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _xref_changed AS SELECT erp_customer_id "
                "FROM _xref_rewrite WHERE link_moved")
    looked_at = ("erp_customer_id IN (SELECT erp_customer_id FROM _affected) AND "
                 if incremental else "")
    con.execute("DELETE FROM core.customer_xref WHERE erp_customer_id IN "
                f"(SELECT erp_customer_id FROM _xref_rewrite) OR ({looked_at}erp_customer_id "
                "NOT IN (SELECT erp_customer_id FROM _xref))")
    con.execute("INSERT INTO core.customer_xref SELECT * FROM _xref WHERE erp_customer_id IN "
                "(SELECT erp_customer_id FROM _xref_rewrite) ORDER BY erp_customer_id")
    con.execute("DROP TABLE _xref_rewrite")
    con.execute("DELETE FROM meta.reconciliation_state")
    con.execute("INSERT INTO meta.reconciliation_state VALUES (?)", [fingerprint])
    rows = con.execute(
        "SELECT coalesce(match_rule, 'unmatched'), count(*) FROM core.customer_xref GROUP BY 1"
    ).fetchall()
    return dict(rows)


def _affected_debtors(con: duckdb.DuckDBPyConnection, rules: Reconciliation,
                      load_id: str) -> None:
    """Temp `_affected`: the debtors whose link this load can have changed. A debtor's link
    depends only on its own row and on the live CRM customers sharing one of its rule values,
    so it can move only if its row changed in this load, or a CRM customer that changed in this
    load has (or had, in any earlier version) one of its rule values. Changed means staged in
    this load, or held back by a gate in this load: the gate puts back the key's previous
    version, which need not be the one the base snapshot served. Every other debtor keeps the
    link the base snapshot holds."""
    erp, crm = current_table(rules.erp_entity), current_table(rules.crm_entity)
    old = superseded_table(rules.crm_entity)
    batch = f"_batch_id = {lit(load_id)}"
    debtors = [f"SELECT erp_customer_id FROM {erp} WHERE {batch}"]
    customers = [f"SELECT customer_id FROM {crm} WHERE {batch}"]
    for entity, parts, key in ((rules.erp_entity, debtors, "erp_customer_id"),
                               (rules.crm_entity, customers, "customer_id")):
        if table_exists(con, "quarantine", entity):
            parts.append(f"SELECT {key} FROM {quarantine_table(entity)} "
                         f"WHERE load_id = {lit(load_id)}")
    ids = " UNION ".join(customers)
    changed = (f"(SELECT * FROM {crm} WHERE customer_id IN ({ids}) UNION ALL BY NAME "
               f"SELECT * FROM {old} WHERE customer_id IN ({ids}))")
    for rule in rules.rules:
        debtors.append(
            f"SELECT e.erp_customer_id FROM {erp} e SEMI JOIN (SELECT DISTINCT "
            f"{_on(rule.crm, 'c')} AS v FROM {changed} c) k ON ({_on(rule.erp, 'e')}) = k.v")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _affected AS {' UNION '.join(debtors)}")


def _fingerprint(rules: Reconciliation) -> str:
    """What decides a match besides the data: the rules, the SQL they render to (sqlglot's
    rendering may change with its version) and the DuckDB version that evaluates it. A change
    in any of them makes the next load match every debtor again."""
    rendered = [(_on(r.erp, "e"), _on(r.crm, "c")) for r in rules.rules]
    basis = json.dumps([rules.model_dump(mode="json"), rendered, duckdb.__version__])
    return hashlib.sha256(basis.encode()).hexdigest()


def _on(expr: str, alias: str) -> str:
    """Qualify a rule expression's bare column names with the table alias."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(expr, read="duckdb")
    for column in tree.find_all(exp.Column):
        if not column.table:
            column.set("table", exp.to_identifier(alias))
    return tree.sql(dialect="duckdb")
