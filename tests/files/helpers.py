"""File-source fixtures written by the tests: a contract, and people files in any format."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from warehouse.config import SOURCES_DIR

# The people family of the shared agreement (external.md), trimmed to what tests check.
PEOPLE = {
    "source": "test_people",
    "kind": "file",
    "description": "A purchased people list, as a test delivers it.",
    "files": {
        "demographics": {
            "pattern": "people_*.csv",
            "format": "csv",
            "encoding": "gbk",
            "stage": "ext_person",
            "key": ["record_id"],
            "columns": {
                "record_id": {"from": "编号", "clean": ["trim"]},
                "full_name": {"from": "姓名", "clean": ["trim", "halfwidth", "collapse_spaces"]},
                "phone": {"from": "电话", "clean": ["halfwidth", "phone_e164"]},
                "email": {"from": "邮箱", "clean": ["trim", "halfwidth", "email"]},
                "birth_date": {"from": "出生日期", "clean": [
                    "halfwidth", {"date": {"formats": ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"],
                                           "not_after": "today"}}]},
                "income_cny": {"from": "年收入", "clean": [
                    "halfwidth", {"null_if": ["N/A", "-", "无"]},
                    {"decimal": {"thousands": ",", "point": ".", "min": 0}}]},
                "province_code": {"from": "省份", "clean": ["trim", "halfwidth", "province_code"]},
                "city_name": {"from": "城市", "clean": ["trim", "halfwidth", "city_name"]},
                "as_of": {"from_name": r"people_(\d{8})", "clean": [{"date": ["%Y%m%d"]}]},
            },
        },
    },
}
HEADER = ["编号", "姓名", "电话", "邮箱", "出生日期", "年收入", "省份", "城市"]
GOOD_ROWS = [
    ["P1", " 张三 ", "+86 138 0013 8000", "Zhang.San@Example.com", "1985-03-04", "120,000.50",
     "广东", "深圳"],
    ["P2", "李四", "0755-1234 5678", "li4@example.cn", "1990/12/01", "￥88,000", "广东省",
     "深圳市"],
    ["P3", "ＷＡＮＧ　Ｗｕ", "１３９００１３９０００", "", "1979年01月02日", "N/A", "Beijing",
     "北京"],
]


def contracts_dir(tmp: Path, *extra: dict) -> Path:
    """A sources folder with the shipped database contracts plus the given file contracts."""
    folder = tmp / "contracts"
    folder.mkdir(parents=True, exist_ok=True)
    for path in SOURCES_DIR.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    for spec in extra or (PEOPLE,):
        (folder / f"{spec['source']}.yaml").write_text(
            yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def csv_text(rows: list[list[str]], header: list[str] = HEADER, delimiter: str = ",") -> str:
    def cell(v: str) -> str:
        if any(ch in v for ch in (delimiter, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v
    return "".join(delimiter.join(cell(v) for v in row) + "\n" for row in [header, *rows])


def drop(landing: Path, name: str, data: bytes | str, encoding: str = "gbk") -> Path:
    landing.mkdir(parents=True, exist_ok=True)
    path = landing / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path
