"""The word lists as DuckDB list macros, expanded by weight so `pick(list, u)` is a weighted pick.

Parallel lists (e.g. surname and its pinyin) are expanded identically, so one index picks
matching entries from both.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from warehouse.demo import vocab
from warehouse.demo.rng import sql_list


def _expand(rows: Sequence[tuple], weight_at: int) -> list[tuple]:
    return [row for row in rows for _ in range(int(row[weight_at]))]


def _lists() -> dict[str, list]:
    surnames = _expand(vocab.SURNAMES, 2)
    industries = _expand(vocab.INDUSTRIES, 3)
    bands = _expand(vocab.EMPLOYEE_BANDS, 2)
    fb: dict[str, list] = {}
    for lang, pools in (("zh", vocab.FEEDBACK_ZH), ("en", vocab.FEEDBACK_EN)):
        for mood, texts in pools.items():
            fb[f"fb_{lang}_{mood}"] = texts
    return {
        "sn_h": [s[0] for s in surnames],
        "sn_p": [s[1] for s in surnames],
        "gm_h": [g[0] for g in vocab.GIVEN_MALE],
        "gm_p": [g[1] for g in vocab.GIVEN_MALE],
        "gf_h": [g[0] for g in vocab.GIVEN_FEMALE],
        "gf_p": [g[1] for g in vocab.GIVEN_FEMALE],
        "fp_name": [p[0] for p in vocab.FOREIGN_PEOPLE],
        "fp_mail": [p[1] for p in vocab.FOREIGN_PEOPLE],
        "mail_b2c": [d for d, _ in _expand(vocab.EMAIL_DOMAINS_B2C, 1)],
        "mobile_pfx": vocab.MOBILE_PREFIXES,
        "brand_h": [b[0] for b in vocab.BRANDS],
        "brand_p": [b[1] for b in vocab.BRANDS],
        "ind_name": [i[0] for i in industries],
        "ind_cn": [i[1] for i in industries],
        "ind_en": [i[2] for i in industries],
        "co_suffix": [s for s, _ in _expand(vocab.COMPANY_SUFFIXES, 1)],
        "band_name": [b[0] for b in bands],
        "band_seg": [b[1] for b in bands],
        "roads": vocab.ROADS,
        "titles": [t for t, _ in _expand(vocab.CONTACT_TITLES, 1)],
        "carrier_cn": [c for c, _ in _expand(vocab.CARRIERS_CN, 1)],
        "carrier_intl": [c for c, _ in _expand(vocab.CARRIERS_INTL, 1)],
        "landing": vocab.LANDING_PAGES,
        **fb,
    }


def _map_case(arg: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items())
    return f"CASE {arg} {whens} ELSE '' END"


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Create one zero-argument macro per list, plus lookups by country code."""
    for name, values in _lists().items():
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name}() AS {sql_list(values)}")
    con.execute("CREATE OR REPLACE TEMP MACRO foreign_suffix(cc) AS "
                + _map_case("cc", vocab.FOREIGN_SUFFIX))
    con.execute("CREATE OR REPLACE TEMP MACRO foreign_street(cc) AS "
                + _map_case("cc", vocab.FOREIGN_STREETS))
