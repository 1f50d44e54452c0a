"""Stage the demo's external rows with plain SQL, without writing and ingesting files: for the
identity resolution benchmark, which builds staging.current_ext_person for a million records
straight from the generator's tables.

The standardisation here is deliberately simple SQL (half-width, E.164 for Chinese numbers,
listed date formats, province and city names from the demo geography). The warehouse's real
path is the file contracts' rules (warehouse/clean); this only has to turn the demo's mess
into the same shape. `read_people_files` / `read_company_files` read the landing files back
for checking the two paths against each other.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse import duck
from warehouse.demo import external_geo
from warehouse.demo.external_companies import JSON_KEYS
from warehouse.demo.external_mess import DATE_FORMATS, FULL, HALF
from warehouse.demo.external_people import COLUMNS as PEOPLE_COLUMNS
from warehouse.demo.external_people import HEADERS as PEOPLE_HEADERS

LINEAGE = ("'{load}' AS _batch_id, '{source}' AS _source, '{source}' AS _source_table, "
           "NULL::TIMESTAMP AS _watermark, false AS _deleted, 0::UBIGINT AS _row_hash")


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Macros hw, e164, any_date, dec, prov_code, city_canon (needs no demo macros)."""
    external_geo.register(con)
    dates = ", ".join(f"try_strptime(hw(s), '{f}')" for f in DATE_FORMATS)
    macros = [
        f"hw(s) AS nullif(trim(replace(translate(s, '{FULL}', '{HALF}'), '　', ' ')), '')",
        "e164(p) AS CASE "
        "WHEN regexp_replace(hw(p), '[^0-9]', '', 'g') LIKE '0086%' "
        "THEN '+86' || regexp_replace(hw(p), '[^0-9]', '', 'g')[5:] "
        "WHEN hw(p) LIKE '+86%' OR hw(p) LIKE '(+86)%' "
        "THEN '+86' || regexp_replace(hw(p), '[^0-9]', '', 'g')[3:] "
        "WHEN regexp_replace(hw(p), '[^0-9]', '', 'g') ~ '^1[0-9]{10}$' "
        "THEN '+86' || regexp_replace(hw(p), '[^0-9]', '', 'g') "
        "WHEN regexp_replace(hw(p), '[^0-9]', '', 'g') ~ '^0[0-9]{9,11}$' "
        "THEN '+86' || regexp_replace(hw(p), '[^0-9]', '', 'g')[2:] END",
        f"any_date(s) AS CAST(coalesce({dates}) AS DATE)",
        "to_dec(s) AS TRY_CAST(regexp_replace(hw(s), '[￥¥,]|RMB|CNY', '', 'g') AS DECIMAL(18,2))",
    ]
    for body in macros:
        con.execute(f"CREATE OR REPLACE TEMP MACRO {body}")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE ext_prov_forms AS
        SELECT DISTINCT f AS form, province_code FROM ext_geo,
            unnest([prov_long, prov_short, prov_en]) t(f) WHERE f IS NOT NULL
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE ext_city_forms AS
        SELECT DISTINCT f AS form, city_long AS city_name FROM ext_geo,
            unnest([city_long, city_short]) t(f)
    """)


def people_sql(raw: str, load: str) -> str:
    """SELECT of staged ext_person rows from `raw` (file text columns + _file, _file_row)."""
    lineage = LINEAGE.format(load=load, source="purchased_people")
    return f"""
        SELECT hw(r.record_id) AS record_id, hw(r.full_name) AS full_name,
               CASE hw(r.gender) WHEN '男' THEN 'M' WHEN '男性' THEN 'M' WHEN 'M' THEN 'M'
                    WHEN '女' THEN 'F' WHEN '女性' THEN 'F' WHEN 'F' THEN 'F' END AS gender,
               any_date(r.birth_date) AS birth_date, e164(r.phone) AS phone,
               lower(hw(r.email)) AS email, p.province_code, c.city_name,
               hw(r.address) AS address, hw(r.age_band) AS age_band,
               CAST(to_dec(r.income) AS DECIMAL(14,2)) AS income_cny,
               hw(r.income_band) AS income_band, hw(r.interests) AS interests,
               CAST(to_dec(r.attitude_price) AS DECIMAL(3,1)) AS attitude_price,
               CAST(to_dec(r.attitude_brand) AS DECIMAL(3,1)) AS attitude_brand,
               CAST(to_dec(r.attitude_green) AS DECIMAL(3,1)) AS attitude_green,
               any_date(r.as_of) AS as_of, r._file, r._file_row, {lineage}
        FROM {raw} r
        LEFT JOIN ext_prov_forms p ON p.form = hw(r.province)
        LEFT JOIN ext_city_forms c ON c.form = hw(r.city)
        WHERE hw(r.record_id) LIKE 'PP%'
    """


def companies_sql(raw: str, load: str) -> str:
    """SELECT of staged ext_company rows from `raw` (JSON keys as columns)."""
    lineage = LINEAGE.format(load=load, source="purchased_companies")
    return f"""
        SELECT hw(r.id) AS record_id, hw(r.name) AS company_name, upper(hw(r.uscc)) AS uscc,
               hw(r.industry) AS industry, replace(replace(hw(r.employees), '人以上', '+'),
               '人', '') AS employee_band, hw(r.revenue_band) AS revenue_band,
               to_dec(r.revenue) AS annual_revenue_cny, hw(r.rating) AS credit_rating,
               e164(r.tel) AS phone, lower(hw(r.email)) AS email, p.province_code,
               c.city_name, hw(r.address) AS address, any_date(r.founded) AS founded_date,
               any_date(r.as_of) AS as_of, r._file, r._file_row, {lineage}
        FROM {raw} r
        LEFT JOIN ext_prov_forms p ON p.form = hw(r.province)
        LEFT JOIN ext_city_forms c ON c.form = hw(r.city)
        WHERE hw(r.id) LIKE 'PC%'
    """


def latest(select_sql: str) -> str:
    """Keep the latest version per record id (as the staging current_ tables do)."""
    return (f"SELECT * FROM ({select_sql}) QUALIFY row_number() OVER (PARTITION BY record_id "
            "ORDER BY as_of DESC, _file DESC) = 1")


def read_people_files(con: duckdb.DuckDBPyConnection, folder: Path, out: str) -> None:
    """The people CSVs as text (GBK, read as its superset GB18030), renamed to the
    generator's column names."""
    duck.load_extension(con, "encodings")
    cols = ", ".join(f'"{h}" AS {c}' for h, c in zip(PEOPLE_HEADERS, PEOPLE_COLUMNS, strict=True))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT {cols}, parse_filename(filename) AS _file,
               row_number() OVER (PARTITION BY filename) + 1 AS _file_row
        FROM read_csv('{folder}/people_*.csv', encoding = 'gb18030', all_varchar = true,
                      header = true, filename = true)
    """)


def read_company_files(con: duckdb.DuckDBPyConnection, folder: Path, out: str) -> None:
    """The companies JSON lines as text columns (Excel refreshes are not read here)."""
    cols = ", ".join(f"{k}: 'VARCHAR'" for k in [*JSON_KEYS, "note"])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT * EXCLUDE (filename, note), parse_filename(filename) AS _file,
               row_number() OVER (PARTITION BY filename) AS _file_row
        FROM read_json('{folder}/companies_*.jsonl', format = 'newline_delimited',
                       columns = {{{cols}}}, filename = true)
    """)
