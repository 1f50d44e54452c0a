"""Releasing rows the typing step quarantined (quarantine.source_rows): the contract is fixed,
`crmwh quarantine release source_rows` asks, the next load re-types the rows under the fixed
contract and stages those that now fit, exactly once. Expected values are worked out by hand
from tests/files/helpers.py and tests/mini_sources.py."""

from __future__ import annotations

import copy
import shutil
from datetime import date, datetime
from decimal import Decimal

import pytest
import yaml

from tests.files.helpers import GOOD_ROWS, PEOPLE, contracts_dir, csv_text, drop
from tests.mini_sources import execute
from tests.quality.test_gated_load import edit_suite, own_suites
from tests.quality.test_quarantine_cli import crmwh
from tests.snapshots import batch, query, unbalanced
from warehouse.config import SOURCES_DIR
from warehouse.errors import LoadError
from warehouse.load import run_load
from warehouse.quality.release import all_requests, new_request

D1, D2, D3, D4 = date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12), date(2025, 3, 13)
FILE = "people_20250310.csv"
# P4's birth date is day-first with dots, a format the contract does not know yet; P5's is
# dotted too but no date at all (30 February).
P4 = ["P4", "赵六", "13700000004", "", "10.03.1985", "", "四川", "成都"]
P5 = ["P5", "钱七", "13700000005", "", "30.02.1985", "", "四川", "成都"]
FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]


def people_contract(formats: list[str]) -> dict:
    spec = copy.deepcopy(PEOPLE)
    rules = spec["files"]["demographics"]["columns"]["birth_date"]["clean"]
    rules[1]["date"]["formats"] = formats
    return spec


def use_contracts(tmp_path, monkeypatch, name: str, *specs: dict):
    folder = contracts_dir(tmp_path / name, *specs)
    monkeypatch.setenv("CRMWH_SOURCES_DIR", str(folder))
    return folder


def source_rows(home):
    return query(home, "SELECT quarantine_id, row_key, released_in, release_outcome, "
                       "released_from FROM quarantine.source_rows ORDER BY quarantine_id")




def test_a_file_row_with_a_bad_date_loads_once_after_the_contract_is_fixed(
        mini, tmp_path, monkeypatch):
    home, _, _ = mini
    use_contracts(tmp_path, monkeypatch, "before", people_contract(FORMATS))
    drop(home.landing / "test_people", FILE, csv_text([*GOOD_ROWS, P4, P5]))
    run_load(home, D1)
    assert source_rows(home) == [("L20250310-source_rows-1", "P4", None, None, None),
                                 ("L20250310-source_rows-2", "P5", None, None, None)]
    assert batch(home, "L20250310", FILE) == [(5, 3, 0, 2)]

    listed = crmwh("quarantine", "list", "--table", "source_rows")
    assert listed.returncode == 0, listed.stderr
    [line] = [ln for ln in listed.stdout.splitlines() if "is not a date" in ln]
    assert "ext_person" in line and "L20250310" in line and "10.03.1985" in line
    assert "30.02.1985" in line and "出生日期 (birth_date)" in line
    rows = crmwh("quarantine", "list", "--rows", "--table", "source_rows")
    assert f"{FILE} row 4" in rows.stdout and "L20250310-source_rows-1" in rows.stdout

    # The fix: day-first dotted dates are accepted. Both rows are released by their reason.
    fixed = [*FORMATS, "%d.%m.%Y"]
    use_contracts(tmp_path, monkeypatch, "fixed", people_contract(fixed))
    ok = crmwh("quarantine", "release", "source_rows", "--problem", "birth_date")
    assert ok.returncode == 0, ok.stderr
    assert "2 row(s) of quarantine.source_rows are re-typed" in ok.stdout
    [req] = all_requests(home)
    assert (req.table, req.problem, req.status) == ("source_rows", "birth_date", "pending")
    assert req.id in crmwh("quarantine", "list").stdout

    run_load(home, D2)
    assert query(home, "SELECT record_id, full_name, phone, birth_date, province_code, "
                       "city_name, as_of, _batch_id, _source, _source_table, _file, _file_row "
                       "FROM staging.current_ext_person WHERE record_id = 'P4'") == [
        ("P4", "赵六", "+8613700000004", date(1985, 3, 10), "510000", "成都市", D1, "L20250311",
         "test_people", "demographics", FILE, 4)]
    # In core: identity resolution took the record in (as a prospect: no CRM customer is 赵六).
    assert query(home, "SELECT source, file, file_row, customer_id IS NULL, "
                       "prospect_id IS NOT NULL FROM core.identity_link "
                       "WHERE record_id = 'P4'") == [("test_people", FILE, 4, True, True)]
    # P5 fails again, with the reason under the fixed contract, as a row of this load.
    assert source_rows(home) == [
        ("L20250310-source_rows-1", "P4", "L20250311", "restaged", None),
        ("L20250310-source_rows-2", "P5", "L20250311",
         "quarantined again as L20250311-source_rows-1", None),
        ("L20250311-source_rows-1", "P5", None, None, "L20250310-source_rows-2")]
    [(problems, released_by)] = query(
        home, "SELECT n.problems, o.released_by FROM quarantine.source_rows n JOIN "
              "quarantine.source_rows o ON o.quarantine_id = n.released_from")
    assert problems == [f"file {FILE} row 5 field 出生日期 (birth_date): '30.02.1985' is not a "
                        f"date (rule date {fixed}, not after today)"]
    assert released_by == req.id
    assert batch(home, "L20250311", "source_rows.ext_person") == [(2, 1, 0, 1)]
    assert unbalanced(home) == []
    status = crmwh("status")
    assert status.returncode == 0, status.stderr
    [line] = [ln for ln in status.stdout.splitlines() if "quarantine.source_rows.ext_person" in ln]
    assert [c.strip() for c in line.split("│") if c.strip()] == [
        "quarantine.source_rows.ext_person", "2", "1", "0", "1", "0", "yes"]
    assert "rows quarantined: 0 by gates, 1 by typing" in status.stdout

    # Exactly once: the next load finds the request applied and stages nothing again.
    run_load(home, D3)
    assert query(home, "SELECT count(*) FROM staging.ext_person WHERE record_id = 'P4'") == [(1,)]
    assert query(home, "SELECT count(*) FROM meta.batches WHERE source = 'quarantine'") == [(1,)]
    assert [(r.status, r.applied_in) for r in all_requests(home)] == [("applied", "L20250311")]
    nothing = crmwh("quarantine", "release", "source_rows", "--id", "L20250310-source_rows-1")
    assert nothing.returncode == 2
    assert "no unreleased quarantined rows of source_rows with those ids" in nothing.stderr
    assert "Traceback" not in nothing.stderr


def release_p4_after_the_fix(home, tmp_path, monkeypatch):
    """Day 1 quarantines P4's dd.mm.yyyy date; the contract then gains that format and P4's
    release is requested (the next build applies it)."""
    use_contracts(tmp_path, monkeypatch, "before", people_contract(FORMATS))
    drop(home.landing / "test_people", FILE, csv_text([*GOOD_ROWS, P4]))
    run_load(home, D1)
    use_contracts(tmp_path, monkeypatch, "fixed", people_contract([*FORMATS, "%d.%m.%Y"]))
    return new_request(home, "source_rows", None, ["L20250310-source_rows-1"])


def test_a_release_in_a_failed_load_stays_pending_and_the_next_load_applies_it_once(
        mini, tmp_path, monkeypatch):
    home, _, _ = mini
    request = release_p4_after_the_fix(home, tmp_path, monkeypatch)

    def fail(*_args, **_kwargs):
        raise LoadError("injected failure after the release was applied")

    with monkeypatch.context() as patch, pytest.raises(LoadError, match="injected"):
        patch.setattr("warehouse.load.run_checks", fail)
        run_load(home, D2)
    assert source_rows(home) == [("L20250310-source_rows-1", "P4", None, None, None)]
    assert query(home, "SELECT count(*) FROM staging.ext_person WHERE record_id = 'P4'") == [(0,)]
    assert [r.status for r in all_requests(home)] == ["pending"]

    run_load(home, D2)
    assert query(home, "SELECT birth_date, _batch_id FROM staging.ext_person "
                       "WHERE record_id = 'P4'") == [(date(1985, 3, 10), "L20250311")]
    assert batch(home, "L20250311", "source_rows.ext_person") == [(1, 1, 0, 0)]
    run_load(home, D3)
    assert query(home, "SELECT count(*) FROM staging.ext_person WHERE record_id = 'P4'") == [(1,)]
    assert source_rows(home) == [("L20250310-source_rows-1", "P4", "L20250311", "restaged", None)]
    assert {r.id: (r.status, r.applied_in) for r in all_requests(home)} == {
        request.id: ("applied", "L20250311")}
    assert unbalanced(home) == []


def comma_prices(tmp_path, monkeypatch):
    """Source contracts whose mapping reads order line prices written with a decimal comma."""
    folder = tmp_path / "contracts"
    shutil.copytree(SOURCES_DIR, folder)
    spec = yaml.safe_load((folder / "crm.yaml").read_text(encoding="utf-8"))
    spec["tables"]["sales_order_lines"].setdefault("mapping", {})["unit_price"] = \
        "replace(unit_price, ',', '.')"
    (folder / "crm.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False),
                                     encoding="utf-8")
    monkeypatch.setenv("CRMWH_SOURCES_DIR", str(folder))


# Three order lines the SQLite CRM holds with a price the typing step refuses: 'abc' (junk),
# and two with a decimal comma; line 10 also has a 150% discount the staging gate refuses.
LINES = ("INSERT INTO t.sales_order_lines VALUES "
         "(8, 1000, 5, 500, 1, 'abc', 0, 1.00, '2025-03-10 12:00:00', '2025-03-10 12:00:00', false), "
         "(9, 1000, 6, 500, 1, '19,90', 0, 19.90, '2025-03-10 12:00:00', '2025-03-10 12:00:00', "
         "false), "
         "(10, 1000, 7, 501, 1, '5,00', 150, 0.00, '2025-03-10 12:00:00', '2025-03-10 12:00:00', "
         "false)")


def test_database_rows_are_re_typed_by_the_fixed_mapping_and_gated_again(
        mini, tmp_path, monkeypatch):
    home, crm, _ = mini
    execute(crm, LINES)
    run_load(home, D1)
    assert query(home, "SELECT quarantine_id, row_key, problems FROM quarantine.source_rows "
                       "ORDER BY 1") == [
        ("L20250310-source_rows-1", "8", ["unit_price: expected decimal(12,2), got abc"]),
        ("L20250310-source_rows-2", "9", ["unit_price: expected decimal(12,2), got 19,90"]),
        ("L20250310-source_rows-3", "10", ["unit_price: expected decimal(12,2), got 5,00"])]

    refused = crmwh("quarantine", "release", "source_rows", "--problem", "unit_price",
                    "--entity", "customer")
    assert refused.returncode == 2 and "of entity 'customer'" in refused.stderr
    both = crmwh("quarantine", "release", "order_line", "--problem", "x")
    assert both.returncode == 2 and "--problem selects rows of source_rows" in both.stderr

    # The fix: the CRM writes some prices with a decimal comma; the contract maps them.
    comma_prices(tmp_path, monkeypatch)
    ok = crmwh("quarantine", "release", "--table", "source_rows", "--expectation",
               "expected decimal(12,2)", "--entity", "order_line", "--load", "L20250310")
    assert ok.returncode == 0, ok.stderr
    assert "3 row(s) of quarantine.source_rows" in ok.stdout
    run_load(home, D2)

    # Line 9 is staged and in the fact; line 10 typed, then the discount gate held it back;
    # line 8 is still no number: quarantined again.
    assert query(home, "SELECT line_id, unit_price, _batch_id, _source, _source_table FROM "
                       "staging.current_order_line WHERE line_id >= 8") == [
        (9, Decimal("19.90"), "L20250311", "crm", "sales_order_lines")]
    assert query(home, "SELECT line_id, quantity, net_amount FROM core.fact_sales_line "
                       "WHERE line_id >= 8") == [(9, 1, Decimal("19.90"))]
    assert query(home, "SELECT line_id, unit_price, failures[1].expectation FROM "
                       "quarantine.order_line") == [
        (10, Decimal("5.00"), "expect_column_values_to_be_between(discount_pct)")]
    assert source_rows(home) == [
        ("L20250310-source_rows-1", "8", "L20250311",
         "quarantined again as L20250311-source_rows-1", None),
        ("L20250310-source_rows-2", "9", "L20250311", "restaged", None),
        ("L20250310-source_rows-3", "10", "L20250311", "restaged", None),
        ("L20250311-source_rows-1", "8", None, None, "L20250310-source_rows-1")]
    # read 3 = loaded 1 (line 9) + merged 0 + quarantined 2 (line 8 by typing, 10 by the gate)
    assert batch(home, "L20250311", "source_rows.order_line") == [(3, 1, 0, 2)]
    assert unbalanced(home) == []
    run_load(home, D3)
    assert query(home, "SELECT count(*) FROM staging.order_line WHERE line_id = 9") == [(1,)]
    assert query(home, "SELECT count(*) FROM core.fact_sales_line WHERE line_id = 9") == [(1,)]
    assert query(home, "SELECT count(*) FROM meta.batches WHERE source = 'quarantine' "
                       "AND load_id = 'L20250312'") == [(0,)]


def test_a_released_row_newer_than_a_version_a_later_load_re_stamped_is_loaded(
        mini, tmp_path, monkeypatch):
    """The staged version of a key can carry a later batch than the released row's load (a gate
    release re-stamps it) while being older: the watermarks decide, and the released row loads."""
    home, crm, _ = mini
    suites = own_suites(tmp_path, monkeypatch)
    # Day 1: line 6 (watermark 03-10 12:00) has a 150% discount: the gate holds it back.
    execute(crm, "INSERT INTO t.sales_order_lines VALUES (6, 1000, 3, 501, 1, 19.90, 150, 0.00, "
                 "'2025-03-10 12:00:00', '2025-03-10 12:00:00', false)")
    run_load(home, D1)
    assert query(home, "SELECT quarantine_id FROM quarantine.order_line") == [
        ("L20250310-order_line-1",)]
    # Day 2: its new version (watermark 03-11 12:00) has a price with a decimal comma: the
    # typing step holds it back.
    execute(crm, "UPDATE t.sales_order_lines SET unit_price = '5,00', discount_pct = 10, "
                 "updated_at = '2025-03-11 12:00:00' WHERE line_id = 6")
    run_load(home, D2)
    assert source_rows(home) == [("L20250311-source_rows-1", "6", None, None, None)]

    # Day 3: discounts up to 200% are accepted and the day-1 version is released: it is staged
    # as a row of L20250312, later than the load that read the day-2 version.
    edit_suite(suites, "staging.order_line", lambda exps: [
        e["kwargs"].update(max_value=200) for e in exps
        if e["kwargs"].get("column") == "discount_pct"])
    new_request(home, "order_line", None, ["L20250310-order_line-1"])
    run_load(home, D3)
    line6 = ("SELECT unit_price, discount_pct, _batch_id, _watermark FROM {} WHERE line_id = 6")
    assert query(home, line6.format("staging.current_order_line")) == [
        (Decimal("19.90"), Decimal("150.00"), "L20250312", datetime(2025, 3, 10, 12))]

    # Day 4: the price mapping is fixed and the day-2 version released: newer by watermark,
    # it replaces the day-1 version though that one's batch is later than L20250311.
    comma_prices(tmp_path, monkeypatch)
    new_request(home, "source_rows", None, ["L20250311-source_rows-1"])
    run_load(home, D4)
    assert source_rows(home) == [("L20250311-source_rows-1", "6", "L20250313", "restaged", None)]
    assert query(home, line6.format("staging.current_order_line")) == [
        (Decimal("5.00"), Decimal("10.00"), "L20250313", datetime(2025, 3, 11, 12))]
    assert query(home, line6.format("staging.superseded_order_line")) == [
        (Decimal("19.90"), Decimal("150.00"), "L20250312", datetime(2025, 3, 10, 12))]
    assert query(home, "SELECT unit_price, discount_pct FROM core.fact_sales_line "
                       "WHERE line_id = 6") == [(Decimal("5.00"), Decimal("10.00"))]
    assert batch(home, "L20250313", "source_rows.order_line") == [(1, 1, 0, 0)]
    assert unbalanced(home) == []


STAGING_E = {"entities": {"e": {"key": ["id"], "columns": {"id": "bigint", "v": "text"}}}}


def _released(con, key: int, watermark, load: str, name: str = "rows") -> None:
    """A temp table `name` holding one released row of entity e (as restage.py takes them)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT ?::BIGINT AS id, 'new' AS v, "
                "'s' AS _source, 't' AS _source_table, ?::TIMESTAMP AS _watermark, "
                "false AS _deleted, 2::UBIGINT AS _row_hash, NULL::VARCHAR AS _file, "
                "NULL::BIGINT AS _file_row, 'q' || ? AS _qid, ? AS _qload",
                [key, watermark, key, load])


def _restage_one(current: tuple, released: tuple) -> str:
    """The outcome of releasing one row of key 1 into a staging table holding one version;
    each row is (watermark, batch or load id)."""
    from warehouse import duck
    from warehouse.contracts.staging import StagingModel
    from warehouse.quality import restage
    from warehouse.stage.schema import create_all

    staging = StagingModel.model_validate(STAGING_E)
    con = duck.connect()
    create_all(con, staging)
    con.execute("INSERT INTO staging.current_e (id, v, _batch_id, _source, _source_table, "
                "_watermark, _deleted, _row_hash) VALUES (1, 'old', ?, 's', 't', ?, false, 1)",
                [current[1], current[0]])
    _released(con, 1, *released)
    con.execute("CREATE TEMP TABLE outcomes (_qid VARCHAR, outcome VARCHAR)")
    restage.restage(con, staging, "e", "rows", skip=("false", "never"), load_id="L5",
                    batch_source="quarantine", batch_table="e", outcomes="outcomes")
    [(outcome,)] = con.execute("SELECT outcome FROM outcomes").fetchall()
    staged = con.execute("SELECT v, _batch_id FROM staging.current_e").fetchall()
    assert staged == ([("new", "L5")] if outcome == "restaged" else [("old", current[1])])
    con.close()
    return outcome


def test_watermarks_decide_which_version_is_newer_and_loads_only_without_one():
    t1, t2 = datetime(2025, 3, 10), datetime(2025, 3, 11)
    newer = "merged: a newer version is already staged"
    assert _restage_one((t1, "L3"), (t2, "L2")) == "restaged"      # later batch, older version
    assert _restage_one((t2, "L1"), (t1, "L2")) == newer            # earlier batch, newer version
    assert _restage_one((None, "L3"), (None, "L2")) == newer        # no watermarks: the loads
    assert _restage_one((None, "L1"), (None, "L2")) == "restaged"
    assert _restage_one((t2, "L3"), (None, "L2")) == newer          # one missing: the loads too
    assert _restage_one((None, "L1"), (t1, "L2")) == "restaged"


def test_both_kinds_of_release_into_one_entity_keep_their_keys_for_the_gates():
    """Each release adds the keys it staged to _released_<entity>, whichever runs first."""
    from warehouse import duck
    from warehouse.contracts.staging import StagingModel
    from warehouse.quality import release, restage
    from warehouse.stage.schema import create_all

    staging = StagingModel.model_validate(STAGING_E)
    con = duck.connect()
    create_all(con, staging)
    con.execute("CREATE TEMP TABLE outcomes (_qid VARCHAR, outcome VARCHAR)")
    for key, batch_table in ((1, "source_rows.e"), (2, "e")):
        _released(con, key, None, "L2")
        restage.restage(con, staging, "e", "rows", skip=("false", "never"), load_id="L5",
                        batch_source="quarantine", batch_table=batch_table, outcomes="outcomes")
    assert release.released_keys_table(con, "e") == '"_released_e"'
    assert con.execute("SELECT id, _batch_source, _batch_table FROM _released_e ORDER BY 1"
                       ).fetchall() == [(1, "quarantine", "source_rows.e"),
                                        (2, "quarantine", "e")]
    assert con.execute("SELECT * FROM outcomes ORDER BY 1").fetchall() == [
        ("q1", "restaged"), ("q2", "restaged")]
    con.close()


def test_a_row_left_without_an_outcome_stops_the_load_naming_the_request_to_withdraw(
        mini, tmp_path, monkeypatch):
    home, _, _ = mini
    request = release_p4_after_the_fix(home, tmp_path, monkeypatch)
    path = home.root / "quarantine" / "releases" / f"{request.id}.json"
    # A fault: the row that now fits is never staged, so it gets no outcome.
    with monkeypatch.context() as patch, pytest.raises(LoadError) as err:
        patch.setattr("warehouse.quality.retype._stage", lambda *_args, **_kwargs: None)
        run_load(home, D2)
    message = str(err.value)
    assert f"release {request.id} of quarantine.source_rows could not be applied" in message
    assert "1 chosen row(s) ended without an outcome" in message
    assert f"crmwh quarantine withdraw {request.id}" in message and f"delete {path}" in message
    assert [r.status for r in all_requests(home)] == ["pending"]
    # Withdrawn as the message says, the next load runs and the row stays quarantined.
    out = crmwh("quarantine", "withdraw", request.id)
    assert out.returncode == 0, out.stderr
    assert f"release {request.id}" in out.stdout and "withdrawn" in out.stdout
    assert [r.status for r in all_requests(home)] == ["withdrawn"]
    run_load(home, D2)
    assert source_rows(home) == [("L20250310-source_rows-1", "P4", None, None, None)]


def test_a_snapshot_made_before_ids_lists_the_ids_its_next_build_gives():
    """Rows of an older snapshot (no id column) are listed with the ids a build then stores."""
    from warehouse import duck
    from warehouse.contracts.staging import StagingModel
    from warehouse.quality import retype
    from warehouse.stage.schema import create_all

    con = duck.connect()
    con.execute("CREATE SCHEMA quarantine; CREATE TABLE quarantine.source_rows (load_id VARCHAR "
                "NOT NULL, source VARCHAR NOT NULL, source_table VARCHAR NOT NULL, entity VARCHAR "
                "NOT NULL, row_key VARCHAR, problems VARCHAR[] NOT NULL, raw JSON NOT NULL)")
    con.execute("INSERT INTO quarantine.source_rows VALUES "
                "('L2', 'crm', 't', 'e', '10', ['a: expected date, got x'], '{\"a\":\"x\"}'), "
                "('L1', 'crm', 't', 'e', '9', ['a: expected date, got y'], '{\"a\":\"y\"}'), "
                "('L2', 'crm', 't', 'e', '8', ['a: expected date, got z'], '{\"a\":\"z\"}')")
    listed = con.execute(f"SELECT row_key, quarantine_id, released_in FROM "
                         f"{retype.rows_sql(con)} ORDER BY 2").fetchall()
    assert listed == [("9", "L1-source_rows-1", None), ("8", "L2-source_rows-1", None),
                      ("10", "L2-source_rows-2", None)]
    create_all(con, StagingModel(entities={}))
    retype.assign_ids(con)
    assert con.execute("SELECT row_key, quarantine_id FROM quarantine.source_rows "
                       "ORDER BY 2").fetchall() == [r[:2] for r in listed]
    assert con.execute(f"SELECT {retype.reason_sql('p')}, {retype.column_sql('p')}, "
                       f"{retype.value_sql('p')} FROM (VALUES ('file f.csv row 4 field 出生日期 "
                       f"(birth_date): ''1.2'' is not a date (rule date [''%Y''])')) t(p)"
                       ).fetchall() == [("出生日期 (birth_date): is not a date (rule date ['%Y'])",
                                         "出生日期 (birth_date)", "1.2")]
    con.close()
