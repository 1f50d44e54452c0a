"""Engine answers as {cell: values} and their comparison with an oracle's, shared by the cube
tests: the cell is the drilled members (and the grouping id when the answer has one: totals or
grouping sets)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from warehouse.cube import Query


def cells(engine, query: Query, columns: list[str]) -> dict[tuple, tuple]:
    """The engine's answer to `query`: {(members..., [grouping_id]): (columns...)}; two rows
    for one cell fail here, since a dict would silently keep one."""
    data = engine.run(query).table.to_pydict()
    keys = [*query.drilldown] + (["grouping_id"] if "grouping_id" in data else [])
    count = len(next(iter(data.values()))) if data else 0
    out = {tuple(data[k][i] for k in keys): tuple(data[c][i] for c in columns)
           for i in range(count)}
    assert len(out) == count, "two answer rows for one cell"
    return out


def close(a: Any, b: Any) -> bool:
    """Equal as numbers (DECIMAL, float or int alike, to 1e-9), or both NULL."""
    return (a is None and b is None) or (
        a is not None and b is not None and math.isclose(float(a), float(b), abs_tol=1e-9))


def assert_cells(got: dict, want: dict, same: Callable[[Any, Any], bool] = close) -> None:
    """The same cells, and in each the same values by `same`."""
    assert set(got) == set(want), sorted(set(got) ^ set(want), key=repr)[:6]
    for key, values in want.items():
        assert all(same(a, b) for a, b in zip(got[key], values, strict=True)), \
            (key, got[key], values)
