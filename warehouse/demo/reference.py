"""Reference tables: regions, departments, reps, cities, categories, products, channels, campaigns.

Built as DuckDB temp tables: `g_<table>` holds exactly the contract's rows, `ref_*` and
`*_slots` hold helper columns (launch and retirement dates, weights) that the fact
generators join to; the helpers are never written to the sources.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import duckdb

from warehouse.demo import catalog
from warehouse.demo.geography import cities
from warehouse.demo.params import DemoParams, d, ts
from warehouse.demo.targets import Target
from warehouse.demo.writer import read_typed


def _load(con: duckdb.DuckDBPyConnection, name: str, columns: str, rows: list[tuple]) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({columns})")
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)


def build(con: duckdb.DuckDBPyConnection, p: DemoParams) -> None:
    """Every reference table for these params (the campaign calendar up to as_of)."""
    _geography(con, p)
    _organisation(con, p)
    _reps(con, p)
    _categories(con, p)
    _product_dates(con, p)
    _product_helpers(con)
    _channels(con, p)
    build_campaign_plan(con, p.scale, p.start, p.start.year, p.as_of.year + 1)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE g_campaigns AS
        SELECT row_number() OVER (ORDER BY start_date, campaign_code) AS campaign_id,
               campaign_code, campaign_name, channel_id, start_date, end_date, budget,
               objective, created_at AS updated_at
        FROM campaign_plan WHERE created_at <= {ts(p.end_ts)}
    """)
    build_campaign_days(con, "g_campaigns")


def _geography(con: duckdb.DuckDBPyConnection, p: DemoParams) -> None:
    _load(con, "ref_city", "city_id BIGINT, country_code VARCHAR, country_name VARCHAR, "
          "province_code VARCHAR, province_name VARCHAR, city_name VARCHAR, region_code "
          "VARCHAR, area_code VARCHAR, postal_prefix VARCHAR, weight INTEGER, street_style "
          "VARCHAR", [tuple(c) for c in cities()])
    con.execute("""
        CREATE OR REPLACE TEMP TABLE city_slots AS
        SELECT row_number() OVER (ORDER BY city_id, r) - 1 AS slot, city_id
        FROM ref_city, range(weight) t(r)
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE cn_city_slots AS
        SELECT row_number() OVER (ORDER BY slot) - 1 AS slot, city_id,
               count(*) OVER () AS n
        FROM city_slots JOIN ref_city USING (city_id) WHERE country_code = 'CN'
    """)
    stamp = ts(_at(p.start - timedelta(days=400), 8))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE g_geo_cities AS
        SELECT city_id, country_code, country_name, province_code, province_name, city_name,
               {stamp} AS updated_at
        FROM ref_city
    """)


def _organisation(con: duckdb.DuckDBPyConnection, p: DemoParams) -> None:
    stamp = ts(_at(p.start - timedelta(days=500), 9))
    _load(con, "ref_region", "region_id BIGINT, region_code VARCHAR, region_name VARCHAR",
          catalog.REGIONS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE g_regions AS SELECT *, {stamp} AS updated_at "
                "FROM ref_region")
    _load(con, "ref_department", "department_id BIGINT, department_name VARCHAR, "
          "region_id BIGINT", catalog.departments())
    con.execute(f"CREATE OR REPLACE TEMP TABLE g_departments AS SELECT *, {stamp} AS updated_at "
                "FROM ref_department")


def _reps(con: duckdb.DuckDBPyConnection, p: DemoParams) -> None:
    n_dept = len(catalog.departments())
    # reps: hired over the eight years before start (a fifth during the period), 8% left
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ref_rep AS
        WITH r AS (
            SELECT i AS rep_id,
                   ((i - 1) % {n_dept}) + 1 AS department_id,
                   u(i, 'rep.g') < 0.5 AS male,
                   ui(i, 'rep.sn', len(sn_h())) + 1 AS isn,
                   u(i, 'rep.gn') AS ugn,
                   CASE WHEN u(i, 'rep.new') < 0.2 AND i > 5
                        THEN {d(p.start)} + CAST(floor(u(i, 'rep.h') * {p.period_days})
                                                 AS INTEGER)
                        ELSE {d(p.start)} - CAST(1 + floor(u(i, 'rep.h') * 2900) AS INTEGER)
                   END AS hired_on,
                   u(i, 'rep.left') < 0.08 AND i > 5 AS leaves
            FROM range(1, {p.n_reps} + 1) t(i)
        )
        SELECT r.*, dp.region_id, rg.region_code,
               sn_h()[isn] || CASE WHEN male THEN pick(gm_h(), ugn) ELSE pick(gf_h(), ugn)
                              END AS full_name,
               CASE WHEN male THEN pick(gm_p(), ugn) ELSE pick(gf_p(), ugn) END
                   || '.' || sn_p()[isn] || rep_id || '@xinghe-tech.com' AS email,
               CASE WHEN leaves THEN least(
                   greatest(hired_on, {d(p.start)}) + CAST(90 + floor(u(rep_id, 'rep.l') * 600)
                                                           AS INTEGER),
                   {d(p.as_of)} - 1) END AS left_on
        FROM r JOIN ref_department dp USING (department_id) JOIN ref_region rg USING (region_id)
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE g_sales_reps AS
        SELECT rep_id, 'R' || lpad(CAST(rep_id AS VARCHAR), 4, '0') AS rep_code, full_name,
               email, department_id, hired_on, left_on IS NULL OR left_on > {d(p.as_of)}
               AS is_active,
               CAST(coalesce(left_on, hired_on) AS TIMESTAMP) + INTERVAL 9 HOUR
                   + secs(u(rep_id, 'rep.t') * 3600) AS updated_at
        FROM ref_rep
    """)
    _rep_slots(con)


def _rep_slots(con: duckdb.DuckDBPyConnection) -> None:
    """Active reps per region, numbered, for picking an owner or an order's rep. The first
    of each region (reps 1-5) was hired before the period and never leaves."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE rep_slots AS
        SELECT region_code, rep_id, left_on, hired_on,
               row_number() OVER (PARTITION BY region_code ORDER BY rep_id) - 1 AS k,
               count(*) OVER (PARTITION BY region_code) AS n
        FROM ref_rep WHERE left_on IS NULL
    """)


def _categories(con: duckdb.DuckDBPyConnection, p: DemoParams) -> None:
    stamp = ts(_at(p.start - timedelta(days=365), 10))
    cats = [(cid, None, name, 1) for cid, name in catalog.CATEGORIES]
    cats += [(s.category_id, s.category_id // 10, s.name, 2) for s in catalog.SUBCATEGORIES]
    _load(con, "ref_category", "category_id BIGINT, parent_id BIGINT, category_name VARCHAR, "
          "level INTEGER", cats)
    con.execute(f"CREATE OR REPLACE TEMP TABLE g_product_categories AS "
                f"SELECT *, {stamp} AS updated_at FROM ref_category")
    subs = {s.category_id: s for s in catalog.SUBCATEGORIES}
    rows = [(pr.product_id, pr.sku, pr.name, pr.category_id, pr.list_price, pr.unit_cost,
             pr.first_in_sub, subs[pr.category_id].b2c_weight, subs[pr.category_id].b2b_weight,
             subs[pr.category_id].complement) for pr in catalog.products()]
    _load(con, "ref_product_raw", "product_id BIGINT, sku VARCHAR, product_name VARCHAR, "
          "category_id BIGINT, list_price DECIMAL(12,2), unit_cost DECIMAL(12,2), "
          "first_in_sub BOOLEAN, b2c_w INTEGER, b2b_w INTEGER, complement BIGINT", rows)


def _product_dates(con: duckdb.DuckDBPyConnection, p: DemoParams) -> None:
    # first product of a subcategory: on sale for years, never retired (the fallback);
    # a quarter of the others launch during the period, a tenth are retired before as_of
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ref_product AS
        WITH l AS (
            SELECT *,
                   CASE WHEN first_in_sub OR u(product_id, 'p.new') >= 0.25
                        THEN {d(p.start)} - CAST(30 + floor(u(product_id, 'p.l') * 1500)
                                                 AS INTEGER)
                        ELSE {d(p.start)} + CAST(floor(u(product_id, 'p.l')
                                                       * greatest({p.period_days} - 30, 1))
                                                 AS INTEGER)
                   END AS launched_on
            FROM ref_product_raw
        )
        SELECT *,
               CASE WHEN NOT first_in_sub AND u(product_id, 'p.ret') < 0.1
                    THEN greatest(launched_on + 180, {d(p.start)}
                                  + CAST(floor(u(product_id, 'p.r') * {p.period_days})
                                         AS INTEGER))
               END AS retired_raw
        FROM l
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ref_product AS
        SELECT * EXCLUDE (retired_raw),
               CASE WHEN retired_raw <= {d(p.as_of)} THEN retired_raw END AS retired_on
        FROM ref_product
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE g_products AS
        SELECT product_id, sku, product_name, category_id, list_price, unit_cost, launched_on,
               retired_on IS NULL AS is_active,
               CAST(coalesce(retired_on, launched_on - 20) AS TIMESTAMP) + INTERVAL 10 HOUR
                   + secs(u(product_id, 'p.t') * 7200) AS updated_at
        FROM ref_product
    """)


def _product_helpers(con: duckdb.DuckDBPyConnection) -> None:
    """Complement sizes, popularity slots per customer type, products per subcategory."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE ref_product AS
        SELECT rp.*, cs.n AS complement_n
        FROM ref_product rp
        JOIN (SELECT category_id, count(*) AS n FROM ref_product GROUP BY ALL) cs
            ON cs.category_id = rp.complement
    """)
    # popularity within a subcategory falls with the model's position (cheaper sells more)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE prod_slots AS
        WITH w AS (
            SELECT t.ctype, product_id,
                   CAST(CASE t.ctype WHEN 'B2B' THEN b2b_w ELSE b2c_w END * 12
                        / (1 + (row_number() OVER (PARTITION BY t.ctype, category_id
                                                   ORDER BY product_id)) // 2) AS INTEGER) AS w
            FROM ref_product, (VALUES ('B2C'), ('B2B')) t(ctype)
        )
        SELECT ctype, row_number() OVER (PARTITION BY ctype ORDER BY product_id, r) - 1 AS slot,
               product_id, count(*) OVER (PARTITION BY ctype) AS n
        FROM w, range(w) t(r)
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE sub_products AS
        SELECT category_id, product_id,
               row_number() OVER (PARTITION BY category_id ORDER BY product_id) - 1 AS k,
               count(*) OVER (PARTITION BY category_id) AS n
        FROM ref_product
    """)


def _channels(con: duckdb.DuckDBPyConnection, p: DemoParams) -> None:
    stamp = ts(_at(p.start - timedelta(days=600), 9))
    _load(con, "ref_channel", "channel_id BIGINT, channel_code VARCHAR, channel_name VARCHAR, "
          "channel_type VARCHAR", catalog.CHANNELS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE g_channels AS SELECT *, {stamp} AS updated_at "
                "FROM ref_channel")


def _campaign_start(template: catalog.CampaignTemplate, year: int) -> date:
    if isinstance(template.start, tuple):
        return date(year, *template.start)
    cny = date.fromisoformat(catalog.CNY_DATES.get(year, f"{year}-02-01"))
    offset = int(template.start.split("-", 1)[1]) if "-" in template.start else 0
    return cny - timedelta(days=offset)


def build_campaign_plan(con: duckdb.DuckDBPyConnection, scale: float, start: date,
                        first_year: int, last_year: int) -> None:
    """Every campaign of the calendar years, whether already created or not (campaign_plan)."""
    rows = []
    for year in range(first_year, last_year + 1):
        for t in catalog.CAMPAIGNS:
            begin = _campaign_start(t, year)
            rows.append((f"CMP{year}-{t.key}", f"{t.name} {year}", t.channel_id, begin,
                         begin + timedelta(days=t.days - 1), t.objective, t.budget,
                         t.audience, year - start.year))
    _load(con, "campaign_raw", "campaign_code VARCHAR, campaign_name VARCHAR, "
          "channel_id BIGINT, start_date DATE, end_date DATE, objective VARCHAR, "
          "base_budget BIGINT, audience VARCHAR, year_no INTEGER", rows)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE campaign_plan AS
        SELECT campaign_code, campaign_name, channel_id, start_date, end_date, objective,
               audience,
               CAST(greatest(1000, round(base_budget * {scale} * pow(1.08, year_no)
                    * (0.85 + 0.3 * u(campaign_code, 'cmp.b')), -3)) AS DECIMAL(14,2))
                   AS budget,
               CAST(start_date - 45 AS TIMESTAMP) + INTERVAL 10 HOUR
                   + secs(u(campaign_code, 'cmp.t') * 21600) AS created_at
        FROM campaign_raw
    """)


def build_campaign_days(con: duckdb.DuckDBPyConnection, campaigns: str) -> None:
    """campaign_day(ctype, day, campaign_id): the newest running campaign for that audience."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE campaign_day AS
        SELECT t.ctype, CAST(g.day AS DATE) AS day,
               arg_max(c.campaign_id, c.start_date) AS campaign_id
        FROM {campaigns} c JOIN campaign_plan cp USING (campaign_code),
             (VALUES ('B2C'), ('B2B')) t(ctype),
             generate_series(c.start_date, c.end_date, INTERVAL 1 DAY) g(day)
        WHERE cp.audience = 'all' OR upper(cp.audience) = t.ctype
        GROUP BY ALL
    """)


def load(con: duckdb.DuckDBPyConnection, crm: Target, scale: float, start: date,
         last_year: int) -> None:
    """The reference helpers for `advance`, rebuilt from what the CRM holds (reps, product
    launch and retirement) plus the fixed catalog, so they match what `init` generated."""
    p = DemoParams(seed=0, scale=scale, start=start, as_of=start)
    _geography(con, p)
    _organisation(con, p)
    _categories(con, p)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ref_rep AS
        SELECT r.rep_id, r.department_id, dp.region_id, rg.region_code, r.hired_on,
               CASE WHEN NOT r.is_active THEN CAST(r.updated_at AS DATE) END AS left_on
        FROM {read_typed(crm, "sales_reps")} r
        JOIN ref_department dp USING (department_id) JOIN ref_region rg USING (region_id)
    """)
    _rep_slots(con)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ref_product AS
        SELECT raw.*, p.launched_on,
               CASE WHEN NOT p.is_active THEN CAST(p.updated_at AS DATE) END AS retired_on
        FROM ref_product_raw raw JOIN {read_typed(crm, "products")} p USING (product_id)
    """)
    _product_helpers(con)
    build_campaign_plan(con, scale, start, start.year, last_year)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour))
