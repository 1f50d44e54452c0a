"""Failures never change what readers see: drift, a source that is down, a kill mid-load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date

import pytest

from tests.mini_sources import DAY2, execute
from warehouse.config import REPO_ROOT
from warehouse.errors import SchemaDriftError, SourceUnavailableError
from warehouse.load import run_load
from warehouse.publish import SnapshotStore


def served_total(home):
    con = SnapshotStore(home).connect()
    try:
        return con.execute("SELECT count(*), sum(net_amount) FROM core.fact_sales_line").fetchone()
    finally:
        con.close()


def test_schema_drift_names_source_table_and_column(mini):
    home, crm, _ = mini
    run_load(home, date(2025, 3, 10))
    before = SnapshotStore(home).current()
    execute(crm, "ALTER TABLE t.customers RENAME COLUMN segment TO customer_segment")
    with pytest.raises(SchemaDriftError) as info:
        run_load(home, date(2025, 3, 11))
    message = str(info.value)
    assert "source 'crm' table 'customers' column 'segment': missing at the source" in message
    assert SnapshotStore(home).current() == before
    assert list(home.work.glob("*.build.duckdb*")) == []


def test_source_database_down_keeps_the_previous_snapshot(mini, monkeypatch):
    home, _, _ = mini
    run_load(home, date(2025, 3, 10))
    before, served = SnapshotStore(home).current(), served_total(home)
    monkeypatch.setenv("CRMWH_ERP_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    with pytest.raises(SourceUnavailableError) as info:
        run_load(home, date(2025, 3, 11))
    assert "source 'src_erp'" in str(info.value) and "cannot be reached" in str(info.value)
    assert SnapshotStore(home).current() == before
    assert served_total(home) == served


KILLER = textwrap.dedent("""
    import os, signal, sys
    from datetime import date
    from warehouse.config import home
    from warehouse.load import run_load

    def progress(msg):
        if msg == sys.argv[2]:
            os.kill(os.getpid(), signal.SIGKILL)

    run_load(home(sys.argv[1]), date(2025, 3, 11), progress=progress)
""")


@pytest.mark.parametrize("stage", ["extract crm.sales_order_lines", "fact fact_sales_line",
                                   "publish"])
def test_kill_mid_load_then_rerun_converges(mini, stage):
    home, crm, _ = mini
    run_load(home, date(2025, 3, 10))
    before, served = SnapshotStore(home).current(), served_total(home)
    execute(crm, *DAY2)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-c", KILLER, str(home.root), stage], env=env,
                          capture_output=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert SnapshotStore(home).current() == before
    assert served_total(home) == served
    leftovers = list(home.work.glob("*.build.duckdb*"))
    assert leftovers, "the killed load should have left its build file behind"
    result = run_load(home, date(2025, 3, 11))
    assert result.snapshot.parent_id == before.id
    assert served_total(home)[0] == 4
    assert not any(p.exists() for p in leftovers)
