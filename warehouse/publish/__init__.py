"""Atomic snapshot publishing: one immutable DuckDB file per snapshot, an atomic pointer
file naming the served one, read-only readers, and one loader at a time per home."""

from warehouse.publish.locks import writer_lock
from warehouse.publish.model import Build, Snapshot
from warehouse.publish.reader import Reader
from warehouse.publish.store import SnapshotStore

__all__ = ["Build", "Reader", "Snapshot", "SnapshotStore", "writer_lock"]
