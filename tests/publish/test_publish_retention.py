"""Retention keeps `keep` previous snapshots and never deletes a file a reader holds."""

from __future__ import annotations

import json

import pytest

from tests.publish.publish_helpers import ROWS, Child, PublishFn
from warehouse.publish import SnapshotStore

pytestmark = pytest.mark.timeout(120)


def files(store: SnapshotStore) -> set[str]:
    return {p.name for p in store.home.snapshots.iterdir()}


@pytest.mark.parametrize("keep", [0, 2])
def test_retention_keeps_exactly_keep_previous(home, publish: PublishFn, keep: int) -> None:
    store = SnapshotStore(home, keep=keep)
    published = [publish(f"s{i}", on=store) for i in range(5)]

    expected = list(reversed(published))[: keep + 1]
    assert [s.id for s in store.history()] == [s.id for s in expected]
    assert files(store) == {s.path.name for s in expected}


def test_a_file_held_by_a_reader_process_survives_until_released(
        home, publish: PublishFn, spawn) -> None:
    store = SnapshotStore(home, keep=1)
    held = publish("held", on=store)
    reader: Child = spawn("hold", str(held.path))
    assert reader.line() == "ready"

    publish("s2", on=store)
    publish("s3", on=store)  # `held` leaves the history here, but its reader is still open
    assert held.id not in [s.id for s in store.history()]
    assert held.path.exists()
    assert store.last_sweep is not None and store.last_sweep.busy == [held.path]
    assert json.loads(reader.ask("read")) == [ROWS, "held", "held"]

    publish("s4", on=store)  # retried and still busy
    assert held.path.exists()
    assert reader.finish() == 0

    s5 = publish("s5", on=store)  # the reader is gone: this publish deletes the file
    assert not held.path.exists()
    assert held.path in store.last_sweep.deleted
    assert files(store) == {s5.path.name, store.history()[1].path.name}


def test_a_file_open_in_this_process_is_kept_and_stays_locked(
        home, publish: PublishFn, spawn) -> None:
    """A lock probe from this process would close a descriptor and drop DuckDB's own read lock
    (POSIX locks are per process); retention must skip such files instead of probing them."""
    store = SnapshotStore(home, keep=0)
    held = publish("held", on=store)
    con = store.connect(held)

    publish("s2", on=store)
    publish("s3", on=store)

    assert held.path.exists()
    assert con.execute("SELECT count(*), min(v) FROM t").fetchone() == (ROWS, "held")
    writer = spawn("readwrite", str(held.path))
    assert writer.line().startswith("error:")  # our read lock still keeps writers out
    con.close()
    publish("s4", on=store)
    assert not held.path.exists()
