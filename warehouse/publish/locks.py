"""Advisory flock()s that serialise loads and pointer updates within one home.

flock (not fcntl record locks) on purpose: it belongs to the open file, so closing some
other descriptor of the lock file cannot drop it, and it never collides with the record
locks DuckDB itself takes on database files. The kernel drops it when a holder dies.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse.config import Home
from warehouse.errors import LoadError

_POLL_SECONDS = 0.05
# Publishing and rolling back hold this lock for milliseconds; waiting longer means trouble.
PUBLISH_WAIT_SECONDS = 60.0


class _Busy(Exception):
    """The lock is held elsewhere; `pid` is what the holder wrote, if readable."""

    def __init__(self, pid: int | None) -> None:
        super().__init__(pid)
        self.pid = pid


def load_lock_path(home: Home) -> Path:
    return home.root / "warehouse" / "load.lock"


def publish_lock_path(home: Home) -> Path:
    return home.root / "warehouse" / "publish.lock"


def holder_pid(path: Path) -> int | None:
    """The pid a holder wrote into the lock file, if any (it writes it right after locking)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _acquire(path: Path, wait_seconds: float) -> int:
    """Take an exclusive flock on `path` and write our pid into it; returns the descriptor."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.close(fd)
                raise _Busy(holder_pid(path)) from None
            time.sleep(min(_POLL_SECONDS, remaining))
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return fd


def _release(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def writer_lock(home: Home, *, wait_seconds: float = 0) -> Iterator[None]:
    """One load at a time per home; a second one fails fast (or after `wait_seconds`)."""
    path = load_lock_path(home)
    try:
        fd = _acquire(path, wait_seconds)
    except _Busy as busy:
        who = f"pid {busy.pid}" if busy.pid else "pid unknown"
        raise LoadError(
            f"another load is running ({who}); wait for it to finish or retry later "
            f"(lock file {path})"
        ) from None
    try:
        yield
    finally:
        _release(fd)


@contextmanager
def publish_lock(home: Home, *, wait_seconds: float = PUBLISH_WAIT_SECONDS) -> Iterator[None]:
    """Serialise pointer rewrites (publish, rollback) and file retention across processes."""
    path = publish_lock_path(home)
    try:
        fd = _acquire(path, wait_seconds)
    except _Busy as busy:
        raise LoadError(
            f"could not update the snapshot pointer: pid {busy.pid or 'unknown'} held {path} "
            f"for over {wait_seconds:g} s"
        ) from None
    try:
        yield
    finally:
        _release(fd)
