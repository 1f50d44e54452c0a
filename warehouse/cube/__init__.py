"""The cube engine: declarative cubes (cubes/*.yaml) compiled to one DuckDB statement per query.

    from warehouse.cube import CubeEngine, PointCut
    with CubeEngine.open() as engine:           # the published snapshot, read-only
        table = engine.query("sales", ["revenue", "customers"], ["date.quarter"],
                             [PointCut("channel.type", "digital")])
"""

from warehouse.cube.compile import Compiled, compile_query
from warehouse.cube.execute import CubeEngine, Result, make_query
from warehouse.cube.model import CubeModel, load_cube_model
from warehouse.cube.query import Cut, Order, PathCut, PointCut, Query, RangeCut, SetCut, TimeCalc, TopN
from warehouse.cube.source import FactSource, Needs, SourcePicker, base_source

__all__ = ["Compiled", "CubeEngine", "CubeModel", "Cut", "FactSource", "Needs", "Order", "PathCut",
           "PointCut", "Query", "RangeCut", "Result", "SetCut", "SourcePicker", "TimeCalc", "TopN",
           "base_source", "compile_query", "load_cube_model", "make_query"]
