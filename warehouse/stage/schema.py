"""DDL for the staging, quarantine and meta schemas, generated from the declared entities."""

from __future__ import annotations

import duckdb

from warehouse.contracts.staging import Entity, StagingModel
from warehouse.contracts.types import duckdb_type
from warehouse.duck import quote_ident as q

# Columns every staged row carries besides the entity's own.
STAGING_META_COLUMNS = {
    "_batch_id": "VARCHAR NOT NULL",
    "_source": "VARCHAR NOT NULL",
    "_source_table": "VARCHAR NOT NULL",
    "_watermark": "TIMESTAMP",
    "_deleted": "BOOLEAN NOT NULL",
    "_row_hash": "UBIGINT NOT NULL",
    # Lineage of rows from external files (NULL for database rows); last, so snapshots made
    # before they existed gain them by ALTER TABLE with the column order unchanged.
    "_file": "VARCHAR",
    "_file_row": "BIGINT",
}
FILE_LINEAGE_COLUMNS = ("_file", "_file_row")

META_DDL = """
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE TABLE IF NOT EXISTS meta.loads (
    load_id VARCHAR PRIMARY KEY, business_date DATE NOT NULL, parent_snapshot VARCHAR,
    started_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ, status VARCHAR NOT NULL,
    duration_s DOUBLE);
CREATE TABLE IF NOT EXISTS meta.batches (
    load_id VARCHAR NOT NULL, source VARCHAR NOT NULL, source_table VARCHAR NOT NULL,
    entity VARCHAR NOT NULL, mode VARCHAR NOT NULL, watermark_from TIMESTAMP,
    watermark_to TIMESTAMP, rows_extracted BIGINT NOT NULL, rows_loaded BIGINT NOT NULL,
    rows_merged BIGINT NOT NULL, rows_quarantined BIGINT NOT NULL,
    deletes_detected BIGINT NOT NULL, duration_s DOUBLE,
    PRIMARY KEY (load_id, source, source_table));
CREATE TABLE IF NOT EXISTS meta.watermarks (
    source VARCHAR NOT NULL, source_table VARCHAR NOT NULL, high_watermark TIMESTAMP,
    load_id VARCHAR NOT NULL, PRIMARY KEY (source, source_table));
CREATE TABLE IF NOT EXISTS meta.table_changes (
    load_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, rows_before BIGINT NOT NULL,
    rows_deleted BIGINT NOT NULL, rows_inserted BIGINT NOT NULL, rows_updated BIGINT NOT NULL,
    rows_after BIGINT NOT NULL, PRIMARY KEY (load_id, table_name));
ALTER TABLE meta.table_changes ADD COLUMN IF NOT EXISTS columns_updated VARCHAR[];
CREATE TABLE IF NOT EXISTS meta.checks (
    load_id VARCHAR NOT NULL, check_name VARCHAR NOT NULL, table_name VARCHAR,
    severity VARCHAR NOT NULL, passed BOOLEAN NOT NULL, detail VARCHAR,
    PRIMARY KEY (load_id, check_name));
CREATE TABLE IF NOT EXISTS meta.schema_notes (
    load_id VARCHAR NOT NULL, source VARCHAR NOT NULL, source_table VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL, note VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS quarantine.source_rows (
    load_id VARCHAR NOT NULL, source VARCHAR NOT NULL, source_table VARCHAR NOT NULL,
    entity VARCHAR NOT NULL, row_key VARCHAR, problems VARCHAR[] NOT NULL, raw JSON NOT NULL);
"""

# Added to quarantine.source_rows for releases (warehouse/quality/retype.py); last, so older
# snapshots gain them by ALTER TABLE. quarantine_id is <load>-source_rows-<n>, given by
# warehouse.quality.retype.assign_ids; released_from links a row quarantined again by a
# release to the row it was re-typed from.
SOURCE_ROWS_RELEASE_COLUMNS = {
    "quarantine_id": "VARCHAR",
    "released_in": "VARCHAR",
    "released_by": "VARCHAR",
    "release_outcome": "VARCHAR",
    "released_from": "VARCHAR",
}
SOURCE_ROWS_COLUMNS = ("load_id", "source", "source_table", "entity", "row_key", "problems",
                       "raw", *SOURCE_ROWS_RELEASE_COLUMNS)


def entity_columns_sql(entity: Entity) -> list[str]:
    return [f"{q(name)} {duckdb_type(col.type)}" for name, col in entity.columns.items()]


def create_all(con: duckdb.DuckDBPyConnection, staging: StagingModel) -> None:
    """Create every schema and table that does not exist yet (idempotent)."""
    for statement in schema_statements(staging):
        con.execute(statement)


def schema_statements(staging: StagingModel) -> list[str]:
    """The idempotent DDL of the meta, quarantine and staging schemas, in order."""
    out = [META_DDL]
    out += [f"ALTER TABLE quarantine.source_rows ADD COLUMN IF NOT EXISTS {q(col)} {kind}"
            for col, kind in SOURCE_ROWS_RELEASE_COLUMNS.items()]
    meta_cols = [f"{q(n)} {t}" for n, t in STAGING_META_COLUMNS.items()]
    for name, entity in staging.entities.items():
        cols = ", ".join(entity_columns_sql(entity) + meta_cols)
        out.append(f"CREATE TABLE IF NOT EXISTS {current_table(name)} ({cols})")
        out.append(f"CREATE TABLE IF NOT EXISTS {superseded_table(name)} ({cols})")
        for table in (current_table(name), superseded_table(name)):
            out += [f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {q(col)} "
                    f"{STAGING_META_COLUMNS[col]}" for col in FILE_LINEAGE_COLUMNS]
            # a column the entity gained (e.g. ext_person.city_id) reaches older snapshots
            out += [f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {col}"
                    for col in entity_columns_sql(entity)]
        out.append(f"CREATE OR REPLACE VIEW {history_view(name)} AS "
                   f"SELECT * FROM {superseded_table(name)} UNION ALL "
                   f"SELECT * FROM {current_table(name)}")
    return out


# Each staged version is stored once: the latest per key in current_<entity>, the ones it
# replaced in superseded_<entity>; the view <entity> is every raw batch as landed.
def current_table(entity: str) -> str:
    return f"staging.{q('current_' + entity)}"


def superseded_table(entity: str) -> str:
    return f"staging.{q('superseded_' + entity)}"


def history_view(entity: str) -> str:
    return f"staging.{q(entity)}"
