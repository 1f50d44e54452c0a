"""Name keys that survive script changes: 张伟, 'Zhang Wei', 'WEI Zhang' all give 'wei zhang'.

Chinese names are transliterated with pypinyin (surname readings fixed for the polyphonic
surnames); latin names are lower-cased. The key is the sorted (surname, given) tokens, so the
order a vendor wrote them in does not matter. Computed once per distinct name, in Python,
and joined back in DuckDB: there are far fewer distinct names than records.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache

import duckdb
import pyarrow as pa

COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
                     "令狐", "夏侯", "端木", "司徒", "万俟")
# surname readings pypinyin gets wrong out of context
SURNAME_READINGS = {"曾": "zeng", "单": "shan", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao",
                    "查": "zha", "乐": "yue", "覃": "qin", "盖": "ge", "缪": "miao", "尉迟": "yuchi",
                    "万俟": "moqi", "种": "chong", "员": "yun", "黑": "he"}
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NOT_LETTER = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")


@cache
def _pinyin() -> Callable[[str], list[str]]:
    """pypinyin's lazy_pinyin, imported on first use: the import alone takes 0.5 s."""
    from pypinyin import lazy_pinyin

    return lazy_pinyin


def name_key(name: str | None) -> tuple[str | None, str | None]:
    """(key, han): the order-insensitive pinyin key and the name in Chinese characters
    (None for a latin name)."""
    if name is None:
        return None, None
    text = unicodedata.normalize("NFKC", name).strip()
    if not text:
        return None, None
    if _HAN.search(text):
        han = "".join(ch for ch in text if _HAN.match(ch))
        if not han:
            return None, None
        n = 2 if han[:2] in COMPOUND_SURNAMES and len(han) > 2 else 1
        surname = SURNAME_READINGS.get(han[:n]) or "".join(_pinyin()(han[:n]))
        given = "".join(_pinyin()(han[n:]))
        tokens = [surname, given] if given else [surname]
        return " ".join(sorted(tokens)), han
    latin = _SPACES.sub(" ", _NOT_LETTER.sub(" ", text.lower())).strip()
    if not latin:
        return None, None
    return " ".join(sorted(latin.split(" "))), None


def register_keys(con: duckdb.DuckDBPyConnection, names_sql: str, out: str) -> None:
    """`out`(name, name_key, name_han) for every distinct non-null name of `names_sql`."""
    names = [r[0] for r in con.execute(
        f"SELECT DISTINCT name FROM ({names_sql}) WHERE name IS NOT NULL").fetchall()]
    keys = [name_key(n) for n in names]
    table = pa.table({"name": pa.array(names, pa.string()),
                      "name_key": pa.array([k for k, _ in keys], pa.string()),
                      "name_han": pa.array([h for _, h in keys], pa.string())})
    con.register("_name_keys_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM _name_keys_arrow")
    con.unregister("_name_keys_arrow")
