"""core.dim_date: a generated calendar (business time zone), with member -1 for unknown dates."""

from __future__ import annotations

import duckdb

DIM_DATE_SQL = """
CREATE TABLE IF NOT EXISTS core.dim_date AS
SELECT -1 AS date_key, NULL::DATE AS date, NULL::INTEGER AS year, NULL::INTEGER AS quarter,
       NULL::INTEGER AS month, 'Unknown' AS month_name, NULL::INTEGER AS day_of_month,
       NULL::INTEGER AS day_of_week, 'Unknown' AS day_name, NULL::INTEGER AS iso_week,
       NULL::BOOLEAN AS is_weekend, 'Unknown' AS year_quarter, 'Unknown' AS year_month
UNION ALL
SELECT CAST(strftime(d, '%Y%m%d') AS INTEGER), CAST(d AS DATE), year(d), quarter(d), month(d),
       monthname(d), day(d), isodow(d), dayname(d), weekofyear(d), isodow(d) >= 6,
       printf('%d-Q%d', year(d), quarter(d)), strftime(d, '%Y-%m')
FROM range(DATE '2000-01-01', DATE '2036-01-01', INTERVAL 1 DAY) t(d)
ORDER BY date_key
"""


def ensure_dim_date(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DIM_DATE_SQL)


def date_key_sql(expr: str) -> str:
    """SQL giving the date key (yyyymmdd) of a date or timestamp expression, -1 when NULL."""
    return f"coalesce(CAST(strftime(({expr}), '%Y%m%d') AS INTEGER), -1)"
