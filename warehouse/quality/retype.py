"""Releasing rows the typing step quarantined (quarantine.source_rows) after a fix.

A row lands in quarantine.source_rows when a value does not fit the contract (a date in a
format the contract lacks, a number with a decimal comma, a duplicate key within a file); the
row is kept raw, as JSON of the source's columns (database tables: the extracted row; files:
the file's text per column, plus `_file` and `_file_row`). Once the contract is fixed,
`crmwh quarantine release source_rows` writes a request (warehouse/quality/release.py) and the
next build re-types the chosen rows here, before extraction, under the contracts as they are
now, in DuckDB SQL over the whole set (one statement per source table or file):

- database rows: the raw values are put back into columns (each as the contract's declared
  source type when every chosen value fits it, as text otherwise: what a loosely typed source
  such as SQLite hands over) and typed by the table's columns and mapping;
- file rows: the raw text goes back through the family's clean rules, then the typing.

Rows that now fit are staged as rows of this load (they flow to core and meet the staging
gates like any other staged row); rows that still do not are quarantined again with the new
reasons (`released_from` naming the row they came from). Every chosen row is marked
`released_in` / `released_by` / `release_outcome` inside the build, which is what makes a
release load exactly once (see release.py). One batch per entity, source 'quarantine' and
table 'source_rows.<entity>', keeps read = loaded + merged + quarantined.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from warehouse.clean.compile import (
    compile_family,
    drop_reference_tables,
    ensure_reference_tables,
    repetitive_columns,
)
from warehouse.contracts.files import FileFamily, FileSource
from warehouse.contracts.sources import Source, SourceTable
from warehouse.contracts.staging import StagingModel
from warehouse.contracts.types import duckdb_type
from warehouse.duck import first_line, table_exists
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit
from warehouse.errors import LoadError
from warehouse.extract.run import BatchRecord
from warehouse.files.ingest import quarantine_conflicting_keys
from warehouse.files.read import drop_raw
from warehouse.quality import restage
from warehouse.stage.apply import TYPED_TABLE, RowLineage, TableCounts, typed_rows_sql
from warehouse.stage.schema import SOURCE_ROWS_COLUMNS

if TYPE_CHECKING:
    from warehouse.quality.release import Request

TABLE = "source_rows"
SOURCE_ROWS = "quarantine.source_rows"
BATCH_SOURCE = "quarantine"


def batch_table(entity: str) -> str:
    """meta.batches.source_table of a typing release into `entity`."""
    return f"{TABLE}.{entity}"


# ---------------------------------------------------------------- reasons, as listed

def _after_prefix(p: str) -> str:
    """A problem without the 'file <f> row <n> field ' that file rows lead with."""
    return f"regexp_replace({p}, '^file .*? row [0-9]+(: | field )', '')"


def reason_sql(p: str) -> str:
    """A problem with its row and value taken out, so rows with the same trouble group:
    'unit_price: expected decimal(12,2)', '出生日期 (birth_date): is not a date (rule ...)'."""
    text = _after_prefix(p)
    text = f"regexp_replace({text}, ', got .*$', '')"
    text = f"regexp_replace({text}, ': ''.*'' is not ', ': is not ')"
    return (f"regexp_replace({text}, ': key .* appears in rows .* with different values', "
            f"': key appears in several rows with different values')")


def column_sql(p: str) -> str:
    return f"split_part({_after_prefix(p)}, ':', 1)"


def value_sql(p: str) -> str:
    text = _after_prefix(p)
    return (f"coalesce(nullif(regexp_extract({text}, ', got (.*)$', 1), ''), "
            f"nullif(regexp_extract({text}, '^[^:]*: ''(.*)'' is not ', 1), ''), "
            f"nullif(regexp_extract({text}, ': key (.*) appears in rows ', 1), ''))")


# ---------------------------------------------------------------- ids and the rows as listed

ID_ORDER = ("x.source, x.source_table, json_extract_string(x.raw, '$._file'), "
            "TRY_CAST(json_extract_string(x.raw, '$._file_row') AS BIGINT), "
            "TRY_CAST(x.row_key AS BIGINT), x.row_key, "
            "x.raw::VARCHAR")


def _columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'quarantine' "
        "AND table_name = 'source_rows'").fetchall()}


def _base(con: duckdb.DuckDBPyConnection) -> str:
    """quarantine.source_rows with every column (older snapshots lack the release ones)."""
    have = _columns(con)
    cols = [q(c) if c in have else f"NULL::VARCHAR AS {q(c)}" for c in SOURCE_ROWS_COLUMNS]
    return f"(SELECT rowid AS _rid, {', '.join(cols)} FROM {SOURCE_ROWS})"


def _numbering(base: str) -> str:
    """Ids for the rows that have none: <load>-source_rows-<n>, n counting on per load."""
    return (f"SELECT x._rid, x.load_id || '-{TABLE}-' || (coalesce(m.n, 0) + row_number() "
            f"OVER (PARTITION BY x.load_id ORDER BY {ID_ORDER})) AS id FROM {base} x "
            f"LEFT JOIN (SELECT load_id, max(TRY_CAST(regexp_extract(quarantine_id, "
            f"'-([0-9]+)$', 1) AS BIGINT)) AS n FROM {base} GROUP BY load_id) m "
            f"ON m.load_id = x.load_id WHERE x.quarantine_id IS NULL")


def assign_ids(con: duckdb.DuckDBPyConnection) -> None:
    """Give every row of quarantine.source_rows without an id its id (in a build)."""
    if not con.execute(f"SELECT count(*) FROM {SOURCE_ROWS} WHERE quarantine_id IS NULL"
                       ).fetchone()[0]:
        return
    con.execute(f"UPDATE {SOURCE_ROWS} s SET quarantine_id = n.id FROM "
                f"({_numbering(_base(con))}) n WHERE s.rowid = n._rid")


def exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(_columns(con))


def rows_sql(con: duckdb.DuckDBPyConnection) -> str:
    """A subquery of quarantine.source_rows as a reader sees it: every column, every row with
    the id a build gives it (a snapshot published before ids existed gets the same ones)."""
    base = _base(con)
    cols = ", ".join(f"s.{q(c)}" for c in SOURCE_ROWS_COLUMNS if c != "quarantine_id")
    return (f"(SELECT {cols}, coalesce(s.quarantine_id, n.id) AS quarantine_id FROM {base} s "
            f"LEFT JOIN ({_numbering(base)}) n ON n._rid = s._rid)")


# ---------------------------------------------------------------- what a request selects

RAGGED = "coalesce(json_exists({a}.raw, '$._line'), false)"


def selection(req: Request, alias: str = "x") -> str:
    """SQL condition for the unreleased rows of quarantine.source_rows a request releases.
    Ragged file rows (a wrong field count: no columns to re-type) are never selected."""
    a = alias
    parts = [f"{a}.released_in IS NULL", f"NOT {RAGGED.format(a=a)}"]
    if req.entity:
        parts.append(f"{a}.entity = {lit(req.entity)}")
    if req.load:
        parts.append(f"{a}.load_id = {lit(req.load)}")
    if req.problem:
        needle = lit(req.problem.lower())
        parts.append(f"len(list_filter({a}.problems, p -> contains(lower(p), {needle}) OR "
                     f"contains(lower({reason_sql('p')}), {needle}))) > 0")
    if req.ids:
        parts.append(f"{a}.quarantine_id IN ({', '.join(lit(i) for i in req.ids)})")
    return " AND ".join(parts)


@dataclass(frozen=True)
class RaggedRow:
    """A ragged file row a request would take but cannot re-type, and where it went since."""

    quarantine_id: str
    source: str
    file: str
    row: int
    corrected_by: str | None     # the file that superseded this one, if any


def ragged_selected(con: duckdb.DuckDBPyConnection, req: Request) -> list[RaggedRow]:
    """The ragged rows the request would select if they could be re-typed (for the CLI to
    name them), with the corrected file that superseded theirs, if one was loaded."""
    cond = selection(req).replace(f"NOT {RAGGED.format(a='x')}", RAGGED.format(a="x"))
    file = "json_extract_string(x.raw, '$._file')"
    corrected = "NULL::VARCHAR"
    join = ""
    if table_exists(con, "meta", "file_manifests"):
        corrected = "m.superseded_by"
        join = (f"LEFT JOIN meta.file_manifests m ON m.source = x.source AND m.file_name = "
                f"{file} AND m.status = 'superseded'")
    rows = con.execute(
        f"SELECT DISTINCT x.quarantine_id, x.source, {file}, TRY_CAST(json_extract_string("
        f"x.raw, '$._file_row') AS BIGINT) AS r, {corrected} FROM {rows_sql(con)} x {join} "
        f"WHERE {cond} ORDER BY 3, r").fetchall()
    return [RaggedRow(*r) for r in rows]


# ---------------------------------------------------------------- applying requests

def _path(column: str) -> str:
    return lit('$."' + column.replace("\\", "\\\\").replace('"', '\\"') + '"')


def _raw(column: str, alias: str = "s") -> str:
    return f"json_extract_string({alias}.raw, {_path(column)})"


def _stages(sources: dict[str, Source | FileSource]) -> str:
    """VALUES of (source, table or file family, entity it stages into) per the contracts."""
    rows = [f"({lit(s.source)}, {lit(t.name)}, {lit(t.stage)})"
            for s in sources.values() for t in s.tables.values()]
    return f"(VALUES {', '.join(rows)}) st(source, source_table, entity)" if rows else (
        "(SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS source_table, "
        "NULL::VARCHAR AS entity WHERE false) st")


def apply(con: duckdb.DuckDBPyConnection, staging: StagingModel,
          sources: dict[str, Source | FileSource], reqs: list[Request],
          load_id: str, folder: Path) -> list[BatchRecord]:
    """Re-type the rows every request selects; one batch record per entity they feed.
    `folder` holds the request files (named in the error if a row ends without an outcome)."""
    started = time.perf_counter()
    by = "CASE " + " ".join(f"WHEN {selection(r)} THEN {lit(r.id)}" for r in reqs) + " END"
    # The same source row quarantined by several loads (a lag window re-read, a file taken in
    # again after a rollback) is re-typed once, from its latest copy.
    same_row = ("coalesce(json_extract_string(x.raw, '$._file') || '#' || "
                "json_extract_string(x.raw, '$._file_row'), x.raw::VARCHAR)")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _rt_sel AS SELECT x.quarantine_id AS _qid, "
        f"x.load_id AS _qload, x.source, x.source_table, x.row_key, x.raw, "
        f"coalesce(st.entity, x.entity) AS _entity, st.entity IS NOT NULL AS _declared, "
        f"json_extract_string(x.raw, '$._file') AS _qfile, {by} AS _req, "
        f"row_number() OVER (PARTITION BY x.source, x.source_table, {same_row} "
        f"ORDER BY x.load_id DESC, x.quarantine_id DESC) = 1 AS _latest "
        f"FROM {SOURCE_ROWS} x LEFT JOIN {_stages(sources)} "
        f"ON st.source = x.source AND st.source_table = x.source_table "
        f"WHERE {' OR '.join(f'({selection(r)})' for r in reqs)}")
    con.execute("CREATE OR REPLACE TEMP TABLE _rt_outcome (_qid VARCHAR, outcome VARCHAR)")
    con.execute("INSERT INTO _rt_outcome SELECT _qid, 'merged: a later quarantined copy of "
                "the row was released' FROM _rt_sel WHERE NOT _latest")
    con.execute("CREATE OR REPLACE TEMP TABLE _rt_bad (_qid VARCHAR, problems VARCHAR[])")
    con.execute("INSERT INTO _rt_bad SELECT _qid, [source || '.' || source_table || ': no "
                "longer declared in the source contracts, so the row cannot be re-typed'] "
                "FROM _rt_sel WHERE _latest AND NOT _declared")
    groups = con.execute("SELECT DISTINCT source, source_table, _qfile FROM _rt_sel "
                         "WHERE _latest AND _declared ORDER BY ALL").fetchall()
    good: set[str] = set()
    for source_name, table_name, file_name in groups:
        source = sources[source_name]
        table = source.tables[table_name]
        where = (f"s._latest AND s.source = {lit(source_name)} AND s.source_table = "
                 f"{lit(table_name)} AND s._qfile IS NOT DISTINCT FROM "
                 f"{lit(file_name) if file_name is not None else 'NULL'}")
        if isinstance(table, FileFamily):
            ok = _type_file_rows(con, staging, table, file_name or "", where)
        else:
            ok = _type_table_rows(con, staging, table, where)
        if not ok:
            continue
        entity = table.stage
        con.execute("INSERT INTO _rt_bad SELECT _qid, _problems FROM _typed WHERE _bad")
        target = f"_rt_good_{entity}"
        if entity not in good:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {q(target)} AS SELECT * EXCLUDE "
                        f"(_bad, _problems, _raw_json), '' AS _source, '' AS _source_table "
                        f"FROM {TYPED_TABLE} WHERE false")
            good.add(entity)
        con.execute(f"INSERT INTO {q(target)} BY NAME SELECT * EXCLUDE "
                    f"(_bad, _problems, _raw_json), {lit(source_name)} AS _source, "
                    f"{lit(table_name)} AS _source_table FROM {TYPED_TABLE} WHERE NOT _bad")
        con.execute(f"DROP TABLE {TYPED_TABLE}")
    for entity in sorted(good):
        _stage(con, staging, entity, load_id)
    _quarantine_again(con, load_id)
    con.execute(f"UPDATE {SOURCE_ROWS} x SET released_in = {lit(load_id)}, released_by = "
                f"s._req, release_outcome = o.outcome FROM _rt_outcome o JOIN _rt_sel s "
                f"USING (_qid) WHERE x.quarantine_id = o._qid")
    found = con.execute(
        "SELECT s._entity, count(*), count(*) FILTER (WHERE o.outcome = 'restaged'), "
        "count(*) FILTER (WHERE o.outcome LIKE 'merged%'), "
        "count(*) FILTER (WHERE o.outcome LIKE 'quarantined again%') "
        "FROM _rt_sel s JOIN _rt_outcome o USING (_qid) GROUP BY ALL ORDER BY 1").fetchall()
    _check_outcomes(con, folder)
    con.execute("DROP TABLE _rt_sel; DROP TABLE _rt_outcome; DROP TABLE _rt_bad")
    for entity in good:
        con.execute(f"DROP TABLE {q('_rt_good_' + entity)}")
    duration = time.perf_counter() - started
    return [BatchRecord(BATCH_SOURCE, batch_table(entity), entity, "release", None, None,
                        TableCounts(rows_extracted=n, rows_loaded=loaded, rows_merged=merged,
                                    rows_quarantined=again), duration / max(len(found), 1))
            for entity, n, loaded, merged, again in found]


def _check_outcomes(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Every chosen row has exactly one outcome. If not (a fault in the warehouse, not in the
    data), stop the build before anything is published, naming the requests involved: they
    stay pending, so every build stops here until they are withdrawn."""
    missing, twice = con.execute(
        "SELECT (SELECT count(*) FROM _rt_sel WHERE _qid NOT IN (SELECT _qid FROM _rt_outcome)), "
        "(SELECT count(*) - count(DISTINCT _qid) FROM _rt_outcome)").fetchone()
    if not (missing or twice):
        return
    reqs = [r[0] for r in con.execute(
        "SELECT DISTINCT _req FROM _rt_sel WHERE _qid NOT IN (SELECT _qid FROM _rt_outcome) "
        "OR _qid IN (SELECT _qid FROM _rt_outcome GROUP BY _qid HAVING count(*) > 1) "
        "ORDER BY 1").fetchall()]
    files = ", ".join(str(folder / f"{r}.json") for r in reqs)
    raise LoadError(
        f"release {', '.join(reqs)} of quarantine.source_rows could not be applied: "
        f"{missing} chosen row(s) ended without an outcome, {twice} with more than one (a "
        f"fault in the warehouse, not in the data); nothing was published. The request stays "
        f"pending and stops every load until it is withdrawn: `crmwh quarantine withdraw "
        f"{reqs[0]}` (or delete {files}), then run the load again (the rows stay quarantined; "
        f"release them again later)")


def _try_typing(con: duckdb.DuckDBPyConnection, attempts: list[str], where: str,
                what: str) -> bool:
    """Build _typed from the first attempt that DuckDB accepts; if none does (a mapping that
    cannot read these values), quarantine the group's rows again with DuckDB's reason."""
    error = None
    for sql in attempts:
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {TYPED_TABLE} AS {sql}")
            return True
        except duckdb.Error as exc:
            error = error or exc
    reason = f"{what}: the contract cannot be applied to the quarantined values: {first_line(error)}"
    con.execute(f"INSERT INTO _rt_bad SELECT _qid, [{lit(reason)}] FROM _rt_sel s WHERE {where}")
    return False


def _type_table_rows(con: duckdb.DuckDBPyConnection, staging: StagingModel,
                     table: SourceTable, where: str) -> bool:
    """Database rows: the raw values back into the table's columns, then the typing step."""
    entity = staging.entities[table.stage]
    cols = list(table.columns)
    types = {c: duckdb_type(table.columns[c].type) for c in cols}
    fits = con.execute("SELECT " + ", ".join(
        f"coalesce(bool_and({_raw(c)} IS NULL OR TRY_CAST({_raw(c)} AS {types[c]}) IS NOT NULL), "
        f"true)" for c in cols) + f" FROM _rt_sel s WHERE {where}").fetchone()

    def relation(typed: bool) -> str:
        values = [f"TRY_CAST({_raw(c)} AS {types[c]}) AS {q(c)}" if typed and fit
                  else f"{_raw(c)} AS {q(c)}" for c, fit in zip(cols, fits, strict=True)]
        return f"SELECT {', '.join(values)}, s._qid, s._qload FROM _rt_sel s WHERE {where}"

    attempts = [typed_rows_sql(entity, table, relation(typed), set(), None,
                               carry=("_qid", "_qload")) for typed in (True, False)]
    return _try_typing(con, attempts, where, table.name)


def _type_file_rows(con: duckdb.DuckDBPyConnection, staging: StagingModel, family: FileFamily,
                    file_name: str, where: str) -> bool:
    """File rows: the raw text back into the file's columns, the family's clean rules (as
    the contract says now), the typing step and the file's duplicate-key test."""
    entity = staging.entities[family.stage]
    drop_raw(con)
    cols = "".join(f", {_raw(c)} AS {q(c)}" for c in family.file_columns)
    con.execute(f"CREATE TEMP TABLE _file_raw AS SELECT TRY_CAST({_raw('_file_row')} AS BIGINT) "
                f"AS _file_row{cols}, s._qid, s._qload FROM _rt_sel s WHERE {where}")
    ensure_reference_tables(con, family)
    compiled = compile_family(family, file_name, repetitive_columns(con, family))
    relation = (f"SELECT c.*, k._qid, k._qload FROM ({compiled.select}) c "
                f"JOIN (SELECT _file_row, _qid, _qload FROM _file_raw) k USING (_file_row)")
    lineage = RowLineage(file=lit(file_name), row="r._file_row",
                         problems=tuple(f"r.{c}" for c in compiled.problems),
                         raw=compiled.raw_json,
                         prefix=f"{lit('file ' + file_name + ' row ')} || r._file_row || ' field '")
    missing = set(entity.columns) - set(family.columns)
    sql = typed_rows_sql(entity, family, relation, missing, lineage, carry=("_qid", "_qload"))
    try:
        ok = _try_typing(con, [sql], where, f"{family.name} {file_name}")
        if ok:
            quarantine_conflicting_keys(con, family, file_name, compiled.raw_json_of_file)
    finally:  # built from the geography staged so far: never left for the load's own files
        drop_raw(con)
        drop_reference_tables(con, family)
    return ok


def _stage(con: duckdb.DuckDBPyConnection, staging: StagingModel, entity: str,
           load_id: str) -> None:
    """The re-typed rows of `entity` that fit: one per key (the latest), staged as rows of
    this load unless staging already holds that version or a newer one (restage.py)."""
    key_list = ", ".join(f"x.{q(k)}" for k in staging.entities[entity].key)
    later = (f"row_number() OVER (PARTITION BY {key_list} ORDER BY x._watermark DESC NULLS "
             f"LAST, x._qload DESC, x._row_hash) > 1")
    restage.restage(con, staging, entity, q(f"_rt_good_{entity}"),
                    skip=(later, "merged: a later version of the key was released"),
                    load_id=load_id, batch_source=BATCH_SOURCE,
                    batch_table=batch_table(entity), outcomes="_rt_outcome")


def _quarantine_again(con: duckdb.DuckDBPyConnection, load_id: str) -> None:
    """Rows that still do not fit: quarantined again, as rows of this load, with the new
    reasons; the row each came from says which one replaced it."""
    if not con.execute("SELECT count(*) FROM _rt_bad").fetchone()[0]:
        return
    con.execute(
        f"INSERT INTO {SOURCE_ROWS} (load_id, source, source_table, entity, row_key, problems, "
        f"raw, released_from) SELECT {lit(load_id)}, s.source, s.source_table, s._entity, "
        f"s.row_key, b.problems, s.raw, s._qid FROM _rt_bad b JOIN _rt_sel s USING (_qid)")
    assign_ids(con)
    con.execute(f"INSERT INTO _rt_outcome SELECT released_from, 'quarantined again as ' || "
                f"quarantine_id FROM {SOURCE_ROWS} WHERE load_id = {lit(load_id)} AND "
                f"released_from IN (SELECT _qid FROM _rt_bad)")
