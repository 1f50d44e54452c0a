"""Take the pending landed files of every file source into staging, inside a load's build.

Per file: checksum against the base snapshot's manifest (same content already taken in ->
skipped with a note, whatever its name); read as text (or reject the whole file, with the
reason); standardise by the contract's rules in one SELECT; then the same typing,
quarantine and staging step as database tables (warehouse.stage.apply), with `_file` and
`_file_row` on every row. Per file: read = loaded + merged + quarantined, recorded as a
batch (source_table = the file name) and in meta.file_manifests. Nothing moves here: files
leave landing only after the snapshot publishes (warehouse.files.archive).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from warehouse.clean.compile import compile_family, ensure_reference_tables, repetitive_columns
from warehouse.config import Home
from warehouse.contracts.files import FileFamily, FileSource
from warehouse.contracts.staging import Entity, StagingModel
from warehouse.duck import insert_rows
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit
from warehouse.extract.run import BatchRecord
from warehouse.files import landing, manifest
from warehouse.files.read import RAW_TABLE, FileRejected, Ragged, drop_raw, read_file
from warehouse.stage.apply import TYPED_TABLE, RowLineage, TableCounts, retire_rows, stage_table
from warehouse.stage.schema import current_table

Progress = Callable[[str], None]


@dataclass
class Outcome:
    file: landing.LandedFile
    status: str
    reason: str | None = None
    counts: TableCounts = field(default_factory=TableCounts)
    notes: list[str] = field(default_factory=list)


def pending(con: duckdb.DuckDBPyConnection, home: Home,
            source: FileSource) -> list[landing.LandedFile]:
    """Archived files the base snapshot does not hold (rollback, rerun), then landing's."""
    held = manifest.ingested(con)
    out = []
    for sha, entry in manifest.latest_by_checksum(home).items():
        if entry.get("source") != source.source or entry.get("status") not in ("loaded", "superseded"):
            continue
        path = home.root / entry["path"]
        if sha not in held and path.is_file():
            out.append(landing.LandedFile(source.source, entry.get("family"), path, sha,
                                          path.stat().st_size))
    return out + landing.scan(home, source)


def ingest_files(con: duckdb.DuckDBPyConnection, home: Home, sources: dict, *,
                 staging: StagingModel, load_id: str,
                 progress: Progress | None = None) -> list[BatchRecord]:
    """Ingest every pending file of every file source; returns one batch per file taken in."""
    say = progress or (lambda _m: None)
    files = landing.file_sources(sources)
    if not files:
        return []
    manifest.ensure_table(con)
    landing.ensure_folders(home, sources)
    batches = []
    for source in files.values():
        seen: dict[str, str] = {}
        held = manifest.ingested(con)
        for landed in pending(con, home, source):
            say(f"file {source.source}/{landed.name}")
            started = time.perf_counter()
            outcome = _one(con, home, source, landed, staging, load_id, held, seen)
            _record(con, home, load_id, outcome)
            if outcome.status == "loaded":
                seen[landed.sha256] = landed.name
                batches.append(BatchRecord(source.source, landed.name, source.files[
                    landed.family].stage, "file", None, None, outcome.counts,
                    time.perf_counter() - started))
    return batches


def _one(con: duckdb.DuckDBPyConnection, home: Home, source: FileSource,
         landed: landing.LandedFile, staging: StagingModel, load_id: str,
         held: dict[str, tuple[str, str, str]], seen: dict[str, str]) -> Outcome:
    if landed.sha256 in held:
        _, name, when = held[landed.sha256]
        return Outcome(landed, "duplicate", f"same content as {name}, already taken in by {when}")
    if landed.sha256 in seen:
        return Outcome(landed, "duplicate", f"same content as {seen[landed.sha256]} in this load")
    if landed.family is None:
        patterns = ", ".join(f"{f.name}: {f.pattern}" for f in source.files.values())
        return Outcome(landed, "rejected", f"the name matches no file family of source "
                                           f"{source.source!r} ({patterns})")
    family = source.files[landed.family]
    entity = staging.entities[family.stage]
    older = [n for n in manifest.loaded_names(con, source.source, family.name)
             if landing.supersedes(landed.name, n)]
    try:
        result = read_file(con, family, landed.path, home.work / "files")
    except FileRejected as exc:
        return Outcome(landed, "rejected", str(exc))
    counts = _stage(con, source, family, entity, landed.name, load_id, result.ragged,
                    keep_keys=bool(older))
    outcome = Outcome(landed, "loaded", None, counts, result.notes)
    if older:
        _supersede(con, home, source, family, entity, landed.name, older, load_id, outcome)
    elif landing.version(landed.name):
        outcome.notes.append("a corrected version, but no earlier file of that name was "
                             "loaded: taken in as a new file")
    if not counts.balanced:  # a bug, not bad input: stop before publishing anything
        raise AssertionError(f"{landed.name}: read {counts.rows_extracted} != loaded "
                             f"{counts.rows_loaded} + merged {counts.rows_merged} + "
                             f"quarantined {counts.rows_quarantined}")
    return outcome


def _stage(con: duckdb.DuckDBPyConnection, source: FileSource, family: FileFamily,
           entity: Entity, file_name: str, load_id: str, ragged: list[Ragged], *,
           keep_keys: bool = False) -> TableCounts:
    ensure_reference_tables(con, family)
    compiled = compile_family(family, file_name, repetitive_columns(con, family))

    def after_typing(con: duckdb.DuckDBPyConnection) -> None:
        quarantine_conflicting_keys(con, family, file_name, compiled.raw_json_of_file)
        if keep_keys:  # every key the file mentions, typed like the entity's (for _supersede)
            keys = ", ".join(q(k) for k in entity.key)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _file_present AS "
                        f"SELECT DISTINCT {keys} FROM {TYPED_TABLE}")

    # row_key is evaluated over the typed rows, the rest over the cleaned ones (alias r).
    key_text = " || '|' || ".join(f"coalesce(CAST({q(k)} AS VARCHAR), '∅')" for k in entity.key)
    lineage = RowLineage(file=lit(file_name), row="r._file_row",
                         problems=tuple(f"r.{c}" for c in compiled.problems),
                         raw=compiled.raw_json, row_key=key_text,
                         prefix=f"{lit('file ' + file_name + ' row ')} || r._file_row || ' field '",
                         after_typing=after_typing)
    missing = set(entity.columns) - set(family.columns)
    # The rules stream straight into the typing step: no table of cleaned rows in between.
    counts = stage_table(con, load_id=load_id, source=source, table=family,
                         entity_name=family.stage, entity=entity,
                         relation=compiled.select, missing=missing, lineage=lineage)
    drop_raw(con)
    if ragged:
        insert_rows(con, "quarantine.source_rows",
                    ["load_id", "source", "source_table", "entity", "problems", "raw"],
                    [(load_id, source.source, family.name, family.stage,
                      [f"file {file_name} row {r.row}: {r.problem} (ragged row)"],
                      _json({"_file": file_name, "_file_row": r.row, "_line": r.text}))
                     for r in ragged])
        counts.rows_extracted += len(ragged)
        counts.rows_quarantined += len(ragged)
    return counts


def _json(value: dict) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def quarantine_conflicting_keys(con: duckdb.DuckDBPyConnection, family: FileFamily,
                                 file_name: str, raw_json_of_file: str) -> None:
    """Rows of one key that disagree within the file are all quarantined (the file contradicts
    itself; which row is right is for a person to say). Exact repeats are merged later.
    Judged on the typed rows (_row_hash), so values equal once standardised agree."""
    keys = ", ".join(q(k) for k in family.key)
    not_null = " AND ".join(f"{q(k)} IS NOT NULL" for k in family.key)
    # Cheap test first (keys seen twice with two row hashes); row lists only for conflicts.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _file_conflicts AS SELECT {keys} FROM {TYPED_TABLE} "
        f"WHERE {not_null} GROUP BY ALL "
        f"HAVING count(*) > 1 AND min(_row_hash) <> max(_row_hash)")
    if con.execute("SELECT count(*) FROM _file_conflicts").fetchone()[0] == 0:
        con.execute("DROP TABLE _file_conflicts")
        return
    join = " AND ".join(f"t.{q(k)} = c.{q(k)}" for k in family.key)
    shown = " || '|' || ".join(f"CAST(t.{q(k)} AS VARCHAR)" for k in family.key)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _file_conflicts AS SELECT t._file_row, "
        f"{lit('file ' + file_name + ' row ')} || t._file_row || "
        f"{lit(' field ' + ', '.join(family.key) + ': key ')} || {shown} || ' appears in rows ' "
        f"|| string_agg(t._file_row::VARCHAR, ', ' ORDER BY t._file_row) OVER (PARTITION BY "
        f"{', '.join(f't.{q(k)}' for k in family.key)}) || ' with different values "
        f"(duplicate key)' AS problem, {raw_json_of_file} AS raw "
        f"FROM {TYPED_TABLE} t SEMI JOIN _file_conflicts c ON {join} "
        f"JOIN {RAW_TABLE} f ON f._file_row = t._file_row")
    con.execute(
        f"UPDATE {TYPED_TABLE} t SET _bad = true, "
        f"_problems = list_append(coalesce(t._problems, []::VARCHAR[]), c.problem), "
        f"_raw_json = coalesce(t._raw_json, c.raw) "
        f"FROM _file_conflicts c WHERE t._file_row = c._file_row")
    con.execute("DROP TABLE _file_conflicts")


def _supersede(con: duckdb.DuckDBPyConnection, home: Home, source: FileSource,
               family: FileFamily, entity: Entity, new_name: str, older: list[str],
               load_id: str, outcome: Outcome) -> None:
    """A corrected file (<stem>.vN.<ext>) replaces the rows of the files it corrects: keys it
    no longer mentions become tombstones; rows it repeats unchanged now point at it."""
    names = ", ".join(lit(n) for n in older)
    current = current_table(family.stage)
    scope = f"_source = {lit(source.source)} AND _file IN ({names})"
    retired = retire_rows(con, load_id, source, family, family.stage, entity, "_file_present",
                          scope)
    # Rows the correction repeats unchanged were merged: they now come from the new file.
    con.execute(f"UPDATE {current} SET _file = {lit(new_name)} WHERE {scope} AND NOT _deleted")
    con.execute("DROP TABLE _file_present")
    con.execute(f"UPDATE meta.file_manifests SET status = 'superseded', superseded_by = ? "
                f"WHERE source = ? AND family = ? AND status = 'loaded' AND file_name IN ({names})",
                [new_name, source.source, family.name])
    outcome.notes.append(f"supersedes {', '.join(older)}: {retired} of its keys retired")
    manifest.log_event(home, event="superseded", source=source.source, files=older,
                       by=new_name, load_id=load_id, keys_retired=retired)


def _record(con: duckdb.DuckDBPyConnection, home: Home, load_id: str, outcome: Outcome) -> None:
    f, c = outcome.file, outcome.counts
    reason = outcome.reason or ("; ".join(outcome.notes) if outcome.notes else None)
    counted = outcome.status == "loaded"
    con.execute(
        "INSERT INTO meta.file_manifests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
        [load_id, f.source, f.family, f.name, f.sha256, f.size, outcome.status, reason,
         c.rows_extracted if counted else None, c.rows_loaded if counted else None,
         c.rows_merged if counted else None, c.rows_quarantined if counted else None,
         landing.relative(home, f.path), datetime.now(UTC)])
    if outcome.status != "loaded":
        manifest.log_event(home, event=outcome.status, source=f.source, file=f.name,
                           sha256=f.sha256, load_id=load_id, reason=outcome.reason)
