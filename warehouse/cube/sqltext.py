"""The SQL text of a compiled query, written straight from its sqlglot tree.

sqlglot's generator is general (dialects, comments, pretty printing) and costs about 4 us per
node; a cube query is compiled for every request, so its text is written here instead, for the
nodes the compiler builds, in exactly the form sqlglot's DuckDB generator gives them. Any node,
or any argument of a node, outside that set is handed to sqlglot as a subtree, so the text is
always sqlglot's (tests/cube checks both agree on every query the tests compile).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp


def to_sql(tree: exp.Expression) -> str:
    """The DuckDB SQL of `tree`, as tree.sql(dialect="duckdb") writes it."""
    return _sql(tree).strip()


def sqlglot_sql(node: exp.Expression) -> str:
    """sqlglot's own text of a node (the fallback, and the reference the tests compare with)."""
    return node.sql(dialect="duckdb", copy=False)


def _sql(node: exp.Expression) -> str:
    write = _WRITERS.get(node.__class__)
    if write is None or node.comments:
        return sqlglot_sql(node)
    allowed = _ARGS[node.__class__]
    if not allowed.issuperset(node.args) and not _plain(node, allowed):
        return sqlglot_sql(node)
    text = write(node)
    return sqlglot_sql(node) if text is None else text


def _ident(node: exp.Identifier) -> str | None:
    if not node.args.get("quoted") or not isinstance(node.this, str):
        return None                     # unquoted: sqlglot decides whether it needs quotes
    return '"' + node.this.replace('"', '""') + '"'


def _column(node: exp.Column) -> str:
    this, table = node.args.get("this"), node.args.get("table")
    return f"{_sql(table)}.{_sql(this)}" if table is not None else _sql(this)


def _table(node: exp.Table) -> str:
    db, alias = node.args.get("db"), node.args.get("alias")
    name = f"{_sql(db)}.{_sql(node.this)}" if db is not None else _sql(node.this)
    return f"{name} AS {_sql(alias)}" if alias is not None else name


def _table_alias(node: exp.TableAlias) -> str | None:
    return _sql(node.this) if node.this is not None else None


def _alias(node: exp.Alias) -> str:
    alias = node.args.get("alias")
    return f"{_sql(node.this)} AS {_sql(alias)}" if alias is not None else _sql(node.this)


def _literal(node: exp.Literal) -> str | None:
    text = node.this
    if not isinstance(text, str):
        return None
    if node.args.get("is_string"):
        if "\\" in text or "\n" in text or "\r" in text or "\t" in text:
            return None                 # escape sequences: leave them to sqlglot
        return "'" + text.replace("'", "''") + "'"
    return text


def _placeholder(node: exp.Placeholder) -> str | None:
    return f"${node.this}" if isinstance(node.this, str) and node.this else None


def _binary(op: str) -> Callable[[exp.Expression], str]:
    def write(node: exp.Expression) -> str:
        return f"{_sql(node.this)} {op} {_sql(node.expression)}"
    return write


def _is(node: exp.Is) -> str | None:
    if not isinstance(node.expression, exp.Null):
        return None
    return f"{_sql(node.this)} IS NULL"


def _in(node: exp.In) -> str | None:
    if not node.expressions:
        return None
    return f"{_sql(node.this)} IN ({', '.join(_sql(e) for e in node.expressions)})"


def _func(name: str) -> Callable[[exp.Expression], str | None]:
    def write(node: exp.Expression) -> str | None:
        if node.this is None:
            return None
        args = [node.this, *(node.args.get("expressions") or [])]
        return f"{name}({', '.join(_sql(a) for a in args)})"
    return write


_TYPES: dict[tuple, str] = {}


def _datatype(node: exp.DataType) -> str:
    """Types are few: each distinct one is written by sqlglot once."""
    params = node.expressions or []
    if not all(isinstance(p, exp.DataTypeParam) and isinstance(p.this, exp.Literal)
               and len(p.args) == 1 for p in params):
        return sqlglot_sql(node)
    key = (node.this, tuple(p.this.this for p in params))
    text = _TYPES.get(key)
    if text is None:
        text = _TYPES[key] = sqlglot_sql(node)
    return text


def _cast(node: exp.Cast) -> str:
    return f"CAST({_sql(node.this)} AS {_sql(node.args['to'])})"


def _ordered(node: exp.Ordered) -> str:
    desc = node.args.get("desc")
    order = " DESC" if desc else (" ASC" if desc is False else "")
    # DuckDB sorts NULLs last by default: only NULLS FIRST is ever written.
    nulls = " NULLS FIRST" if node.args.get("nulls_first") else ""
    return f"{_sql(node.this)}{order}{nulls}"


def _subquery(node: exp.Subquery) -> str:
    alias = node.args.get("alias")
    inner = f"({_sql(node.this)})"
    return f"{inner} AS {_sql(alias)}" if alias is not None else inner


def _join(node: exp.Join) -> str | None:
    on = node.args.get("on")
    side, kind = node.args.get("side"), node.args.get("kind")
    if on is None or kind not in (None, "", "INNER", "OUTER") or side not in (None, "", "LEFT",
                                                                               "RIGHT", "FULL"):
        return None
    op = " ".join(p for p in (side, kind) if p)
    op = f"{op} JOIN" if op else "JOIN"
    return f" {op} {_sql(node.this)} ON {_sql(on)}"


def _select(node: exp.Select) -> str | None:
    args = node.args
    if not node.expressions:
        return None
    out = ["SELECT ", ", ".join(_sql(e) for e in node.expressions)]
    source = args.get("from_")
    if source is not None:
        out.append(f" FROM {_sql(source.this)}")
    for j in args.get("joins") or []:
        text = _join(j) if type(j) is exp.Join and not j.comments and _plain(j, _ARGS[exp.Join]) \
            else None
        out.append(text if text is not None else " " + sqlglot_sql(j))
    where = args.get("where")
    if where is not None:
        out.append(f" WHERE {_sql(where.this)}")
    group = args.get("group")
    if group is not None:
        if not _plain(group, {"expressions"}) or not group.expressions:
            return None
        out.append(" GROUP BY " + ", ".join(_sql(e) for e in group.expressions))
    order = args.get("order")
    if order is not None:
        if not _plain(order, {"expressions"}):
            return None
        out.append(" ORDER BY " + ", ".join(_sql(e) for e in order.expressions))
    limit = args.get("limit")
    if limit is not None:
        if type(limit) is not exp.Limit or not _plain(limit, {"expression"}):
            return None
        out.append(f" LIMIT {_sql(limit.expression)}")
    offset = args.get("offset")
    if offset is not None:
        if not _plain(offset, {"expression"}):
            return None
        out.append(f" OFFSET {_sql(offset.expression)}")
    return "".join(out)


def _plain(node: exp.Expression, allowed: set[str]) -> bool:
    """Only the `allowed` arguments are set, and no comments."""
    if node.comments:
        return False
    return all(key in allowed or value is None or value == [] or value is False
               for key, value in node.args.items())


_WRITERS: dict[type, Callable[[exp.Expression], str | None]] = {
    exp.Select: _select,
    exp.Subquery: _subquery,
    exp.Table: _table,
    exp.TableAlias: _table_alias,
    exp.Column: _column,
    exp.Identifier: _ident,
    exp.Alias: _alias,
    exp.Literal: _literal,
    exp.Placeholder: _placeholder,
    exp.Null: lambda n: "NULL",
    exp.Boolean: lambda n: "TRUE" if n.this else "FALSE",
    exp.Star: lambda n: "*",
    exp.Paren: lambda n: f"({_sql(n.this)})",
    exp.Not: lambda n: f"NOT {_sql(n.this)}",
    exp.And: _binary("AND"),
    exp.Or: _binary("OR"),
    exp.EQ: _binary("="),
    exp.NEQ: _binary("<>"),
    exp.GT: _binary(">"),
    exp.GTE: _binary(">="),
    exp.LT: _binary("<"),
    exp.LTE: _binary("<="),
    exp.Add: _binary("+"),
    exp.Sub: _binary("-"),
    exp.Mul: _binary("*"),
    exp.Is: _is,
    exp.In: _in,
    exp.Sum: _func("SUM"),
    exp.Min: _func("MIN"),
    exp.Max: _func("MAX"),
    exp.Count: _func("COUNT"),
    exp.Coalesce: _func("COALESCE"),
    exp.Cast: _cast,
    exp.DataType: _datatype,
    exp.Ordered: _ordered,
}

# The arguments each writer handles; a node with any other argument set goes to sqlglot.
_ARGS: dict[type, set[str]] = {
    exp.Select: {"expressions", "from_", "joins", "where", "group", "order", "limit", "offset"},
    exp.Subquery: {"this", "alias"},
    exp.Table: {"this", "db", "alias"},
    exp.TableAlias: {"this"},
    exp.Column: {"this", "table"},
    exp.Identifier: {"this", "quoted"},
    exp.Alias: {"this", "alias"},
    exp.Literal: {"this", "is_string"},
    exp.Placeholder: {"this"},
    exp.Null: set(),
    exp.Boolean: {"this"},
    exp.Star: set(),
    exp.Paren: {"this"},
    exp.Not: {"this"},
    exp.Is: {"this", "expression"},
    exp.In: {"this", "expressions"},
    exp.Sum: {"this"},
    exp.Min: {"this"},
    exp.Max: {"this"},
    exp.Count: {"this"},
    exp.Coalesce: {"this", "expressions"},
    exp.Cast: {"this", "to"},
    exp.DataType: {"this", "expressions", "nested"},
    exp.Ordered: {"this", "desc", "nulls_first"},
    exp.Join: {"this", "on", "side", "kind"},
}
for _kind in (exp.And, exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Add,
              exp.Sub, exp.Mul):
    _ARGS[_kind] = {"this", "expression"}
