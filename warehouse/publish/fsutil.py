"""Durable file moves and writes: fsync the data, then the directory that names it."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path


def fsync_file(path: Path) -> None:
    """Flush a file's data to disk before anything points at it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a directory entry, so a rename survives a power cut."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` in one step: a uniquely named temp file, fsync, os.replace, dir fsync."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def move_no_clobber(src: Path, dst: Path) -> None:
    """Move `src` to `dst`, failing if `dst` exists: a published name is never overwritten.

    A hard link fails atomically when the name is taken (os.replace would overwrite it);
    file systems without hard links fall back to a checked os.replace.
    """
    try:
        os.link(src, dst)
    except FileExistsError:
        raise
    except OSError:
        if dst.exists():
            raise FileExistsError(dst) from None
        os.replace(src, dst)
        return
    os.unlink(src)


def database_siblings(path: Path) -> tuple[Path, Path, Path]:
    """A DuckDB file, its write-ahead log and its default spill directory."""
    return path, path.with_name(path.name + ".wal"), path.with_name(path.name + ".tmp")


def remove_database(path: Path) -> list[Path]:
    """Delete a DuckDB file with its .wal and .tmp siblings; returns what existed."""
    removed = []
    for item in database_siblings(path):
        if item.is_dir():
            shutil.rmtree(item, ignore_errors=True)
            removed.append(item)
        elif item.exists():
            item.unlink(missing_ok=True)
            removed.append(item)
    return removed
