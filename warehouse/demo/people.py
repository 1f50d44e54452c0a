"""Customers (B2C persons, B2B accounts) and the contacts of B2B accounts.

Every attribute is a hash of the customer id, so a customer generated during `advance` looks
exactly as it would have in the initial load. A small share of values is dirty but loadable:
untrimmed or upper-case e-mails, phones in several formats, stray spaces, missing cities.
"""

from __future__ import annotations

import duckdb

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Macros for company words, person names, USCC tax ids and phone formats."""
    weights = "[" + ", ".join(map(str, USCC_WEIGHTS)) + "]"
    macros = [
        "co_ibr(id) AS ui(id, 'c.br', len(brand_h())) + 1",
        "co_iind(id) AS ui(id, 'c.ind', len(ind_name())) + 1",
        "co_domain(id) AS brand_p()[co_ibr(id)] "
        "|| lower(replace(ind_en()[co_iind(id)], ' ', '')) || '.com.cn'",
        # a person's name parts from a key: (surname, surname pinyin, given, given pinyin)
        "person(k, salt) AS struct_pack(male := u(k, salt || '.g') < 0.5, "
        "isn := ui(k, salt || '.sn', len(sn_h())) + 1, ug := u(k, salt || '.gn'))",
        "given_h(p) AS CASE WHEN p.male THEN pick(gm_h(), p.ug) ELSE pick(gf_h(), p.ug) END",
        "given_p(p) AS CASE WHEN p.male THEN pick(gm_p(), p.ug) ELSE pick(gf_p(), p.ug) END",
        # unified social credit code: 91 + area code + 9 organisation chars + check char
        f"uscc_body(id, area) AS '91' || area || array_to_string(list_transform(range(9), "
        f"lambda j: substr('{USCC_CHARS}', CAST(1 + ui2(id, j, 'c.tax', 31) AS INTEGER), 1)), '')",
        f"uscc_check(body) AS substr('{USCC_CHARS}', CAST(1 + (31 - list_sum(list_transform("
        f"range(17), lambda i: (instr('{USCC_CHARS}', substr(body, CAST(i + 1 AS INTEGER), 1))"
        f" - 1) * {weights}[i + 1])) % 31) % 31 AS INTEGER), 1)",
        "uscc(id, area) AS uscc_body(id, area) || uscc_check(uscc_body(id, area))",
        "mobile(k, salt) AS pick(mobile_pfx(), u(k, salt || '.p')) "
        "|| lpad(CAST(ui(k, salt || '.n', 100000000) AS VARCHAR), 8, '0')",
        # a mobile number written the way people type it
        "mobile_fmt(m, x) AS CASE WHEN x < 0.78 THEN m "
        "WHEN x < 0.85 THEN '+86 ' || m[1:3] || ' ' || m[4:7] || ' ' || m[8:11] "
        "WHEN x < 0.91 THEN m[1:3] || '-' || m[4:7] || '-' || m[8:11] "
        "WHEN x < 0.96 THEN m[1:3] || ' ' || m[4:7] || ' ' || m[8:11] ELSE '+86' || m END",
        "messy_email(e, x) AS CASE WHEN x < 0.015 THEN upper(e) "
        "WHEN x < 0.03 THEN '  ' || e || ' ' "
        "WHEN x < 0.04 THEN upper(e[1:1]) || e[2:] ELSE e END",
    ]
    for body in macros:
        con.execute(f"CREATE OR REPLACE TEMP MACRO {body}")


def generate_customers(con: duckdb.DuckDBPyConnection, seeds: str, out: str) -> None:
    """Customer rows for `seeds`(customer_id, created_at, updated_at, is_deleted) -> `out`."""
    n_slots = con.execute("SELECT count(*) FROM city_slots").fetchone()[0]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH s AS (
            SELECT s.customer_id AS id, s.created_at, s.updated_at, s.is_deleted,
                   CASE WHEN u(s.customer_id, 'c.type') < 0.3 THEN 'B2B' ELSE 'B2C' END
                       AS ctype,
                   cs.city_id AS home_city
            FROM {seeds} s JOIN city_slots cs ON cs.slot = ui(s.customer_id, 'c.city', {n_slots})
        ), a AS (
            SELECT s.*, c.country_code, c.city_name, c.region_code, c.area_code,
                   c.postal_prefix, c.country_code <> 'CN' AS foreign_city,
                   person(id, 'c') AS pn, value_w(id, ctype) AS w,
                   ui(id, 'c.band', len(band_name())) + 1 AS iband,
                   u(id, 'c.form') AS uform, u(id, 'c.dirt') AS udirt
            FROM s JOIN ref_city c ON c.city_id = s.home_city
        ), n AS (
            SELECT a.*,
                   sn_h()[pn.isn] AS sn_h, sn_p()[pn.isn] AS sn_p,
                   given_h(pn) AS gv_h, given_p(pn) AS gv_p,
                   brand_h()[co_ibr(id)] AS br_h, brand_p()[co_ibr(id)] AS br_p,
                   ind_name()[co_iind(id)] AS industry_name, ind_cn()[co_iind(id)] AS ind_cn,
                   ind_en()[co_iind(id)] AS ind_en,
                   pick(fp_name(), u(id, 'c.fp')) AS fp_name,
                   pick(fp_mail(), u(id, 'c.fp')) AS fp_mail
            FROM a
        ), v AS (
            SELECT n.*,
                   CASE WHEN ctype = 'B2B' AND foreign_city
                        THEN upper(br_p[1:1]) || br_p[2:] || ' ' || ind_en || ' '
                             || foreign_suffix(country_code)
                        WHEN ctype = 'B2B'
                        THEN CASE WHEN u(id, 'c.cityname') < 0.8
                                  THEN replace(city_name, '市', '') ELSE '' END
                             || br_h || ind_cn || pick(co_suffix(), u(id, 'c.sfx'))
                        WHEN foreign_city THEN fp_name
                        ELSE sn_h || gv_h
                   END AS clean_name,
                   CASE WHEN ctype = 'B2B'
                        THEN gv_p || '.' || sn_p || '@' || co_domain(id)
                        WHEN foreign_city
                        THEN fp_mail || ui(id, 'c.em', 100) || '@'
                             || CASE WHEN u(id, 'c.dom') < 0.5 THEN 'gmail.com'
                                     ELSE 'outlook.com' END
                        WHEN uform < 0.3
                        THEN gv_p || sn_p || lpad(CAST(ui(id, 'c.em', 1000) AS VARCHAR), 3, '0')
                             || '@' || pick(mail_b2c(), u(id, 'c.dom'))
                        WHEN uform < 0.55
                        THEN sn_p || '.' || gv_p || ui(id, 'c.em', 100) || '@'
                             || pick(mail_b2c(), u(id, 'c.dom'))
                        WHEN uform < 0.8
                        THEN CAST(100000000 + ui(id, 'c.qq', 2000000000) AS VARCHAR) || '@qq.com'
                        ELSE gv_p || '_' || sn_p || ui(id, 'c.em', 10000) || '@'
                             || pick(mail_b2c(), u(id, 'c.dom'))
                   END AS clean_email,
                   mobile(id, 'c.mob') AS mob
            FROM n
        )
        SELECT
            id AS customer_id,
            'C' || lpad(CAST(id AS VARCHAR), 8, '0') AS customer_no,
            ctype AS customer_type,
            CASE WHEN udirt < 0.007 THEN ' ' || clean_name
                 WHEN udirt < 0.014 THEN clean_name || ' '
                 WHEN udirt < 0.02 AND ctype = 'B2C' AND NOT foreign_city
                 THEN sn_h || ' ' || gv_h
                 ELSE clean_name END AS full_name,
            CASE WHEN u(id, 'c.noemail') < CASE WHEN ctype = 'B2B' THEN 0.03 ELSE 0.06 END
                 THEN NULL ELSE messy_email(clean_email, u(id, 'c.emdirt')) END AS email,
            CASE WHEN ctype = 'B2C' AND u(id, 'c.nophone') < 0.03 THEN NULL
                 WHEN foreign_city
                 THEN area_code || ' ' || lpad(CAST(ui(id, 'c.tel', 10000) AS VARCHAR), 4, '0')
                      || ' ' || lpad(CAST(ui(id, 'c.tel2', 10000) AS VARCHAR), 4, '0')
                 WHEN ctype = 'B2B' THEN
                     CASE WHEN u(id, 'c.telf') < 0.8
                          THEN area_code || '-' || CAST(20000000 + ui(id, 'c.tel', 79999999)
                                                        AS VARCHAR)
                          WHEN u(id, 'c.telf') < 0.9
                          THEN '(' || area_code || ') ' || CAST(2000 + ui(id, 'c.tel', 7999)
                               AS VARCHAR) || ' ' || lpad(CAST(ui(id, 'c.tel2', 10000)
                               AS VARCHAR), 4, '0')
                          ELSE '+86 ' || ltrim(area_code, '0') || ' '
                               || CAST(2000 + ui(id, 'c.tel', 7999) AS VARCHAR) || ' '
                               || lpad(CAST(ui(id, 'c.tel2', 10000) AS VARCHAR), 4, '0')
                     END
                 ELSE mobile_fmt(mob, u(id, 'c.mobf')) END AS phone,
            CASE WHEN ctype = 'B2B' THEN
                     CASE WHEN u(id, 'c.segn') < 0.1
                          THEN pick(['SMB', 'mid_market', 'enterprise'], u(id, 'c.segr'))
                          ELSE band_seg()[iband] END
                 WHEN ln(1 + w) + 0.6 * (u(id, 'c.seg') - 0.5) < 1.2 THEN 'mass'
                 WHEN ln(1 + w) + 0.6 * (u(id, 'c.seg') - 0.5) < 2.2 THEN 'affluent'
                 ELSE 'premium' END AS segment,
            CASE WHEN ln(1 + w) + 0.8 * (u(id, 'c.tier') - 0.5) < 1.0 THEN 'bronze'
                 WHEN ln(1 + w) + 0.8 * (u(id, 'c.tier') - 0.5) < 1.7 THEN 'silver'
                 WHEN ln(1 + w) + 0.8 * (u(id, 'c.tier') - 0.5) < 2.6 THEN 'gold'
                 ELSE 'platinum' END AS tier,
            CASE WHEN ctype = 'B2B' AND NOT foreign_city AND u(id, 'c.notax') >= 0.02
                 THEN uscc(id, CAST(home_city AS VARCHAR)) END AS tax_id,
            CASE WHEN ctype = 'B2B' THEN industry_name END AS industry,
            CASE WHEN ctype = 'B2B' THEN band_name()[iband] END AS employee_band,
            CASE WHEN ctype = 'B2C' THEN DATE '1956-01-01'
                 + CAST(floor(pow(u(id, 'c.birth'), 0.85) * 17500) AS INTEGER) END AS birth_date,
            CASE WHEN ctype = 'B2C' AND u(id, 'c.nogender') >= 0.02
                 THEN CASE WHEN pn.male THEN 'M' ELSE 'F' END END AS gender,
            CASE WHEN u(id, 'c.nocity') < 0.02 THEN NULL ELSE home_city END AS city_id,
            CASE WHEN u(id, 'c.noaddr') < 0.03 THEN NULL
                 WHEN foreign_city THEN CAST(1 + ui(id, 'c.no', 300) AS VARCHAR) || ' '
                      || foreign_street(country_code)
                 ELSE pick(roads(), u(id, 'c.road')) || CAST(1 + ui(id, 'c.no', 2000) AS VARCHAR)
                      || '号' || CASE WHEN ctype = 'B2B'
                                      THEN CAST(1 + ui(id, 'c.fl', 30) AS VARCHAR) || '楼'
                                      ELSE CAST(1 + ui(id, 'c.bd', 30) AS VARCHAR) || '栋'
                                           || CAST(101 + 100 * ui(id, 'c.fl', 30)
                                                   + ui(id, 'c.rm', 4) AS VARCHAR) || '室' END
                 END AS address_line,
            CASE WHEN foreign_city THEN postal_prefix
                 ELSE postal_prefix || lpad(CAST(ui(id, 'c.pc', 1000) AS VARCHAR), 3, '0')
                 END AS postal_code,
            CAST(NULL AS BIGINT) AS owner_rep_id,
            created_at, updated_at, is_deleted,
            region_code, home_city, w, u(id, 'c.owner') AS u_owner
        FROM v
    """)
    # owner: every account has one; a third of consumers (more of the valuable ones) too
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH k AS MATERIALIZED (
            SELECT o.*, ui(o.customer_id, 'c.rep', rc.n) AS rep_k
            FROM {out} o
            JOIN (SELECT region_code, max(n) AS n FROM rep_slots GROUP BY ALL) rc
                USING (region_code)
        )
        SELECT k.* EXCLUDE (owner_rep_id, rep_k),
               CASE WHEN k.customer_type = 'B2B' OR k.u_owner < 0.2 + 0.05 * least(k.w, 6)
                    THEN r.rep_id END AS owner_rep_id
        FROM k JOIN rep_slots r ON r.region_code = k.region_code AND r.k = k.rep_k
    """)


def contact_plan(con: duckdb.DuckDBPyConnection, accounts: str, out: str) -> None:
    """Every contact each B2B account will ever have: `out`(customer_id, k, created_at,
    deleted_at, ...contact columns but id). `accounts` needs customer_id, created_at,
    customer_type, city_id."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH k AS (
            SELECT a.customer_id AS id, a.created_at AS acct_created,
                   coalesce(rc.country_code, 'CN') <> 'CN' AS foreign_city,
                   unnest(range(1, 2 + ui(a.customer_id, 'ct.n', 4))) AS k
            FROM {accounts} a LEFT JOIN ref_city rc ON rc.city_id = a.city_id
            WHERE a.customer_type = 'B2B'
        ), t AS (
            SELECT *, id * 10 + k AS ck, person(id * 10 + k, 'ct') AS pn,
                   CASE WHEN k = 1 THEN acct_created
                        ELSE acct_created + secs(86400 * (5 + 400 * u2(id, k, 'ct.t'))) END
                       AS created_at
            FROM k
        )
        SELECT id AS customer_id, k, created_at,
               CASE WHEN k > 1 AND u2(id, k, 'ct.del') < 0.08
                    THEN created_at + secs(86400 * (60 + 500 * u2(id, k, 'ct.delt'))) END
                   AS deleted_at,
               CASE WHEN foreign_city THEN pick(fp_name(), u(ck, 'ct.fp'))
                    ELSE sn_h()[pn.isn] || given_h(pn) END AS full_name,
               pick(titles(), u(ck, 'ct.title')) AS title,
               CASE WHEN u(ck, 'ct.noemail') < 0.05 THEN NULL
                    WHEN foreign_city THEN pick(fp_mail(), u(ck, 'ct.fp')) || '@'
                         || brand_p()[co_ibr(id)] || '.com'
                    ELSE messy_email(given_p(pn) || '.' || sn_p()[pn.isn] || '@' || co_domain(id),
                                     u(ck, 'ct.dirt')) END AS email,
               CASE WHEN u(ck, 'ct.nophone') < 0.05 THEN NULL
                    ELSE mobile_fmt(mobile(ck, 'ct.mob'), u(ck, 'ct.mobf')) END AS phone,
               k = 1 AS is_primary
        FROM t
    """)


def contacts_at(plan: str, t: str, where: str = "TRUE") -> str:
    """The contact rows of `plan` as they stand at timestamp SQL `t` (without contact_id)."""
    return f"""
        SELECT customer_id, k, full_name, title, email, phone, is_primary, created_at,
               CASE WHEN deleted_at <= {t} THEN deleted_at ELSE created_at END AS updated_at,
               coalesce(deleted_at <= {t}, false) AS is_deleted
        FROM {plan} WHERE created_at <= {t} AND ({where})
    """
