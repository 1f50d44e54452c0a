"""Wiring aggregates into a serving CubeEngine: the picker, the per-snapshot result cache, and
the lines `crmwh explain` prints about them."""

from __future__ import annotations

from pathlib import Path

from warehouse.cube.agg.cache import ResultCache
from warehouse.cube.agg.navigate import AggregatePicker
from warehouse.cube.agg.spec import load_aggregates
from warehouse.cube.model import CUBES_DIR

# One cache per process, shared by its engines; a new snapshot id empties it.
RESULTS = ResultCache()


def attach(engine, snapshot_id: str, cubes_dir: Path | None = None):
    """Give an engine on a published snapshot its aggregate picker and the result cache."""
    aggregates = load_aggregates(engine.model, cubes_dir or CUBES_DIR)
    if aggregates:
        engine.picker = AggregatePicker.from_connection(engine.con, engine.model, aggregates)
    engine.snapshot_id = snapshot_id
    engine.cache = RESULTS
    return engine


def explain_lines(engine, query) -> tuple[object, list[str]]:
    """Compile `query` and say which aggregate answered each component, or why none could."""
    picker = engine.picker
    if isinstance(picker, AggregatePicker):
        picker.decisions.clear()
    compiled = engine.compile(query)
    if not isinstance(picker, AggregatePicker):
        return compiled, ["aggregates: none declared for this cube model"]
    lines = []
    for decision in picker.decisions:
        lines += decision.lines()
    return compiled, lines
