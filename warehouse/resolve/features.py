"""Comparable features of external records and internal customers, in the same columns on
both sides: pinyin name key, birth/founding date, city, address key, e-mail, phone key, USCC.

External records arrive standardised by the file contracts (E.164 phones, lower-case e-mails,
canonical city names); the CRM's own values are standardised here the same way in SQL. Phones
compare on their last 10 digits, which is the same for +8613812345678 and 138-1234-5678 and
for +86 755 2345 6789 and 0755-23456789.
"""

from __future__ import annotations

import duckdb

from warehouse.demo.people import USCC_CHARS, USCC_WEIGHTS
from warehouse.resolve.names import register_keys

COMMON = ["unique_id", "name_key", "name_han", "city_name", "province_code", "addr_key", "email",
          "phone_key"]
COLUMNS = {"person": [*COMMON, "birth_date"], "company": [*COMMON, "uscc"]}


def register_macros(con: duckdb.DuckDBPyConnection) -> None:
    """phone_key, addr_key, uscc_ok, co_core (company name without legal form and city)."""
    weights = "[" + ", ".join(map(str, USCC_WEIGHTS)) + "]"
    cities = [r[0] for r in con.execute(
        "SELECT DISTINCT n FROM (SELECT city_name AS n FROM staging.current_geography UNION ALL "
        "SELECT regexp_replace(city_name, '市$', '') FROM staging.current_geography) "
        "WHERE length(n) >= 2 AND n ~ '^[\u4e00-\u9fff]+$'").fetchall()]
    cities.sort(key=lambda s: (-len(s), s))
    prefix = "^(" + "|".join(cities) + ")" if cities else "^$"
    macros = [
        "phone_key(p) AS CASE WHEN length(regexp_replace(p, '[^0-9]', '', 'g')) >= 7 "
        "THEN right(regexp_replace(p, '[^0-9]', '', 'g'), 10) END",
        # the street part: without spaces, without a leading '…市' / '…省…市'
        "addr_key(a) AS nullif(regexp_replace(regexp_replace(a, '\\s+', '', 'g'), "
        "'^[\u4e00-\u9fff]{1,8}?市', ''), '')",
        f"uscc_ok(s) AS s IS NOT NULL AND regexp_full_match(s, '[{USCC_CHARS}]{{18}}') AND "
        f"substr('{USCC_CHARS}', CAST(1 + (31 - list_sum(list_transform(range(17), lambda i: "
        f"(instr('{USCC_CHARS}', substr(s, CAST(i + 1 AS INTEGER), 1)) - 1) * {weights}[i + 1]))"
        f" % 31) % 31 AS INTEGER), 1) = s[18:18]",
        "co_core(n) AS nullif(regexp_replace(regexp_replace(regexp_replace(regexp_replace("
        "n, '\\s+', '', 'g'), '[（(][^）)]*[）)]', '', 'g'), "
        "'(股份有限公司|集团有限公司|有限责任公司|有限公司|集团|公司)$', ''), "
        f"'{prefix}', ''), '')",
    ]
    for body in macros:
        con.execute(f"CREATE OR REPLACE TEMP MACRO {body}")


def _col(con: duckdb.DuckDBPyConnection, table: str, column: str, default: str = "NULL") -> str:
    """`column` if the staged table has it (files carry _file/_file_row), else `default`."""
    schema, name = table.split(".")
    found = con.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = ? "
                        "AND table_name = ? AND column_name = ?", [schema, name, column]
                        ).fetchone()[0]
    return column if found else default


def external(con: duckdb.DuckDBPyConnection, kind: str, staged: str, out: str) -> None:
    """`out`: one row per staged external record with its features and lineage."""
    t = f"staging.current_{staged}"
    file, row = _col(con, t, "_file"), _col(con, t, "_file_row")
    if kind == "person":
        specific = "full_name AS name, birth_date, NULL::VARCHAR AS uscc"
    else:
        specific = ("company_name AS name, founded_date AS birth_date, "
                    "CASE WHEN uscc_ok(upper(uscc)) THEN upper(uscc) END AS uscc")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out}_raw AS
        SELECT 'e:' || record_id AS unique_id, record_id, _source AS source,
               CAST({file} AS VARCHAR) AS file, CAST({row} AS BIGINT) AS file_row, as_of,
               {specific}, nullif(lower(trim(email)), '') AS email, phone_key(phone) AS phone_key,
               city_name, province_code, addr_key(address) AS addr_key
        FROM {t} WHERE NOT coalesce(_deleted, false)
    """)
    _with_names(con, kind, f"{out}_raw", out)


def internal(con: duckdb.DuckDBPyConnection, kind: str, out: str) -> None:
    """`out`: the CRM's current customers of this kind (persons B2C, companies B2B)."""
    ctype = "B2C" if kind == "person" else "B2B"
    specific = ("replace(trim(c.full_name), ' ', '') AS name, c.birth_date, NULL::VARCHAR AS uscc"
                if kind == "person" else
                "trim(c.full_name) AS name, NULL::DATE AS birth_date, "
                "CASE WHEN uscc_ok(upper(trim(c.tax_id))) THEN upper(trim(c.tax_id)) END AS uscc")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out}_raw AS
        SELECT 'i:' || c.customer_id AS unique_id, c.customer_id, {specific},
               nullif(lower(trim(c.email)), '') AS email, phone_key(c.phone) AS phone_key,
               g.city_name, g.province_code, addr_key(c.address_line) AS addr_key
        FROM staging.current_customer c
        LEFT JOIN staging.current_geography g ON g.city_id = c.city_id
        WHERE c.customer_type = '{ctype}' AND NOT coalesce(c._deleted, false)
    """)
    _with_names(con, kind, f"{out}_raw", out)


def _with_names(con: duckdb.DuckDBPyConnection, kind: str, raw: str, out: str) -> None:
    if kind == "person":
        register_keys(con, f"SELECT name FROM {raw}", "_rs_names")
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {out} AS
            SELECT r.* EXCLUDE (name), r.name, k.name_key, k.name_han
            FROM {raw} r LEFT JOIN _rs_names k ON k.name = r.name
        """)
        con.execute("DROP TABLE _rs_names")
    else:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {out} AS
            SELECT r.* EXCLUDE (name), r.name, co_core(r.name) AS name_key,
                   CAST(NULL AS VARCHAR) AS name_han
            FROM {raw} r
        """)
    con.execute(f"DROP TABLE {raw}")


def contact_emails(con: duckdb.DuckDBPyConnection, out: str) -> None:
    """E-mails of the CRM's current contacts, for linking company records by contact."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT DISTINCT customer_id, lower(trim(email)) AS email
        FROM staging.current_contact
        WHERE email IS NOT NULL AND NOT coalesce(_deleted, false)
    """)
