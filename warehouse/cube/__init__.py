"""The cube engine: declarative cubes (cubes/*.yaml) compiled to one DuckDB statement per query.

    from warehouse.cube import CubeEngine, PointCut
    with CubeEngine.open() as engine:           # the published snapshot, read-only
        table = engine.query("sales", ["revenue", "customers"], ["date.quarter"],
                             [PointCut("channel.type", "digital")])

Names are imported on first use, so `crmwh` commands that never touch a cube do not pay for
DuckDB and Arrow at start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Compiled": "compile", "compile_query": "compile",
    "CubeEngine": "execute", "Result": "execute", "make_query": "execute",
    "CubeModel": "model", "load_cube_model": "model",
    "Cut": "query", "Order": "query", "PathCut": "query", "PointCut": "query", "Query": "query",
    "RangeCut": "query", "SetCut": "query", "TimeCalc": "query", "TopN": "query",
    "FactSource": "source", "Needs": "source", "SourcePicker": "source", "base_source": "source",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"warehouse.cube.{_WHERE[name]}"), name)
