"""Ragged file rows (a wrong number of fields) cannot be released: `crmwh quarantine release`
says so naming the file, the rows and what to do (land a corrected file that supersedes it),
and the corrected file's rows load with every batch still balanced."""

from __future__ import annotations

import copy
from datetime import date

from tests.files.helpers import GOOD_ROWS, PEOPLE, csv_text, drop
from tests.quality.test_quarantine_cli import crmwh
from tests.quality.test_source_row_release import P4, use_contracts
from tests.snapshots import batch, query, unbalanced
from warehouse.load import run_load
from warehouse.quality.release import all_requests

D1, D2 = date(2025, 3, 10), date(2025, 3, 11)
FILE, FIXED = "people_20250310.csv", "people_20250310.v2.csv"
RAGGED = ["P6", "孙八", "13700000006", "", "1985-01-01", "", "四川"]      # 7 of 8 fields
P6 = [*RAGGED, "成都"]
# P4's dotted date is not in the contract's formats: an ordinary typing problem.
CSV = csv_text([*GOOD_ROWS, P4]).rstrip("\n").split("\n")


def tolerant() -> dict:
    spec = copy.deepcopy(PEOPLE)
    spec["files"]["demographics"]["max_ragged_fraction"] = 0.5
    return spec


def ids(home) -> dict[str, str]:
    """quarantine id by what the row is: 'ragged' or the record id."""
    rows = query(home, "SELECT quarantine_id, row_key, raw->>'_line' FROM quarantine.source_rows "
                       "WHERE released_in IS NULL")
    return {("ragged" if line else key): qid for qid, key, line in rows}


def test_ragged_rows_are_explained_and_a_corrected_file_takes_them_in(mini, tmp_path,
                                                                      monkeypatch):
    home, _, _ = mini
    use_contracts(tmp_path, monkeypatch, "c", tolerant())
    text = "\n".join([*CSV, ",".join(RAGGED)]) + "\n"           # the ragged line is row 5
    drop(home.landing / "test_people", FILE, text)
    run_load(home, D1)
    assert batch(home, "L20250310", FILE) == [(5, 3, 0, 2)]
    got = ids(home)
    assert set(got) == {"ragged", "P4"}

    # Only the ragged row asked for: refused, saying which file and row, and what to do.
    alone = crmwh("quarantine", "release", "source_rows", "--id", got["ragged"])
    assert alone.returncode == 2
    message = " ".join(alone.stderr.split())
    assert f"{FILE} row 5" in message
    assert "wrong number of fields" in message
    assert f"land the corrected file as {FIXED}" in message
    assert "Traceback" not in alone.stderr
    assert all_requests(home) == []

    # With an ordinary row: the request takes that one; the ragged one is named, not
    # called an unknown id.
    both = crmwh("quarantine", "release", "source_rows", "--id", got["ragged"], "--id", got["P4"])
    assert both.returncode == 0, both.stderr
    out = " ".join(both.stdout.split())
    assert "1 row(s) of quarantine.source_rows are re-typed" in out
    assert f"{FILE} row 5" in out and FIXED in out
    [req] = all_requests(home)
    assert req.ids == [got["P4"]]

    # The fix the message asks for: the corrected file, landed under the superseding name.
    drop(home.landing / "test_people", FIXED, csv_text([*GOOD_ROWS, P6]))
    run_load(home, D2)
    assert query(home, "SELECT record_id, city_name, _file, _file_row FROM "
                       "staging.current_ext_person WHERE record_id = 'P6'") == [
        ("P6", "成都市", FIXED, 4)]
    assert batch(home, "L20250311", FIXED) == [(4, 1, 3, 0)]
    assert unbalanced(home) == []
    assert query(home, "SELECT status, superseded_by FROM meta.file_manifests "
                       "WHERE file_name = ?", [FILE]) == [("superseded", FIXED)]
    # Asked again, the ragged row is reported as already corrected, not as something to do.
    again = crmwh("quarantine", "release", "source_rows", "--id", got["ragged"])
    assert again.returncode == 2
    message = " ".join(again.stderr.split())
    assert f"{FILE} row 5" in message and f"already corrected by {FIXED}" in message
