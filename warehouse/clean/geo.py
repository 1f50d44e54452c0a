"""Province and city name variants -> the geography dimension's codes and canonical names.

Built from warehouse/demo/geography.py, the same reference the geography dimension is loaded
from, so a standardised value always joins. Variants: the official name (广东省), the short
name (广东, 广东省份), pinyin (guangdong) and English (Guangdong Province); cities likewise
(深圳 / 深圳市 / shenzhen). Lookups compare a key with spaces removed and lower-cased.
"""

from __future__ import annotations

import re
from functools import cache

from warehouse.demo.geography import cities

# Chinese administrative suffixes, longest first, so 广西壮族自治区 -> 广西.
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省份", "省", "市")
# Pinyin that differs from the usual romanisation, and English names in common use.
_ROMAN = {"陕西": ["shaanxi"], "内蒙古": ["innermongolia", "neimongol"], "西藏": ["tibet", "xizang"],
          "广西": ["guangxi"], "新疆": ["xinjiang"], "宁夏": ["ningxia"]}
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


@cache
def province_aliases() -> dict[str, str]:
    """Variant -> province_code. 山西 and 陕西 share the pinyin 'shanxi': it goes to 山西,
    陕西 keeps 'shaanxi'."""
    aliases: dict[str, str] = {}
    for city in cities():
        if city.province_code is None:
            continue
        aliases.setdefault(lookup_key(city.province_code), city.province_code)
        for variant in _variants(city.province_name):
            if variant in aliases and aliases[variant] != city.province_code:
                continue  # first declared wins (山西 before 陕西 for 'shanxi')
            aliases[variant] = city.province_code
    return aliases


@cache
def city_aliases() -> dict[str, str]:
    """Variant -> canonical city name of the geography dimension."""
    aliases: dict[str, str] = {}
    for city in cities():
        for variant in _variants(city.city_name):
            aliases.setdefault(variant, city.city_name)
    return aliases
