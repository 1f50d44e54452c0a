"""Rollback moves the pointer back, never bounces, and says so when it cannot."""

from __future__ import annotations

import json

import pytest

from tests.publish.publish_helpers import ROWS, PublishFn, read_marker
from warehouse.errors import NoSnapshotError
from warehouse.publish import SnapshotStore


@pytest.fixture
def three(store: SnapshotStore, publish: PublishFn):
    a = publish("a")
    b = publish("b", base=a)
    c = publish("c", base=b)
    return a, b, c


def test_rollback_serves_the_previous_snapshot(store: SnapshotStore, three) -> None:
    _, b, c = three

    back = store.rollback()

    assert back.id == b.id and store.current().id == b.id
    assert read_marker(store) == (ROWS, "b", "b")
    assert store.by_id(c.id).rolled_back is True
    assert [s.id for s in store.history()] == [s.id for s in reversed(three)]  # c kept
    assert json.loads(store.home.pointer.read_text())["current"] == b.id


def test_rollback_twice_goes_further_back(store: SnapshotStore, three) -> None:
    a, b, c = three

    store.rollback()
    assert store.rollback().id == a.id

    assert store.current().id == a.id
    assert store.by_id(b.id).rolled_back and store.by_id(c.id).rolled_back


def test_rollback_errors_when_nothing_is_left(store: SnapshotStore, three) -> None:
    store.rollback()
    store.rollback()
    before = store.home.pointer.read_bytes()

    with pytest.raises(NoSnapshotError, match="nothing to roll back to"):
        store.rollback()
    assert store.home.pointer.read_bytes() == before


def test_rollback_of_the_only_snapshot_errors(store: SnapshotStore, publish: PublishFn) -> None:
    only = publish("only")
    with pytest.raises(NoSnapshotError, match=f"nothing to roll back to: {only.id}"):
        store.rollback()
    assert store.current() == only


def test_rollback_before_any_publish_errors(store: SnapshotStore) -> None:
    with pytest.raises(NoSnapshotError, match="no snapshot published yet"):
        store.rollback()


def test_rollback_to_a_given_id_including_forward(store: SnapshotStore, three) -> None:
    a, _, c = three

    assert store.rollback(to=a.id).id == a.id
    assert read_marker(store) == (ROWS, "a", "a")
    assert store.rollback(to=c.id).id == c.id  # forward again, explicitly
    assert store.current().rolled_back is False
    with pytest.raises(NoSnapshotError, match="not among the retained snapshots"):
        store.rollback(to="19990101-19990101T000000Z-000000")


def test_publish_after_rollback_keeps_the_rolled_back_one_out(
        store: SnapshotStore, publish: PublishFn, three) -> None:
    _, b, _ = three
    store.rollback()  # serve b, c marked
    d = publish("d", base=store.current())

    assert store.current().id == d.id
    assert store.rollback().id == b.id  # skips the rolled-back c
