"""The purchased firmographics list: industry, size, revenue, credit rating and the unified
social credit code for a sample of the CRM's B2B accounts plus prospect companies.

Written as JSON lines (the first delivery) and Excel (monthly refreshes), with the vendor's
own labels (Chinese industry names, '50-249人' bands), names with and without the city
prefix or with another legal suffix, codes in lower case or full-width, landlines in many
forms, and values that disagree with the CRM.
"""

from __future__ import annotations

from datetime import date

import duckdb

from warehouse.demo import vocab
from warehouse.demo.params import end_of, ts

CUSTOMER_SHARE = 0.6
PROSPECTS_PER_SCALE = 2000
PERIOD_DAYS = 731
PROSPECT_KEY0 = 4_000_000_000

RATINGS = ["AAA", "AA", "A", "BBB", "BB", "B", "C"]
# vendor label per CRM band
BAND_LABELS = {"1-9": "1-9人", "10-49": "10-49人", "50-249": "50-249人",
               "250-999": "250-999人", "1000+": "1000人以上"}
REVENUE_PER_HEAD = {"1-9": 400_000, "10-49": 600_000, "50-249": 800_000,
                    "250-999": 1_000_000, "1000+": 1_200_000}
HEADS = {"1-9": 5, "10-49": 30, "50-249": 150, "250-999": 600, "1000+": 3000}
REVENUE_BANDS = [(5_000_000, "500万以下"), (50_000_000, "500万-5000万"),
                 (500_000_000, "5000万-5亿"), (10**15, "5亿以上")]
INDUSTRY_LABELS = {name: cn for name, cn, _, _ in vocab.INDUSTRIES}
# Trade names of prospect companies: two characters and the industry chosen by the prospect
# number, so no two prospects share a name (a registered name is unique in its city).
BRAND_1 = "华中金天瑞恒信达嘉和鑫泰盛隆安康宏远新兴永昌东方明德博通"
BRAND_2 = "科创源联汇丰城海宇辰阳星峰远邦晟诚润越凯启铭祥瑞锦泓翔鼎"

JSON_KEYS = ["id", "name", "uscc", "industry", "employees", "revenue_band", "revenue",
             "rating", "tel", "email", "province", "city", "address", "founded", "as_of"]
XLSX_HEADERS = ["企业编号", "企业名称", "统一社会信用代码", "行业", "员工规模", "营收规模", "年营收",
                "信用评级", "电话", "邮箱", "省份", "城市", "地址", "成立日期", "数据日期"]


def register(con: duckdb.DuckDBPyConnection) -> None:
    """brand_name(k): the unique trade name of prospect company k."""
    n1, n2 = len(BRAND_1), len(BRAND_2)
    con.execute(f"CREATE OR REPLACE TEMP MACRO brand_name(k) AS "
                f"substr('{BRAND_1}', CAST(k % {n1} AS INTEGER) + 1, 1) || "
                f"substr('{BRAND_2}', CAST((k // {n1}) % {n2} AS INTEGER) + 1, 1)")


def n_prospects(scale: float, start: date, day: date) -> int:
    days = max(1, (day - start).days + 1)
    return max(10, round(PROSPECTS_PER_SCALE * scale * days / PERIOD_DAYS))


def _lists() -> tuple[str, str, str]:
    bands = "[" + ", ".join(f"'{b}'" for b in BAND_LABELS) + "]"
    inds = "[" + ", ".join(f"'{n}'" for n in INDUSTRY_LABELS) + "]"
    ratings = "[" + ", ".join(f"'{r}'" for r in RATINGS) + "]"
    return bands, inds, ratings


def universe(con: duckdb.DuckDBPyConnection, customers: str, scale: float, start: date,
             day: date, out: str) -> None:
    """Every company the vendor knows at `day`."""
    t = ts(end_of(day))
    bands, inds, _ = _lists()
    cns = "[" + ", ".join(f"'{v}'" for v in INDUSTRY_LABELS.values()) + "]"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH c AS (
            SELECT c.customer_id, c.created_at, trim(c.full_name) AS name, c.tax_id AS uscc,
                   c.industry, c.employee_band,
                   regexp_replace(coalesce(c.phone, ''), '[^0-9]', '', 'g') AS digits,
                   lower(trim(c.email)) AS email, c.city_id, c.address_line AS address
            FROM {customers} c JOIN ext_geo g ON g.city_id = c.city_id
            WHERE c.customer_type = 'B2B' AND NOT coalesce(c.is_deleted, false)
              AND c.created_at <= {t} AND u(c.customer_id, 'x.co.in') < {CUSTOMER_SHARE}
        ), p AS (
            SELECT k, {PROSPECT_KEY0} + k AS pk FROM range(1, {n_prospects(scale, start, day)} + 1) t(k)
        ), pr AS (
            SELECT p.*, s.city_id, g.city_short, g.area_code,
                   CAST((k // {len(BRAND_1) * len(BRAND_2)}) % {len(INDUSTRY_LABELS)} AS INTEGER) + 1
                       AS iind
            FROM p JOIN ext_city_slots s
                ON s.slot = ui(pk, 'x.co.city', (SELECT count(*) FROM ext_city_slots))
            JOIN ext_geo g USING (city_id)
        )
        SELECT 'C' || customer_id AS entity, customer_id AS ek, customer_id, created_at, name,
               uscc, industry, employee_band,
               CASE WHEN digits LIKE '86%' THEN '0' || digits[3:] ELSE digits END AS tel,
               email, city_id, address
        FROM c
        UNION ALL
        SELECT 'X' || k, pk, NULL, NULL,
               CASE WHEN u(pk, 'x.co.cn') < 0.8 THEN city_short ELSE '' END
               || brand_name(k) || {cns}[iind] || pick(co_suffix(), u(pk, 'x.co.sfx')),
               uscc(pk, CAST(city_id AS VARCHAR)), {inds}[iind],
               pick({bands}, u(pk, 'x.co.band')),
               area_code || CAST(20000000 + ui(pk, 'x.co.tel', 79999999) AS VARCHAR),
               CASE WHEN u(pk, 'x.co.noem') < 0.4 THEN NULL
                    ELSE 'info@' || lower(pick(gm_p(), u(pk, 'x.co.b1'))) || k || '.com.cn' END,
               city_id,
               pick(roads(), u(pk, 'x.co.road')) || CAST(1 + ui(pk, 'x.co.no', 2000) AS VARCHAR)
               || '号' || CAST(1 + ui(pk, 'x.co.fl', 30) AS VARCHAR) || '楼'
        FROM pr
    """)


def records(con: duckdb.DuckDBPyConnection, companies: str, version: int, file_day: date,
            out: str) -> None:
    """The file's rows (text) for the (entity, dup) pairs in `companies` at `version`."""
    def x(salt: str) -> str:
        return f"u2(ek, {version} * 10 + dup, '{salt}')"

    bands, inds, ratings = _lists()
    band_label = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in BAND_LABELS.items())
    ind_label = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in INDUSTRY_LABELS.items())
    per_head = " ".join(f"WHEN '{k}' THEN {v}" for k, v in REVENUE_PER_HEAD.items())
    heads = " ".join(f"WHEN '{k}' THEN {v}" for k, v in HEADS.items())
    rev_band = " ".join(f"WHEN rev < {hi} THEN '{b}'" for hi, b in REVENUE_BANDS)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH b AS (
            SELECT c.*, g.*,
                   'PC' || upper(md5(ext_seed() || '.pc.' || entity || '.' || dup)[1:12])
                       AS record_id,
                   CASE WHEN {x('x.co.indc')} < 0.12 * mess()
                        THEN {inds}[1 + CAST(floor({x('x.co.indx')} * {len(INDUSTRY_LABELS)})
                                             AS INTEGER)]
                        ELSE industry END AS v_industry,
                   CASE WHEN employee_band IS NULL OR {x('x.co.bandc')} < 0.15 * mess()
                        THEN pick({bands}, {x('x.co.bandx')}) ELSE employee_band END AS v_band
            FROM {companies} c JOIN ext_geo g USING (city_id)
        ), r AS (
            SELECT b.*,
                   round(CAST(CASE v_band {heads} END AS DOUBLE) * (CASE v_band {per_head} END)
                         * (0.5 + u(ek, 'x.co.rev')) * (0.95 + 0.1 * {x('x.co.revv')}), -3) AS rev,
                   CASE WHEN name LIKE city_short || '%' THEN name[length(city_short) + 1:]
                        ELSE name END AS bare,
                   tel[length(area_code) + 1:] AS num
            FROM b
        )
        SELECT record_id, entity, customer_id, dup, {version} AS version,
               CASE WHEN (dup > 0 AND {x('x.co.typo')} < 0.5) OR {x('x.co.typo')} < 0.02 * mess()
                    THEN bare[1:2] || bare[4:]
                    WHEN {x('x.co.nf')} < 0.25 * mess() THEN city_short || bare
                    WHEN {x('x.co.nf')} < 0.45 * mess() THEN bare
                    WHEN {x('x.co.nf')} < 0.52 * mess()
                    THEN replace(bare, '有限公司', '（' || city_short || '）有限公司')
                    WHEN {x('x.co.nf')} < 0.58 * mess() THEN replace(name, '有限公司', '有限责任公司')
                    ELSE name END AS name,
               CASE WHEN uscc IS NULL OR {x('x.co.nou')} < 0.1 * mess() THEN ''
                    WHEN {x('x.co.uf')} < 0.05 * mess() THEN lower(uscc)
                    WHEN {x('x.co.uf')} < 0.1 * mess() THEN fw(uscc)
                    WHEN {x('x.co.uf')} < 0.12 * mess() THEN uscc[1:17] || CASE WHEN uscc[18:18] = 'X'
                         THEN 'Y' ELSE 'X' END
                    ELSE uscc END AS uscc,
               CASE v_industry {ind_label} ELSE '' END AS industry,
               CASE v_band {band_label} ELSE '' END AS employees,
               CASE {rev_band} END AS revenue_band,
               CASE WHEN {x('x.co.rf')} < 0.3 * mess() THEN '¥' || format('{{:,.2f}}', rev)
                    WHEN {x('x.co.rf')} < 0.5 * mess() THEN format('{{:,}}', CAST(rev AS BIGINT))
                    ELSE CAST(CAST(rev AS BIGINT) AS VARCHAR) END AS revenue,
               pick({ratings}, least(0.999, u(ek, 'x.co.rt') * (0.9 + 0.2 * {x('x.co.rtv')})))
                   AS rating,
               CASE WHEN length(num) < 7 OR {x('x.co.not')} < 0.1 * mess() THEN ''
                    WHEN {x('x.co.tfw')} < 0.05 * mess() THEN fw(tel_fmt(area_code, num, {x('x.co.tf')}))
                    ELSE tel_fmt(area_code, num, {x('x.co.tf')}) END AS tel,
               CASE WHEN email IS NULL OR {x('x.co.noe')} < 0.3 THEN ''
                    WHEN {x('x.co.ef')} < 0.05 * mess() THEN upper(email)
                    ELSE email END AS email,
               CASE WHEN {x('x.co.pf')} < 0.4 THEN prov_long
                    WHEN {x('x.co.pf')} < 0.8 OR prov_en IS NULL THEN prov_short
                    ELSE prov_en END AS province,
               CASE WHEN {x('x.co.cf')} < 0.5 THEN city_long ELSE city_short END AS city,
               CASE WHEN address IS NULL OR {x('x.co.noa')} < 0.15 THEN ''
                    WHEN {x('x.co.af')} < 0.2 * mess() THEN fw(address)
                    ELSE address END AS address,
               CASE WHEN {x('x.co.nofd')} < 0.1 THEN ''
                    ELSE date_fmt(DATE '1985-01-01'
                                  + CAST(floor(u(ek, 'x.co.fd') * 12000) AS INTEGER),
                                  {x('x.co.fdf')}) END AS founded,
               '{file_day:%Y-%m-%d}' AS as_of
        FROM r
    """)
