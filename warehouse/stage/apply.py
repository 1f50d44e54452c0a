"""Turn one extracted source table into staged rows: map, type, validate, de-duplicate, record.

Every extracted row ends in exactly one bucket: loaded (a new version), merged (a version the
warehouse already holds, e.g. re-read inside the watermark lag window) or quarantined (a value
that does not fit the contract). The counts are returned so the load can prove they balance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from warehouse.contracts.files import FileFamily, FileSource
from warehouse.contracts.sources import Source, SourceTable
from warehouse.contracts.staging import Entity
from warehouse.contracts.types import duckdb_type
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit
from warehouse.duck import transaction
from warehouse.stage.schema import current_table, superseded_table

TYPED_TABLE = "_typed"  # every row of the relation, typed, with _bad/_problems/_raw_json


@dataclass(frozen=True)
class RowLineage:
    """What a file source adds to a staged row: where it came from, and problems found
    before typing (a standardisation rule that could not read a value). SQL over the relation."""

    file: str                      # expression for _file
    row: str                       # expression for _file_row
    problems: tuple[str, ...] = ()  # each a VARCHAR expression, NULL when fine
    raw: str = "to_json(r)"        # the row as JSON, as the file had it
    row_key: str = "NULL"          # the key as text, for quarantine.source_rows.row_key
    prefix: str = ""               # leads each typing problem: "file <f> row <n> field "
    # Runs once _typed exists, before anything is counted: may mark more rows bad (with
    # their problems and raw row) or keep what it needs of _typed.
    after_typing: Callable[[duckdb.DuckDBPyConnection], None] | None = None


@dataclass
class TableCounts:
    rows_extracted: int = 0
    rows_loaded: int = 0
    rows_merged: int = 0
    rows_quarantined: int = 0
    deletes_detected: int = 0

    @property
    def balanced(self) -> bool:
        return self.rows_extracted == self.rows_loaded + self.rows_merged + self.rows_quarantined


def _source_expr(table: SourceTable | FileFamily, name: str, missing: set[str]) -> str:
    """An entity column as the relation gives it: mapped, NULL when the source lacks it."""
    return table.mapping.get(name) or ("NULL" if name in missing else q(name))


def _typed(source_expr: str, type_: str) -> str:
    return f"TRY_CAST(({source_expr}) AS {duckdb_type(type_)})"


def _meta_columns(table: SourceTable | FileFamily,
                  lineage: RowLineage | None) -> dict[str, tuple[str, bool]]:
    """_deleted, _watermark, _file and _file_row over the relation (alias r): their SQL, and
    whether that is one value for the whole relation (no soft delete, watermark or file)."""
    soft = table.deletes.soft
    return {
        "_deleted": ((f"coalesce(TRY_CAST({q(soft)} AS BOOLEAN), false)", False) if soft
                     else ("false", True)),
        "_watermark": ((f"TRY_CAST({q(table.watermark)} AS TIMESTAMP)", False)
                       if table.watermark else ("NULL::TIMESTAMP", True)),
        # a file's name is a literal: one value for the batch
        "_file": (lineage.file, lineage.file.startswith("'")) if lineage
        else ("NULL::VARCHAR", True),
        "_file_row": (lineage.row, False) if lineage else ("NULL::BIGINT", True),
    }


def _typed_select(entity: Entity, table: SourceTable | FileFamily, missing: set[str],
                  extra_problems: tuple[str, ...] = (),
                  prefix: str = "") -> tuple[str, str, str]:
    """Typed entity columns, a cheap per-row 'is bad' test, and the problems list for bad rows.
    `prefix` (SQL) leads each typing problem, e.g. "file f.csv row 7 field "."""
    typed, bad, problems = [], [], []
    lead = f"{prefix} || " if prefix else ""
    for name, col in entity.columns.items():
        source_expr = _source_expr(table, name, missing)
        cast = _typed(source_expr, col.type)
        typed.append(f"{cast} AS {q(name)}")
        bad.append(f"(({source_expr}) IS NOT NULL AND {cast} IS NULL)")
        problems.append(
            f"CASE WHEN ({source_expr}) IS NOT NULL AND {cast} IS NULL THEN "
            f"{lead}{lit(name + ': expected ' + col.type + ', got ')} || "
            f"CAST(({source_expr}) AS VARCHAR) END"
        )
        if not col.nullable or name in entity.key:
            bad.append(f"(({source_expr}) IS NULL)")
            problems.append(f"CASE WHEN ({source_expr}) IS NULL THEN "
                            f"{lead}{lit(name + ': expected a value, got NULL')} END")
    bad += [f"(({p}) IS NOT NULL)" for p in extra_problems]
    problems += list(extra_problems)
    problem_list = f"list_filter([{', '.join(problems)}], x -> x IS NOT NULL)"
    return ", ".join(typed), " OR ".join(bad), problem_list


def typed_rows_sql(entity: Entity, table: SourceTable | FileFamily, relation: str,
                   missing: set[str], lineage: RowLineage | None = None,
                   carry: tuple[str, ...] = ()) -> str:
    """SELECT over `relation` (alias r): the entity's columns typed by the contract, _bad,
    _deleted, _watermark, _file, _file_row, _problems and _raw_json (both only for bad rows),
    _row_hash, and the relation's columns named in `carry` as they are."""
    typed, bad, problems = _typed_select(entity, table, missing,
                                         lineage.problems if lineage else (),
                                         lineage.prefix if lineage else "")
    meta = ", ".join(f"{sql} AS {name}" for name, (sql, _) in
                     _meta_columns(table, lineage).items())
    raw = lineage.raw if lineage else "to_json(r)"
    hash_args = ", ".join(q(c) for c in entity.columns)
    is_bad = f"coalesce({bad}, false)"
    carried = "".join(f", r.{q(c)}" for c in carry)
    return (f"SELECT t.*, hash({hash_args}, t._deleted) AS _row_hash FROM ("
            f"SELECT {typed}, {is_bad} AS _bad, {meta}, "
            f"CASE WHEN {is_bad} THEN {problems} END AS _problems, "
            f"CASE WHEN {is_bad} THEN {raw} END AS _raw_json{carried} "
            f"FROM ({relation}) r) t")


def constant_columns(entity: Entity, table: SourceTable | FileFamily, missing: set[str],
                     lineage: RowLineage | None) -> dict[str, str]:
    """Columns of typed_rows_sql that hold one value for the whole relation, as SQL: entity
    columns the source lacks, and _deleted, _watermark, _file, _file_row where the table has no
    soft delete, no watermark, or no file. They are hashed into _row_hash but not kept in
    _typed: a constant costs as much to store there as a real column."""
    out = {name: _typed("NULL", col.type) for name, col in entity.columns.items()
           if _source_expr(table, name, missing) == "NULL" and name not in entity.key}
    return out | {name: sql for name, (sql, constant) in _meta_columns(table, lineage).items()
                  if constant}


def stage_table(con: duckdb.DuckDBPyConnection, *, load_id: str, source: Source | FileSource,
                table: SourceTable | FileFamily, entity_name: str, entity: Entity,
                relation: str, missing: set[str],
                lineage: RowLineage | None = None) -> TableCounts:
    """Stage the rows of `relation` (a SELECT over the source table) into the entity's tables.

    One pass over the source types every value; the problems and the raw row as JSON are
    only built for rows that fail, so clean data pays for neither.
    """
    counts = TableCounts()
    key = list(entity.key)
    key_cols = ", ".join(q(k) for k in key)
    entity_cols = list(entity.columns)
    constants = constant_columns(entity, table, missing, lineage)
    kept = f"* EXCLUDE ({', '.join(q(c) for c in constants)})" if constants else "*"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TYPED_TABLE} AS SELECT {kept} FROM "
                f"({typed_rows_sql(entity, table, relation, missing, lineage)})")
    if lineage and lineage.after_typing:
        lineage.after_typing(con)
    counts.rows_extracted = con.execute("SELECT count(*) FROM _typed").fetchone()[0]
    # Quarantine: rows whose values do not fit the contract, with every reason and the raw row.
    key_text = lineage.row_key if lineage else " || '|' || ".join(
        f"coalesce(json_extract_string(_raw_json, {lit('$.' + k)}), '∅')" for k in table.key)
    counts.rows_quarantined = con.execute(
        f"INSERT INTO quarantine.source_rows (load_id, source, source_table, entity, row_key, "
        f"problems, raw) "
        f"SELECT {lit(load_id)}, {lit(source.source)}, {lit(table.name)}, {lit(entity_name)}, "
        f"{key_text}, _problems, _raw_json FROM _typed WHERE _bad"
    ).fetchone()[0]
    # One candidate per key (the latest watermark wins).
    repeated = con.execute(
        f"SELECT count(*) FROM (SELECT {key_cols} FROM _typed WHERE NOT _bad "
        f"GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
    latest = "" if "_watermark" in constants else "_watermark DESC NULLS LAST, "
    dedupe = (f"QUALIFY row_number() OVER (PARTITION BY {key_cols} "
              f"ORDER BY {latest}_row_hash) = 1") if repeated else ""
    restored = "".join(f", {sql} AS {q(name)}" for name, sql in constants.items())
    con.execute(f"CREATE OR REPLACE TEMP VIEW _candidates AS SELECT * EXCLUDE "
                f"(_bad, _problems, _raw_json){restored} FROM _typed WHERE NOT _bad {dedupe}")
    empty = con.execute(f"SELECT count(*) = 0 FROM {current_table(entity_name)}").fetchone()[0]
    if empty:  # nothing staged yet: every candidate is new, no copy needed
        con.execute("CREATE OR REPLACE TEMP VIEW _changed AS SELECT * FROM _candidates")
    else:
        join = " AND ".join(f"c.{q(k)} = cur.{q(k)}" for k in key)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _changed AS SELECT c.* FROM _candidates c "
            f"WHERE NOT EXISTS (SELECT 1 FROM {current_table(entity_name)} cur "
            f"WHERE {join} AND cur._row_hash = c._row_hash)"
        )
    counts.rows_loaded = con.execute("SELECT count(*) FROM _changed").fetchone()[0]
    counts.rows_merged = counts.rows_extracted - counts.rows_quarantined - counts.rows_loaded
    _append(con, load_id, source, table, entity_name, entity_cols, key, "_changed",
            replace=not empty)
    if table.mode == "full":
        counts.deletes_detected = _tombstone_missing(con, load_id, source, table, entity_name,
                                                     entity_cols, key, "SELECT * FROM _candidates")
    con.execute(f"DROP {'VIEW' if empty else 'TABLE'} _changed; DROP VIEW _candidates; "
                "DROP TABLE _typed")
    return counts


def _append(con: duckdb.DuckDBPyConnection, load_id: str, source: Source, table: SourceTable,
            entity_name: str, entity_cols: list[str], key: list[str], rows: str, *,
            replace: bool = True) -> None:
    """Make `rows` the current versions of their keys; the versions they replace move to
    superseded_<entity>, so every version is stored exactly once."""
    cols = ", ".join(q(c) for c in entity_cols)
    select = (f"SELECT {cols}, {lit(load_id)}, {lit(source.source)}, {lit(table.name)}, "
              f"_watermark, _deleted, _row_hash, _file, _file_row FROM {q(rows)}")
    current = current_table(entity_name)
    if replace:
        # Found by rowid: the key columns alone are scanned to find the replaced rows, and
        # only those rows are read whole (a semi-join SELECT * read every column of the table).
        join = " AND ".join(f"cur.{q(k)} = n.{q(k)}" for k in key)
        with transaction(con):  # the rowids hold only until the next checkpoint
            con.execute(f"CREATE OR REPLACE TEMP TABLE _replaced_rids AS SELECT cur.rowid AS "
                        f"_rid FROM {current} cur SEMI JOIN {q(rows)} n ON {join}")
            replaced = "WHERE rowid IN (SELECT _rid FROM _replaced_rids)"
            con.execute(f"INSERT INTO {superseded_table(entity_name)} "
                        f"SELECT * FROM {current} {replaced}")
            con.execute(f"DELETE FROM {current} {replaced}")
            con.execute("DROP TABLE _replaced_rids")
    # by name: a column added to an older snapshot's table sits after the meta columns
    meta = ", ".join(("_batch_id", "_source", "_source_table", "_watermark", "_deleted",
                      "_row_hash", "_file", "_file_row"))
    con.execute(f"INSERT INTO {current} ({cols}, {meta}) {select}")


def _tombstone_missing(con: duckdb.DuckDBPyConnection, load_id: str, source: Source | FileSource,
                       table: SourceTable | FileFamily, entity_name: str, entity_cols: list[str],
                       key: list[str], present: str, scope: str | None = None) -> int:
    """Rows current in the warehouse whose key the source no longer has become tombstones.

    `present` is a SELECT of the key columns the source still has, typed as staged. `scope`
    (SQL over the current table) narrows which rows may go: by default the rows of this
    source table; a corrected file passes the rows of the file it supersedes."""
    keys = ", ".join(q(k) for k in key)
    scope = scope or f"_source = {lit(source.source)} AND _source_table = {lit(table.name)}"
    cols = ", ".join(f"cur.{q(c)}" for c in entity_cols)
    # Keys first (a hash EXCEPT on the key columns alone), whole rows only for the few gone.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _gone_keys AS SELECT {keys} FROM "
        f"{current_table(entity_name)} WHERE NOT _deleted AND ({scope}) "
        f"EXCEPT SELECT {keys} FROM ({present})"
    )
    if con.execute("SELECT count(*) FROM _gone_keys").fetchone()[0] == 0:
        return 0                          # the usual night: nothing gone, no row read whole
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _gone AS SELECT {cols}, cur._watermark, true AS _deleted, "
        f"hash({cols}, true) AS _row_hash, cur._file, cur._file_row "
        f"FROM {current_table(entity_name)} cur "
        f"WHERE ({', '.join(f'cur.{q(k)}' for k in key)}) IN (SELECT ({keys}) FROM _gone_keys)"
    )
    gone = con.execute("SELECT count(*) FROM _gone").fetchone()[0]
    if gone:
        _append(con, load_id, source, table, entity_name, entity_cols, key, "_gone")
    return gone


def retire_rows(con: duckdb.DuckDBPyConnection, load_id: str, source: FileSource,
                table: FileFamily, entity_name: str, entity: Entity, present: str,
                scope: str) -> int:
    """Tombstone the current rows in `scope` whose key is not in the table `present`."""
    return _tombstone_missing(con, load_id, source, table, entity_name, list(entity.columns),
                              list(entity.key), f"SELECT * FROM {q(present)}", scope)


def detect_hard_deletes(con: duckdb.DuckDBPyConnection, load_id: str, source: Source,
                        table: SourceTable, entity_name: str, entity: Entity,
                        source_keys: str) -> int:
    """key_scan: compare the source's full key list (`source_keys`, a SELECT of the source's
    key columns) with the current state, typed and compared in one pass: the keys stream
    from the source into the comparison instead of landing in a table first."""
    mapped = [table.mapping.get(k, q(k)) for k in entity.key]
    select = ", ".join(f"CAST({expr} AS {duckdb_type(entity.columns[k].type)}) AS {q(k)}"
                       for expr, k in zip(mapped, entity.key, strict=True))
    return _tombstone_missing(con, load_id, source, table, entity_name, list(entity.columns),
                              list(entity.key), f"SELECT {select} FROM ({source_keys}) r")
