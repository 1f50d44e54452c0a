"""After a snapshot publishes: move the files it took in out of landing, and log where.

Runs only after the pointer switched, so a failed or killed load leaves every file in
landing and the rerun sees it again. Idempotent: it works from the published snapshot's own
manifest, a file already moved is skipped, and a crash between publish and this step only
leaves files in landing that the next load recognises by checksum (already in its base
snapshot) and archives then.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from warehouse import duck
from warehouse.config import Home
from warehouse.files import landing, manifest
from warehouse.publish import Snapshot


def archive_after_publish(home: Home, snapshot: Snapshot, load_id: str,
                          progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Move this load's files to _archive/<business date>/ or _rejected/. A file that cannot
    be moved stays in landing (the next load archives it: its checksum is then held)."""
    try:
        return _archive(home, snapshot.path, snapshot.id, load_id,
                        f"{snapshot.business_date:%Y%m%d}" if snapshot.business_date else "undated")
    except OSError as exc:
        if progress:
            progress(f"files stay in landing until the next load: {exc}")
        return []


def _archive(home: Home, snapshot_path: Path, snapshot_id: str, load_id: str,
             day: str) -> list[dict[str, Any]]:
    con = duck.connect(snapshot_path, read_only=True)
    try:
        if not duck.table_exists(con, "meta", "file_manifests"):
            return []
        # This load's files, and earlier files that one of them superseded.
        rows = con.execute(
            "SELECT source, family, file_name, sha256, status, reason, landed_path, "
            "superseded_by, load_id = ? FROM meta.file_manifests WHERE load_id = ? OR "
            "(status = 'superseded' AND (source, superseded_by) IN (SELECT (source, file_name) "
            "FROM meta.file_manifests WHERE load_id = ?))", [load_id] * 3).fetchall()
    finally:
        con.close()
    entries = []
    for source, family, name, sha, status, reason, landed_path, superseded_by, this in rows:
        where = home.root / landed_path
        if not this:  # an earlier file, already archived: only its status changes
            entries.append({"sha256": sha, "status": status, "superseded_by": superseded_by})
            continue
        if status == "rejected":
            target = _move(where, landing.rejected_dir(home, source))
            if target is not None:
                target.with_name(target.name + ".reason.txt").write_text(
                    f"{name} (sha256 {sha}) was rejected by load {load_id}:\n{reason}\n",
                    encoding="utf-8")
        else:
            target = _move(where, landing.archive_dir(home, source, day))
        entries.append({"sha256": sha, "source": source, "family": family, "file": name,
                        "status": status, "reason": reason, "load_id": load_id,
                        "superseded_by": superseded_by,
                        "snapshot": snapshot_id,
                        "path": landing.relative(home, target or where)})
    manifest.append_durable(home, entries)
    return entries


def _move(path: Path, folder: Path) -> Path | None:
    """Move a landing file into `folder`; a file already elsewhere (archive) stays put."""
    if not path.is_file() or landing.ARCHIVE in path.parts or landing.REJECTED in path.parts:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():  # same name delivered twice (e.g. a duplicate): keep both
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    shutil.move(path, target)
    return target
