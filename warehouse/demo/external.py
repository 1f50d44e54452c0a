"""External files of the demo: purchased people and company lists and market figures.

`write_init` writes the first deliveries into $CRMWH_HOME/landing/<source>/ at `as_of`;
`write_day` writes what a vendor delivers on one advanced day (a people refresh on the 1st,
a company refresh on the 15th, last month's market files on the 5th), nothing on other days.
The truth (record -> entity -> CRM customer) goes to $CRMWH_HOME/sources/external_truth.parquet,
outside the landing zone, for measuring identity resolution.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from warehouse.config import Home
from warehouse.demo import external_companies as companies
from warehouse.demo import external_files as files
from warehouse.demo import external_geo, external_mess, external_select
from warehouse.demo import external_market as market
from warehouse.demo import external_people as people
from warehouse.demo.external_mess import DEFAULT_MESS

PEOPLE, COMPANIES, MARKET = "purchased_people", "purchased_companies", "market_stats"
TRUTH_FILE = "external_truth.parquet"
MARKET_MONTHS_AT_INIT = 12


def register(con: duckdb.DuckDBPyConnection, seed: int, mess: float = DEFAULT_MESS) -> None:
    """Reference tables and mess macros (the demo's rng/vocab macros must be registered)."""
    external_geo.register(con)
    external_mess.register(con, seed, mess)
    companies.register(con)


def typed_customers(con: duckdb.DuckDBPyConnection, customers: str) -> str:
    """The CRM customers with DuckDB types (SQLite keeps dates as text) in a temp table."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE xk_customers AS
        SELECT CAST(customer_id AS BIGINT) AS customer_id, customer_type, full_name, email,
               phone, tax_id, industry, employee_band, CAST(birth_date AS DATE) AS birth_date,
               gender, CAST(city_id AS BIGINT) AS city_id, address_line,
               CAST(created_at AS TIMESTAMP) AS created_at, CAST(is_deleted AS BOOLEAN)
                   AS is_deleted
        FROM {customers}
    """)
    return "xk_customers"


def _mess(con: duckdb.DuckDBPyConnection) -> float:
    return float(con.execute("SELECT mess()").fetchone()[0])


def month_no(day: date) -> int:
    return day.year * 12 + day.month


def write_init(con: duckdb.DuckDBPyConnection, home: Home, customers: str, *, seed: int,
               scale: float, start: date, as_of: date,
               mess: float = DEFAULT_MESS) -> dict[str, int]:
    """First deliveries at `as_of`; `customers` is the CRM customers relation. Rows per file."""
    register(con, seed, mess)
    customers = typed_customers(con, customers)
    for sub in (PEOPLE, COMPANIES, MARKET):
        folder = home.landing / sub
        if folder.exists():
            for old in folder.iterdir():
                if old.is_file():
                    old.unlink()
    truth = home.sources / TRUTH_FILE
    truth.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    people.universe(con, customers, scale, start, as_of, "xp_universe")
    external_select.init_selection(con, "xp_universe", "x.pp", "xp_sel")
    counts.update(_people_file(con, home, "xp_sel", as_of))
    companies.universe(con, customers, scale, start, as_of, "xc_universe")
    external_select.init_selection(con, "xc_universe", "x.pc", "xc_sel")
    counts.update(_company_file(con, home, "xc_sel", as_of, "jsonl"))
    month = date(as_of.year, as_of.month, 1)
    for _ in range(MARKET_MONTHS_AT_INIT):
        month = (month - timedelta(days=1)).replace(day=1)
        counts.update(_market_files(con, home, month))
    _drop(con)
    return counts


def write_day(con: duckdb.DuckDBPyConnection, home: Home, customers: str, *, seed: int,
              scale: float, start: date, day: date, mess: float = DEFAULT_MESS) -> dict[str, int]:
    """What the vendors deliver on `day` (usually nothing). Rows per file written."""
    if day.day not in (1, 5, 15):
        return {}
    register(con, seed, mess)
    customers = typed_customers(con, customers)
    counts: dict[str, int] = {}
    since = (day.replace(day=1) - timedelta(days=1)).replace(day=1)   # last month's 1st
    if day.day == 1:
        people.universe(con, customers, scale, start, day, "xp_universe")
        external_select.refresh_selection(con, "xp_universe", month_no(day), since,
                                          people.n_prospects(scale, start, since), "x.pp",
                                          "xp_sel")
        counts.update(_people_file(con, home, "xp_sel", day))
    elif day.day == 15:
        companies.universe(con, customers, scale, start, day, "xc_universe")
        since = (day.replace(day=1) - timedelta(days=1)).replace(day=15)
        external_select.refresh_selection(con, "xc_universe", month_no(day), since,
                                          companies.n_prospects(scale, start, since), "x.pc",
                                          "xc_sel")
        counts.update(_company_file(con, home, "xc_sel", day, "xlsx"))
    else:
        counts.update(_market_files(con, home, since))
    _drop(con)
    return counts


def _people_file(con: duckdb.DuckDBPyConnection, home: Home, selection: str,
                 day: date) -> dict[str, int]:
    people.records(con, selection, month_no(day), day, "xp_rec")
    name = f"people_{day:%Y%m%d}.csv"
    n = files.write_csv(con, "xp_rec", people.COLUMNS, people.HEADERS,
                        home.landing / PEOPLE / name, "gbk", _mess(con))
    _truth(con, home, "xp_rec", PEOPLE, "person", name)
    return {f"{PEOPLE}/{name}": n}


def _company_file(con: duckdb.DuckDBPyConnection, home: Home, selection: str, day: date,
                  fmt: str) -> dict[str, int]:
    companies.records(con, selection, month_no(day), day, "xc_rec")
    name = f"companies_{day:%Y%m%d}.{fmt}"
    path = home.landing / COMPANIES / name
    cols = [c if c != "id" else "record_id" for c in companies.JSON_KEYS]
    if fmt == "jsonl":
        n = files.write_jsonl(con, "xc_rec", cols, companies.JSON_KEYS, path, _mess(con))
    else:
        n = files.write_xlsx(con, "xc_rec", cols, companies.XLSX_HEADERS, path, _mess(con))
    _truth(con, home, "xc_rec", COMPANIES, "company", name)
    return {f"{COMPANIES}/{name}": n}


def _market_files(con: duckdb.DuckDBPyConnection, home: Home, month: date) -> dict[str, int]:
    counts = {}
    for region in market.REGIONS:
        market.month_rows(con, month, region, "xm_rows")
        con.execute("CREATE OR REPLACE TEMP TABLE xm_rows AS SELECT *, province || category || "
                    "competitor AS record_id FROM xm_rows")
        name = f"market_{region}_{month:%Y%m}.csv"
        counts[f"{MARKET}/{name}"] = files.write_csv(
            con, "xm_rows", ["region", "province", "month", "category", "competitor",
                             "market_size", "share", "as_of"], market.HEADERS,
            home.landing / MARKET / name, "utf-8-sig", _mess(con))
    return counts


def _truth(con: duckdb.DuckDBPyConnection, home: Home, records: str, source: str, kind: str,
           file_name: str) -> None:
    """Append this file's (record -> entity -> customer) rows to the truth file."""
    path = home.sources / TRUTH_FILE
    home.sources.mkdir(parents=True, exist_ok=True)
    new = (f"SELECT '{source}' AS source, record_id, '{kind}' AS entity_type, entity, "
           f"CAST(customer_id AS BIGINT) AS customer_id, '{file_name}' AS file FROM {records}")
    rel = f"SELECT * FROM read_parquet('{path}') UNION ALL {new}" if path.exists() else new
    con.execute(f"CREATE OR REPLACE TEMP TABLE xt_truth AS {rel}")
    tmp = path.with_name(path.name + ".part")
    con.execute(f"COPY (SELECT * FROM xt_truth ORDER BY source, record_id, file) TO '{tmp}' "
                "(FORMAT parquet)")
    tmp.replace(path)
    con.execute("DROP TABLE xt_truth")


def _drop(con: duckdb.DuckDBPyConnection) -> None:
    for t in ("xp_universe", "xp_sel", "xp_rec", "xc_universe", "xc_sel", "xc_rec", "xm_rows",
              "xk_customers"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
