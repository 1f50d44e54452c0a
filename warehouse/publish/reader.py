"""A long-running server's view of the warehouse: one read-only connection that follows
the pointer, reopening only when the served snapshot changes."""

from __future__ import annotations

import threading
from types import TracebackType

import duckdb

from warehouse.publish.model import Snapshot
from warehouse.publish.pointer import Stamp, pointer_stamp
from warehouse.publish.store import SnapshotStore


class Reader:
    """Cached read-only connection to the current snapshot.

    `connection()` costs one stat() while the pointer is unchanged. When it has moved (a
    publish or rollback), the new snapshot is opened and the old connection closed, so
    fetch a connection per request rather than keeping one across requests.
    """

    def __init__(self, store: SnapshotStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._snapshot: Snapshot | None = None
        self._stamp: Stamp | None = None

    @property
    def snapshot(self) -> Snapshot | None:
        """The snapshot the cached connection reads (None before the first connection())."""
        return self._snapshot

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The connection to the current snapshot; raises NoSnapshotError before any publish."""
        with self._lock:
            stamp = pointer_stamp(self._store.home.pointer)
            if self._con is not None and stamp == self._stamp:
                return self._con
            current = self._store.current()
            if self._con is not None and current is not None and self._snapshot is not None \
                    and current.id == self._snapshot.id:
                self._stamp = stamp  # rewritten (e.g. retention) but still the same snapshot
                return self._con
            snapshot, con = self._store.open_current()
            old, self._con, self._snapshot, self._stamp = self._con, con, snapshot, stamp
            if old is not None:
                old.close()
            return con

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con, self._snapshot, self._stamp = None, None, None

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
