"""Which snapshots to keep, and deleting the files of the others once no reader holds them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.publish.fsutil import remove_database
from warehouse.publish.model import SNAPSHOT_SUFFIX, Snapshot
from warehouse.publish.probe import in_use

log = logging.getLogger(__name__)


@dataclass
class Sweep:
    """What one retention pass did: files deleted, and files kept because a reader holds them."""

    deleted: list[Path] = field(default_factory=list)
    busy: list[Path] = field(default_factory=list)


def plan(history: Iterable[Snapshot], current_id: str, keep: int) -> tuple[Snapshot, ...]:
    """The current snapshot plus the `keep` most recently published others, in history order."""
    ordered = tuple(history)
    others = [s.id for s in ordered if s.id != current_id][: max(keep, 0)]
    kept = {current_id, *others}
    return tuple(s for s in ordered if s.id in kept)


def sweep(snapshots_dir: Path, kept: Iterable[Snapshot]) -> Sweep:
    """Delete snapshot files the pointer no longer references, unless a process has them open.

    A file skipped as busy stays unreferenced, so the next sweep (next publish) retries it.
    """
    referenced = {s.path.name for s in kept}
    result = Sweep()
    for path in sorted(snapshots_dir.glob("*" + SNAPSHOT_SUFFIX)):
        if path.name in referenced:
            continue
        if in_use(path):
            log.info("keeping %s: a reader still has it open", path.name)
            result.busy.append(path)
            continue
        result.deleted.extend(remove_database(path))
    return result
