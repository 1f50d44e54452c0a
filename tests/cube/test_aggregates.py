"""Aggregate tables: same answers with and without them, the navigation's choices and reasons,
incremental rebuild equal to a full rebuild, and the per-snapshot result cache.

Runs on a tiny SSB database (tests/cube/ssb_fixture.py) with extra aggregates declared for the
tests, covering sums, counts, averages, min/max, filtered, calculated, semi-additive and
distinct-count measures.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cube.ssb_fixture import cubes_with, open_copy, ssb_file
from warehouse.cube import CubeEngine, PointCut, RangeCut, SetCut, TimeCalc, make_query
from warehouse.cube.agg.build import build_aggregates
from warehouse.cube.agg.cache import ResultCache
from warehouse.cube.agg.layout import layout_of
from warehouse.cube.agg.navigate import AggregatePicker
from warehouse.cube.agg.serving import explain_lines
from warehouse.errors import ContractError

EXTRA = {
    "t_month_nation": {
        "levels": ["date.month", "customer.nation", "supplier.region", "discount.discount"],
        "measures": ["revenue", "lines", "avg_discount", "min_price", "max_price", "asia_revenue",
                     "margin_pct", "closing_revenue"]},
    "t_day_region": {"levels": ["date.day", "customer.region"],
                     "measures": ["closing_revenue", "revenue", "lines"]},
    "t_customers": {"levels": ["date.year", "customer.nation", "part.mfgr"],
                    "measures": ["customers", "revenue"]},
}

MEASURES = ["revenue", "lines", "avg_discount", "min_price", "max_price", "asia_revenue",
            "margin_pct", "closing_revenue", "customers", "quantity"]
LEVELS = ["date.year", "date.month", "date.day", "customer.region", "customer.nation",
          "customer.city", "supplier.region", "discount.discount", "part.mfgr", "part.brand"]
CUT_VALUES = {
    "date.year": [1992, 1994, 1997, 1998], "date.month": [199401, 199612, 199807],
    "customer.region": ["ASIA", "EUROPE", "AMERICA"], "customer.nation": ["CHINA", "PERU"],
    "supplier.region": ["ASIA", "AFRICA"], "discount.discount": [0, 3, 7, 10],
    "part.mfgr": ["MFGR#1", "MFGR#4"], "customer.city": ["CHINA    1", "PERU     3"],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    work = tmp_path_factory.mktemp("ssb-agg")
    cubes = cubes_with(work / "cubes", EXTRA)
    con, model, aggregates = open_copy(ssb_file(work), work / "ssb.duckdb", cubes)
    yield con, model, aggregates, cubes
    con.close()


def answer(engine: CubeEngine, query) -> list[tuple]:
    return sorted(engine.run(query).rows(), key=repr)


def engines(world):
    con, model, aggregates, _ = world
    picker = AggregatePicker.from_connection(con, model, aggregates)
    return CubeEngine(con, model), CubeEngine(con, model, picker=picker), picker


def equal(a: list[tuple], b: list[tuple]) -> bool:
    """Exact, but two NaNs (0/0 in a ratio) are the same answer."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, float) and isinstance(v, float) and math.isnan(u) and math.isnan(v):
                continue
            if u != v or type(u) is not type(v):
                return False
    return True


cut_strategy = st.sampled_from(sorted(CUT_VALUES)).flatmap(
    lambda level: st.one_of(
        st.sampled_from(CUT_VALUES[level]).map(lambda v: PointCut(level, v)),
        st.lists(st.sampled_from(CUT_VALUES[level]), min_size=1, max_size=3, unique=True)
        .map(lambda vs: SetCut(level, tuple(vs))),
        st.sampled_from(CUT_VALUES[level]).map(lambda v: SetCut(level, (v,), invert=True)),
        st.sampled_from(CUT_VALUES[level]).map(lambda v: RangeCut(level, v, None)),
    ))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(measures=st.lists(st.sampled_from(MEASURES), min_size=1, max_size=3, unique=True),
       levels=st.lists(st.sampled_from(LEVELS), max_size=3, unique=True),
       cuts=st.lists(cut_strategy, max_size=2, unique_by=lambda c: c.level),
       totals=st.sampled_from(["none", "none", "rollup"]))
def test_same_answers_with_and_without_aggregates(world, measures, levels, cuts, totals):
    base, agg, picker = engines(world)
    if "closing_revenue" in measures and totals != "none":
        totals = "none"
    query = make_query("ssb", measures, levels, cuts, totals=totals)
    expected = base.run(query).rows()
    got = agg.run(query).rows()
    why = "\n".join(line for d in picker.decisions for line in d.lines())
    assert equal(sorted(expected, key=repr), sorted(got, key=repr)), why
    # In the same order too: an aggregate read may be ordered on its Arrow table (compile.py
    # _orders_in_arrow), the base fact's by the statement's ORDER BY.
    assert equal(expected, got), "order differs\n" + why



@pytest.mark.parametrize("subtotals", ["visible", "all"])
def test_top_n_with_subtotals_is_the_same_with_and_without_aggregates(world, subtotals):
    """The kept cells' ranking and the restricted subtotals (distinct counts included) read
    aggregates like any component, and answer as the base fact does."""
    from warehouse.cube import TopN

    base, agg, picker = engines(world)
    query = make_query("ssb", ["revenue", "customers"],
                       ["date.year", "customer.nation"], [PointCut("customer.region", "ASIA")],
                       top=TopN(2, "customers", subtotals=subtotals), totals="rollup")
    expected = base.run(query).rows()
    picker.decisions.clear()
    got = agg.run(query).rows()
    assert equal(expected, got)
    assert all(d.aggregate for d in picker.decisions), [d.lines() for d in picker.decisions]
    assert len([r for r in got if r[2] == 0]) <= 2 * len([r for r in got if r[2] == 1])


GRID = [
    # (measures, levels, cuts, the aggregate that must answer; None = base fact)
    (["revenue", "lines"], ["customer.region"], [], "ssb.t_day_region"),
    (["avg_discount", "min_price", "max_price"], ["date.year", "supplier.region"], [],
     "ssb.t_month_nation"),
    (["asia_revenue", "margin_pct"], ["customer.nation"], [PointCut("discount.discount", 4)],
     "ssb.t_month_nation"),
    (["customers"], ["date.year"], [SetCut("part.mfgr", ("MFGR#1", "MFGR#2"))], "ssb.t_customers"),
    (["customers"], ["customer.region"], [], "ssb.t_customers"),
    (["closing_revenue"], ["date.month", "customer.region"], [], "ssb.t_day_region"),
    (["revenue"], ["date.year", "part.brand"], [PointCut("supplier.region", "ASIA")],
     "ssb.flight2"),
    (["revenue"], ["customer.city"], [], "ssb.flight3_city"),
    (["revenue"], ["part.part"], [], None),
    (["customers"], ["date.month"], [], None),
    (["closing_revenue"], ["customer.nation"], [], None),
]


@pytest.mark.parametrize("measures,levels,cuts,expected", GRID)
def test_navigation_choices(world, measures, levels, cuts, expected):
    base, agg, picker = engines(world)
    query = make_query("ssb", measures, levels, cuts)
    assert equal(answer(base, query), answer(agg, query))
    [decision] = picker.decisions
    assert decision.aggregate == expected, "\n".join(decision.lines())
    usable = [c for c in decision.candidates if c.usable]
    if expected is not None:   # the smallest table that can answer
        assert min(usable, key=lambda c: c.rows).aggregate == expected
    else:
        assert not usable


def test_one_aggregate_row_per_answer_row_is_read_as_stored(world):
    """Grouping by, or cutting to one member of, every level an aggregate keeps (a level fixing
    its ancestors when the build found the hierarchy strict) reads the stored partials: no GROUP
    BY, same answer and types. Without that evidence the engine re-aggregates."""
    con, model, aggregates, _ = world
    base = CubeEngine(con, model)
    query = make_query("ssb", ["revenue", "lines", "avg_discount", "min_price"],
                       ["date.month", "customer.nation", "discount.discount"],
                       [PointCut("supplier.region", "ASIA")])
    picker = AggregatePicker.from_connection(con, model, aggregates)
    assert "supplier__s_nation" not in picker.determined["agg.ssb__t_month_nation"]
    assert {"date__d_yearmonthnum", "customer__c_nation"} <= \
        picker.determined["agg.ssb__t_month_nation"]
    # week 6 is in every year: a week does not fix its year
    assert "date__d_weeknuminyear" not in picker.determined["agg.ssb__flight1"]
    stored = CubeEngine(con, model, picker=picker).run(query)
    assert picker.decisions[0].aggregate == "ssb.t_month_nation"
    assert "GROUP BY" not in stored.compiled.sql
    unproven = AggregatePicker(model, aggregates, picker.built, determined={})
    regrouped = CubeEngine(con, model, picker=unproven).run(query)
    assert "GROUP BY" in regrouped.compiled.sql
    expected = base.run(query)
    for got in (stored, regrouped):
        assert got.table.schema == expected.table.schema
        assert equal(sorted(got.rows(), key=repr), sorted(expected.rows(), key=repr))
    # a set of two members is not one member: summed over both
    two = query.with_(cuts=(SetCut("supplier.region", ("ASIA", "AFRICA")),))
    assert "GROUP BY" in CubeEngine(con, model, picker=picker).compile(two).sql


def reasons(picker, name: str) -> tuple[str, ...]:
    [decision] = picker.decisions
    return next(c.reasons for c in decision.candidates if c.aggregate == f"ssb.{name}")


def test_explain_reasons(world):
    _, agg, picker = engines(world)
    agg.run(make_query("ssb", ["customers"], ["date.month"], [PointCut("part.brand", "MFGR#121")]))
    assert "non-additive measure customers not stored" in reasons(picker, "t_month_nation")
    assert "filter on part.brand, a level it lacks" in reasons(picker, "t_customers")
    assert "missing level date.month" in reasons(picker, "t_customers")

    picker.decisions.clear()
    agg.run(make_query("ssb", ["closing_revenue"], ["date.year"]))
    assert any("semi-additive closing_revenue" in r and "day kept" in r
               for r in reasons(picker, "t_month_nation"))

    picker.decisions.clear()
    agg.run(make_query("ssb", ["revenue"], ["date.month"],
                       time=(TimeCalc("revenue", "last_year"),)))
    # The shifted component (last year's revenue) cannot use an aggregate; the current one can.
    shifted = [d for d in picker.decisions
               if any("time-intelligence" in r for c in d.candidates for r in c.reasons)]
    assert len(shifted) == 1 and shifted[0].aggregate is None
    assert all(any("time-intelligence" in r for r in c.reasons) for c in shifted[0].candidates)
    assert any(d.aggregate is not None for d in picker.decisions)

    _, lines = explain_lines(agg, make_query("ssb", ["revenue"], ["supplier.region"]))
    assert lines[0].startswith("ssb: answered from aggregate ssb.")
    assert any("cannot: " in line for line in lines)
    _, lines = explain_lines(agg, make_query("ssb", ["revenue"], ["part.part"]))
    assert lines[0] == "ssb: answered from the base fact main.lineorder"
    assert "missing level part.part" in "\n".join(lines)


def test_stale_definition_is_not_used(world):
    con, model, aggregates, _ = world
    picker = AggregatePicker(model, aggregates, {
        table: ("0000", rows) for table, (_, rows) in
        AggregatePicker.from_connection(con, model, aggregates).built.items()})
    CubeEngine(con, model, picker=picker).run(make_query("ssb", ["revenue"], ["date.year"]))
    [decision] = picker.decisions
    assert decision.aggregate is None
    assert all("older definition" in c.reasons[0] for c in decision.candidates)


def test_declaration_errors_name_file_and_key(world, tmp_path):
    _, model, _, _ = world
    from warehouse.cube.agg.spec import load_aggregates
    bad = cubes_with(tmp_path / "bad", {"oops": {"levels": ["date.fortnight"],
                                                  "measures": ["revenue"]}})
    with pytest.raises(ContractError, match=r"ssb\.yaml: cubes\.ssb\.aggregates\.oops\.levels\[0\]"):
        load_aggregates(model, bad)
    bad = cubes_with(tmp_path / "bad2", {"oops": {"levels": ["date.year"], "measures": ["nope"]}})
    with pytest.raises(ContractError, match=r"aggregates\.oops\.measures\[0\]: unknown measure"):
        load_aggregates(model, bad)
    bad = cubes_with(tmp_path / "bad3", {"oops": {"levels": ["date.year"], "measure": ["revenue"]}})
    with pytest.raises(ContractError, match=r"measure"):
        load_aggregates(model, bad)
    bad = cubes_with(tmp_path / "bad4", {"oops": {"levels": ["date.month"], "measures": ["revenue"],
                                                   "order_by": ["customer.region"]}})
    with pytest.raises(ContractError, match=r"aggregates\.oops\.order_by\[0\]: 'customer\.region' "
                                            r"is not a level this aggregate keeps"):
        load_aggregates(model, bad)


def test_order_by_sorts_the_table_by_those_levels_first(world):
    _, model, aggregates, _ = world
    cube = model.cube("ssb")
    brand = next(a for a in aggregates["ssb"] if a.name == "flight4_brand")
    order = layout_of(cube, brand).select(cube).args["order"].expressions
    assert [o.this.name for o in order[:4]] == ["part__p_category", "supplier__s_nation",
                                                "customer__c_region", "date__d_year"]
    assert len(order) == len({o.this.name for o in order})     # each column once


# ---- incremental rebuild ---------------------------------------------------------------------

def table_rows(con, table: str) -> list[tuple]:
    return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def full_rows(con, model, agg) -> list[tuple]:
    cube = model.cube(agg.cube)
    return sorted(con.execute(layout_of(cube, agg).select(cube).sql("duckdb")).fetchall(), key=repr)


@pytest.fixture
def loaded(world, tmp_path):
    """A copy whose fact carries _load_id, with meta.table_changes, aggregates built by L1."""
    _, _, _, cubes = world
    con, model, aggregates = open_copy(ssb_file(tmp_path.parent / "ssb-cache"),
                                       tmp_path / "inc.duckdb", cubes, build_aggs=False)
    con.execute("ALTER TABLE lineorder ADD COLUMN _load_id VARCHAR DEFAULT 'L1'")
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute("CREATE TABLE meta.table_changes (load_id VARCHAR, table_name VARCHAR, "
                "rows_before BIGINT, rows_deleted BIGINT, rows_inserted BIGINT, "
                "rows_updated BIGINT, rows_after BIGINT, columns_updated VARCHAR[], "
                "PRIMARY KEY (load_id, table_name))")
    first = build_aggregates(con, model, aggregates, load_id="L1")
    assert {r.mode for r in first} == {"full"}
    yield con, model, aggregates
    con.close()


def test_delta_merge_equals_full_rebuild(loaded):
    """The load keeps the fact rows it deleted: every aggregate is merged from the deltas
    (sums, counts, averages, min/max, filtered and distinct-count measures), including a
    deleted maximum nothing replaces (its groups are recomputed) and a month emptied of rows,
    and ends equal to a full rebuild."""
    con, model, aggregates = loaded
    replaced = "_replaced_lineorder"
    con.execute(f"CREATE TEMP TABLE {replaced} AS SELECT * FROM lineorder LIMIT 0")
    simulate_load(con, keep_deleted=replaced)
    top = ("lo_extendedprice = (SELECT max(lo_extendedprice) FROM lineorder WHERE "
           "lo_orderdate BETWEEN DATE '1996-01-01' AND DATE '1996-01-31')")
    con.execute(f"INSERT INTO {replaced} SELECT * FROM lineorder WHERE {top}")
    con.execute(f"DELETE FROM lineorder WHERE {top}")
    gone = "lo_orderdate BETWEEN DATE '1993-07-01' AND DATE '1993-07-31'"
    con.execute(f"INSERT INTO {replaced} SELECT * FROM lineorder WHERE {gone}")
    con.execute(f"DELETE FROM lineorder WHERE {gone}")
    results = {r.aggregate: r for r in build_aggregates(con, model, aggregates, load_id="L2")}
    recomputed = 0
    for aggs in aggregates.values():
        for agg in aggs:
            result = results[agg.label]
            if layout_of(model.cube(agg.cube), agg).partition is not None:
                assert "merged from L2" in result.reason and result.mode == "incremental", result
                assert result.partitions_rebuilt == 0, result      # the deltas were exact
                recomputed += int(re.search(r"\((\d+) recomputed", result.reason).group(1))
            assert table_rows(con, agg.table) == full_rows(con, model, agg), agg.label
    assert recomputed > 0       # the deleted maximum was the extreme of some groups
    # A second refresh for the same load (a retry) must not merge the deltas twice.
    again = {r.aggregate: r for r in build_aggregates(con, model, aggregates, load_id="L2")}
    assert all("merged from L2" not in r.reason for r in again.values()), again
    for aggs in aggregates.values():
        for agg in aggs:
            assert table_rows(con, agg.table) == full_rows(con, model, agg), agg.label


def test_deltas_and_a_label_corrected_in_place_together_equal_full_rebuild(loaded):
    """A load that changes facts and corrects a kept dimension attribute in place: the fact
    changes are merged from deltas, and only the partitions holding facts of the corrected
    member (recorded per row by the dimension step) are rebuilt."""
    con, model, aggregates = loaded
    replaced = "_replaced_lineorder"
    con.execute(f"CREATE TEMP TABLE {replaced} AS SELECT * FROM lineorder LIMIT 0")
    simulate_load(con, keep_deleted=replaced)
    con.execute("ALTER TABLE customer ADD COLUMN _load_id VARCHAR DEFAULT 'L1'")
    con.execute("UPDATE customer SET c_nation = 'PERU', _load_id = 'L2' WHERE c_custkey = 7")
    con.execute("CREATE TEMP TABLE _dim_updated_customer AS SELECT 7::BIGINT AS sk, "
                "['c_nation'] AS changed_columns")
    _record_in_place_change(con, "main.customer", ["c_nation", "_load_id"])
    results = {r.aggregate: r for r in build_aggregates(con, model, aggregates, load_id="L2")}
    month_nation = results["ssb.t_month_nation"]
    assert "merged from L2" in month_nation.reason and "main.customer" in month_nation.reason
    agg = next(a for aggs in aggregates.values() for a in aggs
               if a.label == "ssb.t_month_nation")
    partition = layout_of(model.cube(agg.cube), agg).partition
    total = con.execute(f"SELECT count(DISTINCT {partition}) FROM {agg.table}").fetchone()[0]
    assert 0 < month_nation.partitions_rebuilt < total, month_nation
    for aggs in aggregates.values():
        for agg in aggs:
            assert table_rows(con, agg.table) == full_rows(con, model, agg), agg.label


def test_label_corrected_in_place_with_its_previous_row_merges_as_deltas(loaded):
    """With the dimension step's copy of the corrected rows as they were, the corrected
    members' facts move between groups as deltas: no partition is rebuilt, and the tables
    still equal a full rebuild (including the facts of those members the load replaced)."""
    con, model, aggregates = loaded
    changed = "c_custkey IN (7, (SELECT lo_custkey FROM lineorder WHERE lo_orderdate >= "
    changed += "DATE '1998-05-01' AND lo_orderkey % 7 = 1 LIMIT 1))"
    correct_in_place(con, changed, {"c_nation": "PERU", "c_city": "PERU     0"})
    simulate_load(con, keep_deleted="_replaced_lineorder")
    results = {r.aggregate: r for r in build_aggregates(con, model, aggregates, load_id="L2")}
    month_nation = results["ssb.t_month_nation"]
    assert "main.customer changed in place merged as deltas" in month_nation.reason, month_nation
    assert month_nation.partitions_rebuilt == 0, month_nation
    for aggs in aggregates.values():
        for agg in aggs:
            assert table_rows(con, agg.table) == full_rows(con, model, agg), agg.label


def test_when_deltas_cannot_merge_the_changed_members_partitions_are_still_rebuilt(
        loaded, monkeypatch):
    """The same corrected label, but the merge is refused (as for floating-point sums): the
    fallback rebuilds the partitions the load touched and those holding the corrected
    members' facts, so every table still equals a full rebuild."""
    import warehouse.cube.agg.build as build

    def refuse(*_args, **_kwargs):
        raise build.DeltaNotApplicable("refused by the test")

    monkeypatch.setattr(build, "apply_delta", refuse)
    con, model, aggregates = loaded
    correct_in_place(con, "c_custkey = 7", {"c_nation": "PERU"})
    simulate_load(con, keep_deleted="_replaced_lineorder")
    results = {r.aggregate: r for r in build_aggregates(con, model, aggregates, load_id="L2")}
    assert "refused by the test" in results["ssb.t_month_nation"].reason
    for aggs in aggregates.values():
        for agg in aggs:
            assert table_rows(con, agg.table) == full_rows(con, model, agg), agg.label


def test_merge_that_breaks_a_strict_hierarchy_drops_its_determined_key(loaded):
    """A nation that fixed its region before the load no longer does once one customer of it
    is moved to another region in place: the check after the merge, reading only the rows
    sharing a key with the changed groups, finds it, and a query grouping by nation through
    the aggregate still equals the base facts."""
    con, model, aggregates = loaded
    nation = con.execute("SELECT c_nation FROM customer WHERE c_custkey = 7").fetchone()[0]
    correct_in_place(con, "c_custkey = 7", {"c_region": "MIDDLE EAST"})
    before = dict(con.execute("SELECT name, determined FROM meta.aggregates").fetchall())
    assert "customer__c_nation" in before["t_month_nation"].split(",")
    results = {r.aggregate: r for r in build_aggregates(con, model, aggregates, load_id="L2")}
    assert results["ssb.t_month_nation"].partitions_rebuilt == 0, results["ssb.t_month_nation"]
    after = dict(con.execute("SELECT name, determined FROM meta.aggregates").fetchall())
    assert "customer__c_nation" not in after["t_month_nation"].split(",")
    assert "date__d_yearmonthnum" in after["t_month_nation"].split(",")
    base = CubeEngine(con, model)
    picker = AggregatePicker.from_connection(con, model, aggregates)
    query = make_query("ssb", ["revenue", "lines"], ["customer.nation", "customer.region"],
                       [PointCut("customer.nation", nation)])
    via_agg = CubeEngine(con, model, picker=picker).run(query)
    assert picker.decisions[0].aggregate is not None
    assert sorted(via_agg.rows()) == sorted(base.run(query).rows())
    assert len(via_agg.rows()) == 2


def test_safety_net_rebuilds_a_partition_whose_rows_went_missing(loaded):
    """After a merge from deltas, the totals of fact and aggregate rows are compared; when they
    disagree (here: an aggregate row lost outside any load), the partitions whose counts
    differ are rebuilt."""
    con, model, aggregates = loaded
    replaced = "_replaced_lineorder"
    con.execute(f"CREATE TEMP TABLE {replaced} AS SELECT * FROM lineorder LIMIT 0")
    simulate_load(con, keep_deleted=replaced)
    agg = next(a for aggs in aggregates.values() for a in aggs if a.label == "ssb.flight2")
    partition = layout_of(model.cube(agg.cube), agg).partition
    con.execute(f"DELETE FROM {agg.table} WHERE {partition} = (SELECT min({partition}) "
                f"FROM {agg.table})")
    result = next(r for r in build_aggregates(con, model, aggregates, load_id="L2")
                  if r.aggregate == "ssb.flight2")
    assert "merged from L2" in result.reason and result.partitions_rebuilt == 1, result
    assert table_rows(con, agg.table) == full_rows(con, model, agg)


def correct_in_place(con, which: str, values: dict[str, str]) -> None:
    """What the dimension step does for a type-1 correction in load L2: the customers `which`
    selects are recorded with the columns changed and kept as they were, then overwritten.
    Also starts the record of fact rows the load deletes (empty)."""
    con.execute("CREATE TEMP TABLE _replaced_lineorder AS SELECT * FROM lineorder LIMIT 0")
    con.execute("ALTER TABLE customer ADD COLUMN _load_id VARCHAR DEFAULT 'L1'")
    con.execute(f"CREATE TEMP TABLE _dim_before_customer AS SELECT * FROM customer WHERE {which}")
    columns = "[" + ", ".join(f"'{c}'" for c in values) + "]"
    con.execute(f"CREATE TEMP TABLE _dim_updated_customer AS SELECT c_custkey::BIGINT AS sk, "
                f"{columns} AS changed_columns FROM customer WHERE {which}")
    sets = ", ".join(f"{c} = '{v}'" for c, v in values.items())
    con.execute(f"UPDATE customer SET {sets}, _load_id = 'L2' WHERE {which}")
    _record_in_place_change(con, "main.customer", [*values, "_load_id"])


def simulate_load(con, keep_deleted: str | None = None) -> None:
    """What a nightly load does to a fact: replace affected keys, stamped with the load id.
    Recent orders change (some move to another date, some get a new revenue), rows of one old
    month are deleted outright (nothing new lands there: only its row count tells), and new
    orders arrive."""
    def delete(condition: str) -> None:
        if keep_deleted:    # what the nightly load keeps of the rows it deletes from a fact
            con.execute(f"INSERT INTO {keep_deleted} SELECT * FROM lineorder "
                        f"WHERE {condition}")
        con.execute(f"DELETE FROM lineorder WHERE {condition}")

    recent = "lo_orderdate >= DATE '1998-05-01' AND lo_orderkey % 7 = 1"
    con.execute(f"CREATE TEMP TABLE moved AS SELECT * FROM lineorder WHERE {recent}")
    delete(recent)
    con.execute("INSERT INTO lineorder SELECT * REPLACE (lo_orderdate + INTERVAL 20 DAY AS "
                "lo_orderdate, lo_revenue + 1 AS lo_revenue, 'L2' AS _load_id) FROM moved "
                "WHERE lo_linenumber <= 2")
    delete("lo_orderdate BETWEEN DATE '1995-03-01' AND DATE '1995-03-31' "
           "AND lo_orderkey % 5 = 0")
    con.execute("INSERT INTO lineorder SELECT * REPLACE (lo_orderkey + 10000000 AS lo_orderkey, "
                "lo_orderdate + INTERVAL 10 DAY AS lo_orderdate, 'L2' AS _load_id) "
                "FROM lineorder WHERE lo_orderdate BETWEEN DATE '1998-06-01' AND DATE '1998-06-30'")


def test_incremental_rebuild_equals_full_rebuild(loaded):
    con, model, aggregates = loaded
    simulate_load(con)
    results = {r.aggregate: r for r in build_aggregates(con, model, aggregates, load_id="L2")}
    partitioned = [a for aggs in aggregates.values() for a in aggs
                   if layout_of(model.cube(a.cube), a).partition is not None]
    assert partitioned
    for agg in partitioned:
        result = results[agg.label]
        assert result.mode == "incremental", result
        total = con.execute(f"SELECT count(DISTINCT {layout_of(model.cube(agg.cube), agg).partition}"
                            f") FROM {agg.table}").fetchone()[0]
        assert 0 < result.partitions_rebuilt < total, result   # only some partitions
        assert table_rows(con, agg.table) == full_rows(con, model, agg), agg.label
    # And the answers through the engine equal the base facts after the load.
    base = CubeEngine(con, model)
    agg_engine = CubeEngine(con, model,
                            picker=AggregatePicker.from_connection(con, model, aggregates))
    for q in (make_query("ssb", ["revenue", "lines"], ["date.month"]),
              make_query("ssb", ["customers"], ["date.year", "part.mfgr"])):
        assert answer(base, q) == answer(agg_engine, q)


def test_unchanged_load_rebuilds_nothing(loaded):
    con, model, aggregates = loaded
    results = build_aggregates(con, model, aggregates, load_id="L2")
    assert {r.mode for r in results if r.partitions_rebuilt is not None} == {"unchanged"}


def _record_in_place_change(con, table: str, columns: list[str] | None) -> None:
    con.execute("INSERT OR REPLACE INTO meta.table_changes (load_id, table_name, rows_before, "
                "rows_deleted, rows_inserted, rows_updated, rows_after, columns_updated) "
                "VALUES ('L2', ?, 1, 0, 0, 1, 1, ?)", [table, columns])


def test_dimension_change_in_a_column_no_aggregate_keeps_rebuilds_nothing(loaded):
    con, model, aggregates = loaded
    con.execute("UPDATE customer SET c_phone = '00-000' WHERE c_custkey = 7")
    _record_in_place_change(con, "main.customer", ["c_phone"])
    results = build_aggregates(con, model, aggregates, load_id="L2")
    assert {r.mode for r in results if r.partitions_rebuilt is not None} == {"unchanged"}


def test_dimension_with_load_ids_rebuilds_only_its_changed_members_partitions(loaded):
    """A type-1 correction of a kept attribute, in a dimension stamped with _load_id: the
    partitions holding the changed customer's facts are rebuilt, not the whole table."""
    con, model, aggregates = loaded
    con.execute("ALTER TABLE customer ADD COLUMN _load_id VARCHAR DEFAULT 'L1'")
    con.execute("UPDATE customer SET c_nation = 'PERU', _load_id = 'L2' WHERE c_custkey = 7")
    _record_in_place_change(con, "main.customer", ["c_nation", "_load_id"])
    results = {r.aggregate: r for r in build_aggregates(con, model, aggregates, load_id="L2")}
    month_nation = results["ssb.t_month_nation"]
    assert month_nation.mode == "incremental", month_nation
    agg = next(a for aggs in aggregates.values() for a in aggs
               if a.label == "ssb.t_month_nation")
    partition = layout_of(model.cube(agg.cube), agg).partition
    total = con.execute(f"SELECT count(DISTINCT {partition}) FROM {agg.table}").fetchone()[0]
    assert 0 < month_nation.partitions_rebuilt < total, month_nation
    assert results["ssb.flight2"].mode == "unchanged"
    for aggs in aggregates.values():
        for agg in aggs:
            assert table_rows(con, agg.table) == full_rows(con, model, agg), agg.label


def test_dimension_changed_in_place_forces_full_rebuild(loaded):
    """The test's customer table has no _load_id to tell the changed members by: in full."""
    con, model, aggregates = loaded
    con.execute("UPDATE customer SET c_nation = 'PERU' WHERE c_custkey = 7")
    _record_in_place_change(con, "main.customer", ["c_nation"])
    results = {r.aggregate: r for r in build_aggregates(con, model, aggregates, load_id="L2")}
    assert results["ssb.t_month_nation"].mode == "full"
    assert "main.customer" in results["ssb.t_month_nation"].reason
    assert results["ssb.flight2"].mode == "unchanged"       # keeps no customer attribute
    for aggs in aggregates.values():
        for agg in aggs:
            assert table_rows(con, agg.table) == full_rows(con, model, agg), agg.label


# ---- result cache ----------------------------------------------------------------------------

def test_result_cache_is_per_snapshot():
    cache = ResultCache(max_entries=2)
    calls = []

    def run(value):
        calls.append(value)
        return value

    assert cache.fetch("S1", "SELECT 1", [Decimal("1")], lambda: run("a")) == ("a", False)
    assert cache.fetch("S1", "SELECT 1", [Decimal("1")], lambda: run("b")) == ("a", True)
    assert cache.fetch("S1", "SELECT 1", [1], lambda: run("c")) == ("c", False)  # other type
    assert cache.fetch("S2", "SELECT 1", [Decimal("1")], lambda: run("d")) == ("d", False)
    assert len(cache) == 1                           # the new snapshot dropped S1's answers
    assert calls == ["a", "c", "d"]


# ---- in the warehouse: built by the nightly load, used by CubeEngine.open ------------------

def test_nightly_load_builds_and_engine_uses_sales_aggregates(demo_wh):
    engine = demo_wh
    built = engine.con.execute(
        "SELECT name, mode, load_id, reason, rows FROM meta.aggregates WHERE cube = 'sales' "
        "ORDER BY name").fetchall()
    assert [b[0] for b in built] == ["by_month", "by_month_customer"]
    last_load = engine.con.execute("SELECT max(load_id) FROM meta.loads").fetchone()[0]
    assert all(b[2] == last_load and b[3] and b[4] > 0 for b in built), built
    assert {b[1] for b in built} <= {"full", "incremental", "unchanged"}
    # After the incremental loads, merged from the fact's deltas, and equal to a full build.
    assert all("merged from" in b[3] for b in built), built
    from warehouse.cube.agg.spec import load_aggregates
    from warehouse.cube.model import CUBES_DIR
    for agg in load_aggregates(engine.model, CUBES_DIR)["sales"]:
        assert table_rows(engine.con, agg.table) == full_rows(engine.con, engine.model, agg)

    query = make_query("sales", ["revenue", "customers"],
                       ["date.month", "customer.region"])
    _, lines = explain_lines(engine, query)
    assert lines[0] == "sales: answered from aggregate sales.by_month_customer " \
                       "(agg.sales__by_month_customer) instead of core.fact_sales_line", lines
    assert any("sales.by_month [" in line and "customers not stored" in line for line in lines)
    plain = CubeEngine(engine.con, engine.model)
    for q in (query, make_query("sales", ["revenue", "lines", "online_revenue"],
                                ["product.category"], [PointCut("channel.type", "digital")])):
        assert equal(answer(plain, q), answer(engine, q))


def test_aggregate_answers_ordered_in_arrow_keep_the_sql_order(demo_wh):
    """A read of an aggregate table is ordered on its Arrow table (a level's sort attribute
    read as a hidden column, then dropped): the same rows, columns and order as the base
    fact's ORDER BY; a measure order, LIMIT or a float level stay ORDER BY in SQL."""
    engine = demo_wh
    plain = CubeEngine(engine.con, engine.model)
    for q in (make_query("sales", ["revenue"], ["customer.customer"]),
              make_query("sales", ["revenue", "lines"], ["date.month", "customer.region"])):
        got, want = engine.run(q), plain.run(q)
        assert got.compiled.order and " ORDER BY " not in got.compiled.sql, got.compiled.sources
        assert any(": agg." in s for s in got.compiled.sources), got.compiled.sources
        assert got.columns == want.columns
        assert got.rows() == want.rows()
    for q in (make_query("sales", ["revenue"], ["customer.customer"], order=["-revenue"]),
              make_query("sales", ["revenue"], ["customer.customer"], limit=5)):
        got = engine.run(q)
        assert got.compiled.order is None and " ORDER BY " in got.compiled.sql
        assert got.rows() == plain.run(q).rows()


def test_partial_sums_too_big_for_decimal18_fall_back_to_decimal38(tmp_path):
    cubes = cubes_with(tmp_path / "cubes", {"t_year": {"levels": ["date.year"],
                                                       "measures": ["revenue"]}})
    con, model, aggregates = open_copy(ssb_file(tmp_path.parent / "ssb-cache"),
                                       tmp_path / "big.duckdb", cubes, build_aggs=False)
    con.execute("UPDATE lineorder SET lo_revenue = 9999999999999.99")   # ~1e16 a year and more
    results = {r.aggregate: r for r in build_aggregates(con, model, aggregates, full=True)}
    assert "DECIMAL(38)" in results["ssb.t_year"].reason
    dtype = con.execute("SELECT data_type FROM duckdb_columns() WHERE table_name = "
                        "'ssb__t_year' AND column_name = 'revenue'").fetchone()[0]
    assert dtype == "DECIMAL(38,2)"
    picker = AggregatePicker.from_connection(con, model, aggregates)
    query = make_query("ssb", ["revenue"], ["date.year"])
    got = answer(CubeEngine(con, model, picker=picker), query)
    assert picker.decisions[0].aggregate == "ssb.t_year"
    assert got == answer(CubeEngine(con, model), query)
    assert got[0][1] > Decimal("9.3e15")
    con.close()


def test_undeclared_aggregate_tables_are_dropped(loaded):
    from warehouse.cube.agg.refresh import drop_undeclared
    con, _, aggregates = loaded
    keep = {a.table for a in aggregates["ssb"] if a.name != "flight2"}
    assert drop_undeclared(con, keep) == ["agg.ssb__flight2"]
    left = {r[0] for r in con.execute("SELECT table_name FROM meta.aggregates").fetchall()}
    assert left == keep
    assert drop_undeclared(con, keep) == []


def test_a_path_cut_needs_every_level_of_its_path(world):
    """customer ASIA > CHINA filters on nation too: t_day_region (region only) cannot answer."""
    from warehouse.cube import PathCut

    base, agg, picker = engines(world)
    query = make_query("ssb", ["revenue", "lines"], ["customer.region"],
                       [PathCut("customer", ("ASIA", "CHINA"), "geography")])
    expected = answer(base, query)
    assert expected and equal(expected, answer(agg, query))
    [decision] = picker.decisions
    assert decision.aggregate != "ssb.t_day_region", "\n".join(decision.lines())
    assert "filter on customer.nation, a level it lacks" in reasons(picker, "t_day_region")
