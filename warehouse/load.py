"""One nightly load for one business date: build a new snapshot from its parent, then publish.

Plain Python, callable without Dagster. The build happens in a private copy of the parent
snapshot; nothing is visible to readers until `publish` swaps the pointer, so a failure or a
kill at any point leaves the served snapshot as it was, and a rerun converges.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from warehouse import duck, runlog
from warehouse.config import MODEL_DIR, SOURCES_DIR, Home
from warehouse.contracts.model import Model, load_model
from warehouse.contracts.sources import Source, load_sources
from warehouse.contracts.staging import check_mappings
from warehouse.core.checks import CheckResult, run_checks
from warehouse.core.dimensions import ChangeCounts, update_dimension
from warehouse.core.facts import update_fact
from warehouse.core.reconcile import reconcile_customers
from warehouse.core.setup import ensure_schema
from warehouse.cube.agg.refresh import fact_columns_read, refresh_aggregates
from warehouse.cube.model import load_cube_model
from warehouse.cube.periods import check_periods
from warehouse.cube.views import create_cube_views
from warehouse.errors import LoadError, UserError, WarehouseError
from warehouse.extract.run import BatchRecord, extract_source, latest_business_time, record_batches
from warehouse.files.archive import archive_after_publish
from warehouse.files.ingest import ingest_files
from warehouse.meta.dictionary import describe, write_into
from warehouse.publish import Snapshot, SnapshotStore, writer_lock
from warehouse.publish.compaction import compaction_weekday, compacts, set_compaction
from warehouse.quality import gates
from warehouse.resolve import resolve_identities

Progress = Callable[[str], None]


@dataclass
class LoadResult:
    load_id: str
    business_date: date
    snapshot: Snapshot
    batches: list[BatchRecord]
    changes: dict[str, ChangeCounts]
    checks: list[CheckResult]
    unmatched_erp_customers: int
    duration_s: float


def load_contracts() -> tuple[dict[str, Source], Model]:
    """Source contracts ($CRMWH_SOURCES_DIR or schemas/sources) and the warehouse model."""
    sources = load_sources(Path(os.environ.get("CRMWH_SOURCES_DIR") or SOURCES_DIR))
    model = load_model(MODEL_DIR)
    check_mappings(model.staging, sources)
    return sources, model


def check_accepted(names: frozenset[str], sources: dict) -> None:
    """Every name given to accept a batch change is a declared source table or file family."""
    known = {f"{s.source}.{t}" for s in sources.values() for t in s.tables}  # families too
    unknown = sorted(names - known)
    if unknown:
        raise UserError(f"--accept-change: {', '.join(unknown)} is not a declared source table "
                        f"or file family (source.table or source.family); declared: "
                        f"{', '.join(sorted(known))}")


def load_id_for(business_date: date) -> str:
    return f"L{business_date:%Y%m%d}"


def latest_source_date(home: Home, sources: dict[str, Source]) -> date:
    """The sources' latest business date: the date of their newest watermark."""
    con = duck.connect()
    try:
        latest = latest_business_time(con, home, sources)
    finally:
        con.close()
    if latest is None:
        raise LoadError("the sources hold no rows with a watermark; run `crmwh demo init` first?")
    return latest.date()


def choose_base(store: SnapshotStore, business_date: date) -> Snapshot | None:
    """The snapshot to build on: the current one, or its parent when rerunning the same date."""
    current = store.current()
    if current is None or current.business_date is None:
        return current
    if business_date > current.business_date:
        return current
    if business_date == current.business_date:
        if current.parent_id is None:
            return None
        parent = store.by_id(current.parent_id)
        if parent is None:
            raise LoadError(f"cannot rerun {business_date}: its parent snapshot "
                            f"{current.parent_id} is no longer kept")
        return parent
    raise LoadError(f"the warehouse is loaded up to {current.business_date}; loading the earlier "
                    f"date {business_date} would drop later data. Use `crmwh rollback` first.")


def run_load(home: Home, business_date: date | None = None, *,
             progress: Progress | None = None, lock_wait_seconds: float = 0,
             accept_changes: frozenset[str] = frozenset()) -> LoadResult:
    """Extract, stage, build core, check and publish one business date. `accept_changes`
    names source tables (source.table) or file families (source.family) whose batch row-count
    change the operator accepts for this load."""
    sources, model = load_contracts()
    weekday = compaction_weekday()  # a bad setting fails before anything is built
    check_accepted(accept_changes, sources)
    say = progress or (lambda _msg: None)
    with writer_lock(home, wait_seconds=lock_wait_seconds):
        store = SnapshotStore(home)
        store.cleanup_orphans()
        if business_date is None:
            business_date = latest_source_date(home, sources)
        load_id = load_id_for(business_date)
        base = choose_base(store, business_date)
        started = time.perf_counter()
        started_at = datetime.now(UTC)
        build = store.begin(business_date, base)
        runlog.record(home, load_id=load_id, business_date=business_date, status="started",
                      base=base.id if base else None)
        try:
            result = _build(home, build.path, sources, model, load_id, business_date,
                            base, started_at, say, compact=compacts(business_date, weekday),
                            accept_changes=accept_changes)
            say("publish")
            snapshot = store.publish(build, info={
                "load_id": load_id,
                "rows": {k: v.rows_after for k, v in result["changes"].items()},
            })
        except BaseException as exc:
            store.abandon(build)
            runlog.record(home, load_id=load_id, business_date=business_date, status="failed",
                          error=str(exc) if isinstance(exc, WarehouseError) else repr(exc))
            raise
        archive_after_publish(home, snapshot, load_id, say)
        duration = time.perf_counter() - started
        runlog.record(home, load_id=load_id, business_date=business_date, status="published",
                      snapshot=snapshot.id, duration_s=round(duration, 2))
        return LoadResult(load_id, business_date, snapshot, result["batches"], result["changes"],
                          result["checks"], result["unmatched"], duration)


def _build(home: Home, path, sources: dict[str, Source], model: Model, load_id: str,
           business_date: date, base: Snapshot | None, started_at: datetime,
           say: Progress, *, compact: bool = True,
           accept_changes: frozenset[str] = frozenset()) -> dict:
    con = duck.connect(path, temp_directory=home.work / "spill")
    # One checkpoint at the end: automatic ones mid-build rewrite row groups again and again.
    con.execute("SET checkpoint_threshold = '1TB'")
    set_compaction(con, compact)  # deleted rows are vacuumed once a week (publish.compaction)
    try:
        ensure_schema(con, model)
        con.execute("DELETE FROM meta.loads WHERE load_id = ?", [load_id])
        con.execute("INSERT INTO meta.loads VALUES (?, ?, ?, ?, NULL, 'building', NULL)",
                    [load_id, business_date, base.id if base else None, started_at])
        high = datetime.combine(business_date + timedelta(days=1), datetime.min.time())
        batches: list[BatchRecord] = gates.begin(con, home, model, load_id, sources)
        for source in sources.values():
            batches += extract_source(con, home, load_id=load_id, source=source,
                                      staging=model.staging, high=high, progress=say)
        batches += ingest_files(con, home, sources, staging=model.staging, load_id=load_id,
                                progress=say)
        record_batches(con, load_id, batches)
        say("staging gates")
        gates.run_staging_gates(con, home, model, load_id, business_date, batches,
                                accept_changes)
        say("reconcile customers")
        matches = reconcile_customers(con, model.reconciliation, load_id)
        changes: dict[str, ChangeCounts] = {}
        for name, dim in model.dimensions.items():
            say(f"dimension {name}")
            changes[name] = update_dimension(con, name, dim, load_id=load_id,
                                             business_date=business_date)
        cubes = load_cube_model()   # read once: the views, the aggregates and what they keep
        # Period levels against their periods on this calendar, before the facts: a model
        # whose fiscal start and fiscal levels disagree stops the load early.
        check_periods(con, cubes)
        kept = fact_columns_read(model=cubes)  # what aggregates need of replaced fact rows
        for name, fact in model.facts.items():
            say(f"fact {name}")
            changes[name] = update_fact(con, name, fact, model.dimensions, load_id=load_id,
                                        business_date=business_date,
                                        keep_replaced=kept.get(f"core.{name}"))
        say("resolve identities: " + resolve_identities(con, load_id=load_id).note)
        for name, c in changes.items():
            con.execute("INSERT OR REPLACE INTO meta.table_changes (load_id, table_name, "
                        "rows_before, rows_deleted, rows_inserted, rows_updated, rows_after, "
                        "columns_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [load_id, f"core.{name}", c.rows_before, c.rows_deleted,
                         c.rows_inserted, c.rows_updated, c.rows_after,
                         sorted(c.columns_updated)])
        say("cube views")
        create_cube_views(con, cubes)  # schema `cubes`: one view per cube, in the snapshot
        say("cube aggregates")
        refresh_aggregates(con, load_id, model=cubes)  # schema `agg`: merged from deltas
        write_into(con, describe(sources, model))
        say("core gates")
        gates.run_core_gates(con, home, model, load_id, business_date)
        say("checks")
        checks = run_checks(con, model, load_id)
        failed = [c for c in checks if not c.passed and c.severity == "blocking"]
        if failed:
            raise LoadError("blocking checks failed, nothing published:\n  " + "\n  ".join(
                f"{c.name}: {c.detail}" for c in failed))
        con.execute("UPDATE meta.loads SET status = 'published', finished_at = now(), "
                    "duration_s = epoch(now() - started_at) WHERE load_id = ?", [load_id])
        say("checkpoint, compacting deleted rows" if compact else "checkpoint")
        con.execute("CHECKPOINT")
        return {"batches": batches, "changes": changes, "checks": checks,
                "unmatched": matches.get("unmatched", 0)}
    finally:
        con.close()
