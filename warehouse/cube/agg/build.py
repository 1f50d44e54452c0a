"""Build aggregate tables into schema `agg`: in full, or incrementally after each load.

Incrementally, a table is merged from the load's fact deltas (warehouse.cube.agg.delta): the
rows the load inserted (stamped with its `_load_id`) are added and the rows it deleted
(kept by the fact step) subtracted, per group. Members whose kept attributes a dimension
changed in place during the load are deltas too: their facts move from the groups of their old
attributes to those of the new (the dimension step records the rows and keeps their previous
state). Then partitions are rebuilt from the fact where that is still needed: those holding
facts of changed members whose previous state was not kept, and, as a safety net, those whose
row count disagrees with the fact (checked per partition only when the totals disagree).
Without a record of the deleted rows (another connection, a rerun), the partitions touched by
the load's rows are rebuilt instead. A full build happens when the table is new, its
definition changed, it has no time level to partition by, the fact has no `_load_id`, or a
dimension it keeps deleted rows or cannot tell which.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb
from sqlglot import exp

from warehouse.core.dimensions import previous_rows_table, updated_rows_table
from warehouse.core.facts import replaced_rows_table
from warehouse.cube.agg.delta import (
    CHANGED,
    DeltaNotApplicable,
    MemberChange,
    apply_delta,
    temp_table_exists,
)
from warehouse.cube.agg.layout import ROWS, Layout, layout_of
from warehouse.cube.agg.spec import Aggregate
from warehouse.cube.model import CubeModel, Role
from warehouse.cube.scope import table_expr
from warehouse.duck import quote_ident as q
from warehouse.duck import table_exists

LOAD_ID = "_load_id"

META_DDL = """CREATE TABLE IF NOT EXISTS meta.aggregates (
    cube VARCHAR NOT NULL, name VARCHAR NOT NULL, table_name VARCHAR NOT NULL,
    definition VARCHAR NOT NULL, rows BIGINT NOT NULL, partition_column VARCHAR,
    load_id VARCHAR, mode VARCHAR NOT NULL, partitions_rebuilt BIGINT, reason VARCHAR,
    duration_s DOUBLE, built_at TIMESTAMP NOT NULL, determined VARCHAR,
    PRIMARY KEY (cube, name))"""


@dataclass
class BuildResult:
    aggregate: str
    table: str
    mode: str                     # full | incremental | unchanged
    reason: str
    rows: int
    partitions_rebuilt: int | None
    duration_s: float


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS agg")
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(META_DDL)
    # Added later: key columns that fix their level's dependents in the built table.
    con.execute("ALTER TABLE meta.aggregates ADD COLUMN IF NOT EXISTS determined VARCHAR")


def build_aggregates(con: duckdb.DuckDBPyConnection, model: CubeModel,
                     aggregates: dict[str, list[Aggregate]], *, load_id: str | None = None,
                     full: bool = False) -> list[BuildResult]:
    """Bring every declared aggregate up to date with the facts in `con` (a writable build)."""
    ensure_schema(con)
    out = []
    for cube_name, aggs in aggregates.items():
        cube = model.cube(cube_name)
        # Finest first, so a coarser table can be rolled up from one built before it.
        layouts = sorted((layout_of(cube, a) for a in aggs), key=lambda lay: -len(lay.groups))
        fresh: list[tuple[Layout, int]] = []
        for layout in layouts:
            result = build_one(con, model, cube_name, layout.aggregate, load_id=load_id,
                               full=full, finer=fresh)
            if result.mode == "full":
                fresh.append((layout, result.rows))
            out.append(result)
    return out


def build_one(con: duckdb.DuckDBPyConnection, model: CubeModel, cube_name: str, agg: Aggregate,
              *, load_id: str | None = None, full: bool = False,
              finer: list[tuple[Layout, int]] | None = None) -> BuildResult:
    """Bring one aggregate up to date. A full build reads the smallest table in `finer` (built
    in full by this same call) that it is a roll-up of, else the fact."""
    cube = model.cube(cube_name)
    layout = layout_of(cube, agg)
    definition = layout.definition_hash(cube)
    started = time.perf_counter()
    reason = ("asked for a full build" if full
              else _full_reason(con, cube.fact, layout, definition, load_id))
    parts: int | None = None
    mode = "full" if reason else "incremental"
    if mode == "incremental":
        stale, reason = _stale_dimensions(con, layout, load_id or "")
        mode = "full" if reason else "incremental"
    if mode == "incremental":
        try:
            mode, reason, parts = _refresh(con, cube, layout, load_id or "", stale)
        except (duckdb.ConversionException, duckdb.OutOfRangeException):
            reason = ("a value outgrew its column (a partial sum beyond DECIMAL(18)): rebuilt "
                      "with DECIMAL(38) sums")
            layout = layout_of(cube, agg, narrow=False)
            mode = "full"
    if mode == "full":
        sources = sorted((rows, f.aggregate.table, f) for f, rows in finer or []
                         if layout.can_derive_from(f))
        select = sources[0][2] if sources else None
        try:
            _create(con, agg, layout.select_from(select) if select else layout.select(cube))
        except (duckdb.ConversionException, duckdb.OutOfRangeException):
            layout = layout_of(cube, agg, narrow=False)
            reason += "; partial sums need DECIMAL(38)"
            _create(con, agg, layout.select_from(select) if select else layout.select(cube))
        if select is not None:
            reason += f"; rolled up from {select.aggregate.table}"
    rows = con.execute(f"SELECT count(*) FROM {_table(agg)}").fetchone()[0]
    # Checked in full after a full build or a partition rebuild, or when never checked; an
    # unchanged table keeps what was found, a merge re-checks only the changed groups' keys.
    previous = _previous_determined(con, agg) if mode != "full" else None
    if previous is not None and mode == "unchanged":
        determined = previous
    elif previous is not None and not parts and temp_table_exists(con, CHANGED):
        determined = _still_determined(con, layout, previous)
    else:
        determined = determined_keys(con, layout)
    con.execute(f"DROP TABLE IF EXISTS {CHANGED}")
    duration = round(time.perf_counter() - started, 3)
    con.execute("INSERT OR REPLACE INTO meta.aggregates (cube, name, table_name, definition, rows, "
                "partition_column, load_id, mode, partitions_rebuilt, reason, duration_s, "
                "built_at, determined) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "now()::TIMESTAMP, ?)",
                [agg.cube, agg.name, agg.table, definition, rows, layout.partition, load_id,
                 mode, parts, reason, duration, ",".join(determined)])
    return BuildResult(agg.label, agg.table, mode, reason, rows, parts, duration)


def _previous_determined(con: duckdb.DuckDBPyConnection, agg: Aggregate) -> list[str] | None:
    """What the table's last build found (None: never checked, e.g. built before the check)."""
    row = con.execute("SELECT determined FROM meta.aggregates WHERE cube = ? AND name = ?",
                      [agg.cube, agg.name]).fetchone()
    if row is None or row[0] is None:
        return None
    return [k for k in row[0].split(",") if k]


def determined_keys(con: duckdb.DuckDBPyConnection, layout: Layout) -> list[str]:
    """Kept levels whose key fixes their label, sort and ancestors in the built table (a strict
    hierarchy): a query grouping by such a level reads one aggregate row per answer row."""
    sql = layout.determined_sql()
    if sql is None:
        return []
    row = con.execute(sql).fetchone()
    names = [k for k, deps in layout.dependents.items() if deps]
    return [k for k, ok in zip(names, row, strict=True) if ok]


def _still_determined(con: duckdb.DuckDBPyConnection, layout: Layout,
                      previous: list[str]) -> list[str]:
    """After a merge from deltas (no partition rebuilt), the keys that fixed their dependents
    before still do unless a changed group disagrees: only the rows sharing a key value with
    the changed groups (temp table CHANGED) are read, not the whole table. A key that did not
    fix them before is not checked again until a full build (it only costs an optimisation)."""
    still = []
    for key in previous:
        deps = layout.dependents.get(key)
        if not deps:
            continue
        k, both = q(key), ", ".join(f"t.{q(c)}" for c in (key, *deps))
        ok = con.execute(
            f"SELECT count(DISTINCT row(t.{k})) = count(DISTINCT row({both})) FROM "
            f"{_table(layout.aggregate)} t SEMI JOIN (SELECT DISTINCT {k} FROM {CHANGED}) c "
            f"ON t.{k} IS NOT DISTINCT FROM c.{k}").fetchone()[0]
        if ok:
            still.append(key)
    return still


def _refresh(con: duckdb.DuckDBPyConnection, cube, layout: Layout, load_id: str,
             stale: list[Role]) -> tuple[str, str, int]:
    """(mode, reason, partitions rebuilt) of an incremental refresh: merged from the fact's
    deltas where that is exact, else by rebuilding the touched partitions."""
    replaced = _replaced_rows(con, cube.fact)
    why_not = ("no record of the rows this load deleted from the fact" if not replaced
               else "already refreshed by this load (deltas merge once)"
               if _refreshed_by(con, layout.aggregate) == load_id else "")
    if not why_not:
        # Members changed in place merge as deltas too when their old rows were kept; the
        # others' partitions are rebuilt after the merge (it joined them with today's rows).
        members = [m for m in (_member_change(con, layout, r, load_id) for r in stale) if m]
        merged = {m.role for m in members}
        unmerged = [r for r in stale if r.name not in merged]
        try:
            groups, recomputed = apply_delta(con, cube, layout, _table(layout.aggregate),
                                             load_id, replaced, members)
        except DeltaNotApplicable as exc:
            why_not = str(exc)
        else:
            # And the safety net: partitions whose row count still disagrees with the fact.
            parts = _rebuild_partitions(con, cube, layout, load_id, unmerged, stamped=False,
                                        replaced=replaced)
            changed = "".join(f"; members of {m.dimension} changed in place merged as deltas"
                              for m in members)
            rebuilt = (f" for members of {', '.join(r.dimension.table for r in unmerged)} "
                       f"changed in place" if unmerged else "")
            return ("incremental" if groups or parts else "unchanged",
                    f"{groups} group(s) merged from {load_id}'s fact changes ({recomputed} "
                    f"recomputed from the fact){changed}; {parts} partition(s) rebuilt"
                    f"{rebuilt}", parts)
    parts = _rebuild_partitions(con, cube, layout, load_id, stale)  # every changed member
    return ("incremental" if parts else "unchanged",
            f"{parts} partition(s) of {layout.partition} touched by {load_id} "
            f"(not merged from deltas: {why_not})", parts)


def _changed_members(con: duckdb.DuckDBPyConnection, layout: Layout, role: Role,
                     load_id: str) -> exp.Select:
    """Keys of the role's dimension rows this load changed in place in a column the aggregate
    keeps (recorded per row by update_dimension in this connection), else every row stamped
    with this load's id."""
    recorded = updated_rows_table(role.dimension.table.rpartition(".")[2])
    if temp_table_exists(con, recorded):
        kept = exp.Array(expressions=[exp.Literal.string(c)
                                      for c in sorted(_columns_kept(layout, role.name))])
        return exp.select("sk").from_(exp.to_identifier(recorded, quoted=True)).where(
            exp.func("list_has_any", exp.column("changed_columns"), kept))
    return exp.select(exp.column(role.dimension.key, quoted=True)).from_(
        table_expr(role.dimension.table)).where(
        exp.column(LOAD_ID, quoted=True).eq(exp.Literal.string(load_id)))


def _member_change(con: duckdb.DuckDBPyConnection, layout: Layout, role: Role,
                   load_id: str) -> MemberChange | None:
    """The role's members changed in place, when this connection's dimension step recorded
    them and kept their previous rows."""
    dim_name = role.dimension.table.rpartition(".")[2]
    previous = previous_rows_table(dim_name)
    if not (temp_table_exists(con, previous)
            and temp_table_exists(con, updated_rows_table(dim_name))):
        return None
    return MemberChange(role=role.name, fact_key=role.fact_key, dimension=role.dimension.table,
                        key=role.dimension.key, previous=previous,
                        changed=_changed_members(con, layout, role, load_id))


def _refreshed_by(con: duckdb.DuckDBPyConnection, agg: Aggregate) -> str | None:
    row = con.execute("SELECT load_id FROM meta.aggregates WHERE cube = ? AND name = ?",
                      [agg.cube, agg.name]).fetchone()
    return row[0] if row else None


def _replaced_rows(con: duckdb.DuckDBPyConnection, fact: str) -> str | None:
    """The temp table of rows this load deleted from `fact`, when this connection ran it."""
    replaced = replaced_rows_table(fact.rpartition(".")[2])
    return replaced if temp_table_exists(con, replaced) else None


def _create(con: duckdb.DuckDBPyConnection, agg: Aggregate, select: exp.Select) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {_table(agg)} AS {select.sql('duckdb')}")


def _table(agg: Aggregate) -> str:
    schema, name = agg.table.split(".", 1)
    return f"{q(schema)}.{q(name)}"


def _full_reason(con: duckdb.DuckDBPyConnection, fact: str, layout: Layout, definition: str,
                 load_id: str | None) -> str:
    """Why this aggregate must be built in full ("" when an incremental rebuild is exact)."""
    agg = layout.aggregate
    row = con.execute("SELECT definition FROM meta.aggregates WHERE cube = ? AND name = ?",
                      [agg.cube, agg.name]).fetchone()
    if not table_exists(con, "agg", agg.table.split(".", 1)[1]) or row is None:
        return "new aggregate table"
    if row[0] != definition:
        return "its definition changed"
    if layout.partition is None:
        return "no time level to partition by"
    if load_id is None:
        return "no load id: cannot tell which partitions changed"
    fact_schema, fact_name = fact.split(".", 1) if "." in fact else ("main", fact)
    has_load_id = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
        "AND column_name = ?", [fact_schema, fact_name, LOAD_ID]).fetchone()[0]
    if not has_load_id:
        return f"the fact has no {LOAD_ID} column"
    return ""


def _stale_dimensions(con: duckdb.DuckDBPyConnection, layout: Layout,
                      load_id: str) -> tuple[list[Role], str]:
    """Roles whose dimension changed in place (this load) a column the aggregate keeps: their
    changed members' partitions must be rebuilt. Or a reason to build in full instead."""
    has_meta = table_exists(con, "meta", "table_changes")
    if not layout.roles:
        return [], ""
    if not has_meta:
        return [], "no record of dimension changes (meta.table_changes)"
    has_columns = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'meta' AND table_name = "
        "'table_changes' AND column_name = 'columns_updated'").fetchone()[0]
    listed = "columns_updated" if has_columns else "NULL::VARCHAR[]"
    stale, full = [], []
    for name, role in sorted(layout.roles.items()):
        row = con.execute(
            f"SELECT rows_deleted, {listed} FROM meta.table_changes WHERE load_id = ? AND "
            f"table_name = ? AND (rows_updated > 0 OR rows_deleted > 0)",
            [load_id, role.dimension.table]).fetchone()
        if row is None:
            continue
        deleted, columns = row
        kept = _columns_kept(layout, name)
        if not deleted and columns is not None and not kept & set(columns):
            continue                      # e.g. only closed versions, or an unused e-mail
        if deleted or not _has_column(con, role.dimension.table, LOAD_ID):
            changed = ", ".join(sorted(kept & set(columns or kept)))
            full.append(f"{role.dimension.table} ({changed or 'rows deleted'})")
        else:
            stale.append(role)
    if full:
        return [], f"dimension rows changed in place in this load: {'; '.join(full)}"
    return stale, ""


def _columns_kept(layout: Layout, role_name: str) -> set[str]:
    """Dimension columns the aggregate reads through `role_name`."""
    return {c.name for e in (*layout.groups.values(), *layout.aggregates.values())
            for c in e.find_all(exp.Column) if c.table == role_name}


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    schema, name = table.split(".", 1) if "." in table else ("main", table)
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
        "AND column_name = ?", [schema, name, column]).fetchone()[0])


def _totals_agree(con: duckdb.DuckDBPyConnection, fact: str, table: str) -> bool:
    """Whether the aggregate counts as many fact rows as the fact holds."""
    return con.execute(f"SELECT (SELECT count(*) FROM {table_expr(fact).sql('duckdb')}) = "
                       f"(SELECT coalesce(sum({q(ROWS)}), 0) FROM {table})").fetchone()[0]


def _rebuild_partitions(con: duckdb.DuckDBPyConnection, cube, layout: Layout, load_id: str,
                        stale: list[Role] | None = None, *, stamped: bool = True,
                        replaced: str | None = None) -> int:
    """Replace the aggregate rows of partitions touched by this load (`stamped`), or holding
    facts of members of `stale` dimensions changed in place by it (in the fact, and in the
    `replaced` rows the load deleted from it), or whose row count disagrees with the fact's
    (compared per partition when `stamped`, else only when the grand totals disagree: after a
    merge from deltas); returns how many."""
    part_expr = layout.groups[layout.partition]
    part_role = layout.partition_ref.role

    def partitions_of(source: str) -> exp.Select:
        select = exp.select(exp.alias_(part_expr.copy(), "p", quoted=True)).from_(
            table_expr(source, "f"))
        if part_role.dimension.table is None:
            return select
        return select.join(
            table_expr(part_role.dimension.table, part_role.name), join_type="left",
            on=exp.EQ(this=exp.column(part_role.fact_key, table="f", quoted=True),
                      expression=exp.column(part_role.dimension.key, table=part_role.name,
                                            quoted=True)))

    from_fact = partitions_of(cube.fact)
    of_members = [exp.column(role.fact_key, table="f", quoted=True).isin(
        query=_changed_members(con, layout, role, load_id)) for role in stale or []]
    touched_rows = ([exp.column(LOAD_ID, table="f", quoted=True).eq(
        exp.Literal.string(load_id))] if stamped else []) + of_members
    touched = [from_fact.where(exp.or_(*touched_rows), copy=True)] if touched_rows else []
    if replaced and of_members:
        touched.append(partitions_of(replaced).where(exp.or_(*of_members)))
    table = _table(layout.aggregate)
    part = q(layout.partition)
    selects = [f"SELECT DISTINCT p FROM ({t.sql('duckdb')}) s" for t in touched]
    # The safety net compares row counts per partition, a scan of the whole fact. After a
    # merge from deltas, the totals agreeing (a count from metadata) is enough to skip it.
    if stamped or not _totals_agree(con, cube.fact, table):
        counts = exp.select("p", exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True)).from_(
            exp.Subquery(this=from_fact, alias=exp.TableAlias(this=exp.to_identifier("x")))
        ).group_by("p")
        selects.append(
            f"SELECT coalesce(a.p, b.p) AS p FROM ({counts.sql('duckdb')}) a FULL JOIN "
            f"(SELECT {part} AS p, sum({q(ROWS)}) AS n FROM {table} GROUP BY ALL) b "
            f"ON a.p IS NOT DISTINCT FROM b.p WHERE a.n IS DISTINCT FROM b.n")
    if not selects:
        return 0
    con.execute(f"CREATE OR REPLACE TEMP TABLE _agg_touched AS {' UNION '.join(selects)}")
    touched = con.execute("SELECT count(*) FROM _agg_touched").fetchone()[0]
    if touched:
        in_touched = f"{part} IN (SELECT p FROM _agg_touched) OR ({part} IS NULL AND " \
                     f"EXISTS (SELECT 1 FROM _agg_touched WHERE p IS NULL))"
        con.execute(f"DELETE FROM {table} WHERE {in_touched}")
        cond = exp.condition(
            "p__ IN (SELECT p FROM _agg_touched) OR (p__ IS NULL AND EXISTS "
            "(SELECT 1 FROM _agg_touched WHERE p IS NULL))")
        cond = cond.transform(lambda n: part_expr.copy()
                              if isinstance(n, exp.Column) and n.name == "p__" else n)
        con.execute(f"INSERT INTO {table} {layout.select(cube, cond).sql('duckdb')}")
    con.execute("DROP TABLE IF EXISTS _agg_touched")
    return touched
