"""Extraction from the real PostgreSQL (CRM) and MariaDB (ERP) servers gives the same warehouse
as from SQLite: same rows, same keys, same cents."""

from __future__ import annotations

from datetime import date

import pytest

from tests.core.test_mini_load import core_fingerprint, query
from tests.mini_sources import DAY1, DAY2, ERP_DAY1, ERP_DAY2, create_tables, execute
from tests.servers import mariadb_database, postgres_database
from warehouse.config import home as make_home
from warehouse.errors import SchemaDriftError
from warehouse.load import run_load

pytestmark = [pytest.mark.postgres, pytest.mark.mariadb]


def two_days(home, crm: str, erp: str, monkeypatch) -> dict[str, str]:
    monkeypatch.setenv("CRMWH_CRM_URL", crm)
    monkeypatch.setenv("CRMWH_ERP_URL", erp)
    create_tables(crm, "crm")
    create_tables(erp, "erp")
    execute(crm, *DAY1)
    execute(erp, *ERP_DAY1)
    run_load(home, date(2025, 3, 10))
    execute(crm, *DAY2)
    execute(erp, *ERP_DAY2)
    run_load(home, date(2025, 3, 11))
    return core_fingerprint(home)


def test_postgres_and_mariadb_sources_give_the_same_core_as_sqlite(tmp_path, monkeypatch):
    sqlite_home = make_home(tmp_path / "sqlite")
    expected = two_days(sqlite_home, f"sqlite:///{sqlite_home.sources / 'crm.sqlite'}",
                        f"sqlite:///{sqlite_home.sources / 'erp.sqlite'}", monkeypatch)
    accounting = ("SELECT load_id, source, source_table, rows_extracted, rows_loaded, rows_merged, "
                  "rows_quarantined, deletes_detected FROM meta.batches ORDER BY ALL")
    server_home = make_home(tmp_path / "servers")
    with postgres_database() as crm, mariadb_database() as erp:
        got = two_days(server_home, crm, erp, monkeypatch)
    # Core rows carry no wall-clock values, so the whole core must be identical...
    assert got == expected
    # ...and so must the row accounting: day 1 reads 18 CRM rows, day 2 reads 19 (11 reference
    # rows re-read in full, 2 customers, 3 orders, 3 lines), the ERP 8 then 0 plus one hard delete.
    batches = query(server_home, accounting)
    assert batches == query(sqlite_home, accounting)
    assert query(server_home, "SELECT source, sum(rows_extracted), sum(deletes_detected) FROM "
                              "meta.batches GROUP BY 1 ORDER BY 1") == [("crm", 37, 0), ("erp", 8, 1)]


def test_postgres_retyped_column_is_reported_as_drift(tmp_path, monkeypatch):
    home = make_home(tmp_path / "h")
    with postgres_database() as crm:
        monkeypatch.setenv("CRMWH_CRM_URL", crm)
        monkeypatch.setenv("CRMWH_ERP_URL", f"sqlite:///{home.sources / 'erp.sqlite'}")
        create_tables(crm, "crm")
        create_tables(f"sqlite:///{home.sources / 'erp.sqlite'}", "erp")
        import psycopg

        with psycopg.connect(crm, autocommit=True) as conn:
            conn.execute("ALTER TABLE sales_order_lines ALTER COLUMN line_amount TYPE text")
        with pytest.raises(SchemaDriftError) as info:
            run_load(home, date(2025, 3, 10))
    assert ("source 'crm' table 'sales_order_lines' column 'line_amount': declared "
            "decimal(14,2) but the source has VARCHAR") in str(info.value)
