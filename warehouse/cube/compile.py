"""Model + query -> one DuckDB statement, built as a sqlglot tree with bound parameters.

Passes: resolve names, split the measures into components (one per fact, semi-additive measure
or time window; a time window of a semi-additive measure is one of its own, picking the
window's last or first day with data: see timecalc's docstring), build each component
aggregated to the grain, join the components on the grain
keys (FULL OUTER JOIN between facts, LEFT JOIN for time windows onto the base values), then
compute final and calculated measures, and apply top-N, ordering and pagination.

The common case, one component without totals, time windows or top-N, is the component's own
SELECT with the final measures, ORDER BY and LIMIT added: one flat statement, shaped like the
SQL an analyst writes by hand (nothing for DuckDB to unnest, less for sqlglot to generate).

Top-N (query.TopN) keeps the n best detail cells by a measure or time calculation column
within each parent (ROW_NUMBER() in QUALIFY, ties broken by the ranked levels' keys). With
totals, a subtotal row adds up either
  * the visible cells (TopN.subtotals = "visible", the default, as an Excel pivot's Top 10
    filter shows them): the kept cells are ranked first, by the same query at the detail grain
    without totals, into a CTE (__top); every component then reads only the facts whose cell
    is in it (WHERE EXISTS ... IS NOT DISTINCT FROM on the level keys, so NULL and unknown
    members match) and groups them by the grouping sets as usual. A subtotal is thus computed
    from the kept cells' facts, never summed from the cells: distinct counts, averages and
    ratios stay exact. A time window is restricted by its target member's cell, so a
    subtotal's last_year is the year before of the same kept cells. Refused: parent-child
    levels in the drilldown (a fact counts for every member above its own), and a time
    calculation whose subtotal rows would be at a coarser period than the detail (a year
    subtotal of month cells);
  * all members (TopN.subtotals = "all"): the query with totals as usual, its rows ranked
    in a CTE (__ranked): the rows of grouping sets with every ranked level keep the n best
    within their parent (partitioned by the GROUPING bits and the within levels); a row of
    another set (a subtotal over all its members, untouched) is kept when a kept row lies
    under it (groups by its levels, with its members): MDX's TopCount within parent with
    VisualTotals off shows a parent's total only for parents with a visible member. The
    grand total is always kept.
Limit and offset page the rows after that, subtotals included, in the answer's order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

from sqlglot import exp

from warehouse.cube import measure_sql, sqltext
from warehouse.cube.component import Part, build, path_levels
from warehouse.cube.model import Cube, CubeModel, Dimension, LevelRef, Measure
from warehouse.cube.query import PathCut, Query, TimeCalc
from warehouse.cube.scope import (
    Params,
    alias,
    all_of,
    any_of,
    col,
    ident,
    join,
    select_from,
    subquery,
    table_expr,
)
from warehouse.cube.source import FactSource, SourcePicker, base_source
from warehouse.cube.timecalc import GRAIN, defined, nests, to_date_span, window_table
from warehouse.errors import UserError

GROUPING_COLUMN = "grouping_id"
TOP_TABLE = "__top"         # the kept cells of a top-N with subtotals of the visible ones
RANKED_TABLE = "__ranked"   # the answer's rows ranked, for a top-N with subtotals of all


@dataclass
class Compiled:
    """The statement, its parameters, the visible columns and the tables each component read."""

    tree: exp.Expression
    params: list
    columns: list[str]
    sources: list[str] = field(default_factory=list)
    _sql: str | None = field(default=None, repr=False)
    # Set when the answer is ordered after the statement ran, on its Arrow table (ascending,
    # NULLs last, by these columns; `hidden` ones dropped after): see _orders_in_arrow.
    order: list[str] | None = None
    hidden: list[str] = field(default_factory=list)

    @property
    def sql(self) -> str:
        if self._sql is None:
            self._sql = sqltext.to_sql(self.tree)
        return self._sql

    def pretty(self) -> str:
        text = self.tree.sql(dialect="duckdb", pretty=True, copy=False)
        if self.order:
            text += "\n-- answer ordered in Arrow by: " + ", ".join(self.order)
        return text


@dataclass
class _Component:
    alias: str
    part: Part
    select: exp.Select | exp.Union | None = None    # a Union: a window of several periods
    calc: TimeCalc | None = None
    source: FactSource | None = None
    # A time window's parts for other periods (with totals: one per row period), UNION ALL,
    # and the grouping sets they cover (None: every row).
    more: list[Part] = field(default_factory=list)
    covers: list[tuple[int, ...]] | None = None


def grouping_sets(query: Query, n: int) -> list[tuple[int, ...]] | None:
    if query.grouping_sets is not None:
        names = list(query.drilldown)
        try:
            return [tuple(names.index(level) for level in s) for s in query.grouping_sets]
        except ValueError:
            raise UserError("every level of a grouping set must be in the drilldown") from None
    if query.totals == "none":
        return None
    if query.totals == "rollup":
        return [tuple(range(k)) for k in range(n, -1, -1)]
    if query.totals == "all":
        return [c for k in range(n, -1, -1) for c in combinations(range(n), k)]
    raise UserError(f"totals: expected none, rollup or all, got {query.totals!r}")


def compile_query(model: CubeModel, query: Query, picker: SourcePicker | None = None) -> Compiled:
    picker = picker or base_source
    cube = model.cube(query.cube)
    levels = [cube.level(r) for r in query.drilldown]
    names = [r.name for r in levels]
    if len(set(names)) != len(names):
        raise UserError("a level appears twice in the drilldown")
    sets = None if query.grouping_sets is None and query.totals == "none" else grouping_sets(
        query.with_(drilldown=tuple(names)) if query.grouping_sets is None else query,
        len(levels))
    measures = list(dict.fromkeys(list(query.measures) + [t.measure for t in query.time]))
    if not measures:
        raise UserError("name at least one measure")
    for name in measures:
        cube.measure(name)
    segments = []
    for seg in query.segments:
        if seg not in cube.segments:
            raise UserError(f"cube {cube.name}: no segment {seg!r}; known: "
                            f"{', '.join(sorted(cube.segments)) or 'none'}")
        segments += cube.segments[seg]
    params = Params()
    sources: list[str] = []
    kept = None
    if query.top is not None:
        within = _check_top(cube, query, names, levels, sets)
        if sets is not None and query.top.subtotals == "visible" and names:
            kept = _kept(model, cube, query, names, levels, tuple(segments), picker, params,
                         sources)
    components = _components(model, cube, query, names, sets, measures, tuple(segments),
                             params, picker, sources, kept is not None)
    flat = _flat(cube, query, names, levels, sets, components)
    if flat is not None:
        tree, columns, order, hidden = flat
        return Compiled(tree, params.values, columns, sources, order=order, hidden=hidden)
    tree, columns = _assemble(cube, query, names, levels, sets, measures, components,
                              within if query.top is not None else None)
    if kept is not None:
        tree.set("with_", exp.With(expressions=[exp.CTE(
            this=kept, alias=exp.TableAlias(this=ident(TOP_TABLE)))]))
    return Compiled(tree, params.values, columns, sources)


def _components(model: CubeModel, cube: Cube, query: Query, names: list[str],
                sets: list[tuple[int, ...]] | None, measures: list[str], segments: tuple,
                params: Params, picker: SourcePicker, sources: list[str], restricted: bool,
                label: str = "") -> list[_Component]:
    """The query's components, each built (its SELECT and source); `restricted`: they read
    only the facts of the cells in TOP_TABLE."""
    base = measure_sql.base_measures(cube, measures)
    components = _split(model, cube, query, names, sets, base, segments, restricted)
    for comp in components:
        comp.select, comp.source = build(comp.part, params, picker)
        for part in comp.more:
            select, _source = build(part, params, picker)
            comp.select = exp.Union(this=comp.select, expression=select, distinct=False)
        sources.append(f"{label}{comp.alias}: {comp.source.label}")
    return components


def _check_top(cube: Cube, query: Query, names: list[str], levels, sets) -> list[str]:
    """Validate the query's top-N; its parent levels (`within`)."""
    top = query.top
    if int(top.n) < 1:
        raise UserError(f"top-N: n must be at least 1, got {top.n}")
    if top.subtotals not in ("visible", "all"):
        raise UserError(f"top-N subtotals: expected visible or all, got {top.subtotals!r}")
    columns = list(query.measures) + [t.column for t in query.time]
    if top.by not in columns:
        raise UserError(f"top-N by {top.by!r}: rank by one of the query's measures or time "
                        f"calculation columns ({', '.join(columns)})")
    if top.within is None:
        within = names[:-1]
    else:
        within = [cube.level(w).name for w in top.within]
        missing = [w for w in within if w not in names]
        if missing:
            raise UserError(f"top-N within {missing}: those levels are not in the drilldown")
    if sets is not None and top.subtotals == "visible":
        for ref in levels:
            if ref.level.parent_child:
                raise UserError(
                    f"top-N with subtotals of the visible members cannot group by the "
                    f"parent-child level {ref.name} (a fact counts for every member above its "
                    f"own); use TopN(..., subtotals='all') for totals over all members, or "
                    f"ask without totals")
    return within


def _kept(model: CubeModel, cube: Cube, query: Query, names: list[str], levels,
          segments: tuple, picker: SourcePicker, params: Params, sources: list[str]
          ) -> exp.Select:
    """The cells a top-N keeps (their level keys as __k<i>): the query at the detail grain,
    without totals, ranked by the top-N column. Its cells are the query's, of every fact it
    reads (not only the ranked measure's: a drill-across cell without tickets has 0 tickets
    and may be kept), so the detail rows are the ones the top-N without totals shows."""
    by = query.top.by
    ranking = query.with_(time=tuple(t for t in query.time if t.column == by)[:1],
                          totals="none", grouping_sets=None, order=(), limit=None, offset=0)
    measures = list(dict.fromkeys(list(query.measures) + [t.measure for t in query.time]))
    components = _components(model, cube, ranking, names, None, measures, segments, params,
                             picker, sources, False, label="top-N ranking ")
    ranked, _columns = _assemble(cube, ranking, names, levels, None, measures, components,
                                 _check_top(cube, ranking, names, levels, None))
    ranked.set("order", None)
    return select_from([alias(col(name, "r"), f"__k{i}") for i, name in enumerate(names)],
                       ranked, "r")


def _split(model: CubeModel, cube: Cube, query: Query, names: list[str],
           sets: list[tuple[int, ...]] | None, base: list[Measure], segments: tuple,
           restricted: bool = False) -> list[_Component]:
    groups: dict[tuple[str, str], list[Measure]] = {}
    for m in base:
        key = (m.cube, f"semi:{m.name}" if m.semi_additive else "")
        groups.setdefault(key, []).append(m)
    out = []
    for (cube_name, kind), ms in groups.items():
        part = Part(model.cube(cube_name), names, sets, ms, query.cuts, segments,
                    semi=ms[0] if kind else None, kept=TOP_TABLE if restricted else None)
        if cube_name != cube.name:
            _check_reachable(cube, part)
        out.append(_Component(f"c{len(out)}", part))
    for calc in query.time:
        own = measure_sql.base_measures(cube, [calc.measure])
        role_name, period = _time_level(cube, names, calc)
        span = _span(cube, names, calc, role_name)
        for m in own:
            if m.semi_additive:   # its refusal first: it says more than the general one
                _check_whole(cube, query, calc, role_name, period, segments, semi=m)
        plan = _window_plan(cube, query, names, sets, calc, role_name, period, span, segments)
        coarser = [p for p, _sets in plan if p != period]
        if restricted and coarser:
            raise UserError(
                f"time calculation {calc.column} with top-N and subtotals of the visible "
                f"members: a {coarser[0]} subtotal row would need the window of every kept "
                f"{period} cell under it; use TopN(..., subtotals='all') for totals over all "
                f"members, or drill down by one {role_name} level")
        # One window component per fact, and one per semi-additive measure (its value is
        # picked per cell over the window's days, as the base value over the period's).
        by_cube: dict[tuple[str, str], list[Measure]] = {}
        for m in own:
            by_cube.setdefault((m.cube, m.name if m.semi_additive else ""), []).append(m)
        for (cube_name, semi), ms in by_cube.items():
            member = model.cube(cube_name)
            role = member.role(role_name)
            if semi and ms[0].over.name != role.name:
                raise UserError(
                    f"time calculation {calc.column}: the semi-additive measure {semi} is a "
                    f"balance over {ms[0].over.name}, the calculation shifts {role.name}; "
                    f"drill down by a {ms[0].over.name} level for it (role="
                    f"{ms[0].over.name!r})")
            parts = []
            for row_period, row_sets in plan:
                window = window_table(role.dimension, calc, row_period, span)
                part = Part(member, names, row_sets, ms, query.cuts, segments,
                            replaced={role.name: window}, semi=ms[0] if semi else None,
                            kept=TOP_TABLE if restricted else None)
                parts.append(part)
            if parts:       # none: no row has a time member, the calculation is NULL
                out.append(_Component(f"c{len(out)}", parts[0], calc=calc, more=parts[1:],
                                      covers=None if sets is None else
                                      [s for _p, row_sets in plan for s in row_sets]))
    return out


def _window_plan(cube: Cube, query: Query, names: list[str], sets: list[tuple[int, ...]] | None,
                 calc: TimeCalc, role_name: str, period: str, span: str | None,
                 segments: tuple) -> list[tuple[str, list[tuple[int, ...]] | None]]:
    """The windows a time calculation needs: (period, the grouping sets evaluated at it).

    Without totals, one window at the query's time level. With totals, each grouping set is
    evaluated for its own time member, at the finest period level of the calculation's role it
    keeps (see timecalc's docstring); sets keeping none, or whose period the calculation is
    undefined for (mtd of a year), get no window: their value is NULL.
    """
    _check_whole(cube, query, calc, role_name, period, segments, subtotal=False)
    if sets is None:
        _check_unsplit(cube, calc, [cube.level(name) for name in names], role_name, period)
        return [(period, None)]
    kind = calc.against if calc.kind in {"change", "change_pct"} else calc.kind
    dim = cube.role(role_name).dimension
    plan: dict[str, list[tuple[int, ...]]] = {}
    for s in sets:
        refs = [ref for ref in (cube.level(names[i]) for i in s) if ref.role.name == role_name]
        finest = _finest_period(refs)
        if finest is None:
            continue
        mine = finest[1]
        if mine != period:
            if not defined(dim, kind, mine, span):
                continue
            _check_whole(cube, query, calc, role_name, mine, segments)
        _check_unsplit(cube, calc, refs, role_name, mine)
        plan.setdefault(mine, []).append(s)
    return list(plan.items())


def _check_unsplit(cube: Cube, calc: TimeCalc, refs: list[LevelRef], role_name: str,
                   period: str) -> None:
    """Refuse rows of `period` grouped by another level with a period of the role that does
    not hold whole members of it (year with fiscal_year, month with iso_week): a row would be
    part of its period (January to March of 2024 in fiscal 2024), its window the whole."""
    for ref in refs:
        other = ref.level.period
        if ref.role.name != role_name or not other:
            continue
        if not nests(ref.role.dimension, period, other):
            raise UserError(
                f"time calculation {calc.column}: its rows are {period}s, but grouped by "
                f"{ref.name} too, which splits a {period} into parts ({other} members do not "
                f"hold whole {period}s); drill down by one of them, or by a finer date level")


def _above(dimension: Dimension, level: str, period: str) -> bool:
    """True if a hierarchy of `dimension` puts `level` above the level of `period`, so each
    member of that period lies within one member of `level` (fiscal_year over month; not
    iso_year, whose years split December and January weeks across calendar months)."""
    below = {name for name, spec in dimension.levels.items() if spec.period == period}
    return any(level in path and any(b in path[path.index(level) + 1:] for b in below)
               for path in dimension.hierarchies.values())


def _check_whole(cube: Cube, query: Query, calc: TimeCalc, role_name: str, period: str,
                 segments: tuple, semi: Measure | None = None, subtotal: bool = True) -> None:
    """Refuse a cut on the date role that keeps part of a subtotal row's member: the row's base
    value would cover that part, its window the whole member. For rows at the query's own
    time level (`subtotal` False) a cut on a level without a period passes when a hierarchy
    puts it above the rows' level (fiscal_year over months), else is refused (iso_year). For a
    semi-additive measure (`semi`) at the query's own period, any such cut is refused: the
    row's balance would be taken at the last (first) day the cut keeps, its window's at the
    end (start) of the whole window."""
    refs = [c.ref for c in segments]
    for cut in query.cuts:
        if isinstance(cut, PathCut):
            role = cube.role(cut.dimension)
            refs += [LevelRef(role, role.dimension.levels[lv]) for lv in path_levels(cube, cut)]
        else:
            refs.append(cube.level(cut.level))
    for ref in refs:
        if ref.role.name != role_name:
            continue
        dim = ref.role.dimension
        if ref.level.period and nests(dim, period, ref.level.period):
            continue
        if not subtotal and semi is None and not ref.level.period and _above(
                ref.role.dimension, ref.level.name, period):
            continue
        whole = [lv for lv, spec in dim.levels.items()
                 if spec.period and nests(dim, period, spec.period)]
        if semi is not None:
            raise UserError(
                f"time calculation {calc.column} of the semi-additive measure {semi.name}: a "
                f"{period} row's balance is the one of its {semi.semi_additive} day with data, "
                f"but the cut on {ref.name} can keep part of the {period} (the balance and its "
                f"{calc.kind} would then be taken at different points of the period); cut on "
                f"{' or '.join(f'{role_name}.{lv}' for lv in whole) or 'a coarser date level'}"
                + (f", or drill down by {ref.name}" if ref.level.period else ""))
        row = " with totals: a {p} subtotal row" if subtotal else ": a {p} row"
        raise UserError(
            f"time calculation {calc.column}{row.format(p=period)} is one whole "
            f"{period}, but the cut on {ref.name} can keep part of it (its {calc.kind} would "
            f"then not match its own value); cut on "
            f"{' or '.join(f'{role_name}.{lv}' for lv in whole) or 'a coarser date level'}, "
            f"or ask {'without totals' if subtotal else 'by a finer date level'}")


def _check_reachable(cube: Cube, part: Part) -> None:
    """Every level a drill-across query reads must be a dimension of each fact it combines."""
    member = part.cube
    refs = list(part.levels) + [c.ref.name for c in part.conditions]
    for cut in part.cuts:
        refs.append(f"{cut.dimension}.x" if isinstance(cut, PathCut) else cut.level)
    for ref in refs:
        role = ref.partition(".")[0]
        try:
            member.role(cube.role(role).name)
        except UserError:
            measures = ", ".join(m.name for m in part.measures)
            raise UserError(f"missing join path: {measures} come(s) from cube {member.name}, "
                            f"which has no {role!r} dimension; drop {ref} or those measures "
                            f"(shared here: {', '.join(sorted(member.roles))})") from None


def _time_level(cube: Cube, names: list[str], calc: TimeCalc) -> tuple[str, str]:
    """The date role and the granularity of a time calculation: its finest drilled level."""
    refs = [cube.level(name) for name in names]
    best = _finest_period([ref for ref in refs
                           if not calc.role or ref.role.name == cube.role(calc.role).name])
    if best is None:
        raise UserError(f"time calculation {calc.column}: drill down by a date level with a "
                        f"period (year, quarter, month, week, day, fiscal_year or "
                        f"fiscal_quarter), e.g. date.month")
    return best


def _span(cube: Cube, names: list[str], calc: TimeCalc, role_name: str) -> str | None:
    """The period a to-date calculation runs within: calendar or fiscal (timecalc.to_date_span)
    after the query's levels of the role."""
    drilled = [ref.level.period for ref in (cube.level(name) for name in names)
               if ref.role.name == role_name and ref.level.period]
    return to_date_span(cube.role(role_name).dimension, calc.kind, calc.hierarchy, drilled)


def _finest_period(refs: list[LevelRef]) -> tuple[str, str] | None:
    """(role, period) of the finest level with a period of a date role among `refs` (the first
    of equals), or None."""
    best = None
    for ref in refs:
        if ref.role.dimension.time is None or not ref.level.period:
            continue
        if best is None or GRAIN[ref.level.period] < GRAIN[best[1]]:
            best = (ref.role.name, ref.level.period)
    return best


def _join_on(left: list[exp.Expression], right: str, keys: list[str]) -> exp.Expression:
    return exp.and_(*[exp.NullSafeEQ(this=lhs.copy(), expression=col(k, right))
                      for lhs, k in zip(left, keys, strict=True)])


# Level key types whose order in Arrow (sort_indices, NULLs at the end) is DuckDB's ORDER BY
# order. Not floats: descending, DuckDB puts NaN first and Arrow last.
ARROW_ORDERED = ("VARCHAR", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                 "USMALLINT", "UINTEGER", "UBIGINT", "DECIMAL", "DATE", "BOOLEAN")


def _orders_in_arrow(query: Query, levels, comp: _Component) -> bool:
    """Whether the answer is ordered on its Arrow table instead of by the statement.

    For a read of an aggregate table (its answer is at most its rows, in practice a few
    hundred), ordered by the levels only (no measure order, LIMIT or OFFSET), by keys of types
    that order alike in Arrow and DuckDB: sorting those rows in Arrow costs ~0.05 ms, DuckDB's
    ORDER BY ~0.4 ms (a sort pipeline and compressed-materialisation projections).
    """
    if (query.order or query.limit is not None or query.offset or not levels
            or comp.source is None or not comp.source.grain):
        return False
    for ref in levels:
        for attr in (ref.level.sort, ref.level.key):
            if attr is not None and not (attr.dtype or "").upper().startswith(ARROW_ORDERED):
                return False
    return True


def _flat(cube: Cube, query: Query, names: list[str], levels, sets,
          components: list[_Component]
          ) -> tuple[exp.Select, list[str], list[str] | None, list[str]] | None:
    """The single component's SELECT as the answer, or None when the query needs the joins;
    with the columns the answer is ordered by on its Arrow table (None: by the statement)
    and the hidden ones among them."""
    if (len(components) != 1 or components[0].calc is not None or components[0].part.semi
            or sets is not None or query.top is not None):
        return None
    select = components[0].select
    parts = {p.alias_or_name: p.this for p in select.expressions}
    columns: list[str] = []
    projections: list[exp.Expression] = []

    def position(name: str) -> exp.Expression:
        return exp.Literal.number(columns.index(name) + 1)

    for i, ref in enumerate(levels):
        projections.append(alias(parts[f"__k{i}"], names[i]))
        columns.append(names[i])
        if ref.level.label is not None:
            projections.append(alias(parts[f"__l{i}"], f"{names[i]}.label"))
            columns.append(f"{names[i]}.label")

    taken: set[str] = set()

    def take(comp: str) -> exp.Expression:
        """A component's aggregate: the node itself the first time, then copies."""
        if comp in taken:
            return parts[comp].copy()
        taken.add(comp)
        return parts[comp]

    def value(name: str) -> exp.Expression:
        m = cube.measure(name)
        if m.type == "calculated":
            return measure_sql.calculated(cube, m, value)
        return measure_sql.final(m, take)

    for name in query.measures:
        projections.append(alias(value(name), name))
        columns.append(name)

    if _orders_in_arrow(query, levels, components[0]):
        order: list[str] = []
        hidden: list[str] = []
        for i in range(len(levels)):
            sort = parts.get(f"__s{i}")
            if sort is not None:
                hidden.append(f"__order{i}")
                projections.append(alias(sort, hidden[-1]))
                order.append(hidden[-1])
            order.append(names[i])
        select.set("expressions", projections)
        return select, columns, order, hidden

    def level_keys(i: int) -> list[exp.Expression]:
        sort = parts.get(f"__s{i}")
        return ([sort.copy()] if sort is not None else []) + [position(names[i])]

    select.set("expressions", projections)
    order_by = _order(cube, query, names, level_keys, position)
    if order_by:
        select.set("order", exp.Order(expressions=order_by))
    _paginate(select, query)
    return select, columns, None, []


def _paginate(select: exp.Select, query: Query) -> None:
    if query.limit is not None:
        select.set("limit", exp.Limit(expression=exp.Literal.number(int(query.limit))))
    if query.offset:
        select.set("offset", exp.Offset(expression=exp.Literal.number(int(query.offset))))


def _assemble(cube: Cube, query: Query, names: list[str], levels, sets, measures: list[str],
              components: list[_Component], within: list[str] | None = None
              ) -> tuple[exp.Select, list[str]]:
    main = [c for c in components if c.calc is None]
    windows = [c for c in components if c.calc is not None]
    keys = [f"__k{i}" for i in range(len(names))]
    if sets is not None:
        keys += [f"__g{i}" for i in range(len(names))]

    def merged(name: str, among: list[_Component]) -> exp.Expression:
        values = [col(name, c.alias) for c in among if _has(c, name)]
        if not values:
            return exp.Null()
        return values[0] if len(values) == 1 else exp.Coalesce(this=values[0],
                                                                expressions=values[1:])

    joins = []
    for i, comp in enumerate(main[1:], start=1):
        left = [merged(k, main[:i]) for k in keys]
        on = _join_on(left, comp.alias, keys) if keys else exp.true()
        joins.append(join(subquery(comp.select, comp.alias), on, "FULL"))
    for comp in windows:
        left = [merged(k, main) for k in keys]
        on = _join_on(left, comp.alias, keys) if keys else exp.true()
        joins.append(join(subquery(comp.select, comp.alias), on, "LEFT"))

    columns: list[str] = []
    projections: list[exp.Expression] = []
    for i, ref in enumerate(levels):
        projections.append(alias(merged(f"__k{i}", main), names[i]))
        columns.append(names[i])
        if ref.level.label is not None:
            projections.append(alias(merged(f"__l{i}", main), f"{names[i]}.label"))
            columns.append(f"{names[i]}.label")
        sort = f"__s{i}" if ref.level.sort is not None else f"__k{i}"
        projections.append(alias(merged(sort, main), f"__order{i}"))
        if sets is not None:
            projections.append(alias(merged(f"__g{i}", main), f"__g{i}"))

    owner = {m.name: c for c in main for m in c.part.measures}

    def value(name: str) -> exp.Expression:
        m = cube.measure(name)
        if m.type == "calculated":
            return measure_sql.calculated(cube, m, value)
        return measure_sql.final(m, lambda comp: col(comp, owner[name].alias))

    for name in query.measures:
        projections.append(alias(value(name), name))
        columns.append(name)
    for calc in query.time:
        calc_value = _calc_value(cube, calc, windows, value)
        covers = next((c.covers for c in windows if c.calc is calc), None)
        if sets is not None and covers is not None and len(covers) < len(sets):
            # Rows of the other sets have no time member: NULL (not a count's 0).
            has_window = any_of([all_of([
                exp.EQ(this=merged(f"__g{i}", main), expression=exp.Literal.number(
                    0 if i in s else 1)) for i in range(len(names))] or [exp.true()])
                for s in covers])
            calc_value = exp.Case(ifs=[exp.If(this=has_window, true=calc_value)])
        projections.append(alias(calc_value, calc.column))
        columns.append(calc.column)
    inner = exp.Select(expressions=projections, from_=exp.From(
        this=subquery(main[0].select, main[0].alias)), joins=joins or None)

    outer_cols: list[exp.Expression] = [col(name, "q") for name in columns]
    gcols = {f"__g{i}": col(f"__g{i}", "q") for i in range(len(names))} if sets else {}
    if sets is not None:
        gid: exp.Expression = exp.Literal.number(0)
        for i in range(len(names)):
            bit = exp.BitwiseLeftShift(this=col(f"__g{i}", "q"),
                                       expression=exp.Literal.number(len(names) - 1 - i))
            gid = bit if i == 0 else exp.BitwiseOr(this=gid, expression=bit)
        outer_cols.insert(len(levels) + sum(1 for r in levels if r.level.label is not None),
                          alias(gid, GROUPING_COLUMN))
        columns.insert(len(outer_cols) - len(query.measures) - len(query.time) - 1,
                       GROUPING_COLUMN)
    outer = select_from(outer_cols, inner, "q")
    if query.top is not None:
        outer = _top(outer, inner, query, names, sets, within)

    def level_keys(i: int) -> list[exp.Expression]:
        return [col(f"__order{i}", "q"), col(names[i], "q")]

    order = _order(cube, query, names, level_keys, lambda name: col(name, "q"), gcols)
    if order:
        outer.set("order", exp.Order(expressions=order))
    _paginate(outer, query)
    return outer, columns


def _has(comp: _Component, name: str) -> bool:
    return any(p.alias_or_name == name for p in comp.select.expressions)


def _calc_value(cube: Cube, calc: TimeCalc, windows: list[_Component], current) -> exp.Expression:
    mine = {m.name: c for c in windows if c.calc is calc for m in c.part.measures}
    if not mine:
        return exp.Null()           # no row of the answer has a time member (e.g. only ())

    def shifted(name: str) -> exp.Expression:
        m = cube.measure(name)
        if m.type == "calculated":
            return measure_sql.calculated(cube, m, shifted)
        return measure_sql.final(m, lambda comp: col(comp, mine[name].alias))

    prior = shifted(calc.measure)
    if calc.kind == "change":
        return exp.Sub(this=exp.Paren(this=current(calc.measure)), expression=exp.Paren(this=prior))
    if calc.kind == "change_pct":
        diff = exp.Sub(this=exp.Paren(this=current(calc.measure)), expression=exp.Paren(this=prior))
        return exp.Div(this=exp.Cast(this=diff, to=exp.DataType(this=exp.DataType.Type.DOUBLE)),
                       expression=exp.Nullif(this=prior.copy(), expression=exp.Literal.number(0)))
    return prior


def _level_index(cube: Cube, names: list[str], by: str) -> int | None:
    if by in names:
        return names.index(by)
    try:
        ref = cube.level(by)
    except UserError:
        return None
    return names.index(ref.name) if ref.name in names else None


def _order(cube: Cube, query: Query, names: list[str],
           level_keys: Callable[[int], list[exp.Expression]],
           column: Callable[[str], exp.Expression], gcols=None) -> list[exp.Expression]:
    """ORDER BY: the query's own orders, then every level (its sort key first, then its key).

    level_keys(i) gives level i's sort keys; column(name) a measure or time column.
    """
    out: list[exp.Expression] = []
    known = set(query.measures) | {t.column for t in query.time} | set(names)
    for o in query.order:
        if o.by not in known and not any(cube.level(o.by).name == n for n in names
                                         if "." in o.by):
            raise UserError(f"order by {o.by!r}: not a measure or level of this query")
        i = _level_index(cube, names, o.by)
        key = level_keys(i)[0] if i is not None else column(o.by)
        out.append(exp.Ordered(this=key, desc=o.descending, nulls_first=False))
    # Then the levels in drilldown order, totals after their details, for a stable result.
    for i in range(len(names)):
        if gcols:
            out.append(exp.Ordered(this=gcols[f"__g{i}"], desc=False))
        for key in level_keys(i):
            out.append(exp.Ordered(this=key, desc=False, nulls_first=False))
    return out


def _top(outer: exp.Select, inner: exp.Select, query: Query, names: list[str], sets,
         within: list[str]) -> exp.Select:
    """Keep the n best rows by the top-N column within each parent (see the docstring)."""
    top = query.top
    if sets is not None and top.subtotals == "visible":
        return outer    # the components read the kept cells' facts only (TOP_TABLE)
    gbits = [col(f"__g{i}", "q") for i in range(len(names))] if sets is not None else []
    window = exp.Window(
        this=exp.RowNumber(),
        partition_by=gbits + [col(w, "q") for w in within],
        order=exp.Order(expressions=[
            exp.Ordered(this=col(top.by, "q"), desc=top.descending, nulls_first=False)]
            + [exp.Ordered(this=col(n, "q")) for n in names]))
    ranked = [i for i, name in enumerate(names) if name not in within]
    if sets is None or not ranked:
        outer.set("qualify", exp.Qualify(this=exp.LTE(
            this=window, expression=exp.Literal.number(int(top.n)))))
        return outer
    return _top_with_parents(outer, inner, names, window, ranked, int(top.n))


def _top_with_parents(outer: exp.Select, inner: exp.Select, names: list[str],
                      window: exp.Window, ranked: list[int], n: int) -> exp.Select:
    """Top-N with subtotals over all members: the rows grouping by every ranked level are
    ranked (ROW_NUMBER as __rank in the CTE __ranked); a subtotal row is kept when one of the
    kept rows lies under it (it groups by the subtotal's levels, with the same members), as
    MDX shows a parent of TopCount's members with VisualTotals off: a parent whose members
    were all cut away is not shown. The grand total is always kept, as without top-N."""
    def ranked_row(table: str) -> exp.Expression:
        return all_of([exp.EQ(this=col(f"__g{i}", table), expression=exp.Literal.number(0))
                       for i in ranked])

    def kept(table: str) -> exp.Expression:
        return exp.and_(ranked_row(table), exp.LTE(this=col("__rank", table),
                                                    expression=exp.Literal.number(n)))

    under = all_of([exp.or_(
        exp.EQ(this=col(f"__g{i}", "q"), expression=exp.Literal.number(1)),
        exp.and_(exp.EQ(this=col(f"__g{i}", "c"), expression=exp.Literal.number(0)),
                 exp.NullSafeEQ(this=col(name, "c"), expression=col(name, "q"))))
        for i, name in enumerate(names)])
    below = exp.Exists(this=exp.Select(
        expressions=[exp.Literal.number(1)], from_=exp.From(this=table_expr(RANKED_TABLE, "c")),
        where=exp.Where(this=exp.and_(kept("c"), under))))
    grand = all_of([exp.EQ(this=col(f"__g{i}", "q"), expression=exp.Literal.number(1))
                    for i in range(len(names))])
    keep = exp.or_(kept("q"), exp.and_(exp.Not(this=exp.Paren(this=ranked_row("q"))),
                                       exp.or_(grand, below)))
    ranking = select_from([exp.Column(this=exp.Star(), table=ident("q")),
                           alias(window, "__rank")], inner, "q")
    tree = exp.Select(expressions=outer.expressions,
                      from_=exp.From(this=table_expr(RANKED_TABLE, "q")),
                      where=exp.Where(this=keep))
    tree.set("with_", exp.With(expressions=[exp.CTE(
        this=ranking, alias=exp.TableAlias(this=ident(RANKED_TABLE)))]))
    return tree
