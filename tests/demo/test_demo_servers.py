"""The demo sources on the real PostgreSQL and MariaDB servers (127.0.0.1:5432 / 3306).

Each test lets the generator create uniquely named databases and drops them afterwards.
The contents must be exactly what SQLite gets for the same seed and scale.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import psycopg
import pymysql

from tests.demo.conftest import MYSQL_ADMIN, PG_ADMIN
from tests.demo.helpers import SOURCES, assert_matches_contract, checksums, sqlite_urls
from warehouse.config import home
from warehouse.demo import advance_demo, init_demo

AS_OF = date(2024, 12, 10)
PARAMS = {"scale": 0.05, "seed": 5, "as_of": AS_OF}


def _db(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _pg_watermark_indexes(url: str) -> set[str]:
    with psycopg.connect(**{**PG_ADMIN, "dbname": _db(url)}) as conn:
        rows = conn.execute("SELECT tablename, indexdef FROM pg_indexes "
                            "WHERE schemaname = 'public'").fetchall()
    return {table for table, definition in rows if "btree" in definition
            and not definition.startswith("CREATE UNIQUE")}


def _pg_primary_keys(url: str) -> dict[str, list[str]]:
    with psycopg.connect(**{**PG_ADMIN, "dbname": _db(url)}) as conn:
        rows = conn.execute("""
            SELECT tc.table_name, kcu.column_name
            FROM information_schema.table_constraints tc
            JOIN information_schema.key_column_usage kcu USING (constraint_name, table_schema)
            WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public'
        """).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


def _mysql_indexes(url: str) -> dict[str, set[tuple[str, str]]]:
    conn = pymysql.connect(**MYSQL_ADMIN)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT table_name, index_name, column_name "
                        "FROM information_schema.statistics WHERE table_schema = %s",
                        [_db(url)])
            rows = cur.fetchall()
    finally:
        conn.close()
    out: dict[str, set[tuple[str, str]]] = {}
    for table, index, column in rows:
        out.setdefault(table, set()).add((index, column))
    return out


def _expected_indexes(source: str) -> dict[str, str]:
    """table -> watermark column, for the incremental tables of a source."""
    return {name: t.watermark for name, t in SOURCES[source].tables.items() if t.watermark}


def test_crm_on_postgres_and_erp_on_mariadb(tmp_path, pg_url, mysql_url):
    h = home(tmp_path / "home")
    urls = {"crm": pg_url, "erp": mysql_url}
    reference = sqlite_urls(h)
    init_demo(h, **PARAMS, crm_url=reference["crm"], erp_url=reference["erp"])
    summary = init_demo(h, **PARAMS, crm_url=pg_url, erp_url=mysql_url)
    assert summary["crm"]["sales_order_lines"] > 0
    assert_matches_contract(urls)
    assert checksums(urls) == checksums(reference)
    # keys and watermark indexes
    keys = _pg_primary_keys(pg_url)
    for name, table in SOURCES["crm"].tables.items():
        assert keys[name] == list(table.key), name
    assert _pg_watermark_indexes(pg_url) == set(_expected_indexes("crm"))
    indexes = _mysql_indexes(mysql_url)
    for name, table in SOURCES["erp"].tables.items():
        assert ("PRIMARY", table.key[0]) in indexes[name], name
        assert (f"ix_{name}_{table.watermark}", table.watermark) in indexes[name], name
    # init again over the existing tables: same contents (repeatable)
    init_demo(h, **PARAMS, crm_url=pg_url, erp_url=mysql_url)
    assert checksums(urls) == checksums(reference)
    # one advanced day, the same on every backend
    advance_demo(h, days=1, crm_url=reference["crm"], erp_url=reference["erp"])
    changed = advance_demo(h, days=1, crm_url=pg_url, erp_url=mysql_url)
    assert changed["crm"]["sales_orders"] > 0 and changed["erp"]["wms_shipment"] > 0
    after = checksums(urls)
    assert after == checksums(reference)
    assert after["crm.sales_orders"][0] > summary["crm"]["sales_orders"]


def test_crm_on_mariadb_and_erp_on_postgres(tmp_path, pg_url, mysql_url):
    h = home(tmp_path / "home")
    urls = {"crm": mysql_url, "erp": pg_url}
    init_demo(h, scale=0.02, seed=3, as_of=date(2024, 6, 30), crm_url=mysql_url,
              erp_url=pg_url)
    assert_matches_contract(urls)
    advance_demo(h, days=1, crm_url=mysql_url, erp_url=pg_url)
    con_sums = checksums(urls)
    assert con_sums["crm.sales_orders"][0] > 0 and con_sums["erp.ar_invoice"][0] > 0
