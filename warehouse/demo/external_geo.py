"""Province and city names in the forms external files use: long (广东省), short (广东), pinyin.

One reference table (`ext_geo`, one row per Chinese city) built from the same geography the
demo customers live in, so the generator can write any form and the tests can map them back.
"""

from __future__ import annotations

import duckdb
from pypinyin import lazy_pinyin

from warehouse.demo.geography import cities

_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
# pinyin of the short name is not the usual English name for these: never written in pinyin
_NO_PINYIN = {"610000", "150000", "540000", "140000"}


def short_name(name: str) -> str:
    """广东省 -> 广东, 广西壮族自治区 -> 广西, 深圳市 -> 深圳."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def pinyin_name(short: str) -> str:
    """广东 -> Guangdong."""
    return "".join(lazy_pinyin(short)).capitalize()


def rows() -> list[tuple]:
    """(city_id, province_code, prov_long, prov_short, prov_en, city_long, city_short,
    area_code, region_code, weight) for every Chinese city."""
    out = []
    for c in cities():
        if c.country_code != "CN":
            continue
        p_short = short_name(c.province_name)
        p_en = None if c.province_code in _NO_PINYIN else pinyin_name(p_short)
        out.append((c.city_id, c.province_code, c.province_name, p_short, p_en, c.city_name,
                    short_name(c.city_name), c.area_code, c.region_code, c.weight))
    return out


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Create temp tables ext_geo and ext_city_slots (cities repeated by weight)."""
    con.execute("""CREATE OR REPLACE TEMP TABLE ext_geo (city_id BIGINT, province_code VARCHAR,
        prov_long VARCHAR, prov_short VARCHAR, prov_en VARCHAR, city_long VARCHAR,
        city_short VARCHAR, area_code VARCHAR, region_code VARCHAR, weight INTEGER)""")
    con.executemany("INSERT INTO ext_geo VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
    con.execute("""
        CREATE OR REPLACE TEMP TABLE ext_city_slots AS
        SELECT row_number() OVER (ORDER BY city_id, r) - 1 AS slot, city_id
        FROM ext_geo, range(weight) t(r)
    """)
