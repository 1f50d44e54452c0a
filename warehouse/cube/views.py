"""SQL for any client: each cube as a view `cubes.<cube>` at fact grain with friendly names.

A single-fact cube's view has one row per fact row. Columns: the fact's grain columns, every
level of every role ("date.quarter", "customer.region", labels as "customer.customer.label"),
and one column per base measure named after it, holding what the measure aggregates on that row
(its fact column or attribute; 1 for a row count; NULL outside a filtered measure's condition).
So `SELECT "date.quarter", sum(revenue) FROM cubes.sales GROUP BY ROLLUP (1)` works in any
client, each measure column aggregated by its own function (`sum(revenue)`, `count(lines)`,
`count(DISTINCT customers)`, `avg(avg_price)`, ...: the column's comment names it).

A drill-across cube (customer360, receivables) is one view that stacks its facts:
`cubes.customer360` is the UNION ALL BY NAME of one SELECT per fact, each at that fact's own
grain, with a first column `fact` naming the fact cube of the row ('sales', 'invoices', ...).
Its other columns: the levels of the roles that every one of its facts has (the conformed
dimensions, here `date` and `customer`), named as in the facts' own views, and each fact's grain
and measure columns, NULL on the other facts' rows. A row belongs to one fact and nothing is
joined, so `SELECT "customer.region", sum(revenue), sum(invoiced) FROM cubes.customer360
GROUP BY ROLLUP (1)` counts each fact row once, whatever the grouping: no fan-out, and the same
answer as the engine's drill-across (counts are 0 where a fact has no rows, sums NULL).
A role only some of the facts have (product, due_date) is not a column: the engine refuses it
for the other facts' measures, and in a stacked view it would file those under NULL. The
per-fact views are the facts' own views: the rows of `cubes.customer360` with fact = 'sales'
are those of `cubes.sales`, on the columns they share (no `customer360__sales` duplicates).
The model refuses a measure named `fact` or like another fact's grain column (one column would
hold two things).

Not every measure adds up over such rows. Distinct counts and ratios do not: measure-aware SQL
(`MEASURE(customers)`) keeps those right. A semi-additive measure (a balance such as
open_receivables) holds each row's value on that row's day; summed across days a balance counts
once per day. It is a column anyway (one day's sum is right), and its comment, in the fact's
view and in every drill-across view, starts with "semi-additive" and says how to use it: sum it
over one day, or write `MEASURE(name)` in cube SQL for each group's last (or first) day. Every
view and measure column has a comment (`duckdb_columns().comment`, shown by SQL clients).
"""

from __future__ import annotations

from collections.abc import Collection

import duckdb
from sqlglot import exp

from warehouse.cube.model import Cube, CubeModel, Measure, load_cube_model
from warehouse.cube.scope import Params, Scope, alias, ident, table_expr
from warehouse.cube.source import FactSource

SCHEMA = "cubes"
FACT_COLUMN = "fact"          # a drill-across view's discriminator: the fact cube of the row

# How a measure column is aggregated in plain SQL, by measure type.
AGGREGATE = {"sum": "sum({})", "count": "count({})", "count_distinct": "count(DISTINCT {})",
             "approx_count_distinct": "approx_count_distinct({})", "avg": "avg({})",
             "min": "min({})", "max": "max({})"}


def view_select(cube: Cube, roles: Collection[str] | None = None,
                fact: str | None = None) -> exp.Select:
    """A fact's view SELECT (literals inlined: a view has no parameters, values come from YAML).

    roles: only these roles' levels (a drill-across view's conformed roles; default all);
    fact: first a column `fact` holding this name (a drill-across view's branch).
    """
    params = Params()
    scope = Scope(cube, FactSource(cube.fact), params)
    scope.join_side = "LEFT"        # a view for any client keeps every fact row, whatever happens
    proj: list[exp.Expression] = []
    seen: set[str] = set()

    def add(expr: exp.Expression, name: str) -> None:
        if name not in seen:
            seen.add(name)
            proj.append(alias(expr, name))

    if fact is not None:
        add(exp.Literal.string(fact), FACT_COLUMN)
    for col_name in cube.grain:
        add(scope.fact_column(col_name), col_name)
    for role in cube.roles.values():
        if roles is not None and role.name not in roles:
            continue
        for level in role.dimension.levels.values():
            ref = cube.level(f"{role.name}.{level.name}")
            add(scope.level_key(ref), ref.name)
            if level.label is not None:
                add(scope.attr(role, level.label), f"{ref.name}.label")
    for measure in view_measures(cube):
        if measure.column is not None:
            value = scope.fact_expr(measure.column)
        elif measure.column_ref is not None:
            value = scope.level_key(measure.column_ref)
        else:                                       # a row count: count(lines) counts the 1s
            value = exp.Literal.number(1)
        if measure.filter:
            value = exp.Case(ifs=[exp.If(this=scope.conditions(measure.filter), true=value)])
        add(value, measure.name)
    select = scope.from_clause(exp.Select(expressions=proj))
    _inline_params(select, params.values)
    return select


def view_measures(cube: Cube) -> list[Measure]:
    """The measures that are columns of the cube's view: every one but the calculated."""
    return [m for m in cube.measures.values() if m.type != "calculated"]


def conformed_roles(model: CubeModel, cube: Cube) -> list[str]:
    """The roles every fact of a drill-across cube has: the columns of its stacked view."""
    return [r for r in cube.roles if all(r in model.cube(c).roles for c in cube.components)]


def stacked_select(model: CubeModel, cube: Cube) -> exp.Expression:
    """A drill-across view: each fact's rows at its own grain, UNION ALL BY NAME (the model
    checked that no measure of one fact shares its name with a column of another)."""
    roles = conformed_roles(model, cube)
    union: exp.Expression | None = None
    for name in cube.components:
        branch = view_select(model.cube(name), roles, fact=name)
        union = branch if union is None else exp.Union(this=union, expression=branch,
                                                       distinct=False, by_name=True)
    assert union is not None, cube.name
    return union


def _inline_params(tree: exp.Expression, values: list) -> None:
    for node in list(tree.find_all(exp.Placeholder)):
        node.replace(exp.convert(values[int(node.this) - 1]))


def measure_comment(measure: Measure, stacked: bool = False) -> str:
    """What a measure column holds and how to aggregate it in plain SQL."""
    name = measure.name
    how = AGGREGATE[measure.type].format(name)
    if measure.semi_additive:
        first_last = "last" if measure.semi_additive == "last" else "first"
        text = (f"semi-additive ({first_last} value over {measure.over.name}): a balance, each "
                f"row's value on its day; do not sum it across days (a balance counts once per "
                f"day): {how} over one {measure.over.name}.day only, or write MEASURE({name}) "
                f"in cube SQL for each group's {first_last} day")
    else:
        text = how + (" (the values counted: distinct counts do not add up across groups)"
                      if measure.type in {"count_distinct", "approx_count_distinct"} else "")
    if measure.filter:
        text += "; NULL outside its filter"
    if stacked:
        text += f"; NULL on rows of other facts than {measure.cube}"
    return text


def _comment(con: duckdb.DuckDBPyConnection, target: exp.Expression, kind: str,
             text: str) -> None:
    statement = exp.Comment(this=target, kind=kind, expression=exp.Literal.string(text))
    con.execute(statement.sql(dialect="duckdb"))


def _describe(con: duckdb.DuckDBPyConnection, model: CubeModel, cube: Cube) -> None:
    """Comments on a view and its measure columns (CREATE OR REPLACE drops them)."""
    view = table_expr(f"{SCHEMA}.{cube.name}")
    stacked = cube.fact is None
    about = cube.description.strip() or cube.name
    if stacked:
        about += (f" One row per fact row of {', '.join(cube.components)} (column fact); a "
                  f"measure column is NULL on the other facts' rows, so sums never fan out.")
    else:
        about += f" One row per row of {cube.fact}."
    _comment(con, view, "VIEW", about)

    def column(name: str) -> exp.Column:
        return exp.Column(this=ident(name), table=ident(cube.name), db=ident(SCHEMA))

    if stacked:
        _comment(con, column(FACT_COLUMN), "COLUMN",
                 f"the fact cube of the row: {', '.join(cube.components)}")
        grains: dict[str, list[str]] = {}
        for name in cube.components:
            for col_name in model.cube(name).grain:
                grains.setdefault(col_name, []).append(name)
        for col_name, facts in grains.items():
            _comment(con, column(col_name), "COLUMN", f"grain of {', '.join(facts)}; NULL on "
                     f"rows of other facts")
    for measure in view_measures(cube):
        _comment(con, column(measure.name), "COLUMN", measure_comment(measure, stacked))


def create_cube_views(con: duckdb.DuckDBPyConnection, model: CubeModel | None = None) -> list[str]:
    """(Re)create schema `cubes` with one view per cube; returns the view names."""
    model = model or load_cube_model()
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    made = []
    for cube in model.cubes.values():
        body = view_select(cube) if cube.fact is not None else stacked_select(model, cube)
        view = table_expr(f"{SCHEMA}.{cube.name}")
        create = exp.Create(this=view, kind="VIEW", replace=True, expression=body)
        con.execute(create.sql(dialect="duckdb"))
        _describe(con, model, cube)
        made.append(f"{SCHEMA}.{cube.name}")
    return made
