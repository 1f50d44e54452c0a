"""Browsing a cube: members of a level (filter pickers), drill-through to the fact rows behind a
cell, and the roll-up / drill-down of a cell as new queries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlglot import exp

from warehouse.cube.compile import Compiled
from warehouse.cube.component import cut_condition
from warehouse.cube.model import Attr, Cube, CubeModel, LevelRef, Role
from warehouse.cube.query import Cut, PathCut, PointCut, Query
from warehouse.cube.scope import FACT, Params, Scope, alias, col, qualify
from warehouse.cube.source import FactSource
from warehouse.errors import UserError


class _DimensionScope(Scope):
    """A scope over one dimension table alone (aliased as the fact): for member listings.

    Listing a parent-child level, a cut on it keeps the matching members (a cut on
    `<level>.<parent column>`: a member's children); listing another level, the members of
    the rows under the matching ones."""

    def __init__(self, cube: Cube, role: Role, params: Params, tree: bool = False) -> None:
        table = role.dimension.table or cube.fact
        super().__init__(cube, FactSource(table), params)
        self.role = role
        if tree:
            self.fanned = {role.name}

    def attr(self, role: Role, attr: Attr, ref_name: str | None = None) -> exp.Expression:
        if role.name != self.role.name:
            raise UserError(f"members of {self.role.name}: cuts must be on {self.role.name} "
                            f"itself, not {role.name}")
        return qualify(attr.expr, FACT)

    def member_attr(self, role: Role, attr: Attr) -> exp.Expression:
        return self.attr(role, attr)

    def member_key(self, role: Role) -> exp.Expression:
        self.attr(role, role.dimension.attributes[role.dimension.key])
        return col(role.dimension.key, FACT)


def members(model: CubeModel, cube_name: str, level: str, cuts: tuple[Cut, ...] = (), *,
            limit: int | None = None, offset: int = 0) -> Compiled:
    """Distinct members of a level (key, label), in the level's sort order."""
    cube = model.cube(cube_name)
    ref = cube.level(level)
    params = Params()
    scope = _DimensionScope(cube, ref.role, params, ref.level.parent_child)
    key = scope.level_key(ref)
    proj = [alias(key, ref.name)]
    columns = [ref.name]
    if ref.level.label is not None:
        proj.append(alias(scope.attr(ref.role, ref.level.label), f"{ref.name}.label"))
        columns.append(f"{ref.name}.label")
    sort = scope.attr(ref.role, ref.level.sort) if ref.level.sort is not None else key.copy()
    proj.append(alias(sort, "__order"))
    select = scope.from_clause(exp.Select(expressions=proj, distinct=exp.Distinct()))
    where = [cut_condition(scope, c) for c in cuts]
    if where:
        select.set("where", exp.Where(this=exp.and_(*where)))
    outer = exp.Select(expressions=[col(c, "m") for c in columns],
                       from_=exp.From(this=exp.Subquery(this=select, alias=exp.TableAlias(
                           this=exp.to_identifier("m")))))
    outer.set("order", exp.Order(expressions=[
        exp.Ordered(this=col("__order", "m"), nulls_first=False),
        exp.Ordered(this=col(ref.name, "m"), nulls_first=False)]))
    _page(outer, limit, offset)
    return Compiled(outer, params.values, columns, [f"members: {scope.source.table}"])


def drill_through(model: CubeModel, cube_name: str, cuts: tuple[Cut, ...] = (), *,
                  segments: tuple[str, ...] = (), levels: tuple[str, ...] = (),
                  columns: tuple[str, ...] | None = None, fact: str | None = None,
                  limit: int = 100, offset: int = 0) -> Compiled:
    """The fact rows behind a cell (its cuts), with the named levels alongside, one page."""
    cube = model.cube(cube_name)
    if cube.components:
        if fact not in cube.components:
            raise UserError(f"cube {cube.name} combines several facts; drill through one of "
                            f"them with fact=... ({', '.join(cube.components)})")
        cube = model.cube(fact)
    params = Params()
    scope = Scope(cube, FactSource(cube.fact), params)
    shown = columns or cube.drill_through or tuple(c for c in cube.fact_columns
                                                    if not c.startswith("_"))
    proj: list[exp.Expression] = []
    for name in shown:
        if name not in cube.fact_columns:
            raise UserError(f"cube {cube.name}: no fact column {name!r}")
        proj.append(alias(scope.fact_column(name), name))
    names = list(shown)
    for level in levels:
        ref = cube.level(level)
        proj.append(alias(scope.level_key(ref), ref.name))
        names.append(ref.name)
    where = [cut_condition(scope, c) for c in cuts]
    for seg in segments:
        if seg not in cube.segments:
            raise UserError(f"cube {cube.name}: no segment {seg!r}")
        cond = scope.conditions(cube.segments[seg])
        if cond is not None:
            where.append(cond)
    select = scope.from_clause(exp.Select(expressions=proj))
    if where:
        select.set("where", exp.Where(this=exp.and_(*where)))
    order = cube.grain or tuple(shown[:1])
    select.set("order", exp.Order(expressions=[exp.Ordered(this=scope.fact_column(c))
                                               for c in order]))
    _page(select, limit, offset)
    return Compiled(select, params.values, names, [f"drill-through: {cube.fact}"])


def _page(select: exp.Select, limit: int | None, offset: int) -> None:
    if limit is not None:
        select.set("limit", exp.Limit(expression=exp.Literal.number(int(limit))))
    if offset:
        select.set("offset", exp.Offset(expression=exp.Literal.number(int(offset))))


def cell_cuts(query: Query, cell: Mapping[str, Any]) -> tuple[Cut, ...]:
    """The query's cuts narrowed to one cell: a point cut per level the cell names."""
    return tuple(query.cuts) + tuple(PointCut(level, value) for level, value in cell.items())


def _position(model: CubeModel, query: Query, level: str,
              action: str) -> tuple[LevelRef, list[str], tuple[str, ...], int]:
    """`level` in the query's drilldown: its reference, the drilldown's level names, the
    hierarchy path holding it and its index there."""
    cube = model.cube(query.cube)
    ref = cube.level(level)
    names = [cube.level(d).name for d in query.drilldown]
    if ref.name not in names:
        raise UserError(f"{action}: {level} is not in the query's drilldown")
    path = ref.role.dimension.hierarchy_of(ref.level.name)
    return ref, names, path, path.index(ref.level.name)


def drill_down(model: CubeModel, query: Query, cell: Mapping[str, Any], level: str) -> Query:
    """Open one cell: keep its members as cuts and replace `level` by the next level down.

    A parent-child level stays: the cell's member is replaced by its direct children (each
    with everything under it), a cut on `<level>.<parent column>`."""
    ref, names, path, at = _position(model, query, level, "drill down")
    if ref.level.parent_child:
        return _children(model, query, cell, ref)
    if at + 1 >= len(path):
        raise UserError(f"drill down: {ref.name} is the lowest level of its hierarchy")
    child = f"{ref.role.name}.{path[at + 1]}"
    drilldown = tuple(child if n == ref.name else n for n in names)
    return query.with_(drilldown=drilldown, cuts=cell_cuts(query, cell))


def _member_cuts(cube: Cube, query: Query, ref: LevelRef) -> list[Cut]:
    """The query's cuts choosing members of a parent-child level (not inverted: those drop
    facts, they do not choose rows): on the level, or on an attribute of its members."""
    out = []
    for cut in query.cuts:
        if cut.invert or isinstance(cut, PathCut):
            continue
        other = cube.level(cut.level)
        if other.role.name == ref.role.name and ref.level.name in (other.level.name,
                                                                   other.level.member_of):
            out.append(cut)
    return out


def _children(model: CubeModel, query: Query, cell: Mapping[str, Any], ref: LevelRef) -> Query:
    cube = model.cube(query.cube)
    dim = ref.role.dimension
    own = [name for name in cell if cube.level(name).name == ref.name]
    if not own:
        raise UserError(f"drill down: the cell names no member of {ref.name}")
    if not (isinstance(ref.level.key.expr, exp.Column) and ref.level.key.expr.name == dim.key):
        raise UserError(f"drill down: {ref.name} is keyed on {ref.level.key.name}, not on the "
                        f"key {dim.key} its members' parents ({dim.parent}) refer to")
    dropped = _member_cuts(cube, query, ref)
    cuts = [c for c in query.cuts if c not in dropped]
    cuts += [PointCut(name, value) for name, value in cell.items() if name not in own]
    cuts.append(PointCut(f"{ref.name}.{dim.parent}", cell[own[0]]))
    return query.with_(cuts=tuple(cuts))


def roll_up(model: CubeModel, query: Query, level: str) -> Query:
    """Replace `level` by its parent (or drop it at the top of its hierarchy).

    A parent-child level opened by drill_down (a cut choosing its members) shows all its
    members again; otherwise it is dropped like the top of a hierarchy."""
    ref, names, path, at = _position(model, query, level, "roll up")
    if ref.level.parent_child:
        chosen = _member_cuts(model.cube(query.cube), query, ref)
        if chosen:
            return query.with_(cuts=tuple(c for c in query.cuts if c not in chosen))
    parent = f"{ref.role.name}.{path[at - 1]}" if at > 0 else None
    drilldown = tuple(parent if n == ref.name else n for n in names if parent or n != ref.name)
    return query.with_(drilldown=drilldown)
