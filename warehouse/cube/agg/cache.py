"""Query results cached per published snapshot.

Snapshots are immutable files, so an answer computed on one stays right for as long as that
snapshot is served. The key is (snapshot id, compiled SQL, parameters); the first lookup under a
new snapshot id drops every entry of older ones, so a publish invalidates the cache without any
message between the loader and the readers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

Key = tuple[str, str, tuple[Any, ...]]


class ResultCache:
    """A bounded LRU of results, keyed by snapshot id + SQL + parameters."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self.snapshot: str | None = None
        self._entries: OrderedDict[Key, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def _key(self, snapshot: str, sql: str, params: Sequence[Any]) -> Key:
        return (snapshot, sql, tuple(_hashable(p) for p in params))

    def _switch(self, snapshot: str) -> None:
        if snapshot != self.snapshot:
            self._entries.clear()
            self.snapshot = snapshot

    def get(self, snapshot: str, sql: str, params: Sequence[Any]) -> Any | None:
        with self._lock:
            self._switch(snapshot)
            key = self._key(snapshot, sql, params)
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
            return None

    def put(self, snapshot: str, sql: str, params: Sequence[Any], result: Any) -> None:
        with self._lock:
            self._switch(snapshot)
            self._entries[self._key(snapshot, sql, params)] = result
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def fetch(self, snapshot: str, sql: str, params: Sequence[Any],
              run: Callable[[], Any]) -> tuple[Any, bool]:
        """The cached result, or run() stored under the key; second value: was it a hit."""
        found = self.get(snapshot, sql, params)
        if found is not None:
            return found, True
        result = run()
        self.put(snapshot, sql, params, result)
        return result, False

    def __len__(self) -> int:
        return len(self._entries)


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    # The type is part of the key: 1 and 1.0 and Decimal('1') may bind differently.
    return (type(value).__name__, value)
