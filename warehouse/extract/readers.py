"""Bulk, columnar reads from a source: DuckDB's scanners, or SQLAlchemy + Arrow for other dialects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa

from warehouse import duck
from warehouse.contracts.types import type_family
from warehouse.duck import quote_ident as q
from warehouse.errors import SourceUnavailableError


class SourceReader(Protocol):
    """What extraction needs from a source, whatever its engine."""

    kind: str

    def columns(self, table: str) -> dict[str, str] | None: ...
    def relation(self, table: str, columns: list[str], watermark: str | None,
                 low: datetime | None, high: datetime | None) -> str: ...
    def keys(self, table: str, key: list[str]) -> str: ...
    def max_watermark(self, table: str, watermark: str) -> datetime | None: ...
    def close(self) -> None: ...


def open_reader(con: duckdb.DuckDBPyConnection, alias: str, url: str,
                engine: str = "auto") -> SourceReader:
    """A scanner reader when DuckDB has a scanner for the URL, else SQLAlchemy (or when asked)."""
    scheme = urlsplit(url).scheme.split("+", 1)[0]
    if engine == "sqlalchemy" or (engine == "auto" and scheme not in duck.ATTACH_TYPES):
        return SqlAlchemyReader(con, alias, url)
    return ScannerReader(con, alias, url)


# The scanner's pass-through function for a query in the source's own dialect.
NATIVE_QUERY = {"sqlite": "sqlite_query", "postgres": "postgres_query", "mysql": "mysql_query"}


def default_schema(kind: str, url: str) -> str:
    """Where a scanner finds the source's tables: main (SQLite), public (PostgreSQL), the
    database named in the URL (MySQL)."""
    if kind == "mysql":
        return urlsplit(url).path.lstrip("/")
    return "public" if kind == "postgres" else "main"


def _bound(family: str, value: datetime) -> str:
    """A watermark bound as a literal matching the column's physical family (keeps pushdown)."""
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    return duck.quote_literal(text) if family == "text" else f"TIMESTAMP '{text}'"


class ScannerReader:
    """Reads through DuckDB's postgres / mysql / sqlite scanners on an ATTACHed database."""

    def __init__(self, con: duckdb.DuckDBPyConnection, alias: str, url: str) -> None:
        self.con, self.alias, self.url = con, alias, url
        self.kind = duck.attach(con, url, alias, read_only=True)
        self.schema = default_schema(self.kind, url)
        self._physical: dict[str, dict[str, str]] = {}

    def _schema_filter(self) -> str:
        # MySQL shows every database on the server as a schema: look only at ours.
        return (f"database_name = {duck.quote_literal(self.alias)} "
                f"AND schema_name = {duck.quote_literal(self.schema)}")

    def columns(self, table: str) -> dict[str, str] | None:
        if table not in self._physical:
            rows = self.con.execute(
                f"SELECT table_name, column_name, data_type FROM duckdb_columns() "
                f"WHERE {self._schema_filter()} ORDER BY table_name, column_index"
            ).fetchall()
            for tname, cname, dtype in rows:
                self._physical.setdefault(tname, {})[cname] = dtype
            self._physical.setdefault(table, {})
        found = self._physical.get(table)
        return found or None

    def _ref(self, table: str) -> str:
        return f"{q(self.alias)}.{q(self.schema)}.{q(table)}"

    def relation(self, table: str, columns: list[str], watermark: str | None,
                 low: datetime | None, high: datetime | None) -> str:
        """A SELECT the scanner streams: the watermark bounds are pushed down to the source."""
        where = []
        if watermark:
            family = type_family((self.columns(table) or {}).get(watermark, "VARCHAR"))
            if low is not None:
                where.append(f"{q(watermark)} >= {_bound(family, low)}")
            if high is not None:
                where.append(f"{q(watermark)} < {_bound(family, high)}")
        cols = ", ".join(q(c) for c in columns)
        if low is not None and where:
            # An incremental read runs as one native query, so the source answers it from its
            # watermark index: DuckDB's SQLite scanner filters only after reading every row,
            # and the PostgreSQL one splits the table into ctid ranges that each scan.
            native = f"SELECT {cols} FROM {q(table)} WHERE {' AND '.join(where)}"
            if self.kind == "mysql":
                native = native.replace('"', "`")
            physical = self.columns(table) or {}
            typed = ", ".join(f"CAST({q(c)} AS {physical.get(c, 'VARCHAR')}) AS {q(c)}"
                              for c in columns)
            return (f"SELECT {typed} FROM {NATIVE_QUERY[self.kind]}("
                    f"{duck.quote_literal(self.alias)}, {duck.quote_literal(native)})")
        sql = f"SELECT {cols} FROM {self._ref(table)}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql

    def keys(self, table: str, key: list[str]) -> str:
        """A SELECT of every key at the source, read when the statement using it runs."""
        return f"SELECT {', '.join(q(c) for c in key)} FROM {self._ref(table)}"

    def max_watermark(self, table: str, watermark: str) -> datetime | None:
        value = self.con.execute(
            f"SELECT max(TRY_CAST({q(watermark)} AS TIMESTAMP)) FROM {self._ref(table)}"
        ).fetchone()[0]
        return value

    def close(self) -> None:
        self.con.execute(f"DETACH {q(self.alias)}")


LANDED = "_raw_sqlalchemy"
LANDED_KEYS = "_source_keys"


class SqlAlchemyReader:
    """Any SQLAlchemy dialect: server-side cursor, rows turned into Arrow batches for DuckDB."""

    BATCH_ROWS = 50_000

    def __init__(self, con: duckdb.DuckDBPyConnection, alias: str, url: str) -> None:
        import sqlalchemy as sa

        self.sa = sa
        self.con, self.alias = con, alias
        self.kind = "sqlalchemy"
        try:
            self.engine = sa.create_engine(url)
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as exc:
            raise SourceUnavailableError(
                f"source {alias!r} at {duck.redact(url)} cannot be reached: {duck.first_line(exc)}"
            ) from exc
        self.meta = sa.MetaData()

    def columns(self, table: str) -> dict[str, str] | None:
        inspector = self.sa.inspect(self.engine)
        if not inspector.has_table(table):
            return None
        return {c["name"]: _sqlalchemy_to_duck(c["type"]) for c in inspector.get_columns(table)}

    def _table(self, table: str):
        return self.sa.Table(table, self.meta, autoload_with=self.engine, extend_existing=True)

    def _batches(self, statement, names: list[str]) -> Iterator[pa.RecordBatch]:
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(statement)
            for rows in result.partitions(self.BATCH_ROWS):
                arrays = [pa.array([r[i] for r in rows]) for i in range(len(names))]
                yield pa.RecordBatch.from_arrays(arrays, names=names)

    def _land(self, statement, names: list[str], target: str) -> int:
        self.con.execute(f"DROP TABLE IF EXISTS {q(target)}")
        try:
            return self._land_batches(statement, names, target)
        except self.sa.exc.SQLAlchemyError as exc:
            raise SourceUnavailableError(f"source {self.alias!r}: read failed: "
                                         f"{duck.first_line(exc)}") from exc

    def _land_batches(self, statement, names: list[str], target: str) -> int:
        total = 0
        for batch in self._batches(statement, names):
            self.con.register("_sa_batch", batch)
            if total == 0:
                self.con.execute(f"CREATE TEMP TABLE {q(target)} AS SELECT * FROM _sa_batch")
            else:
                self.con.execute(f"INSERT INTO {q(target)} SELECT * FROM _sa_batch")
            self.con.unregister("_sa_batch")
            total += batch.num_rows
        if total == 0:
            cols = ", ".join(f"NULL::VARCHAR AS {q(n)}" for n in names)
            self.con.execute(f"CREATE TEMP TABLE {q(target)} AS SELECT {cols} LIMIT 0")
        return total

    def relation(self, table: str, columns: list[str], watermark: str | None,
                 low: datetime | None, high: datetime | None) -> str:
        """Land the rows in a temp table through Arrow batches and select from it."""
        t = self._table(table)
        statement = self.sa.select(*[t.c[c] for c in columns])
        if watermark and low is not None:
            statement = statement.where(t.c[watermark] >= low)
        if watermark and high is not None:
            statement = statement.where(t.c[watermark] < high)
        self._land(statement, columns, LANDED)
        return f"SELECT * FROM {q(LANDED)}"

    def keys(self, table: str, key: list[str]) -> str:
        """Every key at the source, landed through Arrow batches, as a SELECT."""
        t = self._table(table)
        self._land(self.sa.select(*[t.c[c] for c in key]), key, LANDED_KEYS)
        return f"SELECT * FROM {q(LANDED_KEYS)}"

    def max_watermark(self, table: str, watermark: str) -> datetime | None:
        t = self._table(table)
        with self.engine.connect() as conn:
            value = conn.execute(self.sa.select(self.sa.func.max(t.c[watermark]))).scalar()
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        return value

    def close(self) -> None:
        try:
            for landed in (LANDED, LANDED_KEYS):   # each _land replaced the last; drop the last
                self.con.execute(f"DROP TABLE IF EXISTS {q(landed)}")
        except duckdb.Error:
            pass      # closing after a failure: the failure is the news, not a leftover table
        finally:
            self.engine.dispose()


def _sqlalchemy_to_duck(sa_type: object) -> str:
    """Map a reflected SQLAlchemy type onto the DuckDB type name drift checks compare."""
    import sqlalchemy as sa

    for cls, name in ((sa.Boolean, "BOOLEAN"), (sa.BigInteger, "BIGINT"), (sa.Integer, "INTEGER"),
                      (sa.Numeric, "DECIMAL"), (sa.Float, "DOUBLE"), (sa.DateTime, "TIMESTAMP"),
                      (sa.Date, "DATE"), (sa.String, "VARCHAR")):
        if isinstance(sa_type, cls):
            if cls is sa.Numeric and isinstance(sa_type, sa.Float):
                return "DOUBLE"
            return name
    return "VARCHAR"
