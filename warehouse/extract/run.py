"""Extract every table of one source into staging for one load, with drift checks first."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from warehouse.config import Home
from warehouse.contracts.sources import Source, SourceTable
from warehouse.contracts.staging import StagingModel
from warehouse.duck import first_line
from warehouse.duck import quote_literal as lit
from warehouse.errors import SourceUnavailableError
from warehouse.extract import drift
from warehouse.extract.readers import SourceReader, open_reader
from warehouse.stage.apply import TableCounts, detect_hard_deletes, stage_table

Progress = Callable[[str], None]


@dataclass
class BatchRecord:
    source: str
    table: str
    entity: str
    mode: str
    watermark_from: datetime | None
    watermark_to: datetime | None
    counts: TableCounts
    duration_s: float


INTERVAL_UNITS = {"second": "seconds", "minute": "minutes", "hour": "hours", "day": "days"}


def parse_interval(text: str | None) -> timedelta:
    """'10 minutes' / '2 hours' / '1 day' -> timedelta."""
    if not text:
        return timedelta(0)
    amount, unit = text.split()
    return timedelta(**{INTERVAL_UNITS[unit.rstrip("s")]: float(amount)})


def source_alias(source: Source) -> str:
    return f"src_{source.source}"


def open_source(con: duckdb.DuckDBPyConnection, home: Home, source: Source) -> SourceReader:
    return open_reader(con, source_alias(source), source.connection.url(home.root),
                       source.connection.engine)


def check_drift(reader: SourceReader, source: Source) -> list[drift.DriftReport]:
    """Check every table before reading any: drift stops the load with every problem listed."""
    reports = [drift.check_table(source, t, reader.kind, reader.columns(t.name))
               for t in source.tables.values()]
    drift.raise_for(reports)
    return reports


def previous_high(con: duckdb.DuckDBPyConnection, source: str, table: str) -> datetime | None:
    row = con.execute(
        "SELECT high_watermark FROM meta.watermarks WHERE source = ? AND source_table = ?",
        [source, table],
    ).fetchone()
    return row[0] if row else None


def extract_table(con: duckdb.DuckDBPyConnection, reader: SourceReader, *, load_id: str,
                  source: Source, table: SourceTable, staging: StagingModel,
                  report: drift.DriftReport, high: datetime) -> BatchRecord:
    started = time.perf_counter()
    entity = staging.entities[table.stage]
    present = [c for c in table.columns if c in report.physical]
    missing = set(table.columns) - set(present)
    low = None
    if table.mode == "incremental":
        prev = previous_high(con, source.source, table.name)
        low = prev - parse_interval(table.lag) if prev else None
        relation = reader.relation(table.name, present, table.watermark, low, high)
    else:
        relation = reader.relation(table.name, present, None, None, None)
    try:
        counts = stage_table(con, load_id=load_id, source=source, table=table,
                             entity_name=table.stage, entity=entity, relation=relation,
                             missing=missing)
        if table.deletes.detect == "key_scan":
            counts.deletes_detected += detect_hard_deletes(
                con, load_id, source, table, table.stage, entity,
                reader.keys(table.name, list(table.key)))
    except (duckdb.IOException, duckdb.ConnectionException) as exc:
        raise SourceUnavailableError(f"source {source.source!r} table {table.name!r}: read "
                                     f"failed: {first_line(exc)}") from exc
    return BatchRecord(source.source, table.name, table.stage, table.mode, low,
                       high if table.mode == "incremental" else None, counts,
                       time.perf_counter() - started)


def record_watermarks(con: duckdb.DuckDBPyConnection, load_id: str,
                      records: list[BatchRecord]) -> None:
    """The new high watermarks of a source's tables, in one statement: each commit that writes
    DuckDB's log waits for its sync, which is slow while the build's copy is being written back
    (a watermark a table cost 0.1-0.3 s early in a build)."""
    if not records:
        return
    values = ", ".join(["(?, ?, ?, ?)"] * len(records))
    con.execute(f"INSERT OR REPLACE INTO meta.watermarks VALUES {values}",
                [v for r in records for v in (r.source, r.table, r.watermark_to, load_id)])


def extract_source(con: duckdb.DuckDBPyConnection, home: Home, *, load_id: str, source: Source,
                   staging: StagingModel, high: datetime,
                   progress: Progress | None = None) -> list[BatchRecord]:
    """Drift-check, then extract each table of `source` up to (not including) `high`."""
    if source.kind != "database":  # file sources come in through warehouse.files.ingest
        return []
    reader = open_source(con, home, source)
    try:
        reports = {r.table: r for r in check_drift(reader, source)}
        for report in reports.values():
            for note in report.notes:
                con.execute("INSERT INTO meta.schema_notes VALUES (?, ?, ?, ?, ?)",
                            [load_id, source.source, report.table, "", note])
        records = []
        for table in source.tables.values():
            if progress:
                progress(f"extract {source.source}.{table.name}")
            records.append(extract_table(con, reader, load_id=load_id, source=source,
                                         table=table, staging=staging,
                                         report=reports[table.name], high=high))
        record_watermarks(con, load_id, records)
        return records
    finally:
        reader.close()


def latest_business_time(con: duckdb.DuckDBPyConnection, home: Home,
                         sources: dict[str, Source]) -> datetime | None:
    """The newest watermark across every incremental table of every source."""
    latest: datetime | None = None
    for source in sources.values():
        if source.kind != "database":
            continue
        reader = open_source(con, home, source)
        try:
            for table in source.tables.values():
                if table.mode != "incremental" or not table.watermark:
                    continue
                value = reader.max_watermark(table.name, table.watermark)
                if value is not None and (latest is None or value > latest):
                    latest = value
        finally:
            reader.close()
    return latest


def record_batches(con: duckdb.DuckDBPyConnection, load_id: str,
                   records: list[BatchRecord]) -> None:
    for r in records:
        c = r.counts
        con.execute(
            f"INSERT INTO meta.batches VALUES ({lit(load_id)}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [r.source, r.table, r.entity, r.mode, r.watermark_from, r.watermark_to,
             c.rows_extracted, c.rows_loaded, c.rows_merged, c.rows_quarantined,
             c.deletes_detected, round(r.duration_s, 3)],
        )
