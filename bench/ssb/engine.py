"""SSB queries as cube-engine queries (bench/ssb/queries.py CubeQuery -> warehouse.cube Query)."""

from __future__ import annotations

from bench.ssb.queries import CubeQuery, SsbQuery
from warehouse.cube import PointCut, Query, RangeCut, SetCut, make_query
from warehouse.cube.query import Cut

CUBE = "ssb"


def cuts(cq: CubeQuery) -> list[Cut]:
    out: list[Cut] = []
    for level, op, value in cq.cuts:
        if op == "=":
            out.append(PointCut(level, value))
        elif op == "in":
            out.append(SetCut(level, tuple(value)))
        elif op == "between":
            low, high = value
            out.append(RangeCut(level, low, high))
        else:
            raise ValueError(f"cut operator {op!r} not mapped")
    return out


def cube_query(q: SsbQuery | CubeQuery) -> Query:
    cq = q.cube if isinstance(q, SsbQuery) else q
    return make_query(CUBE, cq.measures, cq.drilldown, cuts(cq))
