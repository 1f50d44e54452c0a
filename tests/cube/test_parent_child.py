"""Parent-child hierarchies on a synthetic org chart (the CRM's reps have no manager link):
a member's value is its own plus everything under it, at any depth, cycles included."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from warehouse.cube import CubeEngine, PointCut, make_query
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
    # Bo's subtree (Bo, Di, Ed) grouped by the *ancestor's* department: all of it is sales.
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
