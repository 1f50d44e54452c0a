"""Run the 13 SSB queries through boring-semantic-layer (ibis) in its own venv; print JSON.

    .venv-bsl/bin/python bench/ssb/bsl_runner.py SSB_FILE RUNS QUERIES_JSON

Runs in the peer venv (bench/ssb/requirements-bsl.txt), never in the project's: it imports only
the standard library, ibis and boring_semantic_layer. QUERIES_JSON holds the cube form of each
query (measures, drill-down levels, cuts) as written by bench/ssb/queries.py; the model below
maps our level names to the SSB columns. Output: per query the compile and execute times of each
run and the rows of the last run (values as strings, so DECIMALs compare exactly).
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

import ibis
from boring_semantic_layer import to_semantic_table

# Our level name -> (BSL model, column).
LEVELS = {
    "date.year": ("date", "d_year"), "date.month": ("date", "d_yearmonthnum"),
    "date.week_in_year": ("date", "d_weeknuminyear"),
    "discount.discount": ("lineorder", "lo_discount"),
    "quantity.quantity": ("lineorder", "lo_quantity"),
    "customer.region": ("customer", "c_region"), "customer.nation": ("customer", "c_nation"),
    "customer.city": ("customer", "c_city"),
    "supplier.region": ("supplier", "s_region"), "supplier.nation": ("supplier", "s_nation"),
    "supplier.city": ("supplier", "s_city"),
    "part.mfgr": ("part", "p_mfgr"), "part.category": ("part", "p_category"),
    "part.brand": ("part", "p_brand1"),
}


def model(con):
    def dims(table, prefix_cols):
        return {c: (lambda t, c=c: t[c]) for c in prefix_cols}

    date = to_semantic_table(con.table("date"), name="date").with_dimensions(
        **dims(None, ["d_datekey", "d_year", "d_yearmonthnum", "d_weeknuminyear"]))
    customer = to_semantic_table(con.table("customer"), name="customer").with_dimensions(
        **dims(None, ["c_custkey", "c_region", "c_nation", "c_city"]))
    supplier = to_semantic_table(con.table("supplier"), name="supplier").with_dimensions(
        **dims(None, ["s_suppkey", "s_region", "s_nation", "s_city"]))
    part = to_semantic_table(con.table("part"), name="part").with_dimensions(
        **dims(None, ["p_partkey", "p_mfgr", "p_category", "p_brand1"]))
    lineorder = (
        to_semantic_table(con.table("lineorder"), name="lineorder")
        .with_dimensions(**dims(None, ["lo_discount", "lo_quantity"]))
        .with_measures(
            revenue=lambda t: t.lo_revenue.sum(),
            revenue_discounted=lambda t: (t.lo_extendedprice * t.lo_discount).sum(),
            profit=lambda t: (t.lo_revenue - t.lo_supplycost).sum(),
        )
    )
    return (lineorder
            .join_one(date, on=lambda lo, d: lo.lo_orderdate == d.d_datekey)
            .join_one(customer, on=lambda lo, c: lo.lo_custkey == c.c_custkey)
            .join_one(supplier, on=lambda lo, s: lo.lo_suppkey == s.s_suppkey)
            .join_one(part, on=lambda lo, p: lo.lo_partkey == p.p_partkey))


def field(level: str) -> str:
    table, column = LEVELS[level]
    return f"{table}.{column}"


def filters(cuts):
    out = []
    for level, op, value in cuts:
        name = field(level)
        if op == "=":
            out.append({"field": name, "operator": "=", "value": value})
        elif op == "in":
            out.append({"field": name, "operator": "in", "values": value})
        elif op == "between":
            out.append({"field": name, "operator": ">=", "value": value[0]})
            out.append({"field": name, "operator": "<=", "value": value[1]})
        else:
            raise SystemExit(f"bsl_runner: cut operator {op!r} not mapped")
    return out


def text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    return str(value)


def main() -> None:
    path, runs, queries = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    con = ibis.duckdb.connect(path, read_only=True)
    sm = model(con)
    out = {"versions": {"ibis": ibis.__version__}, "queries": {}}
    try:
        import importlib.metadata as md
        out["versions"]["boring-semantic-layer"] = md.version("boring-semantic-layer")
    except Exception:
        pass
    for name, q in queries.items():
        compile_s, execute_s, rows = [], [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            expr = sm.query(dimensions=[field(d) for d in q["drilldown"]],
                            measures=q["measures"], filters=filters(q["cuts"]))
            sql = ibis.to_sql(expr.to_untagged() if hasattr(expr, "to_untagged") else expr)
            t1 = time.perf_counter()
            table = con.raw_sql(sql).to_arrow_table()
            t2 = time.perf_counter()
            compile_s.append(t1 - t0)
            execute_s.append(t2 - t1)
            rows = [[text(v) for v in row.values()] for row in table.to_pylist()]
        out["queries"][name] = {"compile_s": compile_s, "execute_s": execute_s, "rows": rows,
                                "columns": table.column_names, "sql": sql}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
