"""Cube engine on the CRM cubes against hand-written SQL, side by side on one snapshot.

    python -m bench.cube_crm [--home DIR] [--repeat 7]

For each query: the engine end to end (compile + execute to Arrow) and the hand-written SQL
(execute to Arrow) are run alternately; medians and their ratio are reported, the compile time
alone too, and the two answers must be identical (checked, the script fails otherwise).
Results go to bench/results/cube_crm-<date>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime

from bench.measure import RESULTS, machine
from warehouse import config
from warehouse.cube import CubeEngine, PointCut, TimeCalc, make_query

SALES = ("core.fact_sales_line f JOIN core.dim_date d ON d.date_key = f.order_date_key "
         "JOIN core.dim_customer c ON c.customer_key = f.customer_key")

CASES = [
    ("revenue, customers by year x region",
     make_query("sales", ["revenue", "customers"], ["date.year", "customer.region"]),
     f"SELECT d.year, c.region_name, sum(f.net_amount), count(DISTINCT c.customer_id) "
     f"FROM {SALES} GROUP BY ALL ORDER BY ALL"),
    ("revenue by category x channel, 2025, digital",
     make_query("sales", ["revenue"], ["product.category", "channel.type"],
                [PointCut("date.year", 2025), PointCut("channel.type", "digital")]),
     "SELECT p.category_name, ch.channel_type, sum(f.net_amount) FROM core.fact_sales_line f "
     "JOIN core.dim_date d ON d.date_key = f.order_date_key "
     "JOIN core.dim_product p ON p.product_key = f.product_key "
     "JOIN core.dim_channel ch ON ch.channel_key = f.channel_key "
     "WHERE d.year = 2025 AND ch.channel_type = 'digital' GROUP BY ALL ORDER BY ALL"),
    ("margin % by quarter with roll-up",
     make_query("sales", ["revenue", "margin_pct"], ["date.quarter"], totals="rollup"),
     "SELECT d.year_quarter, GROUPING(d.year_quarter), sum(f.net_amount), "
     "(sum(f.net_amount) - sum(f.cost_amount))::DOUBLE / nullif(sum(f.net_amount), 0) "
     "FROM core.fact_sales_line f JOIN core.dim_date d ON d.date_key = f.order_date_key "
     "GROUP BY ROLLUP (d.year_quarter) ORDER BY GROUPING(d.year_quarter), 1"),
    ("invoiced and paid by year (drill-across)",
     make_query("receivables", ["invoiced", "paid"], ["date.year"]),
     "WITH i AS (SELECT d.year, sum(gross_amount) AS invoiced FROM core.fact_invoice f "
     "JOIN core.dim_date d ON d.date_key = f.invoice_date_key GROUP BY ALL), "
     "p AS (SELECT d.year, sum(amount) AS paid FROM core.fact_payment f "
     "JOIN core.dim_date d ON d.date_key = f.paid_date_key GROUP BY ALL) "
     "SELECT coalesce(i.year, p.year) AS y, invoiced, paid FROM i FULL JOIN p ON i.year = p.year "
     "ORDER BY y"),
    ("revenue YTD by month of 2025",
     make_query("sales", ["revenue"], ["date.month"], [PointCut("date.year", 2025)],
                time=(TimeCalc("revenue", "ytd"),)),
     "WITH m AS (SELECT d.year_month, sum(f.net_amount) AS revenue FROM core.fact_sales_line f "
     "JOIN core.dim_date d ON d.date_key = f.order_date_key WHERE d.year = 2025 GROUP BY ALL) "
     "SELECT year_month, revenue, sum(revenue) OVER (ORDER BY year_month) FROM m ORDER BY 1"),
]


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def run(home: str | None, repeat: int) -> dict:
    engine = CubeEngine.open(config.home(home))
    rows = []
    try:
        for name, query, hand in CASES:
            engine.run(query)                      # warm both paths once
            engine.con.execute(hand).to_arrow_table()
            cube_s, hand_s, compile_s = [], [], []
            for _ in range(repeat):
                started = time.perf_counter()
                result = engine.run(query)
                cube_s.append(time.perf_counter() - started)
                compile_s.append(result.compile_ms / 1000)
                started = time.perf_counter()
                expected = engine.con.execute(hand).fetchall()
                hand_s.append(time.perf_counter() - started)
            got = [tuple(r) for r in result.rows()]
            if got != [tuple(r) for r in expected]:
                raise SystemExit(f"{name}: the engine's answer differs from the hand-written SQL")
            rows.append({"query": name, "compile_ms": _median_ms(compile_s),
                         "cube_ms": _median_ms(cube_s), "hand_ms": _median_ms(hand_s),
                         "ratio": round(statistics.median(cube_s) / statistics.median(hand_s), 2),
                         "rows": len(got)})
            print(f"  {name:<45} compile {rows[-1]['compile_ms']:>6} ms  cube "
                  f"{rows[-1]['cube_ms']:>8} ms  hand {rows[-1]['hand_ms']:>8} ms  "
                  f"x{rows[-1]['ratio']}", flush=True)
        lines = engine.con.execute("SELECT count(*) FROM core.fact_sales_line").fetchone()[0]
    finally:
        engine.close()
    return {"machine": {**machine(), "load_average_1m": round(os.getloadavg()[0], 1)},
            "sales_lines": lines, "repeat": repeat, "queries": rows,
            "sum_cube_ms": round(sum(r["cube_ms"] for r in rows), 2),
            "sum_hand_ms": round(sum(r["hand_ms"] for r in rows), 2)}


def write(result: dict) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"cube_crm-{stamp}.json").write_text(json.dumps(result, indent=2))
    m = result["machine"]
    md = [f"# Cube engine vs hand-written SQL on the CRM cubes ({m['date']})", "",
          f"{m['platform']}, {m['cpus']} CPUs, {m['memory_gb']} GB, load average "
          f"{m['load_average_1m']} (shared machine: ratios are noisy); "
          f"{result['sales_lines']} sales lines; median of {result['repeat']} runs, answers "
          "checked identical.", "",
          "| query | compile ms | cube ms (end to end) | hand SQL ms | ratio |", "|---|---|---|---|---|"]
    md += [f"| {r['query']} | {r['compile_ms']} | {r['cube_ms']} | {r['hand_ms']} | {r['ratio']} |"
           for r in result["queries"]]
    md += ["", f"Sum of medians: cube {result['sum_cube_ms']} ms, hand {result['sum_hand_ms']} ms "
           f"(x{round(result['sum_cube_ms'] / result['sum_hand_ms'], 2)})."]
    (RESULTS / f"cube_crm-{stamp}.md").write_text("\n".join(md) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    write(run(args.home, args.repeat))


if __name__ == "__main__":
    main()
