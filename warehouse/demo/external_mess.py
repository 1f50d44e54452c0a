"""Real-world mess for the external files, as DuckDB macros scaled by one `mess` level.

At mess 0 every value is written cleanly (one form per field); at the default level 1 a
realistic share is full-width, formatted oddly, misspelt, missing or stale. Each macro takes
a uniform value from `u`/`u2`, so the mess is deterministic per seed like everything else.
"""

from __future__ import annotations

import duckdb

DEFAULT_MESS = 1.0

HALF = "0123456789-()+:/.@,"
FULL = "０１２３４５６７８９－（）＋：／．＠，"

# a character and a common homophone (same pinyin), for typos made with an input method
HOMOPHONES = {
    "伟": "玮", "强": "蔷", "磊": "蕾", "军": "君", "洋": "阳", "勇": "涌", "杰": "洁", "涛": "滔",
    "明": "铭", "超": "潮", "鹏": "朋", "浩": "皓", "宇": "雨", "轩": "萱", "然": "燃", "华": "桦",
    "平": "萍", "博": "搏", "晨": "辰", "辉": "晖", "斌": "彬", "航": "杭", "鸣": "明", "芳": "方",
    "娜": "纳", "敏": "闽", "静": "婧", "丽": "莉", "艳": "燕", "娟": "涓", "霞": "瑕", "英": "莹",
    "婷": "亭", "雪": "薛", "怡": "仪", "涵": "晗", "萱": "轩", "燕": "艳", "兰": "岚", "慧": "惠",
    "琳": "林", "颖": "影", "倩": "茜", "琪": "琦", "玲": "铃", "丹": "单", "嘉": "佳", "欣": "馨",
    "梓": "子", "诗": "师", "佳": "嘉", "晓": "筱", "玉": "钰", "思": "丝", "美": "媚", "志": "智",
    "建": "健", "国": "帼", "文": "雯", "海": "嗨", "一": "依", "子": "紫", "俊": "骏", "秀": "绣",
}

DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%d.%m.%Y", "%Y%m%d"]


def register(con: duckdb.DuckDBPyConnection, seed: int, mess: float) -> None:
    """Macros: ext_seed(), mess(), fw, cap, mob_fmt, tel_fmt, date_fmt, typo_h, typo_p."""
    mess = float(mess)
    homophones = ", ".join(f"'{a}': '{b}'" for a, b in HOMOPHONES.items())
    macros = [
        f"ext_seed() AS {int(seed)}",
        f"mess() AS {mess}",
        # full-width digits and punctuation
        f"fw(s) AS translate(s, '{HALF}', '{FULL}')",
        "cap(s) AS upper(s[1:1]) || s[2:]",
        # a Chinese mobile (11 digits) written as people type it
        "mob_fmt(m, x) AS CASE WHEN x >= least(0.9, 0.6 * mess()) THEN m "
        "WHEN x < 0.1 * mess() THEN '+86 ' || m[1:3] || ' ' || m[4:7] || ' ' || m[8:11] "
        "WHEN x < 0.2 * mess() THEN '0086-' || m "
        "WHEN x < 0.3 * mess() THEN m[1:3] || '-' || m[4:7] || '-' || m[8:11] "
        "WHEN x < 0.4 * mess() THEN '(+86)' || m "
        "WHEN x < 0.5 * mess() THEN m[1:3] || ' ' || m[4:7] || ' ' || m[8:11] "
        "ELSE '+86' || m END",
        # a landline: area code with its 0, and the local number
        "tel_fmt(area, num, x) AS CASE WHEN x >= least(0.9, 0.6 * mess()) "
        "THEN area || '-' || num "
        "WHEN x < 0.1 * mess() THEN '(' || area || ')' || num "
        "WHEN x < 0.2 * mess() THEN '+86-' || ltrim(area, '0') || '-' || num "
        "WHEN x < 0.3 * mess() THEN '0086 ' || ltrim(area, '0') || ' ' || num "
        "WHEN x < 0.4 * mess() THEN '+86(' || ltrim(area, '0') || ')' || num "
        "WHEN x < 0.5 * mess() THEN area || ' ' || num[1:4] || ' ' || num[5:] "
        "ELSE area || num END",
        # a date in one of the declared formats
        "date_fmt(d, x) AS CASE WHEN x >= least(0.9, 0.6 * mess()) OR d IS NULL "
        "THEN strftime(d, '%Y-%m-%d') "
        "WHEN x < 0.12 * mess() THEN strftime(d, '%Y/%m/%d') "
        "WHEN x < 0.24 * mess() THEN strftime(d, '%Y年%m月%d日') "
        "WHEN x < 0.36 * mess() THEN strftime(d, '%d.%m.%Y') "
        "WHEN x < 0.48 * mess() THEN strftime(d, '%Y%m%d') "
        "ELSE strftime(d, '%Y-%m-%d') END",
        # a typo in a Chinese name: the last character replaced by a homophone, the mistake
        # a pinyin input method makes (its pinyin, and so the name key, stays the same)
        f"typo_h(s, x) AS CASE WHEN length(s) < 2 THEN s ELSE "
        f"s[1:length(s) - 1] || coalesce(MAP {{{homophones}}}[s[length(s):]], s[length(s):]) END",
        # a typo in a latin name: one letter dropped
        "typo_p(s, x) AS CASE WHEN length(s) < 4 THEN s ELSE "
        "s[1:1 + CAST(floor(x * (length(s) - 2)) AS INTEGER)] "
        "|| s[3 + CAST(floor(x * (length(s) - 2)) AS INTEGER):] END",
    ]
    for body in macros:
        con.execute(f"CREATE OR REPLACE TEMP MACRO {body}")
