"""One load at a time per home."""

from __future__ import annotations

import os

import pytest

from tests.publish.publish_helpers import Child
from warehouse.errors import LoadError
from warehouse.publish import writer_lock
from warehouse.publish.locks import load_lock_path

pytestmark = pytest.mark.timeout(60)


def test_second_holder_gets_load_error_naming_the_pid(home, spawn) -> None:
    holder: Child = spawn("lock", str(home.root))
    assert holder.line() == "locked"

    busy = rf"another load is running \(pid {holder.pid}\)"
    with pytest.raises(LoadError, match=busy), writer_lock(home):
        pass
    with pytest.raises(LoadError, match=busy), writer_lock(home, wait_seconds=0.3):
        pass

    assert holder.finish() == 0
    with writer_lock(home, wait_seconds=5):
        assert load_lock_path(home).read_text().strip() == str(os.getpid())
    assert load_lock_path(home).read_text() == ""


def test_lock_is_released_when_the_body_raises(home) -> None:
    with pytest.raises(RuntimeError), writer_lock(home):
        raise RuntimeError("load failed")
    with writer_lock(home):
        pass  # would raise LoadError if the first lock had leaked
