"""Releasing quarantined rows after a fix: a durable request, applied by the next build.

`crmwh quarantine release` cannot change a published snapshot (they are immutable), so it
writes a request file under $CRMWH_HOME/quarantine/releases/. The next load's build applies
every pending request before extraction: the chosen rows re-enter staging as rows of that
load and go through the staging gates again (failing again means quarantined again, with the
new reason). The build marks them `released_in` inside the snapshot it builds, so:
- a build that fails takes its marks with it, and the request is applied by the next one;
- a request already applied in the snapshot a build starts from is never applied again;
- a request applied by a load that a rollback undid is applied again by the next build (the
  request file's status is only a record: the base snapshot decides), unless it was withdrawn
  (`crmwh quarantine withdraw ID`), which is how a rollback takes a release back for good.
That makes a release load exactly once in every line of snapshots.

Rows the typing step quarantined (table `source_rows`) are released the same way; the build
re-types them under the current contracts first (warehouse/quality/retype.py).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.config import Home
from warehouse.contracts.files import FileSource
from warehouse.contracts.sources import Source
from warehouse.contracts.staging import StagingModel
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit
from warehouse.errors import UserError
from warehouse.extract.run import BatchRecord
from warehouse.quality import restage, retype
from warehouse.quality.quarantine import quarantine_table, quarantined_tables
from warehouse.stage.apply import TableCounts


@dataclass
class Request:
    id: str
    table: str                       # a gate's entity, or "source_rows" (the typing step)
    expectation: str | None = None
    ids: list[str] = field(default_factory=list)
    requested_at: str = ""
    status: str = "pending"          # pending | applied | nothing to release | withdrawn
    applied_in: str | None = None
    load: str | None = None          # only rows quarantined by this load
    problem: str | None = None       # source_rows: text found in a problem or its reason
    entity: str | None = None        # source_rows: only rows of this staging entity

    def describe(self) -> str:
        """The selection, for listings."""
        parts = [f"{name} {value!r}" for name, value in (
            ("expectation", self.expectation), ("problem", self.problem),
            ("entity", self.entity), ("load", self.load)) if value]
        if self.ids:
            parts.append("ids " + ", ".join(self.ids))
        return "; ".join(parts) or "(all)"


def requests_dir(home: Home) -> Path:
    return home.root / "quarantine" / "releases"


def _save(home: Home, req: Request) -> None:
    folder = requests_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{req.id}.tmp"
    tmp.write_text(json.dumps(asdict(req), indent=2), encoding="utf-8")
    tmp.replace(folder / f"{req.id}.json")


def all_requests(home: Home) -> list[Request]:
    folder = requests_dir(home)
    if not folder.is_dir():
        return []
    return [Request(**json.loads(p.read_text(encoding="utf-8")))
            for p in sorted(folder.glob("*.json"))]


def new_request(home: Home, table: str, expectation: str | None, ids: list[str], *,
                load: str | None = None, problem: str | None = None,
                entity: str | None = None) -> Request:
    now = datetime.now(UTC)
    req = Request(id=f"R{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}", table=table,
                  expectation=expectation, ids=list(ids),
                  requested_at=now.isoformat(timespec="seconds"), load=load, problem=problem,
                  entity=entity)
    _save(home, req)
    return req


def withdraw(home: Home, request_id: str) -> Request:
    """Stop a request: no later build applies it (a pending one never loads; one a rollback
    undid stays undone). Rows it already released in a published snapshot stay released."""
    found = [r for r in all_requests(home) if r.id == request_id]
    if not found:
        known = ", ".join(r.id for r in all_requests(home)) or "none"
        raise UserError(f"no release request {request_id!r} under {requests_dir(home)} "
                        f"(requests: {known})")
    req = found[0]
    req.status = "withdrawn"
    _save(home, req)
    return req


def selection(req: Request, alias: str = "x") -> str:
    """SQL condition for the quarantined rows a request releases (not yet released ones)."""
    if req.table == retype.TABLE:
        return retype.selection(req, alias)
    parts = [f"{alias}.released_in IS NULL"]
    if req.expectation:
        parts.append(f"list_contains(list_transform({alias}.failures, f -> f.expectation), "
                     f"{lit(req.expectation)})")
    if req.load:
        parts.append(f"{alias}.load_id = {lit(req.load)}")
    if req.ids:
        parts.append(f"{alias}.quarantine_id IN ({', '.join(lit(i) for i in req.ids)})")
    return " AND ".join(parts)


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The quarantine table a request reads, as SQL, or None when the snapshot has none."""
    if table == retype.TABLE:
        return retype.rows_sql(con) if retype.exists(con) else None
    return quarantine_table(table) if table in quarantined_tables(con) else None


def matching_rows(con: duckdb.DuckDBPyConnection, req: Request) -> int:
    rows = _rows(con, req.table)
    if rows is None:
        return 0
    return con.execute(f"SELECT count(*) FROM {rows} x WHERE {selection(req)}").fetchone()[0]


def applied_in(con: duckdb.DuckDBPyConnection, req: Request) -> str | None:
    """The load that applied the request, in the snapshot `con` reads (None: not applied)."""
    rows = _rows(con, req.table)
    if rows is None:
        return None
    row = con.execute(f"SELECT max(released_in) FROM {rows} x WHERE released_by = ?",
                      [req.id]).fetchone()
    return row[0] if row else None


def released_keys_table(con: duckdb.DuckDBPyConnection, entity: str) -> str | None:
    """The temp table of keys this build re-staged from quarantine, if any: key columns,
    _row_hash and the batch they count against (_batch_source, _batch_table)."""
    name = restage.released_table(entity)
    found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?",
                        [name]).fetchone()[0]
    return q(name) if found else None


def apply_releases(con: duckdb.DuckDBPyConnection, home: Home, staging: StagingModel,
                   load_id: str,
                   sources: dict[str, Source | FileSource] | None = None) -> list[BatchRecord]:
    """Re-stage the rows of every pending request; one batch record per entity released.
    Typing-step rows (table source_rows) are re-typed by `sources`' contracts first."""
    retype.assign_ids(con)   # rows of snapshots made before source_rows had ids
    todo: dict[str, list[Request]] = {}
    for req in all_requests(home):
        # An applied request is decided again from the base: a rollback to a snapshot made
        # before the load that applied it takes the release back with it, so the next build
        # must apply it again (the request file still says "applied", from the later load).
        if req.status not in ("pending", "applied"):
            continue
        done = applied_in(con, req)
        known = req.table == retype.TABLE or req.table in staging.entities
        if done:   # applied in the snapshot this build starts from: never again
            if (req.status, req.applied_in) != ("applied", done):
                req.status, req.applied_in = "applied", done
                _save(home, req)
        elif not known or not matching_rows(con, req):
            if req.status == "pending":   # an applied one may match again after a rerun
                req.status = "nothing to release"
                _save(home, req)
        else:
            todo.setdefault(req.table, []).append(req)
    typing = todo.pop(retype.TABLE, [])
    batches = [_restage(con, staging, entity, reqs, load_id) for entity, reqs in todo.items()]
    if typing and sources is not None:   # re-typing needs the contracts; else they wait
        batches += retype.apply(con, staging, sources, typing, load_id,
                                requests_dir(home))
    return batches


def _restage(con: duckdb.DuckDBPyConnection, staging: StagingModel, entity: str,
             reqs: list[Request], load_id: str) -> BatchRecord:
    keys = list(staging.entities[entity].key)
    qt = quarantine_table(entity)
    by = "CASE " + " ".join(f"WHEN {selection(r)} THEN {lit(r.id)}" for r in reqs) + " END"
    key_list = ", ".join(f"x.{q(k)}" for k in keys)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _rel AS SELECT x.*, x.quarantine_id AS _qid, "
        f"x.load_id AS _qload, {by} AS _req, row_number() OVER "
        f"(PARTITION BY {key_list} ORDER BY x.load_id DESC, x.quarantine_id DESC) = 1 AS _latest "
        f"FROM {qt} x WHERE {' OR '.join(f'({selection(r)})' for r in reqs)}")
    con.execute("CREATE OR REPLACE TEMP TABLE _rel_outcome (_qid VARCHAR, outcome VARCHAR)")
    restage.restage(con, staging, entity, "_rel",
                    skip=("NOT x._latest",
                          "merged: a later quarantined copy of the key was released"),
                    load_id=load_id, batch_source="quarantine", batch_table=entity,
                    outcomes="_rel_outcome")
    con.execute(f"UPDATE {qt} x SET released_in = {lit(load_id)}, released_by = r._req, "
                f"release_outcome = o.outcome FROM _rel_outcome o JOIN _rel r USING (_qid) "
                f"WHERE o._qid = x.quarantine_id")
    total, loaded = con.execute(f"SELECT count(*), count(*) FILTER (WHERE outcome = "
                                f"{lit(restage.RESTAGED)}) FROM _rel_outcome").fetchone()
    con.execute("DROP TABLE _rel; DROP TABLE _rel_outcome")
    counts = TableCounts(rows_extracted=total, rows_loaded=loaded, rows_merged=total - loaded)
    return BatchRecord("quarantine", entity, entity, "release", None, None, counts, 0.0)
