"""Row-level quarantine: failing staged rows move to quarantine.<entity>, the rest load.

A quarantined row leaves staging.current_<entity> before core is built, so it never reaches
core; if it replaced an earlier version of its key, that version becomes current again (the
warehouse keeps what it had). The row is kept whole, with every expectation it failed, the
column and the offending value; `released_in` records the load that took it back in, which is
what makes a release load exactly once.
"""

from __future__ import annotations

import duckdb

from warehouse.contracts.staging import Entity
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit
from warehouse.quality.evaluate import HITS
from warehouse.stage.schema import (
    STAGING_META_COLUMNS,
    current_table,
    entity_columns_sql,
    superseded_table,
)

QUARANTINE_COLUMNS = {
    "quarantine_id": "VARCHAR NOT NULL",
    "load_id": "VARCHAR NOT NULL",
    "failures": "STRUCT(expectation VARCHAR, \"column\" VARCHAR, value VARCHAR, "
                "severity VARCHAR)[] NOT NULL",
    "released_in": "VARCHAR",
    "released_by": "VARCHAR",
    "release_outcome": "VARCHAR",
}


def quarantine_table(entity: str) -> str:
    return f"quarantine.{q(entity)}"


def ensure_table(con: duckdb.DuckDBPyConnection, name: str, entity: Entity) -> None:
    cols = [f"{q(n)} {t}" for n, t in QUARANTINE_COLUMNS.items()]
    cols += entity_columns_sql(entity)
    cols += [f"{q(n)} {t.replace(' NOT NULL', '')}" for n, t in STAGING_META_COLUMNS.items()]
    con.execute(f"CREATE TABLE IF NOT EXISTS {quarantine_table(name)} ({', '.join(cols)})")
    for col in cols[len(QUARANTINE_COLUMNS):]:   # added to the entity or staging since
        con.execute(f"ALTER TABLE {quarantine_table(name)} ADD COLUMN IF NOT EXISTS {col}")


def quarantined_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Entities with a gate quarantine table (source_rows is the typing step's own)."""
    return [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'quarantine' "
        "AND table_name <> 'source_rows' ORDER BY 1").fetchall()]


def move_rows(con: duckdb.DuckDBPyConnection, *, name: str, entity: Entity, load_id: str,
              failing: dict[str, tuple[str | None, str]],
              released: str | None = None) -> dict[tuple[str, str], int]:
    """Move this load's rows that failed a quarantine expectation out of staging.

    `failing` maps expectation name -> (column, severity) for the quarantine expectations;
    the failing rows are in HITS. Returns the rows moved per (source, source_table); rows
    re-staged by a release (keys in the temp table `released`) count against the release's
    batch, which that table names (_batch_source, _batch_table).
    """
    if not failing:
        return {}
    keys = list(entity.key)
    key_cols = ", ".join(q(k) for k in keys)
    exp_rows = ", ".join(f"({lit(n)}, {lit(c) if c else 'NULL'}, {lit(s)})"
                         for n, (c, s) in failing.items())
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _q_keys AS SELECT {key_cols}, list(struct_pack("
        f"expectation := h._exp, \"column\" := e.col, value := h._value, severity := e.sev) "
        f"ORDER BY h._exp) AS failures FROM {HITS} h JOIN (VALUES {exp_rows}) e(name, col, sev) "
        f"ON e.name = h._exp GROUP BY ALL")
    if not con.execute("SELECT count(*) FROM _q_keys").fetchone()[0]:
        return {}
    ensure_table(con, name, entity)
    current, superseded = current_table(name), superseded_table(name)
    match = " AND ".join(f"k.{q(k)} = c.{q(k)}" for k in keys)
    mine = f"c._batch_id = {lit(load_id)} AND EXISTS (SELECT 1 FROM _q_keys k WHERE {match})"
    prefix = f"{load_id}-{name}-"
    start = con.execute(f"SELECT count(*) FROM {quarantine_table(name)} WHERE load_id = ?",
                        [load_id]).fetchone()[0]
    con.execute(
        f"INSERT INTO {quarantine_table(name)} BY NAME SELECT "
        f"{lit(prefix)} || ({start} + row_number() OVER (ORDER BY {', '.join('c.' + q(k) for k in keys)}))"
        f" AS quarantine_id, {lit(load_id)} AS load_id, k.failures, c.* "
        f"FROM {current} c JOIN _q_keys k ON {match} WHERE c._batch_id = {lit(load_id)}")
    # A file's batch is named after the file; a database table's after the table.
    origin = "c._source, coalesce(c._file, c._source_table)"
    rows = f"{current} c"
    if released:
        rel = " AND ".join(f"x.{q(k)} = c.{q(k)}" for k in [*keys, "_row_hash"])
        one = ", ".join(q(k) for k in [*keys, "_row_hash"])
        rows += (f" LEFT JOIN (SELECT DISTINCT ON ({one}) * FROM {released} ORDER BY ALL) x "
                 f"ON {rel}")
        origin = ("coalesce(x._batch_source, c._source), "
                  "coalesce(x._batch_table, c._file, c._source_table)")
    moved = {(s, t): n for s, t, n in con.execute(
        f"SELECT {origin}, count(*) FROM {rows} WHERE {mine} GROUP BY ALL").fetchall()}
    con.execute(f"DELETE FROM {current} c WHERE {mine}")
    # The version each quarantined row replaced (the newest superseded one) is current again.
    # Newest by batch, then watermark, then the order versions were superseded in: a live row
    # and the tombstone made from it in the same load tie on both, and the tombstone is newer.
    sup_match = " AND ".join(f"k.{q(k)} = s.{q(k)}" for k in keys)
    cur_match = " AND ".join(f"c.{q(k)} = s.{q(k)}" for k in keys)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _q_restore AS SELECT s.* FROM {superseded} s "
        f"WHERE EXISTS (SELECT 1 FROM _q_keys k WHERE {sup_match}) "
        f"AND NOT EXISTS (SELECT 1 FROM {current} c WHERE {cur_match}) "
        f"QUALIFY row_number() OVER (PARTITION BY {', '.join('s.' + q(k) for k in keys)} "
        f"ORDER BY s._batch_id DESC, s._watermark DESC NULLS LAST, s.rowid DESC) = 1")
    restore_match = " AND ".join(f"r.{q(c)} IS NOT DISTINCT FROM s.{q(c)}"
                                 for c in [*keys, "_batch_id", "_row_hash"])
    con.execute(f"DELETE FROM {superseded} s WHERE EXISTS (SELECT 1 FROM _q_restore r "
                f"WHERE {restore_match})")
    con.execute(f"INSERT INTO {current} SELECT * FROM _q_restore")
    con.execute("DROP TABLE _q_restore; DROP TABLE _q_keys")
    return moved
