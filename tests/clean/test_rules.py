"""Each standardisation rule on hand-picked inputs, through the same compiled SELECT the
ingest runs (layers, joins for lookups, problem columns); expected values written by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from warehouse import duck
from warehouse.clean.compile import compile_family, ensure_reference_tables, repetitive_columns
from warehouse.contracts.files import FileFamily


def standardise(rules: list, values: list[str | None],
                by_value: bool = False) -> list[tuple[object, str | None]]:
    """(standardised value, problem) per input value; `by_value`: rules run once per distinct
    value and joined back (the path large files take for repetitive columns)."""
    family = FileFamily.model_validate({
        "pattern": "*.csv", "format": "csv", "stage": "ext_person", "key": [],
        "columns": {"v": {"from": "raw", "clean": rules}}})
    con = duck.connect()
    con.execute("CREATE TEMP TABLE _file_raw (_file_row BIGINT, raw VARCHAR)")
    con.executemany("INSERT INTO _file_raw VALUES (?, ?)", list(enumerate(values, 1)))
    ensure_reference_tables(con, family)
    compiled = compile_family(family, "f.csv", frozenset({"v"}) if by_value else frozenset())
    problem = compiled.problems[0] if compiled.problems else "NULL"
    rows = con.execute(f"SELECT v, {problem} FROM ({compiled.select}) ORDER BY _file_row"
                       ).fetchall()
    con.close()
    return rows


CASES = [
    # rule(s), input, expected value
    (["trim"], "  a b \u3000", "a b"),
    (["trim"], "   ", None),
    (["upper"], "abc", "ABC"),
    (["lower"], "ABC", "abc"),
    (["collapse_spaces"], "a   b\t c", "a b c"),
    (["halfwidth"], "１３８　ＡＢＣ，（）", "138 ABC,()"),
    (["halfwidth"], "plain 张三", "plain 张三"),
    (["phone_e164"], "+86 138 0013 8000", "+8613800138000"),
    (["phone_e164"], "0086-138-0013-8000", "+8613800138000"),
    (["phone_e164"], "8613800138000", "+8613800138000"),
    (["phone_e164"], "13800138000", "+8613800138000"),
    (["phone_e164"], "(0755) 1234-5678", "+8675512345678"),
    (["phone_e164"], "+86 10 1234 5678", "+861012345678"),
    (["phone_e164"], "+65 6123 4567", "+6561234567"),
    (["halfwidth", "phone_e164"], "１３８００１３８０００", "+8613800138000"),
    (["email"], " Zhang.San@Example.COM ", "zhang.san@example.com"),
    ([{"date": ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%d.%m.%Y"]}], "2024/2/29", date(2024, 2, 29)),
    ([{"date": ["%Y-%m-%d", "%Y年%m月%d日"]}], "1985年03月04日", date(1985, 3, 4)),
    ([{"date": ["%d.%m.%Y"]}], "04.03.1985", date(1985, 3, 4)),
    ([{"date": ["%Y-%m-%d"]}], "2025-1-5", date(2025, 1, 5)),
    ([{"decimal": {"thousands": ",", "point": "."}}], "1,234,567.89", Decimal("1234567.89")),
    ([{"decimal": {"thousands": ",", "point": "."}}], "￥1,234", Decimal("1234")),
    ([{"decimal": {"thousands": ",", "point": "."}}], "RMB 12.50", Decimal("12.5")),
    ([{"decimal": {"thousands": ".", "point": ","}}], "1.234,5", Decimal("1234.5")),
    ([{"decimal": {"thousands": ","}}], "-42", Decimal("-42")),
    (["province_code"], "广东", "440000"),
    (["province_code"], "广东省", "440000"),
    (["province_code"], "广东省份", "440000"),
    (["province_code"], "Guangdong Province", "440000"),
    (["province_code"], "shaanxi", "610000"),
    (["province_code"], "山西", "140000"),
    (["province_code"], "内蒙古", "150000"),
    (["city_name"], "深圳", "深圳市"),
    (["city_name"], "Shen Zhen", "深圳市"),
    (["city_name"], "北京", "北京市"),
    ([{"map": {"男": "M", "女": "F"}}], "女", "F"),
    ([{"map": {"男": "M", "女": "F"}}], "M", "M"),
    ([{"null_if": ["N/A", "-", "无"]}], "无", None),
    ([{"null_if": ["N/A", "-", "无"]}], "ok", "ok"),
]


@pytest.mark.parametrize("rules, value, expected", CASES,
                         ids=[f"{r[0] if isinstance(r[0], str) else next(iter(r[0]))}:{v}"
                              for (r, v, _) in [(c[0][-1:], c[1], None) for c in CASES]])
def test_rule_standardises(rules, value, expected):
    [(got, problem)] = standardise(rules, [value])
    assert got == expected
    assert problem is None


FAILURES = [
    (["phone_e164"], "12345", "is not a phone number"),
    (["phone_e164"], "138 0013 800", "is not a phone number"),
    (["email"], "bad@", "is not an e-mail address"),
    ([{"date": ["%Y-%m-%d"]}], "2025-02-30", "is not a date (rule date ['%Y-%m-%d'])"),
    ([{"date": ["%Y-%m-%d"]}], "2025/01/05", "is not a date"),   # a form not declared
    ([{"date": ["%Y/%m/%d"]}], "2025-01-05", "is not a date"),
    ([{"date": {"formats": ["%Y-%m-%d"], "not_after": "today"}}], "2999-01-01", "not after today"),
    ([{"decimal": {"thousands": ","}}], "1,2,3", "is not an amount"),
    ([{"decimal": {"thousands": ",", "min": 0}}], "-5", "is not an amount (rule decimal, >= 0"),
    (["province_code"], "火星", "is not a province known to the geography"),
    (["city_name"], "Atlantis", "is not a city known to the geography"),
    ([{"map": {"男": "M"}}], "x", "is not a value in the map"),
]


@pytest.mark.parametrize("rules, value, message", FAILURES)
def test_rule_failure_names_file_row_field_value_and_rule(rules, value, message):
    [(got, problem)] = standardise(rules, [value])
    assert got is None
    assert problem.startswith(f"file f.csv row 1 field raw (v): '{value}'")
    assert message in problem


def test_missing_is_not_a_failure():
    assert standardise(["trim", "phone_e164"], [None, ""]) == [(None, None), (None, None)]


def test_a_long_value_is_cut_in_the_reason():
    [(_, problem)] = standardise(["email"], ["x" * 5000])
    assert "(5000 characters)" in problem and len(problem) < 400


def test_rules_by_distinct_value_give_the_same_values_and_problems():
    """Every case above, repeated, NULLs between: the per-value path equals the per-row path
    row by row, problems (with their row numbers) included."""
    for rules, value, _ in [*CASES, *FAILURES]:
        values = [value, None, value, "", value]
        assert standardise(rules, values, by_value=True) == standardise(rules, values), rules


def test_repetitive_columns_are_those_with_few_distinct_values():
    family = FileFamily.model_validate({
        "pattern": "*.csv", "format": "csv", "stage": "ext_person", "key": [],
        "columns": {"province_code": {"from": "p", "clean": ["trim", "province_code"]},
                    "record_id": {"from": "id", "clean": ["trim"]},
                    "full_name": {"from": "n"}}})          # no rules: nothing to save
    con = duck.connect()
    con.execute("CREATE TEMP TABLE _file_raw AS SELECT range + 1 AS _file_row, "
                "(['广东', '浙江', '北京'])[range % 3 + 1] AS p, 'R' || range AS id, "
                "'x' || range % 2 AS n FROM range(200000)")
    assert repetitive_columns(con, family) == {"province_code"}
    assert repetitive_columns(con, family, min_rows=1_000_000) == frozenset()  # small file


def test_shared_pinyin_goes_to_the_same_province_whatever_the_city_order():
    from warehouse.clean.geo import bundled, province_aliases

    for places in (bundled(), tuple(reversed(bundled()))):
        aliases = province_aliases(places)
        assert (aliases["shanxi"], aliases["shaanxi"]) == ("140000", "610000")
