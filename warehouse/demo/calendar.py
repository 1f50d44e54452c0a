"""Seasonality: how busy each day is for consumers and for businesses.

Consumers peak on Singles Day (11.11), 618 and Double 12 and dip over Chinese New Year;
businesses buy on weekdays, push at month and quarter end and spend year-end budgets in
December. The same macro drives the initial history and every advanced day.
"""

from __future__ import annotations

from datetime import date

import duckdb

from warehouse.demo.catalog import CNY_DATES
from warehouse.demo.params import d


def _cny_case() -> str:
    whens = " ".join(f"WHEN {y} THEN DATE '{v}'" for y, v in sorted(CNY_DATES.items()))
    return f"CASE y {whens} ELSE make_date(CAST(y AS BIGINT), 2, 1) END"


B2C_SEASON = """
    (CASE WHEN dayofweek(x) IN (0, 6) THEN 1.15 ELSE 1.0 END)
  * (1 + 0.06 * cos(2 * pi() * (day(x) - 10) / 30.5))
  * (CASE month(x) WHEN 12 THEN 1.25 WHEN 1 THEN 1.05 WHEN 7 THEN 0.92 WHEN 8 THEN 0.92
                   WHEN 11 THEN 1.1 ELSE 1.0 END)
  * (CASE WHEN month(x) = 11 AND day(x) = 11 THEN 5.0
          WHEN month(x) = 11 AND day(x) BETWEEN 1 AND 10 THEN 1.35
          WHEN month(x) = 11 AND day(x) IN (12, 13) THEN 1.4
          WHEN month(x) = 6 AND day(x) = 18 THEN 3.0
          WHEN month(x) = 6 AND day(x) < 18 THEN 1.2
          WHEN month(x) = 12 AND day(x) = 12 THEN 2.2
          ELSE 1.0 END)
  * (CASE WHEN x - cny(year(x)) BETWEEN -21 AND -8 THEN 1.3
          WHEN x - cny(year(x)) BETWEEN -7 AND 7 THEN 0.45
          WHEN x - cny(year(x)) BETWEEN 8 AND 14 THEN 0.85
          ELSE 1.0 END)
"""

B2B_SEASON = """
    (CASE dayofweek(x) WHEN 6 THEN 0.35 WHEN 0 THEN 0.2 ELSE 1.25 END)
  * (CASE WHEN last_day(x) - x < 5 AND month(x) IN (3, 6, 9, 12) THEN 1.55
          WHEN last_day(x) - x < 5 THEN 1.3 ELSE 1.0 END)
  * (CASE month(x) WHEN 12 THEN 1.3 WHEN 8 THEN 0.9 ELSE 1.0 END)
  * (CASE WHEN x - cny(year(x)) BETWEEN -14 AND -8 THEN 0.8
          WHEN x - cny(year(x)) BETWEEN -7 AND 7 THEN 0.15
          WHEN x - cny(year(x)) BETWEEN 8 AND 14 THEN 0.7
          ELSE 1.0 END)
"""


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Macros cny(year) and season(ctype, date) -> relative busyness of that day."""
    con.execute(f"CREATE OR REPLACE TEMP MACRO cny(y) AS {_cny_case()}")
    con.execute(f"CREATE OR REPLACE TEMP MACRO season(ctype, x) AS "
                f"CASE WHEN ctype = 'B2B' THEN {B2B_SEASON} ELSE {B2C_SEASON} END")


def build_days(con: duckdb.DuckDBPyConnection, first: date, last: date) -> None:
    """Temp table cal(ctype, day, w, cum_before, cum_after) for inverse-CDF date sampling."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE cal AS
        WITH base AS (
            SELECT t.ctype, CAST(g.day AS DATE) AS day, season(t.ctype, CAST(g.day AS DATE)) AS w
            FROM generate_series({d(first)}, {d(last)}, INTERVAL 1 DAY) g(day),
                 (VALUES ('B2C'), ('B2B')) t(ctype)
        )
        SELECT ctype, day, w,
               sum(w) OVER (PARTITION BY ctype ORDER BY day) - w AS cum_before,
               sum(w) OVER (PARTITION BY ctype ORDER BY day) AS cum_after
        FROM base
    """)
