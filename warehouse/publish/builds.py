"""Private build files under home.work: their names carry the snapshot id and the pid of
the loader, so files left behind by a killed load can be told from live ones."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from warehouse import duck
from warehouse.publish.fsutil import copy_file_parallel

BUILD_SUFFIX = ".build.duckdb"
# <id>.<pid>.build.duckdb, optionally followed by DuckDB's own .wal / .tmp siblings.
_BUILD_NAME = re.compile(
    r"^(?P<id>[A-Za-z0-9_-]+)\.(?P<pid>\d+)\.build\.duckdb(?P<sibling>\.wal|\.tmp)?$"
)


def build_path(work: Path, snapshot_id: str, pid: int | None = None) -> Path:
    return work / f"{snapshot_id}.{pid or os.getpid()}{BUILD_SUFFIX}"


def parse_build_name(path: Path) -> tuple[Path, int] | None:
    """(main build file, loader pid) for a build file or sibling; None for other files."""
    match = _BUILD_NAME.match(path.name)
    if match is None:
        return None
    main = path.with_name(f"{match['id']}.{match['pid']}{BUILD_SUFFIX}")
    return main, int(match["pid"])


def create_build_file(path: Path, base: Path | None) -> None:
    """A byte copy of the base snapshot, or a fresh database (DuckDB rejects a 0-byte file)."""
    if base is not None:
        copy_file_parallel(base, path)
        _write_back_in_background(path)
    else:
        duck.connect(path).close()


_WRITE_BACKS: dict[Path, threading.Thread] = {}


def _write_back_in_background(path: Path) -> None:
    """Write the copy to disk on a thread while the build works: the build's final checkpoint
    syncs the file, and would otherwise wait for every copied byte (a second per 2 GB here)."""
    def sync() -> None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:       # the build was abandoned and removed already
            return
        try:
            os.fsync(fd)
        except OSError:
            pass              # only an early start: the checkpoint's own sync still happens
        finally:
            os.close(fd)

    thread = threading.Thread(target=sync, name="build-write-back", daemon=True)
    _WRITE_BACKS[path] = thread
    thread.start()


def wait_for_write_back(path: Path) -> None:
    """Before a build is published or removed: its write-back thread holds the file open."""
    thread = _WRITE_BACKS.pop(path, None)
    if thread is not None:
        thread.join()


def pid_alive(pid: int) -> bool:
    """True if the process exists and is not a zombie waiting to be reaped."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]
