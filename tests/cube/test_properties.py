"""Property tests: hypothesis draws random cube queries over every CRM cube and compares each
engine answer with the pandas oracle (tests/cube/pandas_oracle.py) over the flat joined data.

Queries: random measures of sales, invoices, payments, receivables, service, campaign,
customer_snapshot (semi-additive balances) and customer360 (drill-across); random levels;
point, set, range and hierarchy-path cuts, inverted or not, and cuts matching nothing; segments;
totals (rollup and cube); time calculations at year, quarter, month, fiscal year and fiscal
quarter with and without totals; top-N within parent, without and with totals (subtotals of
the visible members or of all).

Data: the demo warehouse (NULL members such as B2C customers' industry, the unknown member -1
of sales_org, campaign, invoice customers and resolved dates, an inferred late-arriving
customer with sales, a customer whose type-2 move splits its snapshot rows), the mini sources
(a moved customer with sales on both versions, a late customer, an unmatched debtor) and the
mini sources with orders over three years, one of unknown date. test_the_data_has_the_traps
checks that those stay there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.cube import pandas_oracle as oracle
from tests.cube.answers import cells
from warehouse.cube import PathCut, PointCut, RangeCut, SetCut, TimeCalc, TopN, make_query
from warehouse.errors import UserError

# warehouse fixture -> examples of (random queries, time calculations, top-N)
WAREHOUSES = {"demo_wh": (400, 100, 150), "mini_wh": (100, 50, 50),
              "mini_time_wh": (100, 100, 50)}
CUBES = ["sales", "invoices", "payments", "receivables", "service", "campaign",
         "customer_snapshot", "customer360"]


@dataclass
class World:
    name: str
    engine: object
    frames: dict
    dims: dict
    _members: dict = field(default_factory=dict)

    def members(self, cube: str, level: str) -> list:
        """The level's members in the cube's facts (NULL included), sorted, NULL last. Where
        the facts have no rows: a few members of the dimension (a value of the fact column's
        type for a degenerate level), which match nothing."""
        if (cube, level) not in self._members:
            values = set()
            for fact in oracle.facts_of(cube):
                column = oracle.levels_of(fact)[level]
                values |= {oracle.plain(v) for v in self.frames[fact][column].unique()}
            if not values:
                values = self._stand_ins(cube, level)
            self._members[cube, level] = sorted(values, key=oracle.null_last)
        return self._members[cube, level]

    def _stand_ins(self, cube: str, level: str) -> set:
        role, name = level.split(".")
        dim = oracle.roles_of(cube).get(role)
        if dim is not None:
            column = self.dims[dim][oracle.DIMENSIONS[dim].levels[name]]
            return {oracle.plain(v) for v in column.unique()[:5]}
        dtype = self.frames[cube][oracle.FACTS[cube].degenerate[level]].dtype
        return {True} if dtype.kind == "b" else {0} if dtype.kind in "iu" else {"x"}


@pytest.fixture(scope="module", params=list(WAREHOUSES))
def world(request):
    engine = request.getfixturevalue(request.param)
    dims: dict = {}
    frames = oracle.load_world(engine.con, dims)
    return World(request.param, engine, frames, dims)


def examples(world: World, which: int) -> settings:
    return settings(max_examples=WAREHOUSES[world.name][which], deadline=None,
                    derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------- strategies


def absent(values: list):
    """A member no fact has, of the level's type."""
    sample = next((v for v in values if v is not None), "x")
    if isinstance(sample, bool):               # NULL or the truth value no row has
        return next((b for b in (None, True, False) if b not in values), None)
    if isinstance(sample, int):
        return -424242
    if isinstance(sample, date):
        return date(1901, 1, 1)
    return "no such member"


@st.composite
def cuts(draw, world: World, cube: str, levels: list[str]):
    """One random cut on one of `levels` (and hierarchies of their roles)."""
    level = draw(st.sampled_from(levels))
    values = world.members(cube, level)
    kind = draw(st.sampled_from(["point", "set", "range", "path", "missing"]))
    invert = draw(st.booleans())
    if kind == "point":
        return PointCut(level, draw(st.sampled_from(values)), invert)
    if kind == "set":
        chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
        return SetCut(level, tuple(chosen), invert)
    if kind == "missing":
        return PointCut(level, absent(values), invert)
    present = [v for v in values if v is not None]
    if kind == "range" and not present:
        # Only the NULL member: a bound of the level's type cannot be told from its members
        # (a text bound on a number level is refused, rightly), so the NULL member is cut.
        return PointCut(level, None, invert)
    present = present or [absent(values)]
    if kind == "range":
        # Bounds from the members or open; low > high is an empty range.
        low = draw(st.none() | st.sampled_from(present))
        high = draw(st.none() | st.sampled_from(present))
        return RangeCut(level, low, high, invert)
    role = level.split(".")[0]
    dim_name = oracle.roles_of(cube).get(role)
    if dim_name is None:                          # a degenerate level: no hierarchy
        return PointCut(level, draw(st.sampled_from(values)), invert)
    dim = oracle.DIMENSIONS[dim_name]
    hierarchy = draw(st.sampled_from(sorted(dim.hierarchies)))
    depth = draw(st.integers(1, len(dim.hierarchies[hierarchy])))
    names = [f"{role}.{lv}" for lv in dim.hierarchies[hierarchy][:depth]]
    facts = [f for f in oracle.facts_of(cube) if len(world.frames[f])]
    if facts and draw(st.booleans()):             # the path of a fact row: it matches
        fact = draw(st.sampled_from(facts))
        row = world.frames[fact].iloc[draw(st.integers(0, len(world.frames[fact]) - 1))]
        cols = oracle.levels_of(fact)
        path = tuple(oracle.plain(row[cols[n]]) for n in names)
    else:                                         # members drawn level by level: may not
        path = tuple(draw(st.sampled_from(world.members(cube, n))) for n in names)
    return PathCut(role, path, None if hierarchy == dim.default else hierarchy, invert)


@st.composite
def queries(draw, world: World):
    cube = draw(st.sampled_from(CUBES))
    levels = sorted(oracle.levels_of(cube))
    measures = draw(st.lists(st.sampled_from(sorted(oracle.measures_of(cube))), min_size=1,
                             max_size=4, unique=True))
    drill = draw(st.lists(st.sampled_from(levels), max_size=3, unique=True))
    chosen = draw(st.lists(cuts(world, cube, levels), max_size=2))
    segments = [] if cube not in oracle.FACTS else draw(st.lists(
        st.sampled_from(sorted(oracle.FACTS[cube].segments) or [None]), max_size=2,
        unique=True))
    segments = [s for s in segments if s is not None]
    totals = draw(st.sampled_from(["none", "rollup", "all"]))
    return cube, measures, drill, chosen, segments, totals


# ---------------------------------------------------------------- comparing answers


def approximate(cube: str, column: str) -> bool:
    """Columns of approximate distinct counts. DuckDB's HyperLogLog is coarse on small sets
    (42% off on one of 78 products, 30% on a month of 68 customers): such a count is checked
    to be 0 exactly when the exact count is, and within a factor of two of it otherwise."""
    kinds = oracle.measures_of(cube)
    name = next((m for m in kinds if column == m or column.startswith(m + "_")), None)
    return name is not None and getattr(kinds[name], "kind", "") == "approx"


def same(a, b, approx: bool = False) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if approx:
        return a == b == 0 or (a > 0 and b > 0 and b / 2 <= a <= 2 * b)
    if isinstance(a, (int, float)) or hasattr(a, "as_tuple"):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)
    return a == b


def describe(world: World, query, want: dict) -> None:
    """Statistics of the examples run (hypothesis.event)."""
    event(f"cube {query.cube}")
    event("empty answer" if not want else "one row" if len(want) == 1 else "several rows")
    if not any(len(oracle.select(world.frames[f], f, query.cuts, query.segments))
               for f in oracle.facts_of(query.cube)):
        event("no fact row selected")
    for cut in query.cuts:
        event(f"{type(cut).__name__}{' inverted' if cut.invert else ''}")
    if query.totals != "none":
        event(f"totals {query.totals}")


def assert_same(cube: str, columns: list[str], got: dict, want: dict) -> None:
    missing, extra = set(want) - set(got), set(got) - set(want)
    assert not missing and not extra, (f"cells only in the oracle: {sorted(missing, key=repr)[:4]}"
                                       f"; only in the engine: {sorted(extra, key=repr)[:4]}")
    for key, values in want.items():
        for column, a, b in zip(columns, got[key], values, strict=True):
            assert same(a, b, approximate(cube, column)), (key, column, a, b)


# ---------------------------------------------------------------- the properties


def test_random_queries_match_the_oracle(world):
    @examples(world, 0)
    @given(queries(world))
    def check(q):
        cube, measures, drill, chosen, segments, totals = q
        query = make_query(cube, measures, drill, chosen, segments=segments, totals=totals)
        want = oracle.answer(world.frames, cube, measures, drill, chosen, segments, totals)
        describe(world, query, want)
        assert_same(cube, measures, cells(world.engine, query, measures), want)

    check()


TIME_CUBES = ["sales", "invoices", "payments", "receivables", "service", "campaign",
              "customer360"]
DATE_LEVELS = ["date.year", "date.quarter", "date.month", "date.fiscal_year",
               "date.fiscal_quarter"]
MONTHS = {"year": 12, "quarter": 3, "month": 1, "fiscal_year": 12, "fiscal_quarter": 3}
SPANS = {"ytd": "year", "qtd": "quarter", "mtd": "month"}


def offset(period: str) -> int:
    """Months after January a period's members start (fiscal years start in April)."""
    return oracle.FISCAL_START - 1 if period.startswith("fiscal_") else 0


def within(inner: str, outer: str) -> bool:
    """Every member of period `inner` lies in one member of `outer` (a day in anything)."""
    if inner == "day" or inner == outer:
        return True
    if outer == "day":
        return False
    return MONTHS[inner] <= MONTHS[outer] and (offset(inner) - offset(outer)) % MONTHS[inner] == 0


def timed_measures(cube: str) -> list[str]:
    """Measures with a time calculation: not semi-additive balances (the engine refuses)."""
    catalogue = oracle.measures_of(cube)
    return sorted(m for m in catalogue
                  if all(catalogue[b].kind not in ("last", "first")
                         for b in oracle.base_names(cube, [m])))
@st.composite
def time_queries(draw, world: World):
    cube = draw(st.sampled_from(TIME_CUBES))
    measures = draw(st.lists(st.sampled_from(timed_measures(cube)), min_size=1, max_size=2,
                             unique=True))
    dates = draw(st.lists(st.sampled_from(DATE_LEVELS), min_size=1, max_size=2, unique=True))
    # Other levels: not of another date role (whose day or week would be the finest time
    # level, and so the calculations' own).
    dated = {r for r, d in oracle.roles_of(cube).items() if d == "date"}
    others = sorted(lv for lv in oracle.levels_of(cube) if lv.split(".")[0] not in dated)
    drill = dates + draw(st.lists(st.sampled_from(others), max_size=1))
    drill = draw(st.permutations(drill))
    kinds = st.tuples(st.sampled_from(["ytd", "qtd", "mtd", "last_year", "previous", "rolling",
                                       "change"]), st.integers(1, 4), st.sampled_from(measures))
    drawn = draw(st.lists(kinds, min_size=1, max_size=3))
    # One column per calculation: n only names rolling ones.
    calcs = list(dict.fromkeys((kind, k if kind == "rolling" else 3, m) for kind, k, m in drawn))
    chosen = draw(st.lists(cuts(world, cube, DATE_LEVELS + others), max_size=2))
    # Date paths down the calendar or fiscal hierarchy (iso weeks do not nest in months).
    chosen = [c for c in chosen if not (isinstance(c, PathCut) and c.dimension == "date"
                                        and c.hierarchy == "iso")]
    totals = draw(st.sampled_from(["none", "rollup"]))
    return cube, measures, drill, chosen, calcs, totals


def cut_periods(chosen) -> list[str]:
    """The periods the query's date cuts name."""
    out = []
    for c in chosen:
        if isinstance(c, PathCut):
            if c.dimension == "date":
                top = ["fiscal_year", "fiscal_quarter"] if c.hierarchy == "fiscal" \
                    else ["year", "quarter"]
                out += [*top, "month", "day"][:len(c.path)]
        elif c.level.startswith("date."):
            out.append(c.level[5:])
    return out


def finest_period(levels: list[str]) -> str | None:
    """The period of the finest date level among `levels` (the first of equals)."""
    dated = [lv[5:] for lv in levels if lv in DATE_LEVELS]
    return min(dated, key=lambda p: MONTHS[p], default=None)


def refused(drill: list[str], chosen, calcs, totals: str) -> bool:
    """Queries the engine must refuse: a to-date calculation with calendar and fiscal levels
    drilled (ambiguous), or whose span does not hold the query's time level (qtd of a year),
    a row's time member split by another date level it groups by (year and fiscal_year),
    or a date cut keeping part of a row's time member (a year row cut on one month: its value
    would cover the month, its window the year)."""
    n = len(drill)
    sets = oracle.grouping_sets(n, totals) or [tuple(range(n))]
    finest = finest_period(drill)
    coarse = {lv[5:] for lv in drill if lv in DATE_LEVELS} - {"month"}
    for kind, _k, _m in calcs:
        if kind in SPANS and kind != "mtd" and len({p.startswith("fiscal_") for p in coarse}) > 1:
            return True
        if kind in SPANS and not within(finest, oracle.span_of(kind, drill)):
            return True
    for s in sets:
        period = finest_period([drill[i] for i in s])
        if period is None:
            continue
        if period != finest and not any(
                kind not in SPANS or within(period, oracle.span_of(kind, drill))
                for kind, _k, _m in calcs):
            continue                             # no window at this subtotal's period
        if any(not within(period, p) for p in cut_periods(chosen)):
            return True
        if any(not within(period, drill[i][5:]) for i in s if drill[i] in DATE_LEVELS):
            return True                          # a year row split by fiscal years
    return False


def test_random_time_calculations_match_the_oracle(world):
    @examples(world, 1)
    @given(time_queries(world))
    def check(q):
        cube, measures, drill, chosen, calcs, totals = q
        time = tuple(TimeCalc(m, kind, n=k) for kind, k, m in calcs)
        query = make_query(cube, measures, drill, chosen, totals=totals, time=time)
        if refused(drill, chosen, calcs, totals):
            event("refused")
            if any("fiscal" in lv for lv in drill):
                event("refused, by a fiscal level")
            with pytest.raises(UserError):
                world.engine.run(query)
            return
        if any("fiscal" in lv for lv in drill):
            event("by a fiscal level")
        columns = measures + [t.column for t in time]
        want = oracle.time_answer(world.frames, cube, measures, drill, chosen, calcs, totals)
        describe(world, query, want)
        assert_same(cube, columns, cells(world.engine, query, columns), want)

    check()


@st.composite
def top_queries(draw, world: World):
    cube = draw(st.sampled_from(CUBES))
    levels = sorted(oracle.levels_of(cube))
    measures = draw(st.lists(st.sampled_from(sorted(oracle.measures_of(cube))), min_size=1,
                             max_size=3, unique=True))
    drill = draw(st.lists(st.sampled_from(levels), min_size=1, max_size=3, unique=True))
    chosen = draw(st.lists(cuts(world, cube, levels), max_size=1))
    by = draw(st.sampled_from(measures))
    # The parent: by default all levels but the last; else any of the drilled levels.
    within = draw(st.none() | st.lists(st.sampled_from(drill), max_size=len(drill) - 1,
                                       unique=True).map(tuple))
    totals = draw(st.sampled_from(["none", "rollup", "all"]))
    top = TopN(draw(st.integers(1, 3)), by, draw(st.booleans()), within,
               draw(st.sampled_from(["visible", "all"])))
    return cube, measures, drill, chosen, top, totals


def test_random_top_n_within_parent_matches_the_oracle(world):
    """Top-N without and with totals (rollup, cube), subtotals of the visible members or of
    all (shown for parents with a kept row under them)."""
    @examples(world, 2)
    @given(top_queries(world))
    def check(q):
        cube, measures, drill, chosen, top, totals = q
        if approximate(cube, top.by):
            return                     # a ranking by an approximate count is not checkable
        query = make_query(cube, measures, drill, chosen, top=top, totals=totals)
        want = oracle.top_answer(world.frames, cube, measures, drill, chosen, (), totals, top)
        describe(world, query, want)
        plain = oracle.answer(world.frames, cube, measures, drill, chosen, (), totals)
        event("some row cut" if len(want) < len(plain) else "nothing cut")
        if totals != "none":
            event(f"top-N subtotals {top.subtotals}")
        assert_same(cube, measures, cells(world.engine, query, measures), want)

    check()


# ---------------------------------------------------------------- the data has the traps


def test_the_data_has_the_traps(demo_wh, mini_wh, mini_time_wh):
    demo = oracle.load_world(demo_wh.con)
    sales = demo["sales"]
    assert sales["customer.industry"].isna().any()                  # NULL members
    assert (sales["sales_org_key"] == -1).any()                     # the unknown member
    assert (demo["invoices"]["customer_key"] == -1).any()
    assert (demo["service"]["resolved_date_key"] == -1).any()
    assert sales["customer.is_inferred"].astype(bool).any()         # a late-arriving member
    day = demo["customer_snapshot"]                                 # one customer, two versions
    assert (day.groupby("customer_id")["customer_key"].nunique() > 1).any()
    mini = oracle.load_world(mini_wh.con)["sales"]
    assert (mini.groupby("customer.customer_id")["customer_key"].nunique() > 1).any()
    assert mini["customer.is_inferred"].astype(bool).any()
    assert (oracle.load_world(mini_wh.con)["invoices"]["customer_key"] == -1).any()
    timed = oracle.load_world(mini_time_wh.con)["sales"]
    assert (timed["order_date_key"] == -1).any()                     # the unknown date

