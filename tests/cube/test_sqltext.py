"""warehouse.cube.sqltext writes the SQL text sqlglot's DuckDB generator writes."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from warehouse.cube.scope import alias, col, select_from, table_expr
from warehouse.cube.sqltext import to_sql

STATEMENTS = [
    "SELECT a, 'it''s', 'back\\\\slash', 'tab\tnew\nline', 1.5, -2, NULL, TRUE FROM t",
    'SELECT "we""ird" AS "x y", t.b FROM "s"."t" AS "t" WHERE NOT (a = 1 OR b <> 2) AND c IS NULL',
    "SELECT sum(x) FILTER (WHERE y > 1), count(DISTINCT z), count(*), min(a), max(b) FROM t",
    "SELECT coalesce(a, b, 0), nullif(a, 0), a / b, a // b, CAST(a AS DECIMAL(18, 2)) FROM t",
    "SELECT a FROM t LEFT JOIN u ON t.k = u.k FULL OUTER JOIN v ON v.k IS NOT DISTINCT FROM t.k",
    "SELECT a FROM t JOIN u USING (k) CROSS JOIN w",
    "SELECT a, b FROM t GROUP BY GROUPING SETS ((a), (a, b), ())",
    "SELECT a FROM t GROUP BY ALL ORDER BY a DESC NULLS FIRST, b ASC LIMIT 10 OFFSET 5",
    "SELECT a FROM (SELECT a FROM t) AS q QUALIFY row_number() OVER (PARTITION BY a ORDER BY b) <= 3",
    "SELECT a FROM t WHERE a IN (1, 2) AND b NOT IN ($1, $2) AND c BETWEEN 1 AND 2",
    "SELECT x FROM t WHERE d >= DATE '2024-01-01' AND a + b * c - 1 > 0",
    "SELECT \"客户.城市\" AS \"城市\" FROM t WHERE name = '上海' OR name = 'Zürich'",
]


@pytest.mark.parametrize("text", STATEMENTS)
def test_parsed_statements(text):
    tree = sqlglot.parse_one(text, read="duckdb")
    assert to_sql(tree) == tree.sql(dialect="duckdb")


def test_built_trees():
    inner = exp.Select(expressions=[alias(col("a", "f"), "a.b")],
                       from_=exp.From(this=table_expr("agg.t", "f")))
    tree = select_from([col("a.b", "q")], inner, "q")
    tree.set("order", exp.Order(expressions=[
        exp.Ordered(this=exp.Literal.number(1), desc=False, nulls_first=False)]))
    assert to_sql(tree) == tree.sql(dialect="duckdb")
