"""The 13 SSB queries through the cube engine equal the hand-written SQL (CI-sized: sf=0.01).

Answers are compared exactly (DECIMAL as Decimal, no floats), on base facts and again with the
four flights' aggregate tables, where every query must be answered by an aggregate.
"""

from __future__ import annotations

import pytest

from bench.ssb.compare import same
from bench.ssb.engine import cube_query
from bench.ssb.model import CUBES
from bench.ssb.queries import QUERIES
from tests.cube.ssb_fixture import open_copy, ssb_file
from warehouse.cube import CubeEngine
from warehouse.cube.agg.navigate import AggregatePicker


@pytest.fixture(scope="module")
def ssb(tmp_path_factory):
    work = tmp_path_factory.mktemp("ssb")
    con, model, aggregates = open_copy(ssb_file(work), work / "ssb.duckdb", CUBES)
    yield con, model, aggregates
    con.close()


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_cube_answers_equal_hand_sql(ssb, query):
    con, model, _ = ssb
    expected = con.execute(query.sql).fetchall()
    got = CubeEngine(con, model).run(cube_query(query))
    ok, why = same(expected, got.rows())
    assert ok, f"{query.name}: {why}"
    assert got.columns[-1] in query.cube.measures


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_aggregate_answers_equal_hand_sql(ssb, query):
    con, model, aggregates = ssb
    picker = AggregatePicker.from_connection(con, model, aggregates)
    got = CubeEngine(con, model, picker=picker).run(cube_query(query))
    ok, why = same(con.execute(query.sql).fetchall(), got.rows())
    assert ok, f"{query.name}: {why}"
    [decision] = picker.decisions
    flight = "flight" + query.name[1]
    assert decision.aggregate is not None and decision.aggregate.startswith(f"ssb.{flight}"), \
        "\n".join(decision.lines())
    assert any(": agg." in s for s in got.compiled.sources), got.compiled.sources
    # Ordered as the base fact's answer (ORDER BY in SQL there, in Arrow here when it can).
    assert got.rows() == CubeEngine(con, model).run(cube_query(query)).rows()


def test_the_data_is_not_trivial(ssb):
    """Most queries return rows at this scale, so equal answers mean something."""
    con, _, _ = ssb
    nonempty = [q.name for q in QUERIES if con.execute(q.sql).fetchall()]
    assert len(nonempty) >= 10, nonempty
