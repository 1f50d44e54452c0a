"""Parent-child hierarchies (an employee's manager is another employee of the same table).

A parent-child level answers for a member *and everything under it*. The role's dimension is
replaced, for that query, by a closure table pairing each member (as ancestor, with all its
attributes) with every descendant (__src_key, itself included), computed by a recursive CTE;
facts join on the descendant, so grouping by the ancestor sums its whole subtree. UNION (not
UNION ALL) makes the recursion stop even if the data holds a cycle.
"""

from __future__ import annotations

from sqlglot import exp

from warehouse.cube.model import Dimension
from warehouse.cube.scope import alias, col, join, table_expr

CLOSURE = "__closure"


def closure_table(dim: Dimension) -> exp.Select:
    """SELECT a.*, c.descendant AS __src_key FROM closure c JOIN dim a ON a.key = c.ancestor."""
    key, parent = dim.key, dim.parent
    start = exp.Select(expressions=[alias(col(key, "m"), "ancestor"), alias(col(key, "m"),
                                                                             "descendant")],
                       from_=exp.From(this=table_expr(dim.table, "m")))
    step = exp.Select(
        expressions=[col("ancestor", CLOSURE), alias(col(key, "m"), "descendant")],
        from_=exp.From(this=exp.Table(this=exp.to_identifier(CLOSURE))),
        joins=[join(table_expr(dim.table, "m"),
                    exp.EQ(this=col(parent, "m"), expression=col("descendant", CLOSURE)), None)])
    cte = exp.CTE(this=exp.Union(this=start, expression=step, distinct=True),
                  alias=exp.TableAlias(this=exp.to_identifier(CLOSURE),
                                       columns=[exp.to_identifier("ancestor"),
                                                exp.to_identifier("descendant")]))
    pairs = exp.Select(expressions=[exp.Star()], from_=exp.From(
        this=exp.Table(this=exp.to_identifier(CLOSURE))))
    pairs.set("with_", exp.With(expressions=[cte], recursive=True))
    return exp.Select(
        expressions=[exp.Column(this=exp.Star(), table=exp.to_identifier("a")),
                     alias(col("descendant", "c"), "__src_key")],
        from_=exp.From(this=exp.Subquery(this=pairs, alias=exp.TableAlias(
            this=exp.to_identifier("c")))),
        joins=[join(table_expr(dim.table, "a"),
                    exp.EQ(this=col(key, "a"), expression=col("ancestor", "c")), None)])
