"""Snapshot and build records, and their JSON form in the pointer file."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

SNAPSHOT_SUFFIX = ".duckdb"


@dataclass(frozen=True)
class Snapshot:
    """One published DuckDB file; immutable once published, so readers open it read-only."""

    id: str
    path: Path
    business_date: date | None
    published_at: datetime
    parent_id: str | None
    info: dict[str, Any] = field(hash=False)
    rolled_back: bool = False


@dataclass(frozen=True)
class Build:
    """A private, writable file under home.work; only its loader opens it until publish."""

    id: str
    path: Path
    base: Snapshot | None
    business_date: date | None

    @property
    def parent_id(self) -> str | None:
        return self.base.id if self.base else None


def new_snapshot_id(business_date: date | None, now: datetime | None = None) -> str:
    """A fresh id: business date, UTC time and randomness, so a rerun never reuses a name."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    day = business_date.strftime("%Y%m%d") if business_date else "nodate"
    return f"{day}-{stamp:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def snapshot_file_name(snapshot_id: str) -> str:
    return snapshot_id + SNAPSHOT_SUFFIX


def to_entry(snapshot: Snapshot) -> dict[str, Any]:
    """The pointer's JSON record of a snapshot; the file is relative so the home can move."""
    return {
        "id": snapshot.id,
        "file": snapshot.path.name,
        "business_date": snapshot.business_date.isoformat() if snapshot.business_date else None,
        "published_at": snapshot.published_at.isoformat(),
        "parent_id": snapshot.parent_id,
        "info": snapshot.info,
        "rolled_back": snapshot.rolled_back,
    }


def from_entry(entry: dict[str, Any], snapshots_dir: Path) -> Snapshot:
    """Inverse of `to_entry`; raises KeyError or ValueError on a malformed record."""
    business_date = entry.get("business_date")
    return Snapshot(
        id=str(entry["id"]),
        path=snapshots_dir / str(entry["file"]),
        business_date=date.fromisoformat(business_date) if business_date else None,
        published_at=datetime.fromisoformat(entry["published_at"]),
        parent_id=entry.get("parent_id"),
        info=dict(entry.get("info") or {}),
        rolled_back=bool(entry.get("rolled_back", False)),
    )
