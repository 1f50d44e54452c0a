"""A small append-only log of every load attempt, kept outside the snapshots.

Successful loads are also recorded inside their snapshot (meta.loads); failed ones have no
snapshot, so this file is where `crmwh status` finds them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from warehouse.config import Home


def log_path(home: Home):
    return home.logs / "loads.jsonl"


def record(home: Home, **fields: Any) -> None:
    entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **fields}
    with log_path(home).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, default=str, ensure_ascii=False) + "\n")


def recent(home: Home, limit: int = 20) -> list[dict[str, Any]]:
    path = log_path(home)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[-limit:]
    return [json.loads(line) for line in lines if line.strip()]
