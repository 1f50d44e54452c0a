"""The purchased people list: demographics and attitudes for a sample of the CRM's consumers
plus prospects who are not customers, written as the vendor would (GBK, Chinese headers).

An entity is a real person ('C<customer_id>' or 'X<n>' for a prospect); a record is one row
the vendor delivers about it. Records of one entity share a record id across monthly
refreshes (values change), but the vendor also duplicates people under new ids, with typos
and conflicting values, within a file and across files. The truth keeps entity per record.
"""

from __future__ import annotations

from datetime import date

import duckdb

from warehouse.demo.params import d, end_of, ts

# Share of CRM consumers (Chinese cities) the vendor knows.
CUSTOMER_SHARE = 0.6
# Prospects in the list per scale unit over the default two-year period (they grow with time).
PROSPECTS_PER_SCALE = 6000
PERIOD_DAYS = 731
PROSPECT_KEY0 = 3_000_000_000

INTERESTS = ["旅游", "美食", "运动", "健身", "摄影", "阅读", "音乐", "电影", "游戏", "投资理财",
             "母婴", "宠物", "汽车", "数码", "美妆", "户外", "家居", "教育"]
AGE_BANDS = [(25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64"),
             (200, "65+")]
INCOME_BANDS = [(60000, "低"), (150000, "中"), (400000, "中高"), (10**12, "高")]

HEADERS = ["编号", "姓名", "性别", "出生日期", "手机", "邮箱", "省份", "城市", "地址", "年龄段",
           "年收入", "收入等级", "兴趣爱好", "价格敏感度", "品牌偏好", "环保态度", "数据日期"]
COLUMNS = ["record_id", "full_name", "gender", "birth_date", "phone", "email", "province",
           "city", "address", "age_band", "income", "income_band", "interests",
           "attitude_price", "attitude_brand", "attitude_green", "as_of"]


def n_prospects(scale: float, start: date, day: date) -> int:
    """Prospects the vendor knows by `day`: a pure function, so init and advance agree."""
    days = max(1, (day - start).days + 1)
    return max(20, round(PROSPECTS_PER_SCALE * scale * days / PERIOD_DAYS))


def universe(con: duckdb.DuckDBPyConnection, customers: str, scale: float, start: date,
             day: date, out: str) -> None:
    """Every person the vendor knows at `day`: `out`(entity, ek, customer_id, created_at, ...)."""
    t = ts(end_of(day))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH c AS (
            SELECT c.customer_id, c.created_at, person(c.customer_id, 'c') AS pn,
                   replace(trim(c.full_name), ' ', '') AS name_h, c.gender, c.birth_date,
                   regexp_replace(coalesce(c.phone, ''), '[^0-9]', '', 'g') AS digits,
                   lower(trim(c.email)) AS email, c.city_id, c.address_line AS address
            FROM {customers} c JOIN ext_geo g ON g.city_id = c.city_id
            WHERE c.customer_type = 'B2C' AND NOT coalesce(c.is_deleted, false)
              AND c.created_at <= {t} AND u(c.customer_id, 'x.pp.in') < {CUSTOMER_SHARE}
        ), p AS (
            SELECT k, {PROSPECT_KEY0} + k AS pk, person({PROSPECT_KEY0} + k, 'x') AS pn
            FROM range(1, {n_prospects(scale, start, day)} + 1) t(k)
        )
        SELECT 'C' || customer_id AS entity, customer_id AS ek, customer_id, created_at, name_h,
               sn_p()[pn.isn] AS sn_py, given_p(pn) AS gv_py, gender, birth_date,
               CASE WHEN length(digits) >= 11 AND right(digits, 11)[1:1] = '1'
                    THEN right(digits, 11) END AS mobile,
               email, city_id, address
        FROM c
        UNION ALL
        SELECT 'X' || k, pk, NULL, NULL, sn_h()[pn.isn] || given_h(pn), sn_p()[pn.isn],
               given_p(pn), CASE WHEN pn.male THEN 'M' ELSE 'F' END,
               DATE '1956-01-01' + CAST(floor(pow(u(pk, 'x.birth'), 0.85) * 17500) AS INTEGER),
               CASE WHEN u(pk, 'x.nomob') < 0.05 THEN NULL ELSE mobile(pk, 'x.mob') END,
               CASE WHEN u(pk, 'x.noem') < 0.3 THEN NULL
                    -- unique per prospect, and unlike any customer's address pattern
                    ELSE given_p(pn) || sn_p()[pn.isn] || '.' || k || '@'
                         || pick(mail_b2c(), u(pk, 'x.dom')) END,
               s.city_id,
               pick(roads(), u(pk, 'x.road')) || CAST(1 + ui(pk, 'x.no', 2000) AS VARCHAR)
               || '号' || CAST(1 + ui(pk, 'x.bd', 30) AS VARCHAR) || '栋'
               || CAST(101 + 100 * ui(pk, 'x.fl', 30) + ui(pk, 'x.rm', 4) AS VARCHAR) || '室'
        FROM p JOIN ext_city_slots s
            ON s.slot = ui(pk, 'x.city', (SELECT count(*) FROM ext_city_slots))
    """)


def records(con: duckdb.DuckDBPyConnection, people: str, version: int, file_day: date,
            out: str) -> None:
    """The file's rows for the (entity, dup) pairs in `people` at `version` (a month number):
    `out` holds the truth columns and the text of every file column."""
    def x(salt: str) -> str:
        return f"u2(ek, {version} * 10 + dup, '{salt}')"

    age = " ".join(f"WHEN age < {hi} THEN '{band}'" for hi, band in AGE_BANDS)
    inc_band = " ".join(f"WHEN inc < {hi} THEN '{band}'" for hi, band in INCOME_BANDS)
    interests = "[" + ", ".join(f"'{i}'" for i in INTERESTS) + "]"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH b AS (
            SELECT p.*, g.*,
                   'PP' || upper(md5(ext_seed() || '.pp.' || entity || '.' || dup)[1:12])
                       AS record_id,
                   date_diff('year', p.birth_date, {d(file_day)}) AS age,
                   round(exp(ln(30000) + 2.6 * u(ek, 'x.inc'))
                         * (0.9 + 0.2 * {x('x.incv')}), -2) AS inc
            FROM {people} p JOIN ext_geo g USING (city_id)
        ), n AS (
            SELECT b.*,
                   CASE WHEN {x('x.py')} < 0.10 * mess()
                        THEN pick([cap(sn_py) || ' ' || cap(gv_py), cap(gv_py) || ' ' || cap(sn_py),
                                   upper(sn_py) || ' ' || cap(gv_py),
                                   upper(sn_py) || ' ' || upper(gv_py)], {x('x.pyf')})
                   END AS name_py,
                   (dup > 0 AND {x('x.typo')} < 0.5) OR {x('x.typo')} < 0.02 * mess() AS typo
            FROM b
        )
        SELECT record_id, entity, customer_id, dup, {version} AS version,
               CASE WHEN name_py IS NOT NULL AND typo THEN typo_p(name_py, {x('x.typx')})
                    WHEN name_py IS NOT NULL THEN name_py
                    WHEN typo THEN typo_h(name_h, {x('x.typx')})
                    WHEN {x('x.nsp')} < 0.03 * mess() THEN name_h[1:1] || ' ' || name_h[2:]
                    WHEN {x('x.nsp')} < 0.05 * mess() THEN name_h || '　'
                    ELSE name_h END AS full_name,
               CASE WHEN {x('x.nog')} < 0.05 THEN ''
                    WHEN {x('x.gf')} < 0.7 THEN CASE gender WHEN 'M' THEN '男' ELSE '女' END
                    WHEN {x('x.gf')} < 0.85 THEN coalesce(gender, '')
                    ELSE CASE gender WHEN 'M' THEN '男性' ELSE '女性' END END AS gender,
               CASE WHEN birth_date IS NULL OR {x('x.nob')} < 0.08 * mess() THEN ''
                    WHEN {x('x.badb')} < 0.02 * mess()
                    THEN date_fmt(birth_date + CAST(1 + ui2(ek, dup, 'x.bd', 3) AS INTEGER),
                                  {x('x.bf')})
                    ELSE date_fmt(birth_date, {x('x.bf')}) END AS birth_date,
               CASE WHEN mobile IS NULL OR {x('x.nom')} < 0.08 * mess() THEN ''
                    WHEN {x('x.oldm')} < 0.06 * mess()
                    THEN mob_fmt(mobile(ek, 'x.old' || dup), {x('x.mf')})
                    WHEN {x('x.mfw')} < 0.1 * mess() THEN fw(mob_fmt(mobile, {x('x.mf')}))
                    ELSE mob_fmt(mobile, {x('x.mf')}) END AS phone,
               CASE WHEN email IS NULL OR {x('x.noe')} < 0.35 THEN ''
                    WHEN {x('x.ef')} < 0.05 * mess() THEN upper(email)
                    WHEN {x('x.ef')} < 0.08 * mess() THEN fw(email)
                    WHEN {x('x.ef')} < 0.11 * mess() THEN ' ' || email || ' '
                    ELSE email END AS email,
               CASE WHEN {x('x.pf')} < 0.4 THEN prov_long
                    WHEN {x('x.pf')} < 0.8 OR prov_en IS NULL THEN prov_short
                    ELSE prov_en END AS province,
               CASE WHEN {x('x.noc')} < 0.05 * mess() THEN ''
                    WHEN {x('x.cf')} < 0.5 THEN city_long ELSE city_short END AS city,
               CASE WHEN address IS NULL OR {x('x.noa')} < 0.25 THEN ''
                    WHEN {x('x.af')} < 0.2 * mess() THEN fw(address)
                    WHEN {x('x.af')} < 0.4 * mess() THEN city_long || address
                    ELSE address END AS address,
               CASE WHEN age IS NULL THEN '' {age} END AS age_band,
               CASE WHEN {x('x.noi')} < 0.1 THEN ''
                    WHEN {x('x.if')} < 0.3 * mess() THEN '￥' || format('{{:,.2f}}', inc)
                    WHEN {x('x.if')} < 0.45 * mess() THEN format('{{:,}}', CAST(inc AS BIGINT))
                    WHEN {x('x.if')} < 0.55 * mess() THEN fw(CAST(CAST(inc AS BIGINT) AS VARCHAR))
                    ELSE CAST(CAST(inc AS BIGINT) AS VARCHAR) END AS income,
               CASE {inc_band} END AS income_band,
               array_to_string(list_distinct(list_transform(
                   range(1 + ui2(ek, {version}, 'x.ni', 4)),
                   lambda j: {interests}[1 + CAST(ui2(ek, j + 100 * {version}, 'x.int', {len(INTERESTS)})
                                              AS INTEGER)])), ';') AS interests,
               CAST(round(10 * {x('x.ap')}, 1) AS VARCHAR) AS attitude_price,
               CAST(round(10 * u(ek, 'x.ab') * (0.8 + 0.2 * {x('x.abv')}), 1) AS VARCHAR)
                   AS attitude_brand,
               CAST(round(10 * u(ek, 'x.ag'), 1) AS VARCHAR) AS attitude_green,
               CASE WHEN {x('x.df')} < 0.5 THEN '{file_day:%Y-%m-%d}'
                    ELSE '{file_day:%Y/%m/%d}' END AS as_of
        FROM n
    """)
