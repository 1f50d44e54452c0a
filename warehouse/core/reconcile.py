"""Reconcile ERP debtors to CRM customers by the declared rules: one customer, one truth."""

from __future__ import annotations

import duckdb

from warehouse.contracts.model import Reconciliation
from warehouse.duck import quote_literal as lit
from warehouse.stage.schema import current_table

XREF_DDL = """
CREATE TABLE IF NOT EXISTS core.customer_xref (
    erp_customer_id BIGINT NOT NULL, erp_customer_code VARCHAR, erp_name VARCHAR,
    customer_id BIGINT, match_rule VARCHAR, candidates INTEGER NOT NULL)
"""


def reconcile_customers(con: duckdb.DuckDBPyConnection, rules: Reconciliation) -> dict[str, int]:
    """Rebuild core.customer_xref; leave the debtors whose link changed in temp `_xref_changed`.

    Rules run in order; a rule matches a debtor only to exactly one live CRM customer (an
    ambiguous match falls through to the next rule). Unmatched debtors stay, with NULL customer.
    """
    con.execute(XREF_DDL)
    erp, crm = current_table(rules.erp_entity), current_table(rules.crm_entity)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _xref AS SELECT erp_customer_id, "
                f"erp_customer_code, name AS erp_name, NULL::BIGINT AS customer_id, "
                f"NULL::VARCHAR AS match_rule, 0 AS candidates FROM {erp} WHERE NOT _deleted")
    for rule in rules.rules:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _rule_hits AS "
            f"SELECT e.erp_customer_id, min(c.customer_id) AS customer_id, "
            f"count(DISTINCT c.customer_id) AS n "
            f"FROM {erp} e JOIN {crm} c ON ({_on(rule.erp, 'e')}) = ({_on(rule.crm, 'c')}) "
            f"WHERE NOT e._deleted AND NOT c._deleted AND ({_on(rule.erp, 'e')}) IS NOT NULL "
            f"AND ({_on(rule.erp, 'e')}) <> '' GROUP BY e.erp_customer_id"
        )
        con.execute(
            f"UPDATE _xref x SET customer_id = h.customer_id, match_rule = {lit(rule.name)}, "
            f"candidates = h.n FROM _rule_hits h "
            f"WHERE x.erp_customer_id = h.erp_customer_id AND x.customer_id IS NULL AND h.n = 1"
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _xref_changed AS SELECT n.erp_customer_id FROM _xref n "
        "LEFT JOIN core.customer_xref o ON o.erp_customer_id = n.erp_customer_id "
        "WHERE o.erp_customer_id IS NULL OR o.customer_id IS DISTINCT FROM n.customer_id "
        "OR o.match_rule IS DISTINCT FROM n.match_rule"
    )
    # Rewrite only what moved: links that changed, and debtors no longer in the ERP.
    con.execute("DELETE FROM core.customer_xref WHERE erp_customer_id IN "
                "(SELECT erp_customer_id FROM _xref_changed) OR erp_customer_id NOT IN "
                "(SELECT erp_customer_id FROM _xref)")
    con.execute("INSERT INTO core.customer_xref SELECT * FROM _xref WHERE erp_customer_id IN "
                "(SELECT erp_customer_id FROM _xref_changed) ORDER BY erp_customer_id")
    rows = con.execute(
        "SELECT coalesce(match_rule, 'unmatched'), count(*) FROM core.customer_xref GROUP BY 1"
    ).fetchall()
    return dict(rows)


def _on(expr: str, alias: str) -> str:
    """Qualify a rule expression's bare column names with the table alias."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(expr, read="duckdb")
    for column in tree.find_all(exp.Column):
        if not column.table:
            column.set("table", exp.to_identifier(alias))
    return tree.sql(dialect="duckdb")
