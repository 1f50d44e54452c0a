"""Which builds vacuum deleted rows, and that DuckDB's setting does what the policy relies on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from warehouse import duck
from warehouse.errors import UserError
from warehouse.publish.compaction import COMPACT_ENV, compaction_weekday, compacts, set_compaction

THURSDAY, SUNDAY = date(2026, 1, 1), date(2026, 1, 4)


def test_builds_compact_on_sundays_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(COMPACT_ENV, raising=False)
    assert compaction_weekday() == "sun"
    assert compacts(SUNDAY) and not compacts(THURSDAY)


def test_the_weekday_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COMPACT_ENV, "Thu")
    assert compacts(THURSDAY) and not compacts(SUNDAY)
    monkeypatch.setenv(COMPACT_ENV, "daily")
    assert compacts(THURSDAY) and compacts(SUNDAY)


def test_a_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COMPACT_ENV, "someday")
    with pytest.raises(UserError, match=f"{COMPACT_ENV}='someday'.*mon, tue"):
        compaction_weekday()


def _row_groups_after_deletes(path: Path, compact: bool) -> tuple[int, int, int]:
    """Row groups before and after deleting most rows of each, and the rows left."""
    con = duck.connect(path)
    try:
        con.execute("CREATE TABLE t AS SELECT range AS i FROM range(500000)")
        con.execute("CHECKPOINT")
        groups = "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('t')"
        before = con.execute(groups).fetchone()[0]
        set_compaction(con, compact)
        con.execute("DELETE FROM t WHERE i % 4 <> 0")
        con.execute("CHECKPOINT")
        return before, con.execute(groups).fetchone()[0], con.execute(
            "SELECT count(*) FROM t").fetchone()[0]
    finally:
        con.close()


def test_only_a_compacting_checkpoint_rewrites_thinned_row_groups(tmp_path: Path) -> None:
    before, kept, rows = _row_groups_after_deletes(tmp_path / "off.duckdb", compact=False)
    assert (kept, rows) == (before, 125000)  # deleted rows stay until a compacting night
    before, merged, rows = _row_groups_after_deletes(tmp_path / "on.duckdb", compact=True)
    assert merged < before and rows == 125000
