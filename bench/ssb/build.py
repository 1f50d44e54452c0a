"""Star Schema Benchmark data derived from TPC-H (DuckDB's tpch extension, offline), cached on disk.

The derivation is the usual one (O'Neil et al., "Star Schema Benchmark", rev. 3): lineorder is
lineitem joined to its order (and partsupp for the supply cost); customer and supplier get SSB's
city ("first nine letters of the nation" + digit) and nation/region names; part gets SSB's
MFGR#m / MFGR#mc / MFGR#mcbb hierarchy; the date dimension covers 1992-01-01 .. 1998-12-31.
Money stays DECIMAL; discount and tax are whole percent as in SSB. Dates are DATE values.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from warehouse import duck

# Bump when the derivation changes, so a cached file built by older code is not reused.
BUILD_VERSION = 1

TABLES = ("lineorder", "customer", "supplier", "part", "date")

CITY = "rpad(left({nation}, 9), 9, ' ') || CAST({key} % 10 AS VARCHAR)"

DERIVE = [
    f"""CREATE TABLE customer AS
    SELECT c_custkey, c_name, c_address,
           {CITY.format(nation='n_name', key='c_custkey')} AS c_city,
           n_name AS c_nation, r_name AS c_region, c_phone, c_mktsegment
    FROM tpch.customer JOIN tpch.nation ON c_nationkey = n_nationkey
         JOIN tpch.region ON n_regionkey = r_regionkey
    ORDER BY c_custkey""",
    f"""CREATE TABLE supplier AS
    SELECT s_suppkey, s_name, s_address,
           {CITY.format(nation='n_name', key='s_suppkey')} AS s_city,
           n_name AS s_nation, r_name AS s_region, s_phone
    FROM tpch.supplier JOIN tpch.nation ON s_nationkey = n_nationkey
         JOIN tpch.region ON n_regionkey = r_regionkey
    ORDER BY s_suppkey""",
    # TPC-H: p_mfgr 'Manufacturer#m', p_brand 'Brand#mc' (m, c in 1..5). SSB adds 40 brands
    # per category: MFGR#m, MFGR#mc, MFGR#mcbb.
    """CREATE TABLE part AS
    SELECT p_partkey, p_name,
           'MFGR#' || right(p_mfgr, 1) AS p_mfgr,
           'MFGR#' || right(p_brand, 2) AS p_category,
           'MFGR#' || right(p_brand, 2) || CAST(p_partkey % 40 + 1 AS VARCHAR) AS p_brand1,
           split_part(p_name, ' ', 1) AS p_color, p_type, p_size, p_container
    FROM tpch.part ORDER BY p_partkey""",
    """CREATE TABLE date AS
    SELECT CAST(d AS DATE) AS d_datekey,
           strftime(d, '%B %-d, %Y') AS d_date,
           dayname(d) AS d_dayofweek,
           monthname(d) AS d_month,
           CAST(year(d) AS INTEGER) AS d_year,
           CAST(year(d) * 100 + month(d) AS INTEGER) AS d_yearmonthnum,
           strftime(d, '%b%Y') AS d_yearmonth,
           CAST(isodow(d) % 7 + 1 AS INTEGER) AS d_daynuminweek,
           CAST(day(d) AS INTEGER) AS d_daynuminmonth,
           CAST(dayofyear(d) AS INTEGER) AS d_daynuminyear,
           CAST(month(d) AS INTEGER) AS d_monthnuminyear,
           CAST((dayofyear(d) - 1) // 7 + 1 AS INTEGER) AS d_weeknuminyear,
           CASE WHEN month(d) IN (12, 1) THEN 'Christmas'
                WHEN month(d) IN (6, 7, 8) THEN 'Summer'
                WHEN month(d) IN (3, 4, 5) THEN 'Spring'
                ELSE 'Fall' END AS d_sellingseason,
           isodow(d) = 6 AS d_lastdayinweekfl,
           day(d + INTERVAL 1 DAY) = 1 AS d_lastdayinmonthfl,
           (month(d) = 12 AND day(d) = 25) OR (month(d) = 1 AND day(d) = 1) AS d_holidayfl,
           isodow(d) <= 5 AS d_weekdayfl
    FROM range(DATE '1992-01-01', DATE '1999-01-01', INTERVAL 1 DAY) AS t(d)""",
    """CREATE TABLE lineorder AS
    SELECT l_orderkey AS lo_orderkey, CAST(l_linenumber AS INTEGER) AS lo_linenumber,
           o_custkey AS lo_custkey, l_partkey AS lo_partkey, l_suppkey AS lo_suppkey,
           o_orderdate AS lo_orderdate, o_orderpriority AS lo_orderpriority,
           o_shippriority AS lo_shippriority,
           CAST(l_quantity AS INTEGER) AS lo_quantity,
           l_extendedprice AS lo_extendedprice,
           o_totalprice AS lo_ordtotalprice,
           CAST(round(l_discount * 100) AS INTEGER) AS lo_discount,
           CAST(l_extendedprice * (1 - l_discount) AS DECIMAL(15, 2)) AS lo_revenue,
           ps_supplycost AS lo_supplycost,
           CAST(round(l_tax * 100) AS INTEGER) AS lo_tax,
           l_commitdate AS lo_commitdate, l_shipmode AS lo_shipmode
    FROM tpch.lineitem
         JOIN tpch.orders ON l_orderkey = o_orderkey
         JOIN tpch.partsupp ON l_partkey = ps_partkey AND l_suppkey = ps_suppkey
    ORDER BY o_orderdate, l_orderkey, l_linenumber""",
]


def ssb_path(work: Path, sf: float) -> Path:
    label = f"{sf:g}".replace(".", "_")
    return work / f"ssb-sf{label}-v{BUILD_VERSION}.duckdb"


def is_complete(path: Path) -> bool:
    """A cached file counts only if the build finished (it writes meta_ssb last)."""
    if not path.exists():
        return False
    try:
        con = duck.connect(path, read_only=True)
    except duckdb.Error:
        return False
    try:
        row = con.execute("SELECT version FROM meta_ssb").fetchone()
        return bool(row and row[0] == BUILD_VERSION)
    except duckdb.Error:
        return False
    finally:
        con.close()


def build(work: Path, sf: float, *, memory_limit: str = "6GB", threads: int | None = None,
          say=print) -> Path:
    """The SSB file for `sf` under `work`: reused when a finished build exists, else built."""
    work.mkdir(parents=True, exist_ok=True)
    path = ssb_path(work, sf)
    if is_complete(path):
        return path
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duck.connect(tmp, memory_limit=memory_limit, threads=threads,
                       temp_directory=work / "spill")
    try:
        duck.load_extension(con, "tpch")
        con.execute("CREATE SCHEMA tpch")
        con.execute("USE tpch")
        say(f"  dbgen sf={sf:g}")
        con.execute("CALL dbgen(sf = ?)", [sf])
        con.execute("USE main")
        for sql in DERIVE:
            say("  " + sql.split("AS", 1)[0].strip().lower())
            con.execute(sql)
        con.execute("DROP SCHEMA tpch CASCADE")
        con.execute("CREATE TABLE meta_ssb AS SELECT ? AS version, ? AS sf, ? AS build_s",
                    [BUILD_VERSION, sf, round(time.perf_counter() - started, 1)])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    # DROP leaves free blocks behind; the file is rewritten compactly by copying it once.
    compact = path.with_suffix(".compact")
    compact.unlink(missing_ok=True)
    con = duck.connect(memory_limit=memory_limit, threads=threads)
    try:
        con.execute(f"ATTACH {duck.quote_literal(str(tmp))} AS src (READ_ONLY)")
        con.execute(f"ATTACH {duck.quote_literal(str(compact))} AS dst")
        con.execute("COPY FROM DATABASE src TO dst")
    finally:
        con.close()
    tmp.unlink()
    compact.rename(path)
    return path
