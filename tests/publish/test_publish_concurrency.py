"""Readers in other processes, a killed loader, and the Reader helper."""

from __future__ import annotations

import json
import os
import signal
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.publish.publish_helpers import ROWS, Child, PublishFn, marker_of, read_marker
from warehouse import duck
from warehouse.errors import LoadError
from warehouse.publish import Build, Reader, SnapshotStore

pytestmark = pytest.mark.timeout(120)


def grow(store: SnapshotStore, base, marker: str, extra: int) -> object:
    """Publish a successor of `base`: every row re-marked, `extra` rows added."""
    build = store.begin(date(2026, 1, 1), base)
    con = duck.connect(build.path)
    con.execute("UPDATE t SET v = ?", [marker])
    con.execute("INSERT INTO t SELECT ?, range FROM range(?)", [marker, extra])
    con.close()
    return store.publish(build, {"marker": marker})


def test_reader_process_keeps_its_snapshot_across_publishes(
        store: SnapshotStore, publish: PublishFn, spawn) -> None:
    n0 = publish("n0")
    reader: Child = spawn("current", str(store.home.root))
    assert reader.line() == "ready"

    n1 = grow(store, n0, "n1", 10)  # copies n0's file while the child holds it read-only
    assert json.loads(reader.ask("read")) == [ROWS, "n0", "n0"]
    n2 = grow(store, n1, "n2", 20)
    assert json.loads(reader.ask("read")) == [ROWS, "n0", "n0"]

    assert store.current().id == n2.id
    assert read_marker(store) == (ROWS + 30, "n2", "n2")
    fresh: Child = spawn("current", str(store.home.root))
    assert fresh.line() == "ready"
    assert json.loads(fresh.ask("read")) == [ROWS + 30, "n2", "n2"]
    assert reader.finish() == 0 and fresh.finish() == 0


def test_killed_build_leaves_the_served_snapshot_untouched(
        store: SnapshotStore, publish: PublishFn, spawn) -> None:
    served = publish("served")
    pointer_before = store.home.pointer.read_bytes()
    loader: Child = spawn("build", str(store.home.root))
    word, build_file = loader.line().split(" ", 1)
    assert word == "writing"
    build_path = Path(build_file)

    # While the child writes its build: readers open the served file without lock errors,
    # the child's build is not an orphan, and publishing it from here is refused.
    assert read_marker(store) == (ROWS, "served", "served")
    assert store.cleanup_orphans() == []
    stolen = Build(id=build_path.name.split(".")[0], path=build_path, base=served,
                   business_date=None)
    with pytest.raises(LoadError, match=f"still open in pid {loader.pid}"):
        store.publish(stolen, {})

    os.kill(loader.pid, signal.SIGKILL)
    loader.proc.wait()

    assert store.current() == served
    assert store.home.pointer.read_bytes() == pointer_before
    assert read_marker(store) == (ROWS, "served", "served")
    assert build_path.exists()

    removed = store.cleanup_orphans()
    assert build_path in removed  # with its .wal: DuckDB was mid-write
    assert all(p.name.startswith(build_path.name) for p in removed)
    assert list(store.home.work.iterdir()) == []

    rerun = publish("rerun", base=served)
    assert store.current() == rerun
    assert read_marker(store) == (ROWS, "rerun", "rerun")


def test_cleanup_keeps_builds_of_this_process(store: SnapshotStore) -> None:
    build = store.begin(None, None)
    assert store.cleanup_orphans() == []
    assert build.path.exists()


def test_cleanup_removes_pointer_temp_files_of_dead_writers(store: SnapshotStore) -> None:
    stale = store.home.pointer.parent / ".current.json.999999999.0a1b2c3d.tmp"
    stale.write_text("{")
    assert store.cleanup_orphans() == [stale]
    assert not stale.exists()


def test_builder_and_readers_never_hit_lock_errors(
        store: SnapshotStore, publish: PublishFn, spawn) -> None:
    n0 = publish("n0")
    outside: Child = spawn("hold", str(n0.path))
    assert outside.line() == "ready"

    build = store.begin(None, n0)
    writer = duck.connect(build.path)  # the loader's one read-write connection
    inside = store.connect()  # a read-only reader of the served snapshot, same process
    writer.execute("UPDATE t SET v = 'n1'")
    assert marker_of(inside) == (ROWS, "n0", "n0")
    assert json.loads(outside.ask("read")) == [ROWS, "n0", "n0"]
    writer.close()
    n1 = store.publish(build, {})

    second: Child = spawn("hold", str(n1.path))  # several processes read one file at once
    assert second.line() == "ready"
    assert read_marker(store) == (ROWS, "n1", "n1")
    assert json.loads(second.ask("read")) == [ROWS, "n1", "n1"]
    assert marker_of(inside) == (ROWS, "n0", "n0")
    inside.close()
    assert outside.finish() == 0 and second.finish() == 0


def test_reader_follows_the_pointer(store: SnapshotStore, publish: PublishFn) -> None:
    publish("n0")
    reader = Reader(store)
    first = reader.connection()

    assert reader.connection() is first  # unchanged pointer: same connection
    assert marker_of(first) == (ROWS, "n0", "n0")

    n1 = publish("n1")
    second = reader.connection()
    assert second is not first and reader.snapshot.id == n1.id
    assert marker_of(second) == (ROWS, "n1", "n1")
    with pytest.raises(duckdb.ConnectionException):
        first.execute("SELECT 1")  # the old connection was closed

    store.rollback()
    assert marker_of(reader.connection()) == (ROWS, "n0", "n0")
    reader.close()
    assert reader.snapshot is None
