"""The command line as a user meets it: tables, CSV/JSON, clear errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

from warehouse.config import REPO_ROOT
from warehouse.load import run_load


def crmwh(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warehouse", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=REPO_ROOT, timeout=300)


def test_sql_formats_and_read_only(mini):
    home, _, _ = mini
    run_load(home, date(2025, 3, 10))
    out = crmwh("sql", "SELECT line_id, net_amount FROM core.fact_sales_line ORDER BY 1",
                "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [{"line_id": 1, "net_amount": "999.99"},
                                      {"line_id": 2, "net_amount": "53.73"},
                                      {"line_id": 3, "net_amount": "1899.98"}]
    csv_out = crmwh("sql", "SELECT count(*) AS n FROM core.dim_customer", "--format", "csv")
    assert csv_out.stdout.splitlines() == ["n", "3"]
    write = crmwh("sql", "DELETE FROM core.fact_sales_line")
    assert write.returncode == 2
    assert "read-only" in write.stderr and "Traceback" not in write.stderr


def test_errors_are_one_clear_line(tmp_home):
    out = crmwh("sql", "SELECT 1")
    assert out.returncode == 2
    assert "no snapshot published yet" in out.stderr and "Traceback" not in out.stderr
    bad = crmwh("load", "--date", "2025-02-30")
    assert bad.returncode == 2 and "--date: expected a date YYYY-MM-DD, got '2025-02-30'" in bad.stderr


def test_load_status_rollback_and_docs(mini):
    home, _, _ = mini
    loaded = crmwh("load", "--from", "2025-03-10", "--to", "2025-03-11")
    assert loaded.returncode == 0, loaded.stderr + loaded.stdout
    assert loaded.stdout.count("published") == 2
    status = crmwh("status")
    assert status.returncode == 0 and "Row accounting, load L20250311" in status.stdout
    assert "checks: 48 passed, 0 failed" in status.stdout
    back = crmwh("rollback")
    assert back.returncode == 0 and "business date 2025-03-10" in back.stdout
    again = crmwh("rollback")
    assert again.returncode == 2 and "Traceback" not in again.stderr
    docs = crmwh("docs")
    assert docs.returncode == 0
    page = (home.docs / "data_dictionary.md").read_text(encoding="utf-8")
    assert "## core.fact_sales_line" in page and "**Grain:** one row per order line" in page


def test_load_without_a_date_catches_up_day_by_day(mini):
    from tests.mini_sources import DAY2, DAY3, execute

    home, crm, _ = mini
    run_load(home, date(2025, 3, 10))
    execute(crm, *DAY2, *DAY3)
    out = crmwh("load")
    assert out.returncode == 0, out.stderr + out.stdout
    assert "business date 2025-03-11" in out.stdout and "business date 2025-03-12" in out.stdout
    snapshot_days = crmwh("sql", "SELECT count(DISTINCT snapshot_date) FROM core.fact_customer_day",
                          "--format", "csv")
    assert snapshot_days.stdout.splitlines()[1] == "3"
