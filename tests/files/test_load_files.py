"""The nightly load takes landed files in exactly once: archive after publish, duplicates
skipped, corrections supersede, a failed load leaves files in landing, reruns and
rollbacks converge. Expected values are worked out by hand from tests/files/helpers.py."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from tests.files.helpers import GOOD_ROWS, csv_text, drop
from tests.snapshots import query
from warehouse.errors import LoadError
from warehouse.load import run_load
from warehouse.publish import SnapshotStore

D1, D2, D3 = date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12)
SOURCE = "test_people"


def landing(home):
    return home.landing / SOURCE


def current_people(home):
    return query(home, "SELECT record_id, full_name, phone, _file, _file_row FROM "
                       "staging.current_ext_person WHERE NOT _deleted ORDER BY record_id")


def test_files_are_standardised_staged_accounted_and_archived(files_home):
    home = files_home
    bad = ["P4", "坏", "12345", "", "2025-02-30", "", "火星", ""]
    drop(landing(home), "people_20250310.csv", csv_text([*GOOD_ROWS, bad]))
    result = run_load(home, D1)
    rows = query(home, "SELECT record_id, full_name, phone, email, birth_date, income_cny, "
                       "province_code, city_name, as_of, _file, _file_row "
                       "FROM staging.current_ext_person ORDER BY record_id")
    assert rows == [
        ("P1", "张三", "+8613800138000", "zhang.san@example.com", date(1985, 3, 4),
         Decimal("120000.50"), "440000", "深圳市", D1, "people_20250310.csv", 1),
        ("P2", "李四", "+8675512345678", "li4@example.cn", date(1990, 12, 1),
         Decimal("88000.00"), "440000", "深圳市", D1, "people_20250310.csv", 2),
        ("P3", "WANG Wu", "+8613900139000", None, date(1979, 1, 2), None, "110000", "北京市",
         D1, "people_20250310.csv", 3)]
    [(problems,)] = query(home, "SELECT problems FROM quarantine.source_rows WHERE row_key = 'P4'")
    assert {p.split(" field ")[1].split(":")[0] for p in problems} == {
        "电话 (phone)", "出生日期 (birth_date)", "省份 (province_code)"}
    assert all(p.startswith("file people_20250310.csv row 4 field ") for p in problems)
    [batch] = [b for b in result.batches if b.source == SOURCE]
    assert (batch.table, batch.counts.rows_extracted, batch.counts.rows_loaded,
            batch.counts.rows_merged, batch.counts.rows_quarantined) == (
        "people_20250310.csv", 4, 3, 0, 1)
    assert query(home, "SELECT status, rows_read, rows_loaded, rows_merged, rows_quarantined "
                       "FROM meta.file_manifests") == [("loaded", 4, 3, 0, 1)]
    assert query(home, "SELECT rows_extracted FROM meta.batches WHERE source = ?", [SOURCE]) == [(4,)]
    assert not (landing(home) / "people_20250310.csv").exists()
    assert (landing(home) / "_archive" / "20250310" / "people_20250310.csv").is_file()
    [entry] = [json.loads(x) for x in (home.landing / "_manifest.jsonl").read_text().splitlines()]
    assert (entry["status"], entry["file"], entry["load_id"]) == ("loaded", "people_20250310.csv",
                                                                  "L20250310")


def test_duplicates_are_skipped_and_corrections_supersede(files_home):
    home = files_home
    first = csv_text(GOOD_ROWS)
    drop(landing(home), "people_20250310.csv", first)
    run_load(home, D1)
    # The same bytes again under another name: recognised by checksum, skipped with a note.
    drop(landing(home), "people_copy_20250310.csv", first)
    # A correction: P1 renamed, P2 withdrawn, P3 unchanged, P5 new.
    corrected = [["P1", "张三丰", *GOOD_ROWS[0][2:]], GOOD_ROWS[2],
                 ["P5", "赵六", "13700000005", "", "", "", "四川", "成都"]]
    drop(landing(home), "people_20250310.v2.csv", csv_text(corrected))
    run_load(home, D2)
    assert query(home, "SELECT file_name, status, superseded_by, reason LIKE 'same content as "
                       "people_20250310.csv, already taken in by L20250310' FROM "
                       "meta.file_manifests ORDER BY load_id, file_name") == [
        ("people_20250310.csv", "superseded", "people_20250310.v2.csv", None),
        ("people_20250310.v2.csv", "loaded", None, False),
        ("people_copy_20250310.csv", "duplicate", None, True)]
    assert [r[:3] + r[3:4] for r in current_people(home)] == [
        ("P1", "张三丰", "+8613800138000", "people_20250310.v2.csv"),
        ("P3", "WANG Wu", "+8613900139000", "people_20250310.v2.csv"),
        ("P5", "赵六", "+8613700000005", "people_20250310.v2.csv")]
    # P2 is a tombstone, its old version kept in history.
    assert query(home, "SELECT _deleted, _file FROM staging.current_ext_person "
                       "WHERE record_id = 'P2'") == [(True, "people_20250310.csv")]
    assert sorted(p.name for p in (landing(home) / "_archive" / "20250311").iterdir()) == [
        "people_20250310.v2.csv", "people_copy_20250310.csv"]
    assert [p.name for p in landing(home).iterdir() if p.is_file()] == []


def test_a_failed_load_leaves_files_in_landing_and_the_rerun_takes_them_once(files_home,
                                                                            monkeypatch):
    home = files_home
    drop(landing(home), "people_20250310.csv", csv_text(GOOD_ROWS))

    def fail(*_args, **_kwargs):
        raise LoadError("injected failure after ingest")

    with monkeypatch.context() as patch, pytest.raises(LoadError):
        patch.setattr("warehouse.load.run_checks", fail)
        run_load(home, D1)
    assert (landing(home) / "people_20250310.csv").is_file()
    assert not (home.landing / "_manifest.jsonl").exists()
    run_load(home, D1)
    assert [r[0] for r in current_people(home)] == ["P1", "P2", "P3"]
    assert query(home, "SELECT count(*) FROM meta.file_manifests") == [(1,)]


def test_rerun_and_rollback_re_take_archived_files_in_order(files_home):
    home = files_home
    drop(landing(home), "people_20250310.csv", csv_text(GOOD_ROWS[:2]))
    first = run_load(home, D1).snapshot.id
    drop(landing(home), "people_20250311.csv", csv_text([GOOD_ROWS[2]]))
    run_load(home, D2)
    expected = current_people(home)
    assert [r[0] for r in expected] == ["P1", "P2", "P3"]
    # Rerunning D2 builds on D1's snapshot: the D2 file is already archived, and is re-taken.
    run_load(home, D2)
    assert current_people(home) == expected
    assert query(home, "SELECT file_name, load_id FROM meta.file_manifests ORDER BY 1") == [
        ("people_20250310.csv", "L20250310"), ("people_20250311.csv", "L20250311")]
    # Roll back to D1, then load D3: the rolled-back D2 file comes back exactly once.
    SnapshotStore(home).rollback(to=first)
    assert [r[0] for r in current_people(home)] == ["P1", "P2"]
    run_load(home, D3)
    assert current_people(home) == expected
    assert query(home, "SELECT count(*) FROM meta.file_manifests WHERE status = 'loaded'") == [(2,)]


def test_a_crash_between_publish_and_archive_is_healed_by_the_next_load(files_home, monkeypatch):
    home = files_home
    drop(landing(home), "people_20250310.csv", csv_text(GOOD_ROWS))
    with monkeypatch.context() as patch:  # the process dies right after publishing
        patch.setattr("warehouse.load.archive_after_publish", lambda *a, **k: [])
        run_load(home, D1)
    assert (landing(home) / "people_20250310.csv").is_file()
    run_load(home, D2)
    assert query(home, "SELECT load_id, status, reason FROM meta.file_manifests "
                       "ORDER BY load_id") == [
        ("L20250310", "loaded", None),
        ("L20250311", "duplicate", "same content as people_20250310.csv, already taken in by "
                                   "L20250310")]
    assert [r[0] for r in current_people(home)] == ["P1", "P2", "P3"]
    assert query(home, "SELECT count(*) FROM staging.ext_person") == [(3,)]
    assert (landing(home) / "_archive" / "20250311" / "people_20250310.csv").is_file()


def test_a_rejected_file_moves_to_rejected_with_its_reason_and_shows_in_status(files_home):
    from tests.quality.test_quarantine_cli import crmwh

    home = files_home
    drop(landing(home), "people_20250310.csv", csv_text(GOOD_ROWS))
    size = (landing(home) / "people_20250310.csv").stat().st_size
    (landing(home) / "people_20250311.csv").write_bytes(b"")
    run_load(home, D1)
    assert query(home, "SELECT file_name, status, size_bytes, reason FROM meta.file_manifests "
                       "ORDER BY file_name") == [
        ("people_20250310.csv", "loaded", size, None),
        ("people_20250311.csv", "rejected", 0, "empty file (0 bytes)")]
    assert not (landing(home) / "people_20250311.csv").exists()
    rejected = landing(home) / "_rejected" / "people_20250311.csv"
    assert rejected.is_file()
    reason = (landing(home) / "_rejected" / "people_20250311.csv.reason.txt").read_text()
    assert reason.startswith("people_20250311.csv (sha256 ") and "by load L20250310" in reason
    assert reason.rstrip().endswith("empty file (0 bytes)")
    out = crmwh("status")
    assert out.returncode == 0, out.stderr
    files = out.stdout[out.stdout.index("Landed files, load L20250310"):].splitlines()
    [loaded] = [line for line in files if "people_20250310.csv" in line]
    assert [c.strip() for c in loaded.split("│")[1:-1]][2:9] == [
        "loaded", str(size), "3", "3", "0", "0", "yes"]
    [refused] = [line for line in files if "people_20250311.csv" in line]
    assert "rejected" in refused and "empty file (0 bytes)" in refused

    run_load(home, D2)       # a rejected file is not picked up again
    assert query(home, "SELECT count(*) FROM meta.file_manifests WHERE load_id = 'L20250311'") \
        == [(0,)]
    assert rejected.is_file()


def test_a_city_the_crm_adds_to_its_geography_is_known_to_the_file_rules(files_home, mini):
    from tests.mini_sources import execute

    home = files_home
    _, crm, _ = mini
    # Not in the bundled reference: known only because the CRM's own geography has it.
    execute(crm, "INSERT INTO t.geo_cities VALUES (130600, 'CN', '中国', '139900', '雄安新区', "
                 "'容城县', '2025-01-01 00:00:00')")
    row = ["P9", "周九", "", "", "", "", "雄安新区", "容城县"]
    drop(landing(home), "people_20250310.csv", csv_text([*GOOD_ROWS, row]))
    run_load(home, D1)
    assert query(home, "SELECT province_code, city_name FROM staging.current_ext_person "
                       "WHERE record_id IN ('P1', 'P9') ORDER BY record_id") == [
        ("440000", "深圳市"), ("139900", "容城县")]
    assert query(home, "SELECT count(*) FROM quarantine.source_rows") == [(0,)]
