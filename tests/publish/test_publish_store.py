"""Publishing, the pointer file, history, build files and input checks."""

from __future__ import annotations

import json
import os
from datetime import UTC, date

import duckdb
import pytest

from tests.publish.publish_helpers import ROWS, PublishFn, read_marker
from warehouse import duck
from warehouse.errors import LoadError, NoSnapshotError, UserError
from warehouse.publish import Build, SnapshotStore


def test_publish_makes_the_build_current(store: SnapshotStore, publish: PublishFn) -> None:
    snap = publish("one")

    assert store.current() == snap
    assert snap.path == store.home.snapshots / f"{snap.id}.duckdb"
    assert snap.path.is_file()
    assert snap.published_at.tzinfo == UTC
    assert snap.info == {"marker": "one", "rows": ROWS}
    assert read_marker(store) == (ROWS, "one", "one")
    assert list(store.home.work.iterdir()) == []  # the build file was moved, not copied


def test_pointer_json_names_current_and_history(store: SnapshotStore, publish: PublishFn) -> None:
    first = publish("one")
    second = publish("two", base=first)

    data = json.loads(store.home.pointer.read_text())
    assert data["format"] == 1
    assert data["current"] == second.id
    assert [e["id"] for e in data["history"]] == [second.id, first.id]
    entry = data["history"][0]
    assert entry == {
        "id": second.id, "file": f"{second.id}.duckdb", "business_date": "2025-12-31",
        "published_at": second.published_at.isoformat(), "parent_id": first.id,
        "info": {"marker": "two", "rows": ROWS}, "rolled_back": False,
    }
    leftovers = [p.name for p in store.home.pointer.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_history_is_newest_first_with_parents(store: SnapshotStore, publish: PublishFn) -> None:
    a = publish("a")
    b = publish("b", base=a)
    c = publish("c", base=b)

    assert [s.id for s in store.history()] == [c.id, b.id, a.id]
    assert [s.parent_id for s in store.history()] == [b.id, a.id, None]
    assert store.by_id(b.id) == b
    assert store.find(lambda s: s.info["marker"] == "a") == a
    assert store.by_id("no-such-id") is None


def test_rerun_of_a_business_date_gets_new_id_and_file(store: SnapshotStore,
                                                       publish: PublishFn) -> None:
    first = publish("first run")
    rerun = publish("second run")

    assert first.id != rerun.id and first.path != rerun.path
    assert first.id.startswith("20251231-") and rerun.id.startswith("20251231-")
    assert first.path.exists() and rerun.path.exists()
    assert read_marker(store, first) == (ROWS, "first run", "first run")


def test_begin_without_base_is_an_empty_database(store: SnapshotStore) -> None:
    build = store.begin(None, None)

    assert build.id.startswith("nodate-")
    assert build.path.parent == store.home.work
    assert f".{os.getpid()}." in build.path.name
    con = duck.connect(build.path)
    assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == (0,)
    con.close()


def test_begin_from_base_copies_its_content(store: SnapshotStore, publish: PublishFn) -> None:
    base = publish("base")
    build = store.begin(date(2026, 1, 1), base)
    con = duck.connect(build.path)
    con.execute("INSERT INTO t VALUES ('added', -1)")
    con.close()
    snap = store.publish(build, {})

    assert snap.parent_id == base.id
    assert snap.business_date == date(2026, 1, 1)
    assert read_marker(store) == (ROWS + 1, "added", "base")
    assert read_marker(store, base) == (ROWS, "base", "base")  # the base file was not touched


def test_abandon_removes_build_and_siblings(store: SnapshotStore, publish: PublishFn) -> None:
    served = publish("served")
    build = store.begin(None, served)
    wal = build.path.with_name(build.path.name + ".wal")
    spill = build.path.with_name(build.path.name + ".tmp")
    wal.write_bytes(b"x")
    spill.mkdir()

    store.abandon(build)

    assert not build.path.exists() and not wal.exists() and not spill.exists()
    assert store.current() == served


def test_publish_refuses_a_build_still_open(store: SnapshotStore, publish: PublishFn) -> None:
    served = publish("served")
    build = store.begin(None, served)
    con = duck.connect(build.path)

    with pytest.raises(LoadError, match="still open in this process"):
        store.publish(build, {})
    con.close()

    assert store.current() == served
    assert store.publish(build, {}).id == build.id


def test_publish_refuses_a_build_with_a_wal(store: SnapshotStore, publish: PublishFn) -> None:
    served = publish("served")
    build = store.begin(None, served)
    build.path.with_name(build.path.name + ".wal").write_bytes(b"unflushed")

    with pytest.raises(LoadError, match="write-ahead log"):
        store.publish(build, {})
    assert store.current() == served and build.path.exists()


def test_publish_rejects_info_that_is_not_json(store: SnapshotStore) -> None:
    build = store.begin(None, None)

    with pytest.raises(LoadError, match="plain JSON"):
        store.publish(build, {"when": date(2026, 1, 1)})
    assert store.current() is None and build.path.exists()


def test_publish_twice_is_refused(store: SnapshotStore) -> None:
    build = store.begin(None, None)
    store.publish(build, {})

    with pytest.raises(LoadError, match="no file"):
        store.publish(build, {})


def test_published_name_is_never_overwritten(store: SnapshotStore, publish: PublishFn) -> None:
    served = publish("served")
    clash = Build(id=served.id, path=store.begin(None, None).path, base=None, business_date=None)

    with pytest.raises(LoadError):
        store.publish(clash, {})
    assert read_marker(store) == (ROWS, "served", "served")


def test_connect_before_any_publish(store: SnapshotStore) -> None:
    assert store.current() is None and store.history() == []
    with pytest.raises(NoSnapshotError, match=r"no snapshot published yet; run `crmwh load`"):
        store.connect()


def test_connections_are_read_only(store: SnapshotStore, publish: PublishFn) -> None:
    publish("served")
    con = store.connect()
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute("CREATE TABLE x (i INTEGER)")
    con.close()


def test_keep_comes_from_the_environment(home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRMWH_KEEP_SNAPSHOTS", raising=False)
    assert SnapshotStore(home).keep == 5
    monkeypatch.setenv("CRMWH_KEEP_SNAPSHOTS", "3")
    assert SnapshotStore(home).keep == 3
    assert SnapshotStore(home, keep=0).keep == 0
    for bad in ("-1", "three"):
        monkeypatch.setenv("CRMWH_KEEP_SNAPSHOTS", bad)
        with pytest.raises(UserError, match="CRMWH_KEEP_SNAPSHOTS"):
            SnapshotStore(home)
