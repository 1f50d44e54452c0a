"""DuckDB connections with extensions loaded from their PyPI packages (nothing downloads)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb

from warehouse.errors import SourceUnavailableError, UserError

# DuckDB extension name -> the PyPI package that ships its binary.
EXTENSION_PACKAGES = {
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "mysql_scanner": "duckdb_extension_mysql_scanner",
    "sqlite_scanner": "duckdb_extension_sqlite_scanner",
    "encodings": "duckdb_extension_encodings",
    "tpch": "duckdb_extension_tpch",
}

# URL scheme -> (DuckDB ATTACH type, extension that provides it).
ATTACH_TYPES = {
    "sqlite": ("sqlite", "sqlite_scanner"),
    "postgresql": ("postgres", "postgres_scanner"),
    "postgres": ("postgres", "postgres_scanner"),
    "mysql": ("mysql", "mysql_scanner"),
    "mariadb": ("mysql", "mysql_scanner"),
}


def extension_path(name: str) -> Path:
    """The extension binary inside its installed package, for this DuckDB version."""
    package = EXTENSION_PACKAGES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"DuckDB extension {name!r} needs the package {package!r}; install it")
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.exists():
        raise UserError(f"{package} has no binary for DuckDB {duckdb.__version__} at {path}")
    return path


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load an extension straight from its package file, never from DuckDB's download cache."""
    loaded = con.execute(
        "SELECT loaded FROM duckdb_extensions() WHERE extension_name = ?", [name]
    ).fetchone()
    if loaded and loaded[0]:
        return
    con.load_extension(str(extension_path(name)))


def connect(path: str | Path = ":memory:", *, read_only: bool = False,
            memory_limit: str | None = None, threads: int | None = None,
            temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Open DuckDB with autoloading off, so a missing extension fails here instead of downloading."""
    config: dict[str, str | bool | int] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    if temp_directory:
        config["temp_directory"] = str(temp_directory)
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    con.execute("SET enable_progress_bar = false")
    return con


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `schema.table` exists: asked of the catalog, since selecting from a missing
    table makes DuckDB try Python variables of that name first (replacement scans)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND "
                            "table_name = ?", [schema, table]).fetchone()[0])


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Statements that must see one state (rowids found, then used) in one transaction.

    Not for use inside a transaction the caller opened: DuckDB refuses the nested BEGIN, and
    the refusal aborts the caller's transaction too, so it cannot be joined quietly."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, columns: list[str],
                rows: list[tuple]) -> None:
    """Append Python rows to `table` (SQL name) in one statement through an Arrow table:
    executemany runs one INSERT a row (0.25 s for a few thousand city variants)."""
    if not rows:
        return
    import pyarrow as pa

    data = pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})
    view = "_insert_rows_arrow"
    con.register(view, data)
    try:
        cols = ", ".join(quote_ident(c) for c in columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
    finally:
        con.unregister(view)


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB (double quotes doubled inside)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def attach_string(url: str) -> tuple[str, str]:
    """Turn a SQLAlchemy-style URL into DuckDB's (ATTACH target, TYPE)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ATTACH_TYPES:
        raise UserError(f"no DuckDB scanner for URL scheme {scheme!r} in {redact(url)}")
    kind, _ = ATTACH_TYPES[scheme]
    if kind == "sqlite":
        return unquote(url.split(":///", 1)[1]), kind
    fields = {
        "host": parts.hostname or "127.0.0.1",
        "port": str(parts.port or (5432 if kind == "postgres" else 3306)),
        "user": unquote(parts.username or ("postgres" if kind == "postgres" else "root")),
    }
    if parts.password:
        fields["password"] = unquote(parts.password)
    db = parts.path.lstrip("/")
    if db:
        fields["dbname" if kind == "postgres" else "database"] = db
    return " ".join(f"{k}={v}" for k, v in fields.items()), kind


def attach(con: duckdb.DuckDBPyConnection, url: str, alias: str, *,
           read_only: bool = True) -> str:
    """ATTACH a source database under `alias`; returns its kind (sqlite, postgres, mysql)."""
    target, kind = attach_string(url)
    load_extension(con, ATTACH_TYPES[urlsplit(url).scheme.split("+", 1)[0]][1])
    if kind == "sqlite" and read_only and not Path(target).exists():
        raise SourceUnavailableError(f"source {alias!r}: SQLite file {target} does not exist")
    options = f"TYPE {kind}" + (", READ_ONLY" if read_only else "")
    try:
        con.execute(f"ATTACH {quote_literal(target)} AS {quote_ident(alias)} ({options})")
    except duckdb.Error as exc:
        raise SourceUnavailableError(
            f"source {alias!r} at {redact(url)} cannot be reached: {first_line(exc)}"
        ) from exc
    return kind


def redact(url: str) -> str:
    """A URL with its password hidden, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
