"""Maintain an aggregate table from one load's fact deltas instead of rebuilding it.

The load stamps the fact rows it inserted with its `_load_id` and keeps, of the rows it deleted
(replaced or gone), the columns aggregates read in a temp table
(warehouse.core.facts.replaced_rows_table). Both are aggregated to the table's grain; per group,
sums and counts become old + inserted - deleted, minima and maxima the least / greatest of old
and inserted (or the inserted values alone when every old row went). A group is recomputed from
the fact only when the deltas cannot tell its new value: a deleted row may have held its minimum
or maximum and nothing inserted matches it, or a sum may have lost its last non-NULL value.
Groups left with no fact rows are dropped. Sums over floating-point columns are not merged
(rounding would drift night after night): such a table is refreshed by partition instead.

Dimension members changed in place (a label corrected, an inferred member completed) are
deltas too: their facts that stayed are subtracted under the member's old attributes and added
under its new ones. The deleted rows are likewise subtracted under the attributes they were
added with. The old attributes come from the dimension step's copy of the rows it changed
(warehouse.core.dimensions.previous_rows_table); without one, the caller rebuilds the partitions
holding those members' facts instead (warehouse.cube.agg.build).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
from sqlglot import exp

from warehouse.cube.agg.layout import FACT, ROWS, Layout
from warehouse.cube.model import Cube
from warehouse.cube.scope import table_expr
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit

LOAD_ID = "_load_id"
CHANGED = "_agg_delta"     # temp table: the groups a merge changed, with their deltas


class DeltaNotApplicable(Exception):
    """The table cannot be maintained from deltas; the message says why."""


@dataclass(frozen=True)
class MemberChange:
    """Members of one role's dimension changed in place by the load, in a column kept."""

    role: str              # the role's alias in the layout's SELECT
    fact_key: str          # the fact's foreign key to the dimension
    dimension: str         # the dimension table
    key: str               # its surrogate key column
    changed: exp.Select    # surrogate keys of the members changed in a kept column
    previous: str          # temp table of the changed rows as they were before the load

    def fact_rows(self) -> exp.Expression:
        return exp.column(self.fact_key, table=FACT, quoted=True).isin(query=self.changed.copy())

    def before(self) -> exp.Subquery:
        """The dimension as it was: changed rows replaced by their previous state."""
        dim, prev, key = table_expr(self.dimension), table_expr(self.previous), q(self.key)
        sql = (f"SELECT * FROM {dim.sql('duckdb')} WHERE {key} NOT IN (SELECT {key} FROM "
               f"{prev.sql('duckdb')}) UNION ALL BY NAME SELECT * FROM {prev.sql('duckdb')}")
        return exp.Subquery(this=exp.maybe_parse(sql, dialect="duckdb"),
                            alias=exp.TableAlias(this=exp.to_identifier(self.role, quoted=True)))


def _as_before(select: exp.Select, members: list[MemberChange]) -> exp.Select:
    """`select` with each changed role's dimension read as it was before the load."""
    by_role = {m.role: m for m in members}

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.alias in by_role:
            return by_role[node.alias].before()
        return node

    return select.transform(swap)


def combine_kind(built: exp.Expression) -> str:
    """How a stored partial aggregate combines with a delta: sum, count, min or max."""
    inner = built.this if isinstance(built, exp.Cast) else built
    for kind, node in (("sum", exp.Sum), ("count", exp.Count), ("min", exp.Min),
                       ("max", exp.Max)):
        if isinstance(inner, node) and not isinstance(inner.this, exp.Distinct):
            return kind
    raise DeltaNotApplicable(f"no delta rule for {built.sql('duckdb')}")


def apply_delta(con: duckdb.DuckDBPyConnection, cube: Cube, layout: Layout, table: str,
                load_id: str, replaced: str,
                members: list[MemberChange] | None = None) -> tuple[int, int]:
    """Merge this load's inserted and deleted fact rows, and its `members` changed in place,
    into `table`. Returns (groups changed, groups recomputed from the fact); the changed
    groups stay in temp table CHANGED for the caller (see build._still_determined)."""
    kinds = {c: combine_kind(e) for c, e in layout.aggregates.items()}
    types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE "
                             "schema_name = ? AND table_name = ?", list(_split(table))).fetchall())
    inexact = [c for c, kind in kinds.items()
               if kind == "sum" and types.get(c, "").upper() in ("FLOAT", "DOUBLE", "REAL")]
    if inexact:
        raise DeltaNotApplicable(f"floating-point sums ({', '.join(inexact)}) are not merged")
    groups = list(layout.groups)
    members = members or []
    stamped = exp.column(LOAD_ID, table=FACT, quoted=True).eq(exp.Literal.string(load_id))
    kept_rows = [m.fact_rows() for m in members]   # facts of changed members that stayed
    plus = (layout.select(cube).from_(_inserted_and_kept(cube.fact, stamped, kept_rows),
                                      copy=True)
            if kept_rows else layout.select(cube, stamped))
    minus = layout.select(cube).from_(_gone_and_kept(con, cube.fact, replaced, stamped,
                                                     kept_rows), copy=True)
    if members:
        minus = _as_before(minus, members)
    for side in (plus, minus):
        side.set("order", None)          # aggregated again below: no need to sort
    con.execute(f"CREATE OR REPLACE TEMP TABLE _agg_plus AS {plus.sql('duckdb')}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _agg_minus AS {minus.sql('duckdb')}")
    g = ", ".join(q(c) for c in groups)
    per_side = []
    for c, kind in kinds.items():
        fn = {"sum": "sum", "count": "sum", "min": "min", "max": "max"}[kind]
        per_side.append(f"{fn}({q(c)}) FILTER (WHERE _sign = 1) AS {q('p_' + c)}")
        per_side.append(f"{fn}({q(c)}) FILTER (WHERE _sign = -1) AS {q('m_' + c)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {CHANGED} AS SELECT {g}, {', '.join(per_side)} FROM "
        f"(SELECT *, 1 AS _sign FROM _agg_plus UNION ALL BY NAME "
        f"SELECT *, -1 AS _sign FROM _agg_minus) GROUP BY ALL")
    con.execute("DROP TABLE _agg_plus; DROP TABLE _agg_minus")
    changed = con.execute(f"SELECT count(*) FROM {CHANGED}").fetchone()[0]
    if not changed:
        return 0, 0
    same_group = " AND ".join(f"a.{q(c)} IS NOT DISTINCT FROM d.{q(c)}" for c in groups)
    old_rows, minus_rows = f"coalesce(a.{q(ROWS)}, 0)", f"coalesce(d.{q('m_' + ROWS)}, 0)"
    all_gone = f"({old_rows} = {minus_rows})"    # every old row deleted: the inserted decide
    merged, recompute = [], []
    for c, kind in kinds.items():
        value, flag = _merge(kind, f"a.{q(c)}", f"d.{q('p_' + c)}", f"d.{q('m_' + c)}")
        if kind != "count":
            value = f"CASE WHEN {all_gone} THEN d.{q('p_' + c)} ELSE {value} END"
            flag = f"NOT {all_gone} AND ({flag})" if flag else None
        merged.append(f"CAST({value} AS {types[c]}) AS {q(c)}")
        if flag:
            recompute.append(flag)
    left = f"{old_rows} + coalesce(d.{q('p_' + ROWS)}, 0) - {minus_rows}"
    # A group left with no rows is simply gone; one that lost rows it never had is recomputed.
    unsure = " OR ".join(f"({r})" for r in recompute) or "false"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _agg_merged AS SELECT "
        f"{', '.join(f'd.{q(c)}' for c in groups)}, {', '.join(merged)}, "
        f"{old_rows} < {minus_rows} OR ({left} > 0 AND coalesce({unsure}, true)) "
        f"AS _recompute FROM {CHANGED} d LEFT JOIN {table} a ON {same_group}")
    con.execute(f"DELETE FROM {table} a USING {CHANGED} d WHERE {same_group}")
    columns = ", ".join(q(c) for c in (*groups, *kinds))
    con.execute(f"INSERT INTO {table} SELECT {columns} FROM _agg_merged "
                f"WHERE NOT _recompute AND {q(ROWS)} > 0")
    recomputed = con.execute("SELECT count(*) FROM _agg_merged WHERE _recompute").fetchone()[0]
    if recomputed:
        _recompute_groups(con, cube, layout, table)
    con.execute("DROP TABLE _agg_merged")
    return changed, recomputed


def _inserted_and_kept(fact: str, stamped: exp.Expression,
                       kept_rows: list[exp.Expression]) -> exp.Expression:
    """What the table must gain: the fact rows the load inserted, and (under their new
    attributes) the rows of changed members it kept. Two scans, each pruned by its own filter,
    in a UNION ALL: one OR of both made DuckDB join every fact row to the dimensions first
    (0.38 s against 0.07 s for the sales aggregate at scale 100)."""
    inserted = exp.select("*").from_(table_expr(fact, FACT)).where(stamped.copy())
    stayed = exp.select("*").from_(table_expr(fact, FACT)).where(
        exp.and_(_not_stamped(stamped), exp.or_(*kept_rows)))
    union = exp.union(inserted, stayed, distinct=False)
    return exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier(FACT,
                                                                                 quoted=True)))


def _gone_and_kept(con: duckdb.DuckDBPyConnection, fact: str, replaced: str,
                   stamped: exp.Expression, kept_rows: list[exp.Expression]) -> exp.Expression:
    """What the table held before the load and must lose: the fact rows the load deleted,
    and (under their old attributes) the rows of changed members it kept."""
    if not kept_rows:
        return table_expr(replaced, FACT)
    columns = [d[0] for d in con.execute(f"SELECT * FROM {q(replaced)} LIMIT 0").description]
    stayed = exp.select(*[exp.column(c, table=FACT, quoted=True) for c in columns]).from_(
        table_expr(fact, FACT)).where(exp.and_(_not_stamped(stamped), exp.or_(*kept_rows)))
    union = exp.union(exp.select("*").from_(table_expr(replaced)), stayed, distinct=False)
    return exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier(FACT,
                                                                                 quoted=True)))


def _not_stamped(stamped: exp.EQ) -> exp.Expression:
    """`_load_id IS DISTINCT FROM 'L'`: a row without a load id was not inserted by this load
    (NOT (_load_id = 'L') would drop it from the minus side while the plus side counts it)."""
    return exp.NullSafeNEQ(this=stamped.this.copy(), expression=stamped.expression.copy())


def _merge(kind: str, old: str, plus: str, minus: str) -> tuple[str, str | None]:
    """(new value, condition under which the deltas cannot tell it) for one column."""
    if kind == "count":
        return f"coalesce({old}, 0) + coalesce({plus}, 0) - coalesce({minus}, 0)", None
    if kind == "sum":
        # SUM is NULL over no non-NULL value: when the deleted rows may have held the last
        # ones (a result of exactly 0 with nothing inserted), only the fact can tell.
        value = (f"CASE WHEN {old} IS NULL AND {plus} IS NULL THEN NULL ELSE "
                 f"coalesce({old}, 0) + coalesce({plus}, 0) - coalesce({minus}, 0) END")
        unsure = (f"{minus} IS NOT NULL AND ({old} IS NULL OR ({plus} IS NULL AND "
                  f"{old} - {minus} = 0))")
        return value, unsure
    better = "<=" if kind == "min" else ">="
    pick = "least" if kind == "min" else "greatest"
    value = f"CASE WHEN {old} IS NULL THEN {plus} WHEN {plus} IS NULL THEN {old} " \
            f"ELSE {pick}({old}, {plus}) END"
    # The deleted rows reached the old extreme and nothing inserted reaches it: recompute.
    unsure = (f"{minus} IS NOT NULL AND ({old} IS NULL OR {minus} {better} {old}) "
              f"AND coalesce(NOT ({plus} {better} {old}), true)")
    return value, unsure


def _recompute_groups(con: duckdb.DuckDBPyConnection, cube: Cube, layout: Layout,
                      table: str) -> None:
    """Rows of the groups flagged in _agg_merged, aggregated again from the fact."""
    flagged = exp.select("1").from_("_agg_merged").where("_recompute")
    for c, e in layout.groups.items():
        flagged = flagged.where(exp.NullSafeEQ(this=exp.column(c, table="_agg_merged",
                                                               quoted=True), expression=e.copy()))
    part = layout.partition
    where = exp.Exists(this=flagged)
    if part is not None:  # a plain filter on the partition lets the scan skip other months
        values = [v for (v,) in con.execute(
            f"SELECT DISTINCT {q(part)} FROM _agg_merged WHERE _recompute").fetchall()]
        if values and all(isinstance(v, str) for v in values):
            where = exp.and_(layout.groups[part].copy().isin(
                *[exp.Literal.string(v) for v in values]), where)
        elif values and all(isinstance(v, int) for v in values):
            where = exp.and_(layout.groups[part].copy().isin(
                *[exp.Literal.number(v) for v in values]), where)
    con.execute(f"INSERT INTO {table} {layout.select(cube, where).sql('duckdb')}")


def _split(table: str) -> tuple[str, str]:
    schema, name = table.replace('"', "").split(".", 1)
    return schema, name


def temp_table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND "
                            f"table_name = {lit(name)}").fetchone()[0])
