"""SnapshotStore: build privately, publish atomically, serve read-only, roll back, retain.

Each published snapshot is its own immutable DuckDB file under home.snapshots; the pointer
file (home.pointer) names the served one. Only the loader ever writes, and only to its
private build file under home.work, so readers and the loader never contend for one
file's DuckDB lock, and a killed load leaves the served snapshot untouched.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse import duck
from warehouse.config import Home
from warehouse.errors import LoadError, NoSnapshotError, UserError
from warehouse.publish import retention
from warehouse.publish.builds import build_path, create_build_file, wait_for_write_back
from warehouse.publish.fsutil import (
    database_siblings,
    fsync_dir,
    fsync_file,
    move_no_clobber,
    remove_database,
)
from warehouse.publish.locks import publish_lock
from warehouse.publish.model import Build, Snapshot, new_snapshot_id, snapshot_file_name
from warehouse.publish.orphans import orphan_builds, orphan_temp_files
from warehouse.publish.pointer import PointerState, read_pointer, write_pointer
from warehouse.publish.probe import lock_holder, open_in_this_process

log = logging.getLogger(__name__)

KEEP_ENV = "CRMWH_KEEP_SNAPSHOTS"
DEFAULT_KEEP = 5
NO_SNAPSHOT = "no snapshot published yet; run `crmwh load`"
_OPEN_ATTEMPTS = 3


def keep_from_env() -> int:
    """Previous snapshots to retain: $CRMWH_KEEP_SNAPSHOTS, else 5."""
    raw = os.environ.get(KEEP_ENV, "").strip()
    if not raw:
        return DEFAULT_KEEP
    return _checked_keep(int(raw) if raw.isdigit() else -1, source=f"{KEEP_ENV}={raw!r}")


def _checked_keep(keep: int, *, source: str) -> int:
    if keep < 0:
        raise UserError(f"{source}: the number of previous snapshots to keep must be "
                        "a whole number >= 0")
    return keep


def _plain_json(info: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of `info` as it will read back from the pointer, or a LoadError."""
    if not isinstance(info, dict):
        raise LoadError(f"snapshot info must be a JSON object (dict), got {type(info).__name__}")
    try:
        return json.loads(json.dumps(info, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise LoadError(f"snapshot info must be plain JSON: {exc}") from None


class SnapshotStore:
    """The published snapshots of one home, and the only code that moves its pointer."""

    def __init__(self, home: Home, keep: int | None = None) -> None:
        self.home = home
        self.keep = keep_from_env() if keep is None else _checked_keep(keep, source="keep")
        self.last_sweep: retention.Sweep | None = None

    # -- reading the pointer -------------------------------------------------------------

    def _state(self) -> PointerState | None:
        return read_pointer(self.home.pointer, self.home.snapshots)

    def current(self) -> Snapshot | None:
        state = self._state()
        return state.current_snapshot() if state else None

    def history(self) -> list[Snapshot]:
        """Retained snapshots, newest published first, the current one included."""
        state = self._state()
        return list(state.history) if state else []

    def find(self, predicate: Callable[[Snapshot], bool]) -> Snapshot | None:
        return next((s for s in self.history() if predicate(s)), None)

    def by_id(self, snapshot_id: str) -> Snapshot | None:
        return self.find(lambda s: s.id == snapshot_id)

    # -- building and publishing ---------------------------------------------------------

    def begin(self, business_date: date | None, base: Snapshot | None) -> Build:
        """A private build file: a copy of `base`'s file, or a new empty database."""
        self.home.work.mkdir(parents=True, exist_ok=True)
        snapshot_id = self._fresh_id(business_date)
        path = build_path(self.home.work, snapshot_id)
        try:
            create_build_file(path, base.path if base else None)
        except BaseException as exc:
            remove_database(path)
            if base is not None and isinstance(exc, FileNotFoundError):
                raise LoadError(f"base snapshot {base.id} is no longer on disk ({base.path}); "
                                "begin from current() instead") from exc
            raise
        return Build(id=snapshot_id, path=path, base=base, business_date=business_date)

    def _fresh_id(self, business_date: date | None) -> str:
        taken = {s.id for s in self.history()}
        while True:
            candidate = new_snapshot_id(business_date)
            if candidate in taken or (self.home.snapshots / snapshot_file_name(candidate)).exists():
                continue
            if any(self.home.work.glob(candidate + ".*")):
                continue
            return candidate

    def publish(self, build: Build, info: dict[str, Any]) -> Snapshot:
        """Make `build` the served snapshot in one atomic pointer switch, then apply retention.

        The caller must have closed its connection to build.path (closing checkpoints).
        """
        info = _plain_json(info)
        self._check_closed(build)
        fsync_file(build.path)
        snapshot = Snapshot(
            id=build.id,
            path=self.home.snapshots / snapshot_file_name(build.id),
            business_date=build.business_date,
            published_at=datetime.now(UTC),
            parent_id=build.parent_id,
            info=info,
        )
        self.home.snapshots.mkdir(parents=True, exist_ok=True)
        with publish_lock(self.home):
            before = self._state()
            if before is not None and before.get(build.id) is not None:
                raise LoadError(f"snapshot {build.id} is already published")
            try:
                move_no_clobber(build.path, snapshot.path)
            except FileExistsError:
                raise LoadError(f"snapshot file {snapshot.path} already exists; "
                                "snapshot names are never reused") from None
            fsync_dir(self.home.snapshots)
            fsync_dir(self.home.work)
            history = (snapshot, *(before.history if before else ()))
            kept = retention.plan(history, snapshot.id, self.keep)
            try:
                write_pointer(self.home.pointer, PointerState(snapshot.id, kept))
            except BaseException:
                os.replace(snapshot.path, build.path)  # unpublished: the caller may abandon
                raise
            if before is not None:  # with no prior pointer, unknown files are not ours to judge
                self.last_sweep = self._sweep(kept)
        for sibling in database_siblings(build.path)[1:]:
            if sibling.is_dir():
                shutil.rmtree(sibling, ignore_errors=True)
        log.info("published snapshot %s", snapshot.id)
        return snapshot

    def _check_closed(self, build: Build) -> None:
        """Refuse to publish a file that is missing, unflushed or still open for writing."""
        wait_for_write_back(build.path)
        if not build.path.exists():
            raise LoadError(f"build {build.id} has no file at {build.path} "
                            "(already published or abandoned?)")
        if open_in_this_process(build.path):
            raise LoadError(f"build {build.id} is still open in this process; close its "
                            "connection before publishing")
        holder = lock_holder(build.path)
        if holder is not None:
            who = f"pid {holder}" if holder > 0 else "another process"
            raise LoadError(f"build {build.id} is still open in {who}; close its "
                            "connection before publishing")
        wal = database_siblings(build.path)[1]
        if wal.exists():
            raise LoadError(f"build {build.id} still has a write-ahead log ({wal}); close its "
                            "connection (after CHECKPOINT) before publishing")

    def _sweep(self, kept: tuple[Snapshot, ...]) -> retention.Sweep | None:
        try:
            return retention.sweep(self.home.snapshots, kept)
        except OSError as exc:  # the publish itself succeeded; the next one retries
            log.warning("snapshot retention failed, will retry at the next publish: %s", exc)
            return None

    def abandon(self, build: Build) -> None:
        """Drop a build that will not be published (its file, .wal and .tmp)."""
        wait_for_write_back(build.path)
        remove_database(build.path)

    # -- rollback and cleanup ------------------------------------------------------------

    def rollback(self, to: str | None = None) -> Snapshot:
        """Serve the previous snapshot (or `to`); the one left is marked rolled_back."""
        with publish_lock(self.home):
            state = self._state()
            if state is None:
                raise NoSnapshotError("nothing to roll back to: no snapshot published yet")
            current = state.current_snapshot()
            target = self._rollback_target(state, current, to)
            if target.id == current.id:
                return current
            if not target.path.exists():
                raise NoSnapshotError(f"cannot roll back to {target.id}: its file "
                                      f"{target.path} is missing")
            history = tuple(
                replace(s, rolled_back=True) if s.id == current.id
                else replace(s, rolled_back=False) if s.id == target.id
                else s
                for s in state.history
            )
            write_pointer(self.home.pointer, PointerState(target.id, history))
        log.info("rolled back from snapshot %s to %s", current.id, target.id)
        return replace(target, rolled_back=False)

    def _rollback_target(self, state: PointerState, current: Snapshot,
                         to: str | None) -> Snapshot:
        if to is not None:
            found = state.get(to)
            if found is None:
                retained = ", ".join(s.id for s in state.history)
                raise NoSnapshotError(f"cannot roll back to {to!r}: it is not among the "
                                      f"retained snapshots ({retained})")
            return found
        ids = [s.id for s in state.history]
        older = state.history[ids.index(current.id) + 1:]
        for candidate in older:
            if not candidate.rolled_back and candidate.path.exists():
                return candidate
        raise NoSnapshotError(
            f"nothing to roll back to: {current.id} is the oldest retained snapshot that was "
            f"not itself rolled back (keeping {self.keep} previous; see history())"
        )

    def cleanup_orphans(self) -> list[Path]:
        """Remove build and pointer temp files left by processes that died mid-way."""
        removed: list[Path] = []
        for path in [*orphan_builds(self.home.work), *orphan_temp_files(self.home.pointer.parent)]:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
        if removed:
            log.info("removed %d orphaned file(s): %s", len(removed),
                     ", ".join(p.name for p in removed))
        return removed

    # -- serving -------------------------------------------------------------------------

    def connect(self, snapshot: Snapshot | None = None) -> duckdb.DuckDBPyConnection:
        """A read-only connection to the current (or given) snapshot."""
        if snapshot is not None:
            return self._open(snapshot)
        return self.open_current()[1]

    def open_current(self) -> tuple[Snapshot, duckdb.DuckDBPyConnection]:
        """The current snapshot and a read-only connection to it, retrying if the pointer
        moves on (and retention deletes the file) between reading it and opening."""
        error: NoSnapshotError | None = None
        for _ in range(_OPEN_ATTEMPTS):
            snapshot = self.current()
            if snapshot is None:
                raise NoSnapshotError(NO_SNAPSHOT)
            try:
                return snapshot, self._open(snapshot)
            except NoSnapshotError as exc:
                error = exc
        assert error is not None
        raise error

    def _open(self, snapshot: Snapshot) -> duckdb.DuckDBPyConnection:
        try:
            return duck.connect(snapshot.path, read_only=True)
        except duckdb.IOException as exc:
            if not snapshot.path.exists():
                raise NoSnapshotError(f"snapshot {snapshot.id} is no longer on disk "
                                      f"({snapshot.path}); retention removed it") from exc
            raise
