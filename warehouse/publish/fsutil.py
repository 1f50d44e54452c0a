"""Durable file moves and writes: fsync the data, then the directory that names it."""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import threading
from pathlib import Path

_COPY_CHUNK = 64 << 20
_COPY_THREADS = 2


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


def copy_file_parallel(src: Path, dst: Path, threads: int = _COPY_THREADS) -> None:
    """Copy `src` to a new `dst` in `threads` byte ranges at once (copy_file_range, in the
    kernel). One stream copies a page-cached 2 GB snapshot at ~0.7 GB/s here, two at ~1.3:
    the copy is bound by page handling on one core, not by the disk. Falls back to one
    stream where the kernel or file system cannot copy ranges."""
    size = src.stat().st_size
    if threads < 2 or size < 2 * _COPY_CHUNK or not hasattr(os, "copy_file_range"):
        shutil.copyfile(src, dst)
        return
    fin = os.open(src, os.O_RDONLY)
    try:
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            os.ftruncate(fout, size)
            errors: list[BaseException] = []
            bounds = [size * i // threads for i in range(threads + 1)]
            workers = [threading.Thread(target=_copy_range, args=(fin, fout, a, b, errors))
                       for a, b in itertools.pairwise(bounds)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        finally:
            os.close(fout)
    finally:
        os.close(fin)
    unexpected = [e for e in errors if not isinstance(e, OSError)]
    if unexpected:
        raise unexpected[0]           # never accept a half-copied build file
    if errors:
        shutil.copyfile(src, dst)      # e.g. EXDEV or EINVAL: the plain copy always works


def _copy_range(fin: int, fout: int, start: int, end: int,
                errors: list[BaseException]) -> None:
    offset = start
    try:
        while offset < end:
            copied = os.copy_file_range(fin, fout, min(_COPY_CHUNK, end - offset), offset, offset)
            if copied == 0:
                raise OSError(f"copy_file_range stopped at byte {offset} of {end}")
            offset += copied
    except BaseException as exc:  # handed to the calling thread, which re-raises or retries
        errors.append(exc)
