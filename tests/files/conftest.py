"""A home with the mini database sources and the test people file source wired in."""

from __future__ import annotations

import pytest

from tests.files.helpers import contracts_dir


@pytest.fixture
def files_home(mini, tmp_path, monkeypatch):
    home, _, _ = mini
    monkeypatch.setenv("CRMWH_SOURCES_DIR", str(contracts_dir(tmp_path)))
    return home
