"""`crmwh quarantine list / release` and the status section, as a user meets them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

from tests.mini_sources import execute
from warehouse.config import REPO_ROOT
from warehouse.load import run_load
from warehouse.quality.release import all_requests

BAD_LINES = [
    "INSERT INTO t.sales_order_lines VALUES (6, 1000, 3, 501, 1, 19.90, 150, 0.00, "
    "'2025-03-10 12:00:00', '2025-03-10 12:00:00', false), (7, 1000, 4, 501, 0, 19.90, 0, 0.00, "
    "'2025-03-10 12:00:00', '2025-03-10 12:00:00', false)",
    # and one the typing step refuses
    "INSERT INTO t.sales_order_lines VALUES (8, 1000, 5, 500, 1, 'abc', 0, 1.00, "
    "'2025-03-10 12:00:00', '2025-03-10 12:00:00', false)",
]


def crmwh(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warehouse", *args], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "200"}, cwd=REPO_ROOT,
                          timeout=300)


def test_list_release_and_status(mini):
    home, crm, _ = mini
    execute(crm, *BAD_LINES)
    run_load(home, date(2025, 3, 10))
    out = crmwh("quarantine", "list")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    discount = [ln for ln in lines if "between(discount_pct)" in ln]
    quantity = [ln for ln in lines if "between(quantity)" in ln]
    typing = [ln for ln in lines if "unit_price: expected decimal(12,2)" in ln]
    assert len(discount) == len(quantity) == len(typing) == 1
    assert "L20250310" in discount[0] and "150.00" in discount[0] and "order_line" in discount[0]
    assert "abc" in typing[0]
    rows = crmwh("quarantine", "list", "--rows", "--table", "order_line")
    assert "L20250310-order_line-1" in rows.stdout and "L20250310-order_line-2" in rows.stdout
    assert "crm.sales_order_lines" in rows.stdout
    # The typing step's rows of order_line are listed with it, as in the list by reason.
    assert "source_rows (order_line)" in crmwh("quarantine", "list", "--table",
                                               "order_line").stdout
    assert "source_rows (order_line)" in rows.stdout and "L20250310-source_rows-1" in rows.stdout
    assert "crm.sales_order_lines key 8" in rows.stdout
    other = crmwh("quarantine", "list", "--rows", "--table", "customer")
    assert other.returncode == 0, other.stderr
    assert "source_rows" not in other.stdout and "order_line" not in other.stdout

    nothing = crmwh("quarantine", "release", "--table", "order_line", "--expectation", "nope")
    assert nothing.returncode == 2 and "no unreleased quarantined rows" in nothing.stderr
    unknown = crmwh("quarantine", "release", "--table", "customer")
    assert unknown.returncode == 2 and "tables with quarantined rows: order_line" in unknown.stderr
    ok = crmwh("quarantine", "release", "--table", "order_line", "--id", "L20250310-order_line-2")
    assert ok.returncode == 0, ok.stderr
    assert "1 row(s) of quarantine.order_line" in ok.stdout
    [req] = all_requests(home)
    assert (req.table, req.ids, req.status) == ("order_line", ["L20250310-order_line-2"], "pending")
    assert req.id in crmwh("quarantine", "list").stdout

    status = crmwh("status")
    assert status.returncode == 0, status.stderr
    assert "rows quarantined: 2 by gates, 1 by typing" in status.stdout
    assert "sales_order_lines" in status.stdout
