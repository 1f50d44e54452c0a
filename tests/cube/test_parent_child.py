"""Parent-child hierarchies on a synthetic org chart (the CRM's reps have no manager link):
a member's value is its own plus everything under it, at any depth, cycles included."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from warehouse.cube import CubeEngine, PointCut, SetCut, make_query
from warehouse.cube.browse import drill_down, roll_up
from warehouse.cube.catalog import catalog_from_connection
from warehouse.cube.model import load_cube_model
from warehouse.errors import ContractError

DIMENSIONS = """
dimensions:
  employee:
    table: hr.dim_employee
    key: emp_key
    parent: manager_key
    levels:
      employee: {key: emp_key, label: name}
      organisation: {key: emp_key, label: name, parent_child: true}
      department: {key: dept}
"""
CUBE = """
cubes:
  deals:
    fact: hr.fact_deal
    dimensions:
      employee: {dimension: employee, key: emp_key}
    measures:
      amount: {type: sum, column: amount}
      deals: {type: count}
"""


@pytest.fixture
def org(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA hr")
    # 1 is the boss; 2 and 3 report to 1; 4 to 2; 5 to 4. 6 and 7 manage each other (a cycle).
    con.execute("CREATE TABLE hr.dim_employee AS SELECT * FROM (VALUES "
                "(1, 'Ada', NULL, 'board'), (2, 'Bo', 1, 'sales'), (3, 'Cy', 1, 'ops'), "
                "(4, 'Di', 2, 'sales'), (5, 'Ed', 4, 'sales'), (6, 'Fu', 7, 'x'), "
                "(7, 'Gu', 6, 'x')) t(emp_key, name, manager_key, dept)")
    con.execute("CREATE TABLE hr.fact_deal AS SELECT * FROM (VALUES (1, 10.00::DECIMAL(12,2)), "
                "(2, 20.00), (3, 30.00), (4, 40.00), (5, 50.00), (5, 5.00), (6, 1.00), "
                "(7, 2.00)) t(emp_key, amount)")
    folder = tmp_path / "cubes"
    folder.mkdir()
    (folder / "dimensions.yaml").write_text(DIMENSIONS)
    (folder / "deals.yaml").write_text(CUBE)
    engine = CubeEngine(con, load_cube_model(folder, catalog_from_connection(con)))
    yield engine, folder, con
    con.close()


def test_each_member_sums_its_whole_subtree(org):
    engine, _, _ = org
    got = engine.run(make_query("deals", ["amount", "deals"], ["employee.organisation"])).rows()
    assert {r[0]: (r[2], r[3]) for r in got} == {
        1: (Decimal("155.00"), 6), 2: (Decimal("115.00"), 4), 3: (Decimal("30.00"), 1),
        4: (Decimal("95.00"), 3), 5: (Decimal("55.00"), 2),
        6: (Decimal("3.00"), 2), 7: (Decimal("3.00"), 2)}


def test_a_cut_on_a_manager_selects_everyone_under_them(org):
    engine, _, _ = org
    got = engine.run(make_query("deals", ["amount"], ["employee.department"],
                                [PointCut("employee.organisation", 2)])).rows()
    # Bo's subtree (Bo, Di, Ed), each deal under its own employee's department: all sales.
    assert got == [("sales", Decimal("115.00"))]
    plain = engine.run(make_query("deals", ["amount"], ["employee.employee"],
                                  [PointCut("employee.employee", 2)])).rows()
    assert plain == [(2, "Bo", Decimal("20.00"))]


def test_parent_child_needs_a_parent_column(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA hr")
    con.execute("CREATE TABLE hr.dim_employee (emp_key INT, name TEXT, manager_key INT, dept TEXT)")
    con.execute("CREATE TABLE hr.fact_deal (emp_key INT, amount DECIMAL(12,2))")
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "dimensions.yaml").write_text(DIMENSIONS.replace("    parent: manager_key\n", ""))
    (folder / "deals.yaml").write_text(CUBE)
    with pytest.raises(ContractError, match=r"dimensions\.employee\.levels\.organisation\.parent_child"):
        load_cube_model(folder, catalog_from_connection(con))


# A deeper chart, checked against an oracle walking the flat rows in Python. Depth: Ada 0,
# Bo/Cy 1, Di/Hu/Ivo 2, Ed/Gil 3, Fa 4. Gil and Hu have no deals, Cy none of their own.
CHART = [(1, "Ada", None, "board"), (2, "Bo", 1, "sales"), (3, "Cy", 1, "ops"),
         (4, "Di", 2, "sales"), (5, "Ed", 4, "sales"), (6, "Fa", 5, "ops"), (7, "Gil", 4, "ops"),
         (8, "Hu", 3, "ops"), (9, "Ivo", 3, "sales")]
DEALS = [(1, "web", "10.00"), (2, "shop", "20.00"), (2, "web", "2.00"), (4, "web", "40.00"),
         (5, "shop", "50.00"), (5, "web", "5.00"), (6, "shop", "7.00"), (9, "web", "90.00")]
DEEP_CUBE = """
cubes:
  deals:
    fact: hr.fact_deal
    dimensions:
      employee: {dimension: employee, key: emp_key}
      channel: {degenerate: {channel: channel}}
    measures:
      amount: {type: sum, column: amount}
      deals: {type: count}
      average: {type: avg, column: amount}
"""
NAME = {k: n for k, n, _, _ in CHART}
DEPT = {k: d for k, _, _, d in CHART}


def subtree(member: int) -> set[int]:
    """The member and everyone under it, by walking the manager links."""
    out, todo = set(), [member]
    while todo:
        m = todo.pop()
        if m not in out:
            out.add(m)
            todo += [k for k, _, boss, _ in CHART if boss == m]
    return out


def total(keys=None, channel=None, dept=None) -> Decimal:
    return sum((Decimal(a) for e, c, a in DEALS
                if (keys is None or e in keys) and (channel is None or c == channel)
                and (dept is None or DEPT[e] == dept)), Decimal("0.00"))


@pytest.fixture
def deep(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA hr")
    con.execute("CREATE TABLE hr.dim_employee (emp_key INT, name TEXT, manager_key INT, "
                "dept TEXT)")
    con.executemany("INSERT INTO hr.dim_employee VALUES (?, ?, ?, ?)", CHART)
    con.execute("CREATE TABLE hr.fact_deal (emp_key INT, channel TEXT, amount DECIMAL(12,2))")
    con.executemany("INSERT INTO hr.fact_deal VALUES (?, ?, ?)", DEALS)
    folder = tmp_path / "deep"
    folder.mkdir()
    (folder / "dimensions.yaml").write_text(DIMENSIONS)
    (folder / "deals.yaml").write_text(DEEP_CUBE)
    engine = CubeEngine(con, load_cube_model(folder, catalog_from_connection(con)))
    yield engine
    con.close()


def with_deals(members) -> list[int]:
    """Members whose subtree holds at least one deal (the others have no row)."""
    return sorted(m for m in members if any(e in subtree(m) for e, _, _ in DEALS))


def test_the_rollup_total_counts_each_deal_once(deep):
    got = deep.run(make_query("deals", ["amount", "deals"], ["employee.organisation"],
                              totals="rollup")).rows()
    expected = [(m, NAME[m], 0, total(subtree(m)), sum(e in subtree(m) for e, _, _ in DEALS))
                for m in with_deals(NAME)]
    assert got == [*expected, (None, None, 1, total(), len(DEALS))]
    assert total() == Decimal("224.00")  # each deal once (once per member above it: 699.00)


def test_subtotals_over_another_level_count_each_deal_once(deep):
    got = deep.run(make_query("deals", ["amount", "average"],
                              ["channel.channel", "employee.organisation"],
                              totals="rollup")).rows()
    expected = []
    for ch in ("shop", "web"):
        for m in with_deals(NAME):
            keys = subtree(m)
            rows = [Decimal(a) for e, c, a in DEALS if e in keys and c == ch]
            if rows:
                expected.append((ch, m, NAME[m], 0, total(keys, ch), sum(rows) / len(rows)))
        rows = [Decimal(a) for _, c, a in DEALS if c == ch]
        expected.append((ch, None, None, 1, total(channel=ch), sum(rows) / len(rows)))
    expected.append((None, None, None, 3, total(), total() / len(DEALS)))
    assert [r[:5] for r in got] == [r[:5] for r in expected]
    assert [float(r[5]) for r in got] == pytest.approx([float(r[5]) for r in expected])


def test_all_totals_with_a_second_level_of_the_same_dimension(deep):
    got = deep.run(make_query("deals", ["amount"], ["employee.organisation",
                                                    "employee.department"],
                              totals="all")).rows()
    by_dept = {(r[2], r[3]): r[4] for r in got if r[0] is None}
    assert by_dept == {("ops", 2): total(dept="ops"), ("sales", 2): total(dept="sales"),
                       ("board", 2): total(dept="board"), (None, 3): total()}
    cells = {(r[0], r[2]): r[4] for r in got if r[3] == 0}
    # Each deal falls under the department of its own employee, not of the manager.
    assert cells == {(m, d): total(subtree(m), dept=d) for m in NAME for d in set(DEPT.values())
                     if total(subtree(m), dept=d)}
    members = {r[0]: r[4] for r in got if r[3] == 1}
    assert members == {m: total(subtree(m)) for m in with_deals(NAME)}


def test_a_cut_on_a_manager_keeps_one_row_per_employee_under_them(deep):
    got = deep.run(make_query("deals", ["amount"], ["employee.employee"],
                              [PointCut("employee.organisation", 4)])).rows()
    # Di's subtree: Di, Ed, Gil (no deals) and Fa, three levels under her.
    assert got == [(e, NAME[e], total({e})) for e in sorted(subtree(4)) if total({e})]
    assert [r[0] for r in got] == [4, 5, 6]
    by_dept = deep.run(make_query("deals", ["amount"], ["employee.department"],
                                  [PointCut("employee.organisation", 2)])).rows()
    assert by_dept == [("ops", total(subtree(2), dept="ops")),
                       ("sales", total(subtree(2), dept="sales"))]
    grand = deep.run(make_query("deals", ["amount"], ["employee.employee"],
                                [PointCut("employee.organisation", 1)], totals="rollup")).rows()
    assert grand[-1] == (None, None, 1, total())


def test_overlapping_and_inverted_cuts_count_each_deal_once(deep):
    def amount(cut, drill=("channel.channel",)):
        return {r[0]: r[-1] for r in deep.run(make_query("deals", ["amount"], list(drill),
                                                          [cut])).rows()}
    both = amount(SetCut("employee.organisation", (2, 4)))      # Di's subtree is inside Bo's
    assert both == {ch: total(subtree(2), ch) for ch in ("shop", "web")}
    outside = amount(PointCut("employee.organisation", 2, invert=True))
    keys = set(NAME) - subtree(2)
    assert outside == {"web": total(keys, "web")} and total(keys, "shop") == 0
    drilled = amount(PointCut("employee.organisation", 2, invert=True),
                     ("employee.organisation",))
    assert drilled == {m: total(subtree(m) & keys) for m in with_deals(keys)}


def test_a_cut_on_a_drilled_parent_child_level_keeps_those_members(deep):
    got = deep.run(make_query("deals", ["amount"], ["employee.organisation"],
                              [SetCut("employee.organisation", (2, 4))],
                              totals="rollup")).rows()
    # Di is under Bo: the total counts her deals once.
    assert got == [(2, "Bo", 0, total(subtree(2))), (4, "Di", 0, total(subtree(4))),
                   (None, None, 1, total(subtree(2)))]


def test_drill_down_opens_a_manager_into_their_direct_reports(deep):
    query = make_query("deals", ["amount"], ["employee.organisation"], totals="rollup")
    down = drill_down(deep.model, query, {"employee.organisation": 1}, "employee.organisation")
    assert down.drilldown == ("employee.organisation",)
    assert deep.run(down).rows() == [(2, "Bo", 0, total(subtree(2))),
                                     (3, "Cy", 0, total(subtree(3))),
                                     (None, None, 1, total(subtree(1) - {1}))]
    deeper = drill_down(deep.model, down, {"employee.organisation": 4}, "employee.organisation")
    # Di's reports: Ed (with Fa under him); Gil has no deals.
    assert deep.run(deeper).rows() == [(5, "Ed", 0, total(subtree(5))),
                                       (None, None, 1, total(subtree(5)))]
    assert deep.run(roll_up(deep.model, deeper, "employee.organisation")).rows() == \
        deep.run(query).rows()


def test_top_n_with_totals_over_a_parent_child_level(org):
    """Subtotals over all members work (they count each fact once); subtotals of only the
    visible members are refused: a fact counts for every member above its own, so "the facts
    of the kept members" is not one set of facts."""
    from warehouse.cube import TopN
    from warehouse.errors import UserError

    engine, _, _ = org
    levels = ["employee.department", "employee.organisation"]
    with pytest.raises(UserError, match=r"parent-child level employee\.organisation.*"
                                        r"subtotals='all'"):
        engine.run(make_query("deals", ["amount"], levels, top=TopN(1, "amount"),
                              totals="rollup"))
    got = engine.run(make_query("deals", ["amount"], levels, totals="rollup",
                                top=TopN(1, "amount", subtotals="all"))).rows()
    # Per department, the best member by its subtree's deals of that department; ties (Ada
    # and Bo both 115.00 in sales, Fu and Gu 3.00 in the cycle) go to the lower key.
    assert [(r[0], r[1], r[3], r[4]) for r in got] == [
        ("board", 1, 0, Decimal("10.00")), ("board", None, 1, Decimal("10.00")),
        ("ops", 1, 0, Decimal("30.00")), ("ops", None, 1, Decimal("30.00")),
        ("sales", 1, 0, Decimal("115.00")), ("sales", None, 1, Decimal("115.00")),
        ("x", 6, 0, Decimal("3.00")), ("x", None, 1, Decimal("3.00")),
        (None, None, 3, Decimal("158.00"))]
