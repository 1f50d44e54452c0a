"""Market and competitor figures: one file per sales region and month (UTF-8 with BOM).

Rows are (province, category, competitor) with the market size in CNY and the competitor's
share; province names in their long, short or pinyin forms, months in two notations, sizes
with thousands separators or a currency sign, and a blank or a '合计' line now and then.
"""

from __future__ import annotations

from datetime import date

import duckdb

CATEGORIES = ["家用电器", "数码产品", "办公设备", "软件服务", "家居用品", "运动户外"]
COMPETITORS = ["海川电子", "华信科技", "远景商贸", "东方数码", "新世纪集团"]
REGIONS = {"EC": "华东", "NC": "华北", "SC": "华南", "WC": "西部"}
HEADERS = ["大区", "省份", "月份", "品类", "竞争对手", "市场规模(元)", "市场份额", "数据日期"]


def month_rows(con: duckdb.DuckDBPyConnection, month: date, region: str, out: str) -> None:
    """The rows of one region's file for `month` (first day): text columns as written."""
    cats = "[" + ", ".join(f"'{c}'" for c in CATEGORIES) + "]"
    comps = "[" + ", ".join(f"'{c}'" for c in COMPETITORS) + "]"
    mno = month.year * 12 + month.month
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH p AS (
            SELECT DISTINCT province_code, prov_long, prov_short, prov_en, region_code,
                   sum(weight) OVER (PARTITION BY province_code) AS w
            FROM ext_geo WHERE region_code = '{region}'
        ), g AS (
            SELECT p.*, c.i AS ci, k.j AS kj, {cats}[c.i] AS category, {comps}[k.j] AS competitor,
                   CAST(hash(province_code) % 100000 AS BIGINT) AS pk
            FROM p, range(1, {len(CATEGORIES) + 1}) c(i), range(1, {len(COMPETITORS) + 1}) k(j)
        ), v AS (
            SELECT g.*,
                   round(w * 2000000 * (1 + u2(pk, ci, 'x.mk.size'))
                         * (1 + 0.002 * ({mno} - 24288)) * (0.95 + 0.1 * u2(pk * 100 + ci, {mno}, 'x.mk.m')),
                         -2) AS size,
                   0.02 + 0.25 * u2(pk * 100 + ci, kj, 'x.mk.sh')
                       * (0.9 + 0.2 * u2(pk * 1000 + ci * 10 + kj, {mno}, 'x.mk.shm')) AS share
            FROM g
        )
        SELECT '{REGIONS[region]}' AS region,
               CASE WHEN u2(pk, {mno}, 'x.mk.pf') < 0.4 THEN prov_long
                    WHEN u2(pk, {mno}, 'x.mk.pf') < 0.8 OR prov_en IS NULL THEN prov_short
                    ELSE prov_en END AS province,
               CASE WHEN u2(pk, {mno}, 'x.mk.mf') < 0.5 THEN '{month:%Y-%m}'
                    ELSE '{month.year}年{month.month:02d}月' END AS month,
               category, competitor,
               CASE WHEN u2(pk * 100 + ci, {mno} * 10 + kj, 'x.mk.sf') < 0.3 * mess()
                    THEN format('{{:,.2f}}', size)
                    WHEN u2(pk * 100 + ci, {mno} * 10 + kj, 'x.mk.sf') < 0.4 * mess()
                    THEN '¥' || CAST(size AS VARCHAR)
                    ELSE CAST(CAST(size AS BIGINT) AS VARCHAR) END AS market_size,
               CAST(round(share, 4) AS VARCHAR) AS share,
               '{month:%Y-%m}-28' AS as_of
        FROM v ORDER BY province, category, competitor
    """)
