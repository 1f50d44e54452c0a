"""Province and city name variants -> the geography's province codes and canonical city names.

The reference is the geography the load has staged (staging.current_geography, from the CRM's
own city table), followed by the bundled reference of Chinese and foreign cities
(warehouse/demo/geography.py, which the demo CRM is generated from): a city the CRM added is
known at once, and where both name a variant the staged geography wins. A value resolved from
the bundled list alone may still be missing from the geography dimension; the staging suites
report that (`province_is_known`). Variants: the official name (广东省), the short name (广东,
广东省份), pinyin (guangdong) and English (Guangdong Province); cities likewise (深圳 / 深圳市 /
shenzhen). Lookups compare a key with spaces removed and lower-cased.

City codes (`city_code_aliases`) are the geography dimension's own key, city_id, and come from
the staged geography only: a variant resolves to a canonical name as above, and that name to
the city_id the CRM's geography gives it (the lowest, should two cities share a name). A city
the dimension does not hold has no code, even if the bundled list knows its name.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import duckdb

from warehouse.demo.geography import cities
from warehouse.duck import table_exists

# Chinese administrative suffixes, longest first, so 广西壮族自治区 -> 广西.
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省份", "省", "市")
# Pinyin that differs from the usual romanisation, and English names in common use.
_ROMAN = {"陕西": ["shaanxi"], "内蒙古": ["innermongolia", "neimongol"], "西藏": ["tibet", "xizang"],
          "广西": ["guangxi"], "新疆": ["xinjiang"], "宁夏": ["ningxia"]}
# Pinyin two provinces share, pinned to one (the other keeps its own romanisation in _ROMAN).
_PINNED = {"shanxi": "山西"}
_ENGLISH_SUFFIXES = ("province", "sheng", "city", "shi", "municipality", "autonomousregion")


def lookup_key(text: str) -> str:
    """The normalised form both the aliases and the SQL lookup use."""
    return re.sub(r"\s+", "", text).lower()


def short_name(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _variants(name: str) -> set[str]:
    from pypinyin import lazy_pinyin  # 0.6 s to import: only when a geography rule runs

    short = short_name(name)
    names = {name, short, short + "省份"}
    romans = [lookup_key("".join(lazy_pinyin(short)))] if re.search(r"[\u4e00-\u9fff]", short) else []
    romans += _ROMAN.get(short, [])
    if not romans:  # a foreign name: itself is the roman form
        romans = [lookup_key(name)]
    for roman in romans:
        names.add(roman)
        names.update(roman + suffix for suffix in _ENGLISH_SUFFIXES)
    return {lookup_key(n) for n in names}


Place = tuple[str | None, str, str]     # (province_code, province_name, city_name)


@cache
def bundled() -> tuple[Place, ...]:
    return tuple((c.province_code, c.province_name, c.city_name) for c in cities())


def reference(con: duckdb.DuckDBPyConnection | None) -> tuple[Place, ...]:
    """The staged geography's places (in city_id order), then the bundled ones."""
    if con is None or not table_exists(con, "staging", "current_geography"):
        return bundled()
    rows = con.execute(
        "SELECT province_code, province_name, city_name FROM staging.current_geography "
        "WHERE NOT _deleted AND city_name IS NOT NULL ORDER BY city_id").fetchall()
    return tuple(rows) + bundled()


@lru_cache(maxsize=4)     # one per geography seen; a long-lived process sees few
def province_aliases(places: tuple[Place, ...] | None = None) -> dict[str, str]:
    """Variant -> province_code. 山西 and 陕西 share the pinyin 'shanxi': it goes to 山西,
    陕西 keeps 'shaanxi'."""
    aliases: dict[str, str] = {}
    for code, province, _ in places or bundled():
        if code is None or province is None:
            continue
        aliases.setdefault(lookup_key(code), code)
        for variant in _variants(province):
            if _PINNED.get(variant, short_name(province)) != short_name(province):
                continue  # 'shanxi' is 山西's whatever order the staged cities come in
            if variant in aliases and aliases[variant] != code:
                continue  # first declared wins (山西 before 陕西 for 'shanxi')
            aliases[variant] = code
    return aliases


@lru_cache(maxsize=4)
def city_aliases(places: tuple[Place, ...] | None = None) -> dict[str, str]:
    """Variant -> canonical city name of the geography."""
    aliases: dict[str, str] = {}
    for _, _, city in places or bundled():
        for variant in _variants(city):
            aliases.setdefault(variant, city)
    return aliases


def staged_city_ids(con: duckdb.DuckDBPyConnection | None) -> tuple[tuple[str, int], ...]:
    """(city_name, city_id) of the staged geography, in city_id order (none before it is
    staged)."""
    if con is None or not table_exists(con, "staging", "current_geography"):
        return ()
    return tuple(con.execute(
        "SELECT city_name, city_id FROM staging.current_geography WHERE NOT _deleted AND "
        "city_name IS NOT NULL AND city_id IS NOT NULL ORDER BY city_id").fetchall())


@lru_cache(maxsize=4)
def city_code_aliases(places: tuple[Place, ...], staged: tuple[tuple[str, int], ...]
                      ) -> dict[str, str]:
    """Variant -> the geography dimension's city_id (as text) of the city it names. A name
    that several staged cities share maps to none of them: which one a file meant is not
    known, so its rows are quarantined (and released once the geography says) rather than
    given a guessed city."""
    ids: dict[str, set[str]] = {}
    for name, city_id in staged:
        ids.setdefault(name, set()).add(str(city_id))
    one = {name: next(iter(found)) for name, found in ids.items() if len(found) == 1}
    return {variant: one[city] for variant, city in city_aliases(places).items() if city in one}
