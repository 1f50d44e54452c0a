"""Where the demo sources live: resolve URLs, create missing databases, attach them for writing.

SQLite files need a folder; PostgreSQL and MariaDB need the database itself to exist before
DuckDB can ATTACH it, so it is created here through the native drivers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb

from warehouse import duck
from warehouse.config import SOURCES_DIR, Home
from warehouse.contracts.sources import Source, load_sources
from warehouse.errors import SourceUnavailableError, UserError


@dataclass(frozen=True)
class Target:
    """One demo source database attached to the generator's DuckDB connection."""

    source: Source
    url: str
    kind: str  # sqlite, postgres, mysql
    alias: str

    @property
    def name(self) -> str:
        return self.source.source

    def ref(self, table: str) -> str:
        """The qualified DuckDB name of a table in this database."""
        return f"{duck.quote_ident(self.alias)}.{duck.quote_ident(table)}"


def contracts() -> dict[str, Source]:
    return load_sources(SOURCES_DIR)


def resolve_url(home: Home, source: Source, url: str | None) -> str:
    """The given URL, else the contract's default (its env variable, else the SQLite file)."""
    return url or source.connection.url(home.root)


def kind_of(url: str) -> str:
    scheme = urlsplit(url).scheme.split("+", 1)[0]
    if scheme not in duck.ATTACH_TYPES:
        raise UserError(f"demo sources can be sqlite, postgresql or mysql URLs, "
                        f"not {duck.redact(url)}")
    return duck.ATTACH_TYPES[scheme][0]


def _database(url: str) -> str:
    name = unquote(urlsplit(url).path.lstrip("/"))
    if not name:
        raise UserError(f"{duck.redact(url)}: the URL names no database")
    return name


def ensure_database(url: str) -> None:
    """Create the database (or the SQLite file's folder) if it does not exist yet."""
    kind = kind_of(url)
    parts = urlsplit(url)
    if kind == "sqlite":
        Path(duck.attach_string(url)[0]).parent.mkdir(parents=True, exist_ok=True)
        return
    name = _database(url)
    host = parts.hostname or "127.0.0.1"
    password = unquote(parts.password) if parts.password else None
    try:
        if kind == "postgres":
            _create_postgres(name, host, parts.port or 5432,
                             unquote(parts.username or "postgres"), password)
        else:
            _create_mysql(name, host, parts.port or 3306, unquote(parts.username or "root"),
                          password or "")
    except Exception as exc:  # driver errors have no common base worth naming
        raise SourceUnavailableError(
            f"cannot create database {name!r} at {duck.redact(url)}: {duck.first_line(exc)}"
        ) from exc


def _create_postgres(name: str, host: str, port: int, user: str, password: str | None) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(host=host, port=port, user=user, password=password,
                         dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0")
                         .format(sql.Identifier(name)))


def _create_mysql(name: str, host: str, port: int, user: str, password: str) -> None:
    import pymysql

    conn = pymysql.connect(host=host, port=port, user=user, password=password, autocommit=True)
    try:
        with conn.cursor() as cur:
            quoted = "`" + name.replace("`", "``") + "`"
            cur.execute(f"CREATE DATABASE IF NOT EXISTS {quoted} "
                        "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    finally:
        conn.close()


def attach(con: duckdb.DuckDBPyConnection, home: Home, source: Source, url: str | None,
           *, create: bool) -> Target:
    """ATTACH the source database read-write under the source's name."""
    resolved = resolve_url(home, source, url)
    kind = kind_of(resolved)
    if create:
        ensure_database(resolved)
    elif kind == "sqlite" and not Path(duck.attach_string(resolved)[0]).exists():
        raise UserError(f"no demo {source.source} database at {resolved}: run `crmwh demo init`")
    alias = f"demo_{source.source}"
    duck.attach(con, resolved, alias, read_only=False)
    return Target(source, resolved, kind, alias)


def native(con: duckdb.DuckDBPyConnection, target: Target, statement: str) -> None:
    """Run a statement in the target's own dialect."""
    if target.kind == "sqlite":
        import sqlite3

        path = unquote(target.url.split(":///", 1)[1])
        with sqlite3.connect(path, timeout=60) as conn:
            conn.execute(statement)
        return
    function = {"postgres": "postgres_execute", "mysql": "mysql_execute"}[target.kind]
    con.execute(f"CALL {function}({duck.quote_literal(target.alias)}, "
                f"{duck.quote_literal(statement)})")
