"""Parent-child hierarchies (an employee's manager is another employee of the same table).

A parent-child level answers for a member *and everything under it*. Two shapes of SQL:

- Grouping by the level: facts join a closure table pairing each member (as ancestor, with all
  its attributes) with every descendant (__src_key, itself included), aliased apart from the
  role's own dimension join (scope.tree_alias). A fact row is then repeated once per member
  above it, which is the point for those groupings and wrong for any other: grouping sets
  without the level are computed from the un-repeated facts (component.build).
- Filtering on the level (cuts, segments, measure filters): the fact's key IN the subtree of
  the matching members (subtree_keys), so every fact row counts once and the role's other
  levels keep the fact's own member.

Recursive CTEs use UNION (not UNION ALL), so the recursion stops even if the data holds a cycle.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from warehouse.cube.model import Dimension
from warehouse.cube.scope import alias, col, join, table_expr

CLOSURE = "__closure"
TREE = "__subtree"


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


def subtree_keys(dim: Dimension, match: Callable[[str], exp.Expression]) -> exp.Select:
    """The keys of the members matching a condition and of every member under them, once each:
    WITH RECURSIVE t AS (SELECT key FROM dim m WHERE match('m') UNION SELECT children) ...

    match(alias) is the condition on a member row of the dimension table aliased `alias`.
    """
    key, parent = dim.key, dim.parent
    start = exp.Select(expressions=[alias(col(key, "m"), "k")],
                       from_=exp.From(this=table_expr(dim.table, "m")),
                       where=exp.Where(this=match("m")))
    step = exp.Select(
        expressions=[col(key, "m")],
        from_=exp.From(this=exp.Table(this=exp.to_identifier(TREE))),
        joins=[join(table_expr(dim.table, "m"),
                    exp.EQ(this=col(parent, "m"), expression=col("k", TREE)), None)])
    cte = exp.CTE(this=exp.Union(this=start, expression=step, distinct=True),
                  alias=exp.TableAlias(this=exp.to_identifier(TREE),
                                       columns=[exp.to_identifier("k")]))
    keys = exp.Select(expressions=[col("k", TREE)], from_=exp.From(
        this=exp.Table(this=exp.to_identifier(TREE))))
    keys.set("with_", exp.With(expressions=[cte], recursive=True))
    return keys
