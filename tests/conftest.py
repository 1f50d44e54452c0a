"""Shared fixtures: a fresh home folder per test, with the source URLs pointing inside it."""

from __future__ import annotations

import pytest

from warehouse.config import Home, home


@pytest.fixture
def tmp_home(tmp_path, monkeypatch) -> Home:
    monkeypatch.setenv("CRMWH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CRMWH_CRM_URL", raising=False)
    monkeypatch.delenv("CRMWH_ERP_URL", raising=False)
    return home(tmp_path / "home")


@pytest.fixture
def mini(tmp_home, monkeypatch):
    """The hand-written mini sources, wired in through the contracts' URL variables."""
    from tests.mini_sources import make_sources

    crm, erp = make_sources(tmp_home.sources)
    monkeypatch.setenv("CRMWH_CRM_URL", crm)
    monkeypatch.setenv("CRMWH_ERP_URL", erp)
    return tmp_home, crm, erp
