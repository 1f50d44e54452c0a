"""Fixtures for the demo generator: generated SQLite sources, and throw-away databases on the
real PostgreSQL and MariaDB servers (created by the generator, dropped here afterwards)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from tests.demo.helpers import sqlite_urls
from warehouse.config import home
from warehouse.demo import init_demo

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
MYSQL_ADMIN = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}

BASE_AS_OF = date(2025, 6, 10)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """Scale 0.2 generated into SQLite, up to 2025-06-10: (home, urls, summary)."""
    h = home(tmp_path_factory.mktemp("demo_base"))
    urls = sqlite_urls(h)
    summary = init_demo(h, scale=0.2, seed=42, crm_url=urls["crm"], erp_url=urls["erp"],
                        as_of=BASE_AS_OF)
    return h, urls, summary


def _drop_postgres(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(**PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                     .format(sql.Identifier(name)))


def _drop_mysql(name: str) -> None:
    import pymysql

    conn = pymysql.connect(**MYSQL_ADMIN, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


@pytest.fixture
def pg_url(request) -> str:
    """A fresh PostgreSQL database name (created by the code under test), dropped after."""
    name = f"crmwh_demo_{uuid.uuid4().hex[:12]}"
    request.addfinalizer(lambda: _drop_postgres(name))
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


@pytest.fixture
def mysql_url(request) -> str:
    """A fresh MariaDB database name (created by the code under test), dropped after."""
    name = f"crmwh_demo_{uuid.uuid4().hex[:12]}"
    request.addfinalizer(lambda: _drop_mysql(name))
    return f"mysql://root@127.0.0.1:3306/{name}"
