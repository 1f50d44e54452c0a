"""Fixtures for the publish tests: a temporary home, a store, marker snapshots, children."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.publish.publish_helpers import ROWS, Child, PublishFn
from warehouse import duck
from warehouse.config import Home
from warehouse.config import home as make_home
from warehouse.publish import Snapshot, SnapshotStore


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path / "home")


@pytest.fixture
def store(home: Home) -> SnapshotStore:
    return SnapshotStore(home, keep=2)


@pytest.fixture
def publish(store: SnapshotStore) -> PublishFn:
    """Publish a snapshot whose table t holds ROWS rows all marked `marker`."""

    def run(marker: str, *, on: SnapshotStore | None = None, base: Snapshot | None = None,
            business_date: date | None = date(2025, 12, 31)) -> Snapshot:
        target = on or store
        build = target.begin(business_date, base)
        con = duck.connect(build.path)
        con.execute("CREATE OR REPLACE TABLE t AS SELECT ?::VARCHAR AS v, range AS i "
                    "FROM range(?)", [marker, ROWS])
        con.execute("CHECKPOINT")
        con.close()
        return target.publish(build, {"marker": marker, "rows": ROWS})

    return run


@pytest.fixture
def spawn() -> Iterator[Callable[..., Child]]:
    """Start children; any still running at teardown are killed."""
    children: list[Child] = []

    def start(*args: str) -> Child:
        child = Child(*args)
        children.append(child)
        return child

    yield start
    for child in children:
        if child.proc.poll() is None:
            child.proc.kill()
        child.proc.wait()
        for stream in (child.proc.stdin, child.proc.stdout, child.proc.stderr):
            if stream is not None:
                stream.close()
