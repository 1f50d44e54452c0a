"""Write a large, realistically messy people file (the test contract's columns) with DuckDB.

Used by bench/ingest.py and by the corpus's 100 MB case: rows vary phone, date, amount and
province/city spellings the way purchased lists do; a few rows per thousand are bad on
purpose (an invalid date, an unknown province) so the quarantine path is exercised too.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import duckdb

SELECT = r"""
SELECT
  'P' || i AS "编号",
  (['张','李','王','刘','陈','杨','赵','黄'])[1 + i % 8]
      || (['伟','芳','娜','敏','静','丽','强','磊'])[1 + (i // 8) % 8]
      || CASE WHEN i % 5 = 0 THEN '　' ELSE '' END AS "姓名",
  CASE i % 4 WHEN 0 THEN '+86 138 ' || lpad((i % 10000)::VARCHAR, 4, '0') || ' '
                          || lpad((i % 7919)::VARCHAR, 4, '0')
             WHEN 1 THEN '0086-139' || lpad((i % 100000000)::VARCHAR, 8, '0')
             WHEN 2 THEN '(0755) ' || lpad((i % 10000)::VARCHAR, 4, '0') || '-'
                          || lpad((i % 9973)::VARCHAR, 4, '0')
             ELSE '1370' || lpad((i % 10000000)::VARCHAR, 7, '0') END AS "电话",
  CASE WHEN i % 3 = 0 THEN NULL ELSE 'User' || i || '@Example.com' END AS "邮箱",
  CASE WHEN i % 1000 = 7 THEN '2025-02-30'
       WHEN i % 3 = 0 THEN strftime(DATE '1960-01-01' + (i % 15000)::INTEGER, '%Y-%m-%d')
       WHEN i % 3 = 1 THEN strftime(DATE '1960-01-01' + (i % 15000)::INTEGER, '%Y/%m/%d')
       ELSE strftime(DATE '1960-01-01' + (i % 15000)::INTEGER, '%Y年%m月%d日') END AS "出生日期",
  CASE WHEN i % 10 = 0 THEN 'N/A'
       ELSE format('{:,}', 30000 + (i * 37) % 500000) || '.'
            || lpad((i % 100)::VARCHAR, 2, '0') END AS "年收入",
  CASE WHEN i % 1000 = 11 THEN '火星'
       ELSE (['广东','广东省','Guangdong','浙江省','浙江','北京','上海市','四川'])[1 + i % 8] END AS "省份",
  (['深圳','深圳市','广州','杭州市','宁波','北京','上海','成都'])[1 + i % 8] AS "城市"
FROM range(__ROWS__) t(i)
"""


def write_people(path: Path, rows: int, encoding: str = "utf-8") -> Path:
    """A CSV of `rows` people in `encoding` (utf-8, utf-8-sig or gbk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    utf8 = path if encoding == "utf-8" else path.with_suffix(".utf8.tmp")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        select = SELECT.replace("__ROWS__", str(int(rows)))
        con.execute(f"COPY ({select}) TO '{utf8}' (HEADER, DELIMITER ',')")
    finally:
        con.close()
    if utf8 != path:
        encoder = codecs.getincrementalencoder(encoding)()
        with open(utf8, encoding="utf-8", newline="") as src, open(path, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(encoder.encode(chunk))
            out.write(encoder.encode("", final=True))
        utf8.unlink()
    return path
