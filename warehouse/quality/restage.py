"""Staging the rows a release lets back in: one routine for both kinds of release, rows a
gate held back (release.py) and typing-step rows that now fit the contract (retype.py).

The caller puts the chosen rows in a relation with the entity's columns and the staging
meta columns (_watermark, _row_hash, _deleted, _source, _source_table, _file, _file_row),
plus `_qid` (the quarantine id) and `_qload` (the load that read the row). Each row gets one
outcome: the caller's own reason first (a later copy of the key is released with it), then
'merged' when staging already holds the same version or a newer one, else 'restaged': the
row becomes the key's current version as a row of this load (the one it replaces moves to
superseded), and its key is recorded in the temp table `_released_<entity>` so the staging
gates count rows they quarantine again against the release's batch.
"""

from __future__ import annotations

import duckdb

from warehouse.contracts.staging import StagingModel
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit
from warehouse.stage.schema import current_table, superseded_table

RESTAGED = "restaged"
SAME = "merged: the same version is already staged"
NEWER = "merged: a newer version is already staged"


def released_table(entity: str) -> str:
    """Name of the temp table of keys this build re-staged into `entity`."""
    return f"_released_{entity}"


def newer_sql(c: str = "c", x: str = "x") -> str:
    """SQL: staged row `c` is a newer version of its key than released row `x`. Watermarks
    decide when both rows have one (a row re-stamped by a later load, e.g. by a gate release,
    keeps its watermark); only when one is missing does the load decide: the batch `c` was
    staged by against `x._qload`, the load that read `x`."""
    return (f"CASE WHEN {c}._watermark IS NOT NULL AND {x}._watermark IS NOT NULL "
            f"THEN {c}._watermark > {x}._watermark ELSE {c}._batch_id > {x}._qload END")


def restage(con: duckdb.DuckDBPyConnection, staging: StagingModel, entity: str, rows: str, *,
            skip: tuple[str, str], load_id: str, batch_source: str, batch_table: str,
            outcomes: str) -> None:
    """Stage the released `rows` (a table or subquery, see above) of `entity`; every row's
    outcome is inserted into `outcomes` (_qid, outcome). `skip` is (condition on alias x,
    outcome): rows it holds for are not staged, e.g. an older copy of a key released too."""
    keys = list(staging.entities[entity].key)
    cur_t, sup_t = current_table(entity), superseded_table(entity)
    match = " AND ".join(f"c.{q(k)} = x.{q(k)}" for k in keys)
    condition, reason = skip
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _restage AS SELECT x.*, CASE "
        f"WHEN {condition} THEN {lit(reason)} "
        f"WHEN EXISTS (SELECT 1 FROM {cur_t} c WHERE {match} AND c._row_hash = x._row_hash) "
        f"THEN {lit(SAME)} "
        f"WHEN EXISTS (SELECT 1 FROM {cur_t} c WHERE {match} AND {newer_sql()}) "
        f"THEN {lit(NEWER)} ELSE {lit(RESTAGED)} END AS _outcome FROM {rows} x")
    con.execute(f"INSERT INTO {outcomes} SELECT _qid, _outcome FROM _restage")
    restage_rows = f"(SELECT * FROM _restage WHERE _outcome = {lit(RESTAGED)})"
    in_restage = f"EXISTS (SELECT 1 FROM {restage_rows} x WHERE {match})"
    con.execute(f"INSERT INTO {sup_t} SELECT * FROM {cur_t} c WHERE {in_restage}")
    con.execute(f"DELETE FROM {cur_t} c WHERE {in_restage}")
    # The staging columns the released rows have (rows quarantined before the entity gained
    # a column lack it: NULL), as of this load.
    have = {d[0] for d in con.execute("SELECT * FROM _restage LIMIT 0").description}
    staged = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'staging' AND table_name = ? ORDER BY column_index",
        [f"current_{entity}"]).fetchall()]
    names = ", ".join(q(c) for c in staged if c in have and c != "_batch_id")
    con.execute(f"INSERT INTO {cur_t} BY NAME SELECT {names}, {lit(load_id)} AS _batch_id "
                f"FROM {restage_rows}")
    released = q(released_table(entity))
    key_cols = ", ".join(q(k) for k in keys)
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {released} AS SELECT {key_cols}, _row_hash, "
                f"''::VARCHAR AS _batch_source, ''::VARCHAR AS _batch_table FROM _restage "
                f"WHERE false")
    con.execute(f"INSERT INTO {released} SELECT {key_cols}, _row_hash, {lit(batch_source)}, "
                f"{lit(batch_table)} FROM {restage_rows}")
    con.execute("DROP TABLE _restage")
