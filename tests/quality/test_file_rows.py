"""Gates on rows from external files: a failing row is quarantined with its file and row, and
the file's own batch (named after the file) keeps read = loaded + merged + quarantined."""

from __future__ import annotations

import copy
from datetime import date

from tests.files.helpers import GOOD_ROWS, HEADER, PEOPLE, contracts_dir, csv_text, drop
from tests.quality.test_gated_load import query
from warehouse.load import run_load


def test_a_file_row_failing_a_gate_is_quarantined_and_counted_against_its_file(
        mini, tmp_path, monkeypatch):
    home, _, _ = mini
    spec = copy.deepcopy(PEOPLE)
    spec["files"]["demographics"]["columns"]["gender"] = {"from": "性别", "clean": ["trim", "upper"]}
    monkeypatch.setenv("CRMWH_SOURCES_DIR", str(contracts_dir(tmp_path, spec)))
    genders = ["m", "X", "F"]
    rows = [[*row, g] for row, g in zip(GOOD_ROWS, genders, strict=True)]
    name = "people_20250310.csv"
    drop(home.landing / "test_people", name, csv_text(rows, [*HEADER, "性别"]))
    run_load(home, date(2025, 3, 10))
    [(record, gender, failures, file, file_row)] = query(
        home, "SELECT record_id, gender, failures, _file, _file_row FROM quarantine.ext_person")
    assert (record, gender, file) == ("P2", "X", name) and file_row is not None
    assert failures == [{"expectation": "expect_column_values_to_be_in_set(gender)",
                         "column": "gender", "value": "X", "severity": "warning"}]
    assert query(home, "SELECT record_id, gender FROM staging.current_ext_person ORDER BY 1") == [
        ("P1", "M"), ("P3", "F")]
    assert query(home, "SELECT rows_extracted, rows_loaded, rows_merged, rows_quarantined FROM "
                       "meta.batches WHERE source = 'test_people' AND source_table = ?",
                 [name]) == [(3, 2, 0, 1)]
