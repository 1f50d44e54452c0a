"""Measure-aware SQL: `SELECT "date.quarter", MEASURE(revenue) FROM sales GROUP BY ALL`.

The statement is parsed with sqlglot and translated into the query model, so distinct counts,
ratios and semi-additive balances stay right at any grouping. Only what maps exactly onto a
cube query is accepted; anything else gets an error that says what to write instead.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from warehouse.cube.model import Cube, CubeModel
from warehouse.cube.query import Cut, Order, PointCut, Query, RangeCut, SetCut
from warehouse.errors import UserError

_MEASURE = re.compile(r"\bMEASURE\s*\(", re.IGNORECASE)
EXAMPLE = 'SELECT "date.quarter", MEASURE(revenue) FROM sales WHERE "date.year" = 2025 GROUP BY ALL'


class CubeSQLError(UserError):
    code = "unsupported_cube_sql"


def is_measure_sql(text: str) -> bool:
    """Does the statement call MEASURE(...)? Then it is for the cube engine, not plain DuckDB.

    Parsed, not just searched: 'measure(' inside a string literal stays plain SQL.
    """
    if not _MEASURE.search(text):
        return False
    try:
        trees = sqlglot.parse(text, read="duckdb")
    except ParseError:
        return False
    return any(isinstance(node, exp.Anonymous) and node.name.upper() == "MEASURE"
               for tree in trees if tree is not None for node in tree.walk())


def _fail(problem: str, instead: str) -> CubeSQLError:
    return CubeSQLError(f"{problem}; {instead}")


def to_query(model: CubeModel, text: str) -> Query:
    """Translate one measure-aware SELECT into a cube Query (with output aliases applied)."""
    try:
        statements = sqlglot.parse(text, read="duckdb")
    except ParseError as exc:
        raise _fail(f"not valid SQL: {str(exc).splitlines()[0]}", f"write e.g. {EXAMPLE}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        raise _fail("one SELECT statement is expected (no UNION, CTE or DDL)",
                    f"write e.g. {EXAMPLE}")
    select: exp.Select = statements[0]
    for key, hint in (("with", "put the logic in the cube's measures or run two queries"),
                      ("joins", "drill across with a multi-fact cube such as customer360"),
                      ("having", "filter the result outside, or cut on a level in WHERE"),
                      ("distinct", "every cube query returns one row per member already"),
                      ("windows", "use time calculations (crmwh query --time) instead")):
        if select.args.get(key):
            raise _fail(f"{key.upper()} is not supported in cube SQL", hint)
    cube = _cube(model, select)
    levels: list[str] = []
    measures: list[str] = []
    renames: dict[str, str] = {}
    for item in select.expressions:
        name, alias = _projection(cube, item)
        if isinstance(name, _Measure):
            measures.append(name.name)
            out = name.name
        else:
            levels.append(name)
            out = name
        if alias and alias != out:
            renames[out] = alias
    if not measures:
        raise _fail("no MEASURE(...) in the select list", f"write e.g. {EXAMPLE}")
    totals = _group(cube, select, levels)
    cuts, segments = _where(cube, select.args.get("where"))
    order = tuple(_order(cube, o, renames) for o in (select.args.get("order") or exp.Order()).
                  expressions)
    return Query(cube.name, tuple(measures), tuple(levels), tuple(cuts), tuple(segments), order,
                 limit=_int(select.args.get("limit"), "LIMIT"),
                 offset=_int(select.args.get("offset"), "OFFSET") or 0,
                 totals=totals, renames=tuple(renames.items()))


class _Measure:
    def __init__(self, name: str) -> None:
        self.name = name


def _cube(model: CubeModel, select: exp.Select) -> Cube:
    source = select.args.get("from_") or select.args.get("from")
    table = source.this if source else None
    if not isinstance(table, exp.Table):
        raise _fail("FROM must name one cube", f"write e.g. {EXAMPLE}")
    if table.db and table.db != "cubes":
        raise _fail(f"{table.sql('duckdb')} is not a cube",
                    f"cubes are: {', '.join(sorted(model.cubes))}")
    return model.cube(table.name)


def _level_name(cube: Cube, node: exp.Expression) -> str | None:
    if isinstance(node, exp.Column):
        text = f"{node.table}.{node.name}" if node.table else node.name
        return cube.level(text).name
    return None


def _measure_name(cube: Cube, node: exp.Expression) -> str | None:
    if isinstance(node, exp.Anonymous) and node.name.upper() == "MEASURE":
        args = node.expressions
        if len(args) != 1 or not isinstance(args[0], exp.Column):
            raise _fail("MEASURE takes one measure name", "write MEASURE(revenue)")
        return cube.measure(args[0].name).name
    return None


def _projection(cube: Cube, item: exp.Expression) -> tuple[Any, str | None]:
    alias = item.alias if isinstance(item, exp.Alias) else None
    node = item.this if isinstance(item, exp.Alias) else item
    measure = _measure_name(cube, node)
    if measure:
        return _Measure(measure), alias
    if isinstance(node, exp.Star):
        raise _fail("SELECT * is not a cube query", "name the levels and MEASURE(...)s, or "
                    f"query the view cubes.{cube.name} for fact rows")
    level = _level_name(cube, node)
    if level:
        return level, alias
    if isinstance(node, exp.AggFunc):
        raise _fail(f"{node.sql('duckdb')}: aggregates over a cube are its measures",
                    f"write MEASURE(name); measures: {', '.join(sorted(cube.measures))}")
    raise _fail(f"{node.sql('duckdb')} is neither a level nor MEASURE(...)",
                'select levels such as "date.quarter" and MEASURE(name)')


def _group(cube: Cube, select: exp.Select, levels: list[str]) -> str:
    group = select.args.get("group")
    if group is None:
        if levels:
            raise _fail("levels are selected without GROUP BY", "add GROUP BY ALL")
        return "none"
    if group.args.get("all"):
        return "none"
    items = group.expressions
    if len(items) == 1 and isinstance(items[0], exp.Rollup | exp.Cube):
        names = [_level_name(cube, c) for c in items[0].expressions]
        if isinstance(items[0], exp.Cube):
            if sorted(n for n in names if n) != sorted(levels):
                raise _fail("CUBE must list the selected levels", "write GROUP BY CUBE (...)")
            return "all"
        if names != levels:
            quoted = ", ".join(f'"{n}"' for n in levels)
            raise _fail("ROLLUP must list the selected levels in select order",
                        f"write GROUP BY ROLLUP ({quoted})")
        return "rollup"
    if any(isinstance(i, exp.Rollup | exp.Cube | exp.GroupingSets) for i in items) or \
            group.args.get("grouping_sets"):
        raise _fail("only one ROLLUP (...) or CUBE (...) over the selected levels is supported",
                    "write GROUP BY ROLLUP (...) or GROUP BY ALL")
    names = [_level_name(cube, c) for c in group.expressions]
    if sorted(n for n in names if n) != sorted(levels):
        raise _fail("GROUP BY must list exactly the selected levels", "write GROUP BY ALL")
    return "none"


def _literal(node: exp.Expression) -> Any:
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return node.this
    if isinstance(node, exp.Cast):
        return _literal(node.this)
    if isinstance(node, exp.Neg):
        value = _literal(node.this)
        return f"-{value}" if isinstance(value, str) else -value
    if isinstance(node, exp.Literal):
        return node.this
    raise _fail(f"{node.sql('duckdb')}: only literal values can be compared with a level",
                "write e.g. \"date.year\" = 2025")


def _where(cube: Cube, where: exp.Where | None) -> tuple[list[Cut], list[str]]:
    cuts: list[Cut] = []
    segments: list[str] = []
    if where is None:
        return cuts, segments
    for cond in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
        invert = isinstance(cond, exp.Not)
        node = cond.this if invert else cond
        if isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.Anonymous) and node.name.upper() == "SEGMENT":
            segments.append(node.expressions[0].name)
            continue
        level = _level_name(cube, node.this) if isinstance(node, exp.Binary | exp.In |
                                                              exp.Between | exp.Is) else None
        if level is None:
            raise _fail(f"WHERE {cond.sql('duckdb')}: not a condition on a level",
                        'combine with AND conditions like "customer.region" = \'East\', IN '
                        "(...), BETWEEN, >=, <=, or SEGMENT(name)")
        if isinstance(node, exp.EQ | exp.Is):
            cuts.append(PointCut(level, _literal(node.expression), invert))
        elif isinstance(node, exp.NEQ):
            cuts.append(PointCut(level, _literal(node.expression), not invert))
        elif isinstance(node, exp.In):
            cuts.append(SetCut(level, tuple(_literal(v) for v in node.expressions), invert))
        elif isinstance(node, exp.Between):
            cuts.append(RangeCut(level, _literal(node.args["low"]), _literal(node.args["high"]),
                                 invert))
        elif isinstance(node, exp.GTE):
            cuts.append(RangeCut(level, _literal(node.expression), None, invert))
        elif isinstance(node, exp.LTE):
            cuts.append(RangeCut(level, None, _literal(node.expression), invert))
        else:
            raise _fail(f"WHERE {cond.sql('duckdb')}: this comparison is not supported",
                        "use =, <>, IN, BETWEEN, >= or <=")
    return cuts, segments


def _order(cube: Cube, ordered: exp.Ordered, renames: dict[str, str]) -> Order:
    node = ordered.this
    back = {v: k for k, v in renames.items()}
    name = _measure_name(cube, node)
    if name is None and isinstance(node, exp.Column) and not node.table and node.name in back:
        name = back[node.name]
    if name is None and isinstance(node, exp.Column) and node.name in cube.measures:
        name = node.name
    if name is None:
        name = _level_name(cube, node)
    if name is None:
        raise _fail(f"ORDER BY {node.sql('duckdb')}", "order by a selected level or measure")
    return Order(name, bool(ordered.args.get("desc")))


def _int(node: exp.Expression | None, what: str) -> int | None:
    if node is None:
        return None
    value = node.expression if hasattr(node, "expression") and node.expression else node.this
    if not isinstance(value, exp.Literal) or value.is_string:
        raise _fail(f"{what} takes a whole number", f"write {what} 100")
    return int(value.this)
