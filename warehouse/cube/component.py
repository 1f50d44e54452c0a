"""One component of a query: one fact (or aggregate table) aggregated to the query's grain.

A query's measures are split into components (one per fact for drill-across, one per
semi-additive measure, one per time window); each is grouped to the same grain keys before the
components are joined, so a fact is never multiplied by another one's rows.

Output columns: __k<i> (level key), __l<i> (label), __s<i> (sort), __g<i> (GROUPING bit),
then one column per measure component.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain

from sqlglot import exp

from warehouse.cube.measure_sql import COMPONENTS, REAGGREGATE
from warehouse.cube.model import Condition, Cube, LevelRef, Measure
from warehouse.cube.query import Cut, PathCut, PointCut, RangeCut, SetCut
from warehouse.cube.scope import (
    FACT,
    Params,
    Scope,
    alias,
    all_of,
    coerce,
    col,
    select_from,
    table_expr,
)
from warehouse.cube.source import FactSource, Needs, SourcePicker
from warehouse.errors import UserError


@dataclass
class Part:
    """The request for one component."""

    cube: Cube
    levels: list[str]                            # level references, in output order
    sets: list[tuple[int, ...]] | None           # grouping sets (indices into levels) or plain
    measures: list[Measure]
    cuts: tuple[Cut, ...]
    conditions: tuple[Condition, ...]            # segments
    replaced: dict[str, exp.Expression] = field(default_factory=dict)
    semi: Measure | None = None                  # a semi-additive measure computed alone
    # A table of kept cells (__k<i>: level keys, top-N with subtotals of the visible cells):
    # only facts of those cells are read.
    kept: str | None = None

    def needs(self) -> Needs:
        refs = [self.cube.level(r) for r in self.levels]
        filters: set[str] = set()
        for c in self.cuts:
            if isinstance(c, PathCut):
                # A path filters on every level it names, not just its top: an aggregate
                # lacking a deeper level of the path cannot answer it.
                role = self.cube.role(c.dimension).name
                filters |= {f"{role}.{lv}" for lv in path_levels(self.cube, c)}
            else:
                filters.add(_cut_level(self.cube, c))
        filters |= {c.ref.name for c in self.conditions}
        reads = {r.name for r in refs}
        for m in self.measures:
            filters |= {c.ref.name for c in m.filter}
            if m.column_ref:
                reads.add(m.column_ref.name)
        subtrees = any(self.cube.level(name).level.parent_child for name in reads | filters)
        return Needs(self.cube.name, frozenset(reads), frozenset(filters),
                     frozenset(m.name for m in self.measures), bool(self.replaced), subtrees)


def _cut_level(cube: Cube, cut: Cut) -> str:
    if isinstance(cut, PathCut):
        return f"{cube.role(cut.dimension).name}.{path_levels(cube, cut)[0]}"
    return cube.level(cut.level).name


def path_levels(cube: Cube, cut: PathCut) -> tuple[str, ...]:
    dim = cube.role(cut.dimension).dimension
    name = cut.hierarchy or dim.default_hierarchy
    if name not in dim.hierarchies:
        raise UserError(f"cube {cube.name}: {cut.dimension} has no hierarchy {name!r}; known: "
                        f"{', '.join(dim.hierarchies) or 'none'}")
    levels = dim.hierarchies[name]
    if not 0 < len(cut.path) <= len(levels):
        raise UserError(f"cube {cube.name}: path {list(cut.path)} does not fit hierarchy "
                        f"{name} ({' > '.join(levels)})")
    return levels[:len(cut.path)]


def cut_condition(scope: Scope, cut: Cut) -> exp.Expression:
    """A cut's WHERE condition. A cut on a parent-child level keeps the facts of its members and
    everything under them; on that level when the query groups by it, the members' rows."""
    cube = scope.cube
    if isinstance(cut, PointCut):
        return scope.condition(cube.level(cut.level), (cut.value,), invert=cut.invert, rows=True)
    if isinstance(cut, SetCut):
        return scope.condition(cube.level(cut.level), tuple(cut.values), invert=cut.invert,
                               rows=True)
    if isinstance(cut, RangeCut):
        ref = cube.level(cut.level)

        def between(key: exp.Expression) -> exp.Expression:
            parts = []
            if cut.low is not None:
                low = coerce(cut.low, ref.level.key.dtype, ref.name)
                parts.append(exp.GTE(this=key, expression=scope.params.bind(low)))
            if cut.high is not None:
                high = coerce(cut.high, ref.level.key.dtype, ref.name)
                parts.append(exp.LTE(this=key.copy(), expression=scope.params.bind(high)))
            return all_of(parts) if parts else exp.true()

        return scope.restrict(ref, between, invert=cut.invert, rows=True)
    if isinstance(cut, PathCut):
        role = cube.role(cut.dimension)
        parts = [scope.condition(LevelRef(role, role.dimension.levels[name]), (value,),
                                 rows=True)
                 for name, value in zip(path_levels(cube, cut), cut.path, strict=False)]
        cond = all_of(parts)
        return exp.Not(this=exp.Paren(this=cond)) if cut.invert else cond
    raise UserError(f"unknown cut {cut!r}")


def build(part: Part, params: Params, picker: SourcePicker) -> tuple[exp.Select, FactSource]:
    """The aggregated SELECT of one component, and the source it reads.

    Grouping by a parent-child level repeats each fact row once per member above it (see
    parent_child.py). So with grouping sets, each set is computed in a SELECT that repeats the
    facts only for the parent-child levels that set groups by, and those SELECTs are combined
    by UNION ALL: the grand total and the subtotals over other levels count each fact once.
    """
    cube = part.cube
    source = picker(cube, part.needs())
    refs = [cube.level(r) for r in part.levels]
    for ref in refs:
        if ref.level.member_of:
            raise UserError(f"{ref.name} is an attribute of the members of "
                            f"{ref.role.name}.{ref.level.member_of}, for cuts; drill down by "
                            f"{ref.role.name}.{ref.level.member_of}")
    trees = {i: ref.role.name for i, ref in enumerate(refs) if ref.level.parent_child}
    if part.sets is None:
        select = _select(part, params, source, refs, None, set(trees.values()))
    else:
        branches: dict[frozenset[str], list[tuple[int, ...]]] = {}
        for s in part.sets:
            branches.setdefault(frozenset(trees[i] for i in s if i in trees), []).append(s)
        selects = [_select(part, params, source, refs, sets, set(fanned))
                   for fanned, sets in branches.items()]
        select = selects[0]
        if len(selects) > 1:
            union: exp.Expression = selects[0]
            for other in selects[1:]:
                union = exp.Union(this=union, expression=other, distinct=False)
            select = select_from([col(p.alias_or_name, "u") for p in selects[0].expressions],
                                 union, "u")
    if part.semi is not None:
        select = _pick_period_end(select, part, len(refs), cube)
    return select, source


def _select(part: Part, params: Params, source: FactSource, refs: list[LevelRef],
            sets: list[tuple[int, ...]] | None, fanned: set[str]) -> exp.Select:
    """The SELECT of `sets` (None: no grouping sets), grouping the parent-child levels of the
    roles in `fanned` by member. Levels in none of the sets are NULL, their GROUPING 1."""
    cube = part.cube
    scope = Scope(cube, source, params, part.replaced)
    scope.fanned = fanned
    grouped = set(range(len(refs))) if sets is None else {i for s in sets for i in s}
    group_cols: list[list[exp.Expression]] = []
    projections: list[exp.Expression] = []
    for i, ref in enumerate(refs):
        cols = []
        for tag, attr in (("k", ref.level.key), ("l", ref.level.label), ("s", ref.level.sort)):
            if attr is None:
                continue
            if i not in grouped:
                value: exp.Expression = exp.Cast(this=exp.Null(), to=_datatype(attr.dtype)) \
                    if attr.dtype else exp.Null()
            else:
                value = scope.level_key(ref) if tag == "k" else scope.level_attr(ref, attr)
                cols.append(value)
            projections.append(alias(value, f"__{tag}{i}"))
        group_cols.append(cols)
    if sets is not None:
        for i, cols in enumerate(group_cols):
            bit = exp.Anonymous(this="GROUPING", expressions=[cols[0].copy()]) if cols \
                else exp.Literal.number(1)
            projections.append(alias(bit, f"__g{i}"))
    one_row = _one_row_each(part, scope, group_cols)
    time_value = None
    if part.semi is not None:
        over = part.semi.over
        if over.name in part.replaced:
            # A time window: the day the fact row is of (its source day), not the target
            # period's, so the pick is the last (first) day with data inside the window.
            day = scope.source_attr(over, over.dimension.time)
        else:
            day = scope.attr(over, over.dimension.time)
        # The day as days since 1970, not the day itself: grouped by in every grouping set,
        # the bare column would be the key of a date.day level in the drilldown too, and
        # GROUPING() of that level would then be 0 in the sets without it (a rollup over days
        # lost its grand total).
        time_value = exp.Sub(this=day, expression=exp.Cast(
            this=exp.Literal.string("1970-01-01"), to=exp.DataType(this=exp.DataType.Type.DATE)))
        projections.append(alias(time_value, "__t"))
    for measure in part.measures:
        projections += _aggregates(scope, measure, one_row)
    where = [cut_condition(scope, c) for c in part.cuts]
    scope.required |= null_rejecting_roles(cube, part.cuts, part.conditions)
    segment = scope.conditions(part.conditions)
    if segment is not None:
        where.append(segment)
    if part.kept is not None:
        where.append(kept_condition(scope, refs, part.kept))
    select = scope.from_clause(exp.Select(expressions=projections))
    if where:
        select.set("where", exp.Where(this=all_of(where)))
    extra = [time_value.copy()] if time_value is not None else []
    if sets is None:
        keys = list(chain.from_iterable(group_cols)) + extra
        if keys and not one_row:
            select.set("group", exp.Group(expressions=[k.copy() for k in keys]))
    else:
        tuples = [exp.Tuple(expressions=[c.copy() for i in s for c in group_cols[i]]
                            + [e.copy() for e in extra]) for s in sets]
        select.set("group", exp.Group(grouping_sets=[exp.GroupingSets(expressions=tuples)]))
    return select


def kept_condition(scope: Scope, refs: list[LevelRef], table: str) -> exp.Expression:
    """The fact row's cell (its key of every level) is a row of `table`. IS NOT DISTINCT FROM:
    a NULL member is a cell like any other. In a time window the date levels' keys are the
    target member's: a window is read for the kept cells it is evaluated for."""
    match = [exp.NullSafeEQ(this=col(f"__k{i}", table), expression=scope.level_key(ref))
             for i, ref in enumerate(refs)]
    return exp.Exists(this=exp.Select(expressions=[exp.Literal.number(1)],
                                      from_=exp.From(this=table_expr(table)),
                                      where=exp.Where(this=all_of(match))))


# Measure types whose stored partial is the value itself when one table row is one answer row.
AS_STORED = {"sum", "count", "min", "max", "avg"}


def _one_row_each(part: Part, scope: Scope, group_cols: list[list[exp.Expression]]) -> bool:
    """Whether each answer row is exactly one row of the aggregate table read: the query groups
    by, or cuts to a single member, every column of the table's grain (or a level key that fixes
    it). Then the stored partial aggregates are the answer: no GROUP BY, no re-aggregation."""
    source = scope.source
    if not source.grain or not group_cols or part.sets is not None or part.semi is not None:
        return False
    for m in part.measures:
        if m.filter or m.type not in AS_STORED:
            return False
        if m.type == "sum" and m.name in source.measures and m.name not in source.sum_types:
            return False        # the answer's type would be the stored partial's, not SUM's
    fixed: set[str] = set()
    for expr in chain.from_iterable(group_cols):
        if not (isinstance(expr, exp.Column) and expr.table == FACT):
            return False
        fixed.add(expr.name)
    for ref in _single_members(part):
        if ref.name in source.levels:
            fixed.add(source.levels[ref.name])
    grown = True
    while grown:
        before = len(fixed)
        for key, deps in source.determines.items():
            if key in fixed:
                fixed.update(deps)
        grown = len(fixed) > before
    return set(source.grain) <= fixed


def _single_members(part: Part) -> list[LevelRef]:
    """Levels the query's cuts and segments hold to one (non-NULL) member."""
    cube = part.cube
    out = []
    for cut in part.cuts:
        if cut.invert:
            continue
        values = (cut.value,) if isinstance(cut, PointCut) else \
            tuple(set(cut.values)) if isinstance(cut, SetCut) else ()
        if len(values) == 1 and values[0] is not None:
            out.append(cube.level(cut.level))
        elif isinstance(cut, PathCut) and None not in cut.path:
            role = cube.role(cut.dimension)
            out += [LevelRef(role, role.dimension.levels[name])
                    for name in path_levels(cube, cut)]
    out += [c.ref for c in part.conditions if len(c.values) == 1 and c.values[0] is not None]
    return out


def _aggregates(scope: Scope, measure: Measure, one_row: bool = False) -> list[exp.Expression]:
    """A measure's components: aggregated over fact rows, re-aggregated from an aggregate
    table's partials, or (one_row) those partials as stored, typed as their SUM would be."""
    out = []
    pre = scope.source.measures
    value = None            # the row value, read only when a component is not stored
    flt = scope.conditions(measure.filter)
    for suffix, agg in COMPONENTS[measure.type]:
        name = measure.name + suffix
        if name not in pre:
            if value is None:
                value = _row_value(scope, measure)
            expr = agg(value.copy())
        elif one_row:
            expr = col(pre[name], FACT)
            if name in scope.source.sum_types:
                expr = exp.Cast(this=expr, to=_datatype(scope.source.sum_types[name]))
        else:
            expr = REAGGREGATE[measure.type, suffix](col(pre[name], FACT))
        if flt is not None:
            expr = exp.Filter(this=expr, expression=exp.Where(this=flt.copy()))
        out.append(alias(expr, name))
    return out


def _row_value(scope: Scope, measure: Measure) -> exp.Expression:
    if measure.column is not None:
        return scope.fact_expr(measure.column)
    if measure.column_ref is not None:
        return scope.level_key(measure.column_ref)
    return exp.Star()


@lru_cache(maxsize=64)
def _parsed_type(name: str) -> exp.DataType:
    return exp.DataType.build(name)


def _datatype(name: str) -> exp.DataType:
    """A type node, built fresh (DataType.build parses its text, .copy() is a slow deepcopy)."""
    parsed = _parsed_type(name)
    params = [exp.DataTypeParam(this=exp.Literal.number(p.name)) for p in parsed.expressions]
    return exp.DataType(this=parsed.this, expressions=params or None)


def _pick_period_end(inner: exp.Select, part: Part, nlevels: int, cube: Cube) -> exp.Select:
    """Semi-additive: per grain cell keep the value at the last (first) date with data.

    `inner` sums the measure per cell and day (__t); ARG_MAX (ARG_MIN) keeps the sum of the
    cell's last (first) day whose sum is not NULL (days of the unknown date, __t NULL, never
    count). In a time window __t is the source day, so the pick is over the window's days.
    """
    outer_cols: list[exp.Expression] = []
    for proj in inner.expressions:
        name = proj.alias_or_name
        if name.startswith(("__k", "__l", "__s", "__g")):
            outer_cols.append(col(name, "p"))
    pick = "ARG_MAX" if part.semi.semi_additive == "last" else "ARG_MIN"
    measures = [alias(exp.Anonymous(this=pick, expressions=[col(c, "p"), col("__t", "p")]), c)
                for c in (p.alias_or_name for p in inner.expressions)
                if not c.startswith("__")]
    if outer_cols and part.sets is not None and () in part.sets:
        return _with_empty_total(outer_cols, measures, inner)
    select = select_from([c.copy() for c in outer_cols] + measures, inner, "p")
    if outer_cols:
        select.set("group", exp.Group(expressions=outer_cols))
    return select


def _with_empty_total(outer_cols: list[exp.Column], measures: list[exp.Expression],
                      inner: exp.Select) -> exp.Select:
    """The semi-additive pick with a grand-total grouping set: when nothing is selected, the
    inner SELECT has no row to group, but a grand total is one row even over nothing (as for
    every other measure: NULL). A second, empty grouping set gives that row (its GROUPING
    bits 1), kept only when there are no rows at all (else the inner rows' own total is)."""
    projections = [alias(exp.Coalesce(this=c.copy(), expressions=[exp.Literal.number(1)]),
                         c.name) if c.name.startswith("__g") else c.copy() for c in outer_cols]
    select = select_from(projections + measures, inner, "p")
    select.set("group", exp.Group(grouping_sets=[exp.GroupingSets(expressions=[
        exp.Tuple(expressions=[c.copy() for c in outer_cols]), exp.Tuple(expressions=[])])]))
    select.set("having", exp.Having(this=exp.Or(
        this=exp.EQ(this=exp.Anonymous(this="GROUPING", expressions=[outer_cols[0].copy()]),
                    expression=exp.Literal.number(0)),
        expression=exp.EQ(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)))))
    return select


def null_rejecting_roles(cube: Cube, cuts: tuple[Cut, ...], conditions: tuple[Condition, ...]
                         ) -> set[str]:
    """Roles whose WHERE condition is false for a fact row without a dimension row."""
    out: set[str] = set()
    for cut in cuts:
        if cut.invert:
            continue
        if isinstance(cut, PathCut):
            if all(v is not None for v in cut.path):
                out.add(cube.role(cut.dimension).name)
            continue
        if isinstance(cut, PointCut):
            values: tuple = (cut.value,)
        elif isinstance(cut, SetCut):
            values = tuple(cut.values)
        else:
            values = () if cut.low is None and cut.high is None else (cut.low, cut.high)
            values = tuple(v for v in values if v is not None)
        if values and all(v is not None for v in values):
            out.add(cube.level(cut.level).role.name)
    for cond in conditions:
        if cond.values and all(v is not None for v in cond.values):
            out.add(cond.ref.role.name)
    return out
