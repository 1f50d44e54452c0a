"""A demo warehouse with its external files resolved: generated once per module (scale 0.3:
about 2,000 external person and company records against 1,500 customers)."""

from __future__ import annotations

import pytest

from tests.resolve import harness
from warehouse.config import home
from warehouse.demo import init_demo
from warehouse.load import run_load
from warehouse.resolve import resolve_identities


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    """(home, connection to a resolved copy of the snapshot, ResolveResult)."""
    with pytest.MonkeyPatch.context() as mp:
        root = tmp_path_factory.mktemp("resolve_demo")
        mp.setenv("CRMWH_HOME", str(root / "home"))
        mp.delenv("CRMWH_CRM_URL", raising=False)
        mp.delenv("CRMWH_ERP_URL", raising=False)
        h = home(root / "home")
        init_demo(h, scale=0.3, seed=7)
        run_load(h)
        con = harness.connect(harness.snapshot_copy(h, root / "resolved.duckdb"), h)
        harness.stage_external(con, h)
        result = resolve_identities(con, load_id="T1")
        yield h, con, result
        con.close()
