"""Fixture warehouses for cube tests, built once per session.

`demo_wh`: the demo generator at scale 0.1, loaded for three business dates (so the customer-day
snapshot has several dates and customers have type-2 versions). `mini_wh`: the hand-written
mini sources loaded for two dates (an inferred customer, a moved customer, an unmatched debtor).
Both are read through the published snapshot, read-only, like every reader.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from warehouse.cube.execute import CubeEngine
from warehouse.cube.model import load_cube_model

AS_OF = date(2025, 6, 30)


@pytest.fixture(autouse=True)
def sql_text_is_sqlglots(monkeypatch):
    """Every query a cube test compiles: the engine's own SQL writer (warehouse.cube.sqltext)
    gives exactly sqlglot's DuckDB text."""
    from warehouse.cube import sqltext

    fast = sqltext.to_sql

    def checked(tree):
        text = fast(tree)
        reference = tree.sql(dialect="duckdb")
        assert text == reference, f"sqltext differs from sqlglot:\n{text}\n{reference}"
        return text

    monkeypatch.setattr(sqltext, "to_sql", checked)


@pytest.fixture(scope="session")
def cube_model():
    return load_cube_model()


def _home(tmp_path_factory, name: str, mp: pytest.MonkeyPatch):
    from warehouse.config import home as make_home

    home = make_home(tmp_path_factory.mktemp(name) / "home")
    mp.setenv("CRMWH_HOME", str(home.root))
    mp.delenv("CRMWH_CRM_URL", raising=False)
    mp.delenv("CRMWH_ERP_URL", raising=False)
    return home


def _open_engine(home, cube_model) -> CubeEngine:
    """The served snapshot's engine, with the session's model and its home for the tests."""
    engine = CubeEngine.open(home)
    engine.model = cube_model
    engine.home = home
    return engine


@pytest.fixture(scope="session")
def demo_wh(tmp_path_factory, cube_model):
    from warehouse.demo import advance_demo, init_demo
    from warehouse.load import run_load

    # The environment is set only while building: a session fixture that left CRMWH_* set
    # would reach every later test module (the demo tests once advanced these sources).
    with pytest.MonkeyPatch.context() as mp:
        home = _home(tmp_path_factory, "cube-demo", mp)
        init_demo(home, scale=0.1, seed=11, as_of=AS_OF)
        run_load(home, AS_OF)
        advance_demo(home, days=2)
        for i in (1, 2):
            run_load(home, AS_OF + timedelta(days=i))
    engine = _open_engine(home, cube_model)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def mini_wh(tmp_path_factory, cube_model):
    from tests.mini_sources import DAY2, ERP_DAY2, execute, make_sources
    from warehouse.load import run_load

    with pytest.MonkeyPatch.context() as mp:
        home = _home(tmp_path_factory, "cube-mini", mp)
        crm, erp = make_sources(home.sources)
        mp.setenv("CRMWH_CRM_URL", crm)
        mp.setenv("CRMWH_ERP_URL", erp)
        run_load(home, date(2025, 3, 10))
        execute(crm, *DAY2)
        execute(erp, *ERP_DAY2)
        run_load(home, date(2025, 3, 11))
    engine = _open_engine(home, cube_model)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def mini_time_wh(tmp_path_factory, cube_model):
    """The mini sources' first day plus tests.mini_sources.TIME_ORDERS: sales from November
    2023 to March 2025 with months missing, and one order line of unknown date."""
    from tests.mini_sources import TIME_DAY1, execute, make_sources
    from warehouse.load import run_load

    with pytest.MonkeyPatch.context() as mp:
        home = _home(tmp_path_factory, "cube-mini-time", mp)
        crm, erp = make_sources(home.sources)
        execute(crm, *TIME_DAY1)
        mp.setenv("CRMWH_CRM_URL", crm)
        mp.setenv("CRMWH_ERP_URL", erp)
        run_load(home, date(2025, 3, 10))
    engine = _open_engine(home, cube_model)
    yield engine
    engine.close()
