"""Measure-aware SQL: `SELECT "date.quarter", MEASURE(revenue) FROM sales GROUP BY ALL`.

The statement is parsed with sqlglot and translated into the query model, so distinct counts,
ratios and semi-additive balances stay right at any grouping. Only what maps exactly onto a
cube query is accepted; anything else gets an error that names the construct and says what to
write instead. The check is by allow-list: a clause (an argument of sqlglot's Select, Table,
Group, ...) the translation does not read is refused, never silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from warehouse.cube.model import Cube, CubeModel
from warehouse.cube.query import Cut, Order, PointCut, Query, RangeCut, SetCut
from warehouse.errors import UserError

_MEASURE = re.compile(r"\bMEASURE\s*\(", re.IGNORECASE)
EXAMPLE = 'SELECT "date.quarter", MEASURE(revenue) FROM sales WHERE "date.year" = 2025 GROUP BY ALL'
PLAIN = "or write plain SQL (without MEASURE) over the view cubes.{cube}"

# The arguments of sqlglot's Select that the translation reads; every other one is refused.
_READ = {"expressions", "from_", "where", "group", "order", "limit", "offset"}
# What the refused ones are called, and what to write instead ({cube}: the cube's name).
_CLAUSES: dict[str, tuple[str, str]] = {
    "with_": ("WITH (common table expressions)",
              "a cube query reads one cube: put the logic in the cube's measures and segments, "
              + PLAIN),
    "kind": ("SELECT AS STRUCT/VALUE", f"write e.g. {EXAMPLE}"),
    "hint": ("an optimizer hint", "drop it"),
    "distinct": ("DISTINCT", "every cube query returns one row per member already; drop it"),
    "into": ("SELECT INTO", "store the answer outside (crmwh sql --format csv)"),
    "operation_modifiers": ("a SELECT modifier", "drop it"),
    "exclude": ("EXCLUDE", "name the levels and MEASURE(...)s to select"),
    "match": ("MATCH_RECOGNIZE", PLAIN.removeprefix("or ")),
    "laterals": ("LATERAL", "drill across with a multi-fact cube such as customer360, " + PLAIN),
    "joins": ("JOIN", "drill across with a multi-fact cube such as customer360, " + PLAIN),
    "connect": ("CONNECT BY", PLAIN.removeprefix("or ")),
    "pivots": ("PIVOT", "lay the answer out with crmwh query --pivot or CubeEngine.pivot()"),
    "prewhere": ("PREWHERE", "cut on levels in WHERE"),
    "having": ("HAVING", "filter the result outside, or cut on a level in WHERE"),
    "qualify": ("QUALIFY", "filter the result outside; for the best n members use top-N "
                "(crmwh query --top N --top-by MEASURE)"),
    "windows": ("WINDOW", "use time calculations (crmwh query --time) instead"),
    "distribute": ("DISTRIBUTE BY", "drop it"),
    "sort": ("SORT BY", "write ORDER BY"),
    "cluster": ("CLUSTER BY", "drop it"),
    "locks": ("FOR UPDATE/SHARE", "drop it: cube queries only read"),
    "sample": ("a sample (USING SAMPLE / TABLESAMPLE)",
               "measures are computed over every fact row; to sample fact rows, "
               + PLAIN.removeprefix("or ")),
    "settings": ("SETTINGS", "drop it"),
    "format": ("FORMAT", "choose the output with crmwh sql --format"),
    "options": ("OPTION (...)", "drop it"),
    "for_": ("FOR XML/JSON", "choose the output with crmwh sql --format"),
}


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
    return any(_is_call(node, "MEASURE")
               for tree in trees if tree is not None for node in tree.walk())


def _fail(problem: str, instead: str) -> CubeSQLError:
    return CubeSQLError(f"{problem}; {instead}")


def _is_call(node: exp.Expression, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.upper() == name


def _set(node: exp.Expression, allowed: set[str]) -> list[str]:
    """The arguments of `node` that are given but not in `allowed`."""
    return [k for k, v in node.args.items() if k not in allowed and v not in (None, False, [], "")]


def _short(node: exp.Expression) -> str:
    text = node.sql("duckdb")
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class _From:
    """The cube in FROM and the names a column may be qualified with (its alias, or its name)."""

    cube: Cube
    prefixes: tuple[tuple[str, ...], ...]

    def qualifier(self, parts: list[str]) -> int:
        """How many leading parts of a column name the FROM qualifier takes (0: none)."""
        folded = [p.casefold() for p in parts]
        for prefix in self.prefixes:
            if len(folded) > len(prefix) and tuple(folded[:len(prefix)]) == prefix:
                return len(prefix)
        return 0

    @property
    def yaml(self) -> str:
        return f"{self.cube.path.parent.name}/{self.cube.path.name}"


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
    for key in _set(select, _READ):
        source = select.args.get("from_")
        named = source.this.name if source and isinstance(source.this, exp.Table) else ""
        what, instead = _CLAUSES.get(key, (key.rstrip("_").upper(), f"write e.g. {EXAMPLE}"))
        raise _fail(f"{what} is not supported in cube SQL",
                    instead.format(cube=named if named in model.cubes else "<cube>"))
    src = _cube(model, select)
    levels: list[str] = []
    measures: list[str] = []
    renames: dict[str, str] = {}
    outputs: set[str] = set()
    for item in select.expressions:
        name, alias = _projection(src, item)
        if isinstance(name, _Measure):
            if name.name in measures:
                raise _fail(f"MEASURE({name.name}) is selected twice", "select each measure once")
            measures.append(name.name)
            out = name.name
        else:
            if name in levels:
                raise _fail(f'"{name}" is selected twice', "select each level once")
            levels.append(name)
            out = name
        if alias and alias != out:
            renames[out] = alias
        if (alias or out) in outputs:
            raise _fail(f"two columns are named {alias or out!r}", "give each column its own name")
        outputs.add(alias or out)
    if not measures:
        raise _fail("no MEASURE(...) in the select list", f"write e.g. {EXAMPLE}")
    totals = _group(src, select, levels)
    cuts, segments = _where(src, select.args.get("where"))
    order = tuple(_order(src, o, renames) for o in _order_items(select.args.get("order")))
    return Query(src.cube.name, tuple(measures), tuple(levels), tuple(cuts), tuple(segments),
                 order, limit=_int(select.args.get("limit"), "LIMIT"),
                 offset=_int(select.args.get("offset"), "OFFSET") or 0,
                 totals=totals, renames=tuple(renames.items()))


class _Measure:
    def __init__(self, name: str) -> None:
        self.name = name


def _cube(model: CubeModel, select: exp.Select) -> _From:
    source = select.args.get("from_")
    table = source.this if source else None
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        raise _fail("FROM must name one cube", f"write e.g. {EXAMPLE}")
    if table.catalog or (table.db and table.db != "cubes"):
        raise _fail(f"{table.sql('duckdb')} is not a cube",
                    f"cubes are: {', '.join(sorted(model.cubes))}")
    cube = model.cube(table.name)
    for key in _set(table, {"this", "db", "alias"}):
        what, instead = _CLAUSES.get(key, (f"FROM {_short(table)}", "write FROM <cube> [alias]"))
        raise _fail(f"{what} is not supported in cube SQL", instead.format(cube=cube.name))
    alias = table.args.get("alias")
    if alias is not None and alias.args.get("columns"):
        raise _fail(f"FROM {_short(table)}: column aliases on the cube are not supported",
                    "name output columns in the select list (MEASURE(revenue) AS r)")
    if table.alias:
        prefixes: tuple[tuple[str, ...], ...] = ((table.alias.casefold(),),)
    else:
        prefixes = ((cube.name.casefold(),), ("cubes", cube.name.casefold()))
    return _From(cube, prefixes)


def _level_name(src: _From, node: exp.Expression) -> str | None:
    """The level a column names: "date.year", date.year, or either after the cube's alias."""
    if not isinstance(node, exp.Column):
        return None
    parts = [p.name for p in node.parts]
    if isinstance(node.this, exp.Star):
        raise _fail(f"{node.sql('duckdb')} is not a cube query",
                    "name the levels and MEASURE(...)s, or query the view "
                    f"cubes.{src.cube.name} for fact rows")
    skip = src.qualifier(parts)
    rest = ".".join(parts[skip:])
    if skip and "." not in rest:
        try:                        # FROM sales date ... date.year: the level, as without alias
            return src.cube.level(".".join(parts)).name
        except UserError:
            pass
        raise _fail(f"{node.sql('duckdb')}: {'.'.join(parts[:skip])} is the cube, and {rest!r} "
                    "is not a level", 'name a level as "role.level", e.g. "date.year"')
    if not skip and len(parts) > 1 and "." in parts[-1]:
        raise _fail(f"{node.sql('duckdb')}: {'.'.join(parts[:-1])} is not the cube in FROM "
                    "(or its alias)", f'drop the qualifier: write "{parts[-1]}"')
    return src.cube.level(rest).name


def _measure_name(src: _From, node: exp.Expression) -> str | None:
    if not _is_call(node, "MEASURE"):
        return None
    args = node.expressions
    if len(args) != 1 or not isinstance(args[0], exp.Column) or \
            not isinstance(args[0].this, exp.Identifier):
        raise _fail(f"{node.sql('duckdb')}: MEASURE takes one measure name",
                    "write MEASURE(revenue)")
    parts = [p.name for p in args[0].parts]
    if len(parts) > 1 and src.qualifier(parts) != len(parts) - 1:
        raise _fail(f"{node.sql('duckdb')}: {'.'.join(parts[:-1])} is not the cube in FROM",
                    f"write MEASURE({parts[-1]})")
    return src.cube.measure(parts[-1]).name


def _as_formula(node: exp.Expression) -> str:
    """An expression over MEASURE(...) calls as a calculated measure's formula would read."""
    return node.transform(lambda n: exp.column(n.expressions[0].parts[-1].name)
                          if _is_call(n, "MEASURE") and n.expressions else n).sql("duckdb")


def _projection(src: _From, item: exp.Expression) -> tuple[Any, str | None]:
    cube = src.cube
    alias = item.alias if isinstance(item, exp.Alias) else None
    node = item.this if isinstance(item, exp.Alias) else item
    measure = _measure_name(src, node)
    if measure:
        return _Measure(measure), alias
    if isinstance(node, exp.Star):
        raise _fail("SELECT * is not a cube query", "name the levels and MEASURE(...)s, or "
                    f"query the view cubes.{cube.name} for fact rows")
    level = _level_name(src, node)
    if level:
        return level, alias
    if node.find(exp.Window):
        raise _fail(f"{_short(node)}: window functions are not supported in cube SQL",
                    "use time calculations (crmwh query --time) or top-N (crmwh query --top), "
                    "or compute it from the result outside")
    if isinstance(node, exp.Filter) and _is_call(node.this, "MEASURE"):
        raise _fail(f"{_short(node)}: FILTER on a measure is not supported in cube SQL",
                    "cut on the level in WHERE, or declare a filtered measure in "
                    f"{src.yaml} (e.g. {{type: sum, column: ..., filter: {{channel.type: "
                    "digital}})")
    if any(_is_call(n, "MEASURE") for n in node.walk()):
        for call in [n for n in node.walk() if _is_call(n, "MEASURE")]:
            _measure_name(src, call)   # MEASURE(1), MEASURE('x'): its own clear error first
        formula = _as_formula(node)
        same = [m.name for m in cube.measures.values()
                if m.type == "calculated" and m.formula is not None
                and m.formula.sql("duckdb") == formula]
        have = f" (the cube has it already: MEASURE({same[0]}))" if same else ""
        raise _fail(f"{_short(node)}: expressions over measures are not computed in cube SQL"
                    f"{have}",
                    f"declare a calculated measure in {src.yaml} (under cubes.{cube.name}."
                    f"measures, e.g. my_measure: {{type: calculated, formula: {formula}}}) and "
                    "select MEASURE(my_measure), or compute it from the result outside")
    if isinstance(node, exp.AggFunc):
        raise _fail(f"{node.sql('duckdb')}: aggregates over a cube are its measures",
                    f"write MEASURE(name); measures: {', '.join(sorted(cube.measures))}")
    raise _fail(f"{_short(node)} is neither a level nor MEASURE(...)",
                'select levels such as "date.quarter" and MEASURE(name)')


def _levels_of(src: _From, items: list[exp.Expression], where: str) -> list[str]:
    names = []
    for item in items:
        name = _level_name(src, item)
        if name is None:
            raise _fail(f"{where} {_short(item)}: only selected levels can be grouped by",
                        "write GROUP BY ALL")
        names.append(name)
    return names


def _group(src: _From, select: exp.Select, levels: list[str]) -> str:
    group = select.args.get("group")
    if group is None:
        if levels:
            raise _fail("levels are selected without GROUP BY", "add GROUP BY ALL")
        return "none"
    for key in _set(group, {"expressions", "all"}):
        raise _fail(f"GROUP BY ... {key.upper()} is not supported in cube SQL",
                    "write GROUP BY ALL, or GROUP BY ROLLUP (...) / CUBE (...) for totals")
    if group.args.get("all"):
        return "none"
    items = group.expressions
    if len(items) == 1 and isinstance(items[0], exp.Rollup | exp.Cube):
        names = _levels_of(src, items[0].expressions, type(items[0]).__name__.upper())
        if isinstance(items[0], exp.Cube):
            if sorted(names) != sorted(levels) or len(set(names)) != len(names):
                raise _fail("CUBE must list the selected levels", "write GROUP BY CUBE (...)")
            return "all"
        if names != levels:
            quoted = ", ".join(f'"{n}"' for n in levels)
            raise _fail("ROLLUP must list the selected levels in select order",
                        f"write GROUP BY ROLLUP ({quoted})")
        return "rollup"
    if any(isinstance(i, exp.Rollup | exp.Cube | exp.GroupingSets) for i in items):
        raise _fail("only one ROLLUP (...) or CUBE (...) over the selected levels is supported",
                    "write GROUP BY ROLLUP (...) or GROUP BY ALL")
    if any(isinstance(i, exp.Literal) for i in items):
        raise _fail("GROUP BY by position is not supported in cube SQL", "write GROUP BY ALL")
    names = _levels_of(src, items, "GROUP BY")
    if sorted(set(names)) != sorted(levels):
        raise _fail("GROUP BY must list exactly the selected levels", "write GROUP BY ALL")
    return "none"


def _literal(node: exp.Expression) -> Any:
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return node.this
    if isinstance(node, exp.Cast):
        return _literal(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and \
            not node.this.is_string:
        return f"-{node.this.this}"
    if isinstance(node, exp.Literal):
        return node.this
    raise _fail(f"{_short(node)}: only literal values can be compared with a level",
                "write e.g. \"date.year\" = 2025")


def _value(node: exp.Expression, cond: exp.Expression) -> Any:
    """A literal a level is compared with; NULL is refused (a comparison with NULL is never
    true in SQL, while a cut on None would select the NULL member)."""
    value = _literal(node)
    if value is None:
        raise _fail(f"WHERE {_short(cond)}: a comparison with NULL never holds",
                    "write IS NULL or IS NOT NULL to cut on the NULL member")
    return value


def _conditions(node: exp.Expression) -> list[exp.Expression]:
    """The AND-ed conditions of a WHERE, through any parentheses."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conditions(node.this) + _conditions(node.expression)
    return [node]


_COMPARISONS = (exp.EQ, exp.NEQ, exp.In, exp.Between, exp.GTE, exp.LTE, exp.Is)
_WRITE = ('combine with AND conditions like "customer.region" = \'East\', <>, IN (...), '
          "BETWEEN, >=, <=, IS [NOT] NULL, or SEGMENT(name)")


def _where(src: _From, where: exp.Where | None) -> tuple[list[Cut], list[str]]:
    cuts: list[Cut] = []
    segments: list[str] = []
    if where is None:
        return cuts, segments
    for cond in _conditions(where.this):
        invert = isinstance(cond, exp.Not)
        node = cond.this if invert else cond
        while isinstance(node, exp.Paren):
            node = node.this
        if _is_call(node, "SEGMENT"):
            segments.append(_segment(src, cond, node, invert))
            continue
        if isinstance(node, exp.Or):
            raise _fail(f"WHERE {_short(cond)}: OR is not supported in cube SQL",
                        "for several members of one level write IN (...); " + _WRITE)
        level = _level_name(src, node.this) if isinstance(node, exp.Binary | exp.In |
                                                         exp.Between | exp.Is) else None
        if level is None:
            raise _fail(f"WHERE {_short(cond)}: not a condition on a level", _WRITE)
        if not isinstance(node, _COMPARISONS):
            raise _fail(f"WHERE {_short(cond)}: this comparison is not supported",
                        "use =, <>, IN, BETWEEN, >=, <= or IS [NOT] NULL")
        if isinstance(node, exp.Is):
            if _set(node, {"this", "expression"}) or not isinstance(node.expression, exp.Null):
                raise _fail(f"WHERE {_short(cond)}: only IS NULL and IS NOT NULL are supported",
                            "write = true or = false for a boolean level")
            cuts.append(PointCut(level, None, invert))
        elif isinstance(node, exp.EQ | exp.NEQ):
            value = _value(node.expression, cond)
            cuts.append(PointCut(level, value, invert != isinstance(node, exp.NEQ)))
        elif isinstance(node, exp.In):
            if _set(node, {"this", "expressions"}) or not node.expressions:
                raise _fail(f"WHERE {_short(cond)}: IN takes a list of values, not a query",
                            "list the members, e.g. \"date.year\" IN (2024, 2025)")
            cuts.append(SetCut(level, tuple(_value(v, cond) for v in node.expressions), invert))
        elif isinstance(node, exp.Between):
            if node.args.get("symmetric"):
                raise _fail(f"WHERE {_short(cond)}: BETWEEN SYMMETRIC is not supported",
                            "write BETWEEN low AND high")
            cuts.append(RangeCut(level, _value(node.args["low"], cond),
                                 _value(node.args["high"], cond), invert))
        elif isinstance(node, exp.GTE):
            cuts.append(RangeCut(level, _value(node.expression, cond), None, invert))
        else:
            cuts.append(RangeCut(level, None, _value(node.expression, cond), invert))
    return cuts, segments


def _segment(src: _From, cond: exp.Expression, node: exp.Expression, invert: bool) -> str:
    if invert:
        raise _fail(f"WHERE {_short(cond)}: a segment cannot be negated in cube SQL",
                    f"declare the complement as a segment of its own in {src.yaml}, or cut on "
                    "its levels with <> / NOT IN")
    args = node.expressions
    if len(args) != 1 or not isinstance(args[0], exp.Column | exp.Literal) or \
            (isinstance(args[0], exp.Column) and len(args[0].parts) != 1):
        raise _fail(f"WHERE {_short(node)}: SEGMENT takes one segment name",
                    "write SEGMENT(online) AND SEGMENT(b2b) for several")
    return args[0].name


def _order_items(order: exp.Order | None) -> list[exp.Ordered]:
    if order is None:
        return []
    for key in _set(order, {"expressions"}):
        raise _fail(f"ORDER {key.upper()} BY is not supported in cube SQL", "write ORDER BY")
    return order.expressions


def _order(src: _From, ordered: exp.Ordered, renames: dict[str, str]) -> Order:
    cube = src.cube
    node = ordered.this
    if ordered.args.get("nulls_first"):
        raise _fail(f"ORDER BY {_short(ordered)}: NULLS FIRST is not supported",
                    "cube answers put NULLs last; drop NULLS FIRST")
    if _set(ordered, {"this", "desc", "nulls_first"}):
        raise _fail(f"ORDER BY {_short(ordered)} is not supported", "write ORDER BY name [DESC]")
    back = {v: k for k, v in renames.items()}
    name = _measure_name(src, node)
    if name is None and isinstance(node, exp.Column) and not node.table and node.name in back:
        name = back[node.name]
    if name is None and isinstance(node, exp.Column) and node.name in cube.measures and \
            src.qualifier([p.name for p in node.parts]) == len(node.parts) - 1:
        name = node.name                # a measure by its column name, maybe after the alias
    if name is None:
        name = _level_name(src, node)
    if name is None:
        where = ": positions are not supported" if isinstance(node, exp.Literal) else ""
        raise _fail(f"ORDER BY {node.sql('duckdb')}{where}",
                    "order by a selected level or MEASURE(name)")
    return Order(name, bool(ordered.args.get("desc")))


def _int(node: exp.Expression | None, what: str) -> int | None:
    if node is None:
        return None
    if isinstance(node, exp.Fetch):
        raise _fail(f"{_short(node)} is not supported in cube SQL", f"write {what} 100")
    if _set(node, {"this", "expression"}):
        raise _fail(f"{_short(node)}: {what} takes a whole number (no PERCENT, WITH TIES or "
                    "expressions)", f"write {what} 100")
    value = node.expression if node.expression else node.this
    if not isinstance(value, exp.Literal) or value.is_string or not value.this.isdigit():
        raise _fail(f"{what} takes a whole number", f"write {what} 100")
    return int(value.this)
