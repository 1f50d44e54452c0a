"""Helpers for the publish tests: marker snapshots and child processes."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from warehouse.config import REPO_ROOT
from warehouse.publish import Snapshot, SnapshotStore

CHILD = Path(__file__).with_name("publish_child.py")
ROWS = 1000

PublishFn = Callable[..., Snapshot]


def marker_of(con: duckdb.DuckDBPyConnection) -> tuple[int, str, str]:
    """(rows, min marker, max marker) of table t: one marker means a consistent snapshot."""
    count, low, high = con.execute("SELECT count(*), min(v), max(v) FROM t").fetchone()
    return count, low, high


def read_marker(store: SnapshotStore, snapshot: Snapshot | None = None) -> tuple[int, str, str]:
    con = store.connect(snapshot)
    try:
        return marker_of(con)
    finally:
        con.close()


class Child:
    """A child process speaking child.py's line protocol."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), *args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.pid = self.proc.pid

    def line(self) -> str:
        """The child's next line; fails with its stderr if it died instead."""
        assert self.proc.stdout is not None
        text = self.proc.stdout.readline()
        if not text:
            self.proc.wait()
            assert self.proc.stderr is not None
            pytest.fail(f"child exited {self.proc.returncode}: {self.proc.stderr.read()}")
        return text.strip()

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def ask(self, text: str) -> str:
        self.send(text)
        return self.line()

    def finish(self) -> int:
        """Ask politely, then wait; returns the exit code."""
        if self.proc.poll() is None:
            with contextlib.suppress(BrokenPipeError):
                self.send("exit")
        code = self.proc.wait(timeout=30)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return code
