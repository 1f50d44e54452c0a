"""Is a DuckDB file in use? DuckDB 1.5.5 on Linux holds a POSIX (fcntl) record lock on the
whole file while open: F_RDLCK for read_only, F_WRLCK for read-write.

POSIX locks belong to the process, so two pitfalls shape this module: a probe cannot see
locks its own process holds, and closing *any* descriptor of the file drops all of them
(a probe would silently unlock this process's own DuckDB readers). So files open in this
process are detected from /proc/self/fd and never probed; others are asked with F_GETLK,
which reports a conflicting lock without taking one, so a reader opening the file at that
moment never sees "Could not set lock on file".
"""

from __future__ import annotations

import fcntl
import os
import struct
import sys
from pathlib import Path

# struct flock on 64-bit Linux: l_type, l_whence, l_start, l_len, l_pid (+ padding).
_FLOCK = "hhqqi4x"
_PROC_FDS = Path("/proc/self/fd")
_HAS_GETLK = sys.platform.startswith("linux") and struct.calcsize(_FLOCK) == 32


def open_in_this_process(path: Path) -> bool:
    """True if this process has a descriptor on the file (e.g. a DuckDB connection)."""
    try:
        target = path.stat()
    except FileNotFoundError:
        return False
    if not _PROC_FDS.is_dir():
        return False
    for name in os.listdir(_PROC_FDS):
        try:
            found = os.stat(_PROC_FDS / name)
        except OSError:
            continue
        if (found.st_dev, found.st_ino) == (target.st_dev, target.st_ino):
            return True
    return False


def lock_holder(path: Path) -> int | None:
    """The pid of another process holding a lock on the file, -1 if unknown, None if free.

    Call only when `open_in_this_process(path)` is False (see the module docstring).
    """
    try:
        return _query_lock(path) if _HAS_GETLK else _try_exclusive(path)
    except FileNotFoundError:
        return None


def _query_lock(path: Path) -> int | None:
    """F_GETLK: who would block an exclusive lock, without taking one."""
    fd = os.open(path, os.O_RDONLY)
    try:
        query = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        kind, _, _, _, pid = struct.unpack(_FLOCK, fcntl.fcntl(fd, fcntl.F_GETLK, query))
    finally:
        os.close(fd)
    return None if kind == fcntl.F_UNLCK else (pid if pid > 0 else -1)


def _try_exclusive(path: Path) -> int | None:
    """Portable fallback: a non-blocking exclusive lockf, released at once."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return -1
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def in_use(path: Path) -> bool:
    """True if any process (this one included) has the DuckDB file open."""
    return open_in_this_process(path) or lock_holder(path) is not None
