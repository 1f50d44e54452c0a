"""File manifests: one in each snapshot (what that warehouse state has taken in) and one
durable log outside the snapshots (where every file went).

Why two. The snapshot's `meta.file_manifests` is the truth about content: a file is "already
ingested" exactly when the snapshot being built on lists its checksum as loaded. The durable
log `landing/_manifest.jsonl` (append-only, written after a publish) records where each file
was moved, so a later load can find archived files again: after a rollback, or when a date is
rerun from its parent snapshot, the files the dropped snapshot had taken in are pending again
(in the archive, not in the base's manifest) and are re-ingested in their original order. So
the served state plus the pending files always equals every file ever accepted; a rollback
never loses a delivery and never ingests one twice.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.config import Home

DDL = """
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.file_manifests (
    load_id VARCHAR NOT NULL, source VARCHAR NOT NULL, family VARCHAR, file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL, size_bytes BIGINT NOT NULL, status VARCHAR NOT NULL,
    reason VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_merged BIGINT,
    rows_quarantined BIGINT, superseded_by VARCHAR, landed_path VARCHAR NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL);
"""
# loaded: rows taken in; duplicate: same content as a file already taken in, skipped;
# rejected: refused as a whole (reason); superseded: loaded once, replaced by a corrected file.
STATUSES = ("loaded", "duplicate", "rejected", "superseded")


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def ingested(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str, str]]:
    """sha256 -> (source, file name, load id) of every file whose rows this snapshot holds
    (or held until a correction superseded them)."""
    rows = con.execute("SELECT sha256, source, file_name, load_id FROM meta.file_manifests "
                       "WHERE status IN ('loaded', 'superseded')").fetchall()
    return {sha: (source, name, load_id) for sha, source, name, load_id in rows}


def loaded_names(con: duckdb.DuckDBPyConnection, source: str, family: str) -> dict[str, str]:
    """File name -> sha256 of the files of one family whose rows are current (not superseded)."""
    rows = con.execute("SELECT file_name, sha256 FROM meta.file_manifests WHERE source = ? "
                       "AND family = ? AND status = 'loaded'", [source, family]).fetchall()
    return dict(rows)


# ---------------------------------------------------------------- the durable log

def durable_path(home: Home) -> Path:
    return home.landing / "_manifest.jsonl"


def read_durable(home: Home) -> list[dict[str, Any]]:
    path = durable_path(home)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line torn by a crash mid-write; the next load rewrites its file
    return out


def latest_by_checksum(home: Home) -> dict[str, dict[str, Any]]:
    """The last entry per checksum, in first-arrival order (the order files are re-taken)."""
    latest: dict[str, dict[str, Any]] = {}
    for entry in read_durable(home):
        latest[entry["sha256"]] = {**latest.get(entry["sha256"], {}), **entry}
    return latest


def append_durable(home: Home, entries: list[dict[str, Any]]) -> None:
    if not entries:
        return
    path = durable_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    at = datetime.now(UTC).isoformat(timespec="seconds")
    with path.open("a", encoding="utf-8") as fh:
        for entry in entries:
            fh.write(json.dumps({"at": at, **entry}, ensure_ascii=False, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def log_event(home: Home, **fields: Any) -> None:
    """logs/files.jsonl: every rejection and skip, written when it happens (even if the load
    then fails), for operators."""
    home.logs.mkdir(parents=True, exist_ok=True)
    entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **fields}
    with (home.logs / "files.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
