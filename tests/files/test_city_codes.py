"""Cities to the geography dimension's code: the `city_code` rule maps a city, in any of its
name forms, to the city_id of the CRM's geography (core.dim_geography's natural key); a city
the dimension lacks is quarantined with a problem naming file, row and field, and is released
once the geography has it. Expected ids are the mini CRM's (tests/mini_sources.py)."""

from __future__ import annotations

import copy
from datetime import date

import yaml

from tests.files.helpers import PEOPLE, csv_text, drop
from tests.mini_sources import execute
from tests.quality.test_quarantine_cli import crmwh
from tests.quality.test_source_row_release import use_contracts
from tests.snapshots import query, unbalanced
from warehouse.clean.geo import city_code_aliases
from warehouse.config import SOURCES_DIR
from warehouse.load import run_load

FILE = "people_20250310.csv"
ROWS = [
    ["P1", "王一", "", "", "", "", "上海", "上海"],
    ["P2", "王二", "", "", "", "", "Jiangsu", "nanjing"],       # pinyin forms
    ["P3", "王三", "", "", "", "", "广东", "深圳"],             # not in the CRM's geography
    ["P4", "王四", "", "", "", "", "江苏省", ""],               # no city: nothing to map
]


def with_city_code() -> dict:
    spec = copy.deepcopy(PEOPLE)
    spec["files"]["demographics"]["columns"]["city_id"] = {
        "from": "城市", "clean": ["trim", "halfwidth", "city_code"]}
    return spec


def test_cities_map_to_the_geography_dimension_and_unknown_ones_are_quarantined(
        mini, tmp_path, monkeypatch):
    home, crm, _ = mini
    use_contracts(tmp_path, monkeypatch, "c", with_city_code())
    drop(home.landing / "test_people", FILE, csv_text(ROWS))
    run_load(home, date(2025, 3, 10))
    staged = query(home, "SELECT p.record_id, p.province_code, p.city_name, p.city_id, "
                         "g.city_name FROM staging.current_ext_person p LEFT JOIN "
                         "core.dim_geography g ON g.city_id = p.city_id ORDER BY 1")
    assert staged == [("P1", "310000", "上海市", 310100, "上海市"),
                      ("P2", "320000", "南京市", 320100, "南京市"),
                      ("P4", "320000", None, None, None)]
    [(key, problems)] = query(home, "SELECT row_key, problems FROM quarantine.source_rows")
    assert key == "P3"
    assert problems == [f"file {FILE} row 3 field 城市 (city_id): '深圳' is not a city of the "
                        "geography dimension with one city_id (none, or several cities of "
                        "that name) (rule city_code)"]
    assert unbalanced(home) == []

    # The CRM's geography gains 深圳 (staged by the next load); then the row is released and
    # the load after that takes it in with its code.
    execute(crm, "INSERT INTO t.geo_cities VALUES (440300, 'CN', '中国', '440000', '广东省', "
                 "'深圳市', '2025-03-10 12:00:00')")
    run_load(home, date(2025, 3, 11))
    ok = crmwh("quarantine", "release", "source_rows", "--problem", "city_id")
    assert ok.returncode == 0, ok.stderr
    run_load(home, date(2025, 3, 12))
    assert query(home, "SELECT p.city_id, g.province_name FROM staging.current_ext_person p "
                       "JOIN core.dim_geography g USING (city_id) WHERE record_id = 'P3'") == [
        (440300, "广东省")]
    assert unbalanced(home) == []


def test_the_shipped_file_contracts_code_every_city_column():
    for name in ("purchased_people", "purchased_companies"):
        spec = yaml.safe_load((SOURCES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
        for family in spec["files"].values():
            cols = family["columns"]
            assert cols["city_id"]["from"] == cols["city_name"]["from"], (name, family)
            assert cols["city_id"]["clean"][-1] == "city_code"
            assert cols["province_code"]["clean"][-1] == "province_code"   # unchanged


def test_a_city_name_two_staged_cities_share_maps_to_neither():
    """Which 朝阳区 a file meant is unknown: its rows are quarantined, not given a guess."""
    places = (("110000", "北京市", "朝阳区"), ("220000", "吉林省", "朝阳区"),
              ("110000", "北京市", "海淀区"))
    staged = (("朝阳区", 110105), ("朝阳区", 220104), ("海淀区", 110108))
    codes = city_code_aliases(places, staged)
    assert "朝阳区" not in codes and "朝阳" not in codes
    assert codes["海淀区"] == "110108"
