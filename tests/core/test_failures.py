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


LOADER = textwrap.dedent("""
    import sys
    from datetime import date
    from warehouse.config import home
    from warehouse.load import run_load

    result = run_load(home(sys.argv[1]), date.fromisoformat(sys.argv[2]),
                      lock_wait_seconds=float(sys.argv[3]))
    print(result.snapshot.id)
""")


def test_concurrent_loads_queue_behind_the_writer_lock_while_readers_read(mini):
    home, crm, _ = mini
    run_load(home, date(2025, 3, 10))
    execute(crm, *DAY2)
    reader = SnapshotStore(home).connect()          # a reader holding the served snapshot
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", LOADER, str(home.root), day, "120"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for day in ("2025-03-11", "2025-03-11")]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1].decode()[-500:] for o in outputs]
    assert reader.execute("SELECT count(*) FROM core.fact_sales_line").fetchone()[0] == 3
    reader.close()
    # Both ran, one after the other: the second is a rerun of the same date on the same parent.
    history = SnapshotStore(home).history()
    published = {o[0].decode().strip() for o in outputs}
    assert {s.id for s in history[:2]} == published and len(published) == 2
    assert {s.parent_id for s in history[:2]} == {history[2].id}
    assert "Could not set lock" not in "".join(o[1].decode() for o in outputs)


def test_a_second_load_without_waiting_is_refused_naming_the_holder(mini):
    from warehouse.errors import LoadError
    from warehouse.publish import writer_lock

    home, _, _ = mini
    with writer_lock(home), pytest.raises(LoadError) as info:
        run_load(home, date(2025, 3, 10))
    assert "another load is running" in str(info.value)
    assert SnapshotStore(home).current() is None
