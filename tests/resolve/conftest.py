"""A demo warehouse with its external files loaded and resolved end to end (demo init, then
the nightly load: files ingested by their contracts, identities resolved after facts), once
per module at scale 0.3: about 3,400 external person and company records, 1,500 customers."""

from __future__ import annotations

import pytest

from tests.resolve import harness
from warehouse.config import home
from warehouse.demo import init_demo
from warehouse.load import run_load


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    """(home, connection to a copy of the published snapshot, the load's resolution note)."""
    with pytest.MonkeyPatch.context() as mp:
        root = tmp_path_factory.mktemp("resolve_demo")
        mp.setenv("CRMWH_HOME", str(root / "home"))
        mp.delenv("CRMWH_CRM_URL", raising=False)
        mp.delenv("CRMWH_ERP_URL", raising=False)
        h = home(root / "home")
        init_demo(h, scale=0.3, seed=7)
        notes: list[str] = []
        run_load(h, progress=notes.append)
        con = harness.connect(harness.snapshot_copy(h, root / "resolved.duckdb"), h)
        yield h, con, [n for n in notes if n.startswith("resolve identities")]
        con.close()
