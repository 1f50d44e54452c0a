"""SQL for any client: each cube as a view `cubes.<cube>` at fact grain with friendly names.

Columns: every level of every role ("date.quarter", "customer.region", labels as
"customer.customer.label"), the fact's grain columns, and one column per base measure named after
it (its fact column, or NULL outside a filtered measure's condition), so
`SELECT "date.quarter", sum(revenue) FROM cubes.sales GROUP BY ROLLUP (1)` works in any client.
Distinct counts and ratios are not additive over such rows: measure-aware SQL
(`MEASURE(customers)`) keeps those right.
"""

from __future__ import annotations

import duckdb
from sqlglot import exp

from warehouse.cube.model import Cube, CubeModel, load_cube_model
from warehouse.cube.scope import Params, Scope, alias, table_expr
from warehouse.cube.source import FactSource

SCHEMA = "cubes"


def view_select(cube: Cube) -> exp.Select:
    """The view's SELECT (literals inlined: a view has no parameters, and values come from YAML)."""
    params = Params()
    scope = Scope(cube, FactSource(cube.fact), params)
    scope.join_side = "LEFT"        # a view for any client keeps every fact row, whatever happens
    proj: list[exp.Expression] = []
    seen: set[str] = set()

    def add(expr: exp.Expression, name: str) -> None:
        if name not in seen:
            seen.add(name)
            proj.append(alias(expr, name))

    for col_name in cube.grain:
        add(scope.fact_column(col_name), col_name)
    for role in cube.roles.values():
        for level in role.dimension.levels.values():
            ref = cube.level(f"{role.name}.{level.name}")
            add(scope.level_key(ref), ref.name)
            if level.label is not None:
                add(scope.attr(role, level.label), f"{ref.name}.label")
    for measure in cube.measures.values():
        if measure.type in {"calculated", "count"} or measure.name in seen:
            continue
        value = (scope.fact_expr(measure.column) if measure.column is not None
                 else scope.level_key(measure.column_ref))
        if measure.filter:
            value = exp.Case(ifs=[exp.If(this=scope.conditions(measure.filter), true=value)])
        add(value, measure.name)
    select = scope.from_clause(exp.Select(expressions=proj))
    _inline_params(select, params.values)
    return select


def _inline_params(tree: exp.Expression, values: list) -> None:
    for node in list(tree.find_all(exp.Placeholder)):
        node.replace(exp.convert(values[int(node.this) - 1]))


def create_cube_views(con: duckdb.DuckDBPyConnection, model: CubeModel | None = None) -> list[str]:
    """(Re)create schema `cubes` with one view per single-fact cube; returns the view names."""
    model = model or load_cube_model()
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    made = []
    for cube in model.cubes.values():
        if cube.fact is None:
            continue
        view = table_expr(f"{SCHEMA}.{cube.name}")
        create = exp.Create(this=view, kind="VIEW", replace=True, expression=view_select(cube))
        con.execute(create.sql(dialect="duckdb"))
        made.append(f"{SCHEMA}.{cube.name}")
    return made
