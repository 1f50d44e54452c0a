"""The pointer file: which snapshot is served, plus the retained history for rollback.

Readers never lock it: it is replaced whole with os.replace, so a reader sees the old
or the new version. Writers hold `locks.publish_lock` so updates never interleave.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warehouse.errors import WarehouseError
from warehouse.publish.fsutil import atomic_write_text
from warehouse.publish.model import Snapshot, from_entry, to_entry

FORMAT = 1

# What changes whenever the pointer is replaced: inode (new file), mtime and size.
Stamp = tuple[int, int, int]


@dataclass(frozen=True)
class PointerState:
    """The served snapshot id and the retained history, newest published first."""

    current: str
    history: tuple[Snapshot, ...]

    def get(self, snapshot_id: str) -> Snapshot | None:
        return next((s for s in self.history if s.id == snapshot_id), None)

    def current_snapshot(self) -> Snapshot:
        found = self.get(self.current)
        if found is None:
            raise WarehouseError(f"pointer names current snapshot {self.current!r} "
                                 "but its history has no such entry")
        return found


def read_pointer(path: Path, snapshots_dir: Path) -> PointerState | None:
    """The pointer's state, or None before the first publish."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data: dict[str, Any] = json.loads(raw)
        if data.get("format") != FORMAT:
            raise ValueError(f"unsupported format {data.get('format')!r}, expected {FORMAT}")
        history = tuple(from_entry(entry, snapshots_dir) for entry in data["history"])
        return PointerState(current=str(data["current"]), history=history)
    except (ValueError, KeyError, TypeError) as exc:
        raise WarehouseError(f"snapshot pointer {path} is unreadable: {exc}") from exc


def render_pointer(state: PointerState) -> str:
    """The pointer's JSON text (kept separate so tests can check the exact shape)."""
    data = {
        "format": FORMAT,
        "current": state.current,
        "updated_at": datetime.now(UTC).isoformat(),
        "history": [to_entry(snapshot) for snapshot in state.history],
    }
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def write_pointer(path: Path, state: PointerState) -> None:
    """Switch readers to `state.current` in one atomic, durable step."""
    if state.get(state.current) is None:
        raise WarehouseError(f"refusing to write a pointer whose current {state.current!r} "
                             "is not in its history")
    atomic_write_text(path, render_pointer(state))


def pointer_stamp(path: Path) -> Stamp | None:
    """A cheap fingerprint of the pointer file, to notice a switch without reading it."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)
