"""The parallel copy that makes build files: every byte lands, in every range split."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from warehouse.publish import fsutil


@pytest.mark.parametrize("threads", [1, 2, 3, 5])
@pytest.mark.parametrize("size", [0, 1, 4095, 4096 * 7 + 13])
def test_copy_file_parallel_copies_every_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              threads: int, size: int) -> None:
    monkeypatch.setattr(fsutil, "_COPY_CHUNK", 1024)   # many chunks per range, uneven ranges
    src, dst = tmp_path / "src.bin", tmp_path / "dst.bin"
    payload = os.urandom(size)
    src.write_bytes(payload)
    dst.write_bytes(b"x" * (size + 5000))               # an older, longer file is replaced
    fsutil.copy_file_parallel(src, dst, threads=threads)
    assert dst.read_bytes() == payload


def test_copy_file_parallel_falls_back_when_ranges_cannot_be_copied(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> int:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(fsutil, "_COPY_CHUNK", 1024)
    monkeypatch.setattr(os, "copy_file_range", refuse)
    src, dst = tmp_path / "src.bin", tmp_path / "dst.bin"
    payload = os.urandom(50_000)
    src.write_bytes(payload)
    fsutil.copy_file_parallel(src, dst, threads=2)
    assert dst.read_bytes() == payload
