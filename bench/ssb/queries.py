"""The 13 Star Schema Benchmark queries as hand-written SQL (SSB rev. 3), on DATE date keys.

Each query is also given as a cube request (`CubeQuery`): the same question in the terms of the
SSB cube model (bench/ssb/cube.yaml), so the bench and the tests ask the engine exactly what the
hand-written SQL answers. Results are ordered by every output column, so two answers compare
row by row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

JOIN_DATE = "lo_orderdate = d_datekey"


@dataclass(frozen=True)
class CubeQuery:
    """Measures, drill-down levels and cuts, named as in bench/ssb/cube.yaml."""

    measures: list[str]
    drilldown: list[str] = field(default_factory=list)
    # (level, op, value): op is "=", "in" or "between" (value a list of two).
    cuts: list[tuple[str, str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class SsbQuery:
    name: str
    sql: str
    cube: CubeQuery


def _flight1(where: str) -> str:
    return ("SELECT sum(lo_extendedprice * lo_discount) AS revenue\n"
            f"FROM lineorder, date\nWHERE {JOIN_DATE} AND {where}")


def _flight2(where: str) -> str:
    return ("SELECT d_year, p_brand1, sum(lo_revenue) AS revenue\n"
            "FROM lineorder, date, part, supplier\n"
            f"WHERE {JOIN_DATE} AND lo_partkey = p_partkey AND lo_suppkey = s_suppkey\n"
            f"  AND {where}\nGROUP BY d_year, p_brand1\nORDER BY d_year, p_brand1")


def _flight3(c: str, s: str, where: str) -> str:
    return (f"SELECT {c}, {s}, d_year, sum(lo_revenue) AS revenue\n"
            "FROM customer, lineorder, supplier, date\n"
            f"WHERE lo_custkey = c_custkey AND lo_suppkey = s_suppkey AND {JOIN_DATE}\n"
            f"  AND {where}\nGROUP BY {c}, {s}, d_year\n"
            f"ORDER BY d_year ASC, revenue DESC, {c}, {s}")


def _flight4(cols: list[str], where: str) -> str:
    keys = ", ".join(cols)
    return (f"SELECT {keys}, sum(lo_revenue - lo_supplycost) AS profit\n"
            "FROM date, customer, supplier, part, lineorder\n"
            f"WHERE lo_custkey = c_custkey AND lo_suppkey = s_suppkey AND lo_partkey = p_partkey\n"
            f"  AND {JOIN_DATE} AND {where}\nGROUP BY {keys}\nORDER BY {keys}")


CITIES = ["UNITED KI1", "UNITED KI5"]

QUERIES: list[SsbQuery] = [
    SsbQuery("Q1.1", _flight1("d_year = 1993 AND lo_discount BETWEEN 1 AND 3 AND lo_quantity < 25"),
             CubeQuery(["revenue_discounted"], [],
                       [("date.year", "=", 1993), ("discount.discount", "between", [1, 3]),
                        ("quantity.quantity", "between", [1, 24])])),
    SsbQuery("Q1.2", _flight1("d_yearmonthnum = 199401 AND lo_discount BETWEEN 4 AND 6 "
                              "AND lo_quantity BETWEEN 26 AND 35"),
             CubeQuery(["revenue_discounted"], [],
                       [("date.month", "=", 199401), ("discount.discount", "between", [4, 6]),
                        ("quantity.quantity", "between", [26, 35])])),
    SsbQuery("Q1.3", _flight1("d_weeknuminyear = 6 AND d_year = 1994 "
                              "AND lo_discount BETWEEN 5 AND 7 AND lo_quantity BETWEEN 26 AND 35"),
             CubeQuery(["revenue_discounted"], [],
                       [("date.year", "=", 1994), ("date.week_in_year", "=", 6),
                        ("discount.discount", "between", [5, 7]),
                        ("quantity.quantity", "between", [26, 35])])),
    SsbQuery("Q2.1", _flight2("p_category = 'MFGR#12' AND s_region = 'AMERICA'"),
             CubeQuery(["revenue"], ["date.year", "part.brand"],
                       [("part.category", "=", "MFGR#12"), ("supplier.region", "=", "AMERICA")])),
    SsbQuery("Q2.2", _flight2("p_brand1 BETWEEN 'MFGR#2221' AND 'MFGR#2228' AND s_region = 'ASIA'"),
             CubeQuery(["revenue"], ["date.year", "part.brand"],
                       [("part.brand", "between", ["MFGR#2221", "MFGR#2228"]),
                        ("supplier.region", "=", "ASIA")])),
    SsbQuery("Q2.3", _flight2("p_brand1 = 'MFGR#2221' AND s_region = 'EUROPE'"),
             CubeQuery(["revenue"], ["date.year", "part.brand"],
                       [("part.brand", "=", "MFGR#2221"), ("supplier.region", "=", "EUROPE")])),
    SsbQuery("Q3.1", _flight3("c_nation", "s_nation", "c_region = 'ASIA' AND s_region = 'ASIA' "
                              "AND d_year >= 1992 AND d_year <= 1997"),
             CubeQuery(["revenue"], ["customer.nation", "supplier.nation", "date.year"],
                       [("customer.region", "=", "ASIA"), ("supplier.region", "=", "ASIA"),
                        ("date.year", "between", [1992, 1997])])),
    SsbQuery("Q3.2", _flight3("c_city", "s_city", "c_nation = 'UNITED STATES' "
                              "AND s_nation = 'UNITED STATES' AND d_year >= 1992 AND d_year <= 1997"),
             CubeQuery(["revenue"], ["customer.city", "supplier.city", "date.year"],
                       [("customer.nation", "=", "UNITED STATES"),
                        ("supplier.nation", "=", "UNITED STATES"),
                        ("date.year", "between", [1992, 1997])])),
    SsbQuery("Q3.3", _flight3("c_city", "s_city", "c_city IN ('UNITED KI1', 'UNITED KI5') "
                              "AND s_city IN ('UNITED KI1', 'UNITED KI5') "
                              "AND d_year >= 1992 AND d_year <= 1997"),
             CubeQuery(["revenue"], ["customer.city", "supplier.city", "date.year"],
                       [("customer.city", "in", CITIES), ("supplier.city", "in", CITIES),
                        ("date.year", "between", [1992, 1997])])),
    SsbQuery("Q3.4", _flight3("c_city", "s_city", "c_city IN ('UNITED KI1', 'UNITED KI5') "
                              "AND s_city IN ('UNITED KI1', 'UNITED KI5') "
                              "AND d_yearmonth = 'Dec1997'"),
             CubeQuery(["revenue"], ["customer.city", "supplier.city", "date.year"],
                       [("customer.city", "in", CITIES), ("supplier.city", "in", CITIES),
                        ("date.month", "=", 199712)])),
    SsbQuery("Q4.1", _flight4(["d_year", "c_nation"], "c_region = 'AMERICA' AND s_region = 'AMERICA' "
                              "AND p_mfgr IN ('MFGR#1', 'MFGR#2')"),
             CubeQuery(["profit"], ["date.year", "customer.nation"],
                       [("customer.region", "=", "AMERICA"), ("supplier.region", "=", "AMERICA"),
                        ("part.mfgr", "in", ["MFGR#1", "MFGR#2"])])),
    SsbQuery("Q4.2", _flight4(["d_year", "s_nation", "p_category"],
                              "c_region = 'AMERICA' AND s_region = 'AMERICA' "
                              "AND d_year IN (1997, 1998) AND p_mfgr IN ('MFGR#1', 'MFGR#2')"),
             CubeQuery(["profit"], ["date.year", "supplier.nation", "part.category"],
                       [("customer.region", "=", "AMERICA"), ("supplier.region", "=", "AMERICA"),
                        ("date.year", "in", [1997, 1998]), ("part.mfgr", "in", ["MFGR#1", "MFGR#2"])])),
    SsbQuery("Q4.3", _flight4(["d_year", "s_city", "p_brand1"],
                              "c_region = 'AMERICA' AND s_nation = 'UNITED STATES' "
                              "AND d_year IN (1997, 1998) AND p_category = 'MFGR#14'"),
             CubeQuery(["profit"], ["date.year", "supplier.city", "part.brand"],
                       [("customer.region", "=", "AMERICA"),
                        ("supplier.nation", "=", "UNITED STATES"),
                        ("date.year", "in", [1997, 1998]), ("part.category", "=", "MFGR#14")])),
]
