"""The same answers through every interface: browsing helpers, measure-aware SQL and the CLI
(hand-worked values on the mini sources)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from itertools import combinations

import pytest

from warehouse.config import REPO_ROOT
from warehouse.cube import PointCut, make_query
from warehouse.cube.browse import drill_down, roll_up
from warehouse.cube.sql import CubeSQLError, is_measure_sql, to_query


def test_members_of_a_level_in_sort_order(mini_wh):
    segments = mini_wh.members("sales", "customer.segment").column(0).to_pylist()
    assert segments == ["SMB", "Unknown", "affluent", "mass"]
    people = mini_wh.members("sales", "customer.customer").to_pydict()
    assert set(people["customer.customer"]) == {None, 1, 2, 3}
    assert "王伟" in people["customer.customer.label"]
    one = mini_wh.members("sales", "customer.segment", (PointCut("customer.type", "B2B"),))
    assert one.column(0).to_pylist() == ["SMB"]


def test_drill_through_pages_through_the_fact_rows_of_a_cell(mini_wh):
    cell = (PointCut("customer.segment", "mass"),)
    rows = mini_wh.drill_through("sales", cell, columns=("line_id", "net_amount"))
    assert rows.to_pydict() == {"line_id": [1, 2],
                                "net_amount": [Decimal("999.99"), Decimal("53.73")]}
    page = mini_wh.drill_through("sales", cell, columns=("line_id",), limit=1, offset=1)
    assert page.column(0).to_pylist() == [2]


def test_drill_down_and_roll_up_of_a_cell(mini_wh, cube_model):
    query = make_query("sales", ["revenue"], ["date.year"])
    down = drill_down(cube_model, query, {"date.year": 2025}, "date.year")
    assert down.drilldown == ("date.quarter",)
    assert mini_wh.run(down).rows() == [("2025-Q1", Decimal("1113.42"))]
    assert roll_up(cube_model, down, "date.quarter").drilldown == ("date.year",)
    assert roll_up(cube_model, query, "date.year").drilldown == ()


def test_pivot_lays_out_rows_by_columns_with_missing_cells_null(mini_wh):
    query = make_query("sales", ["revenue"], ["customer.segment", "date.day"])
    table = mini_wh.pivot(query, ["customer.segment"], ["date.day"]).to_pydict()
    assert table["customer.segment"] == ["Unknown", "affluent", "mass"]
    assert table["revenue | 2025-03-10"] == [None, None, Decimal("1053.72")]
    assert table["revenue | 2025-03-11"] == [Decimal("39.80"), Decimal("19.90"), None]


@pytest.mark.parametrize("drilldown, rows, totals", [
    (["date.day", "customer.industry"], ["date.day"], "rollup"),
    (["date.day", "customer.industry"], ["customer.industry"], "rollup"),
    (["customer.industry", "date.year"], ["customer.industry"], "rollup"),
    (["customer.industry", "date.year"], ["customer.industry"], "all"),
])
def test_pivot_with_totals_tells_subtotals_from_null_members(mini_wh, drilldown, rows, totals):
    """customer.industry has a NULL member: its cells and the subtotals are both kept, apart,
    every cell as hand SQL over the view cubes.sales computes it per grouping set."""
    columns = [d for d in drilldown if d not in rows]
    measures = ["revenue", "customers", "lines"]
    query = make_query("sales", measures, drilldown, totals=totals)
    table = mini_wh.pivot(query, rows, columns)
    n = len(drilldown)
    sets = ([drilldown[:k] for k in range(n, -1, -1)] if totals == "rollup" else
            [list(c) for k in range(n, -1, -1) for c in combinations(drilldown, k)])
    expected = {}
    for kept in sets:
        keys = ", ".join(f'"{d}"' for d in kept)
        sql = (f"SELECT {keys + ', ' if keys else ''}sum(revenue), count(DISTINCT customers), "
               f"count(*) FROM cubes.sales {'GROUP BY ' + keys if keys else ''}")
        for rec in mini_wh.con.execute(sql).fetchall():
            member = dict(zip(kept, rec, strict=False))
            row = tuple(("member", member[r]) if r in kept else ("total",) for r in rows)
            header = " / ".join("Total" if c not in kept else "(null)" if member[c] is None
                                else str(member[c]) for c in columns)
            for m, value in zip(measures, rec[len(kept):], strict=True):
                expected[row, f"{m} | {header}"] = value
    got = table.to_pydict()
    row_keys = [tuple(("total",) if got["grouping_id"][i] & (1 << (len(rows) - 1 - j))
                      else ("member", got[r][i]) for j, r in enumerate(rows))
                for i in range(table.num_rows)]
    assert len(set(row_keys)) == len(row_keys)
    cells = {(row, name): got[name][i] for i, row in enumerate(row_keys)
             for name in table.column_names if " | " in name and got[name][i] is not None}
    assert cells == expected
    assert set(table.column_names) == set(rows) | {"grouping_id"} | {c for _, c in expected}
    flat = mini_wh.run(make_query("sales", measures, drilldown)).table
    for r in rows:                      # row levels keep their types (no 2025.0)
        assert table.schema.field(r).type == flat.schema.field(r).type
    assert row_keys[-1] == tuple(("total",) for _ in rows)     # totals after their details
    assert table.column_names[len(rows) + 1].startswith("revenue | ")


def test_pivot_orders_members_null_then_total(mini_wh):
    query = make_query("sales", ["revenue"], ["date.day", "customer.industry"], totals="rollup")
    table = mini_wh.pivot(query, ["date.day"], ["customer.industry"])
    assert table.column_names == ["date.day", "grouping_id", "revenue | Unknown",
                                  "revenue | (null)", "revenue | Total"]
    assert table.to_pydict()["revenue | (null)"] == [Decimal("1053.72"), Decimal("19.90"), None]


def test_measure_sql_is_answered_like_the_query_model(mini_wh, cube_model):
    text = ('SELECT "customer.segment" AS seg, MEASURE(revenue), MEASURE(customers) FROM sales '
            "WHERE \"date.year\" BETWEEN 2024 AND 2025 AND \"customer.segment\" <> 'Unknown' "
            "GROUP BY ALL ORDER BY MEASURE(revenue) DESC LIMIT 5")
    assert is_measure_sql(text) and not is_measure_sql("SELECT measure_x FROM t")
    assert not is_measure_sql("SELECT 'see MEASURE(revenue)' AS note")
    result = mini_wh.run(to_query(cube_model, text))
    assert result.columns == ["seg", "revenue", "customers"]
    assert result.rows() == [("mass", Decimal("1053.72"), 1), ("affluent", Decimal("19.90"), 1)]
    rollup = mini_wh.run(to_query(cube_model, 'SELECT "customer.segment", MEASURE(customers) '
                                  'FROM sales GROUP BY ROLLUP ("customer.segment")')).rows()
    assert rollup[-1] == (None, 1, 2)


@pytest.mark.parametrize("text, hint", [
    ('SELECT "date.year", sum(net_amount) FROM sales GROUP BY ALL', "write MEASURE(name)"),
    ("SELECT * FROM sales", "cubes.sales"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales', "add GROUP BY ALL"),
    ('SELECT MEASURE(revenue) FROM sales s JOIN invoices i ON true', "customer360"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales GROUP BY ALL HAVING MEASURE(revenue) > 0',
     "filter the result outside"),
    ("SELECT MEASURE(revenue) FROM sales WHERE \"date.year\" > 2024", "use =, <>, IN"),
])
def test_unsupported_measure_sql_says_what_to_write(cube_model, text, hint):
    with pytest.raises(CubeSQLError) as info:
        to_query(cube_model, text)
    assert hint in str(info.value)


@pytest.mark.parametrize("text, says", [
    # Clauses the translation used to drop or misread, answering wrongly without a word.
    ('WITH x AS (SELECT 1) SELECT "date.year", MEASURE(revenue) FROM sales GROUP BY ALL',
     "WITH (common table expressions) is not supported in cube SQL; a cube query reads one "
     "cube: put the logic in the cube's measures and segments, or write plain SQL (without "
     "MEASURE) over the view cubes.sales"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales GROUP BY ALL QUALIFY MEASURE(revenue) > 0',
     "QUALIFY is not supported in cube SQL; filter the result outside"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales WHERE "date.year" IN (SELECT 2025) '
     "GROUP BY ALL", "IN takes a list of values, not a query; list the members"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales USING SAMPLE 10% GROUP BY ALL',
     "a sample (USING SAMPLE / TABLESAMPLE) is not supported"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales TABLESAMPLE 10% GROUP BY ALL',
     "a sample (USING SAMPLE / TABLESAMPLE) is not supported"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales GROUP BY ALL LIMIT 50%',
     "LIMIT takes a whole number (no PERCENT"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales GROUP BY ALL FETCH FIRST 1 ROWS ONLY',
     "FETCH FIRST 1 ROWS ONLY is not supported in cube SQL; write LIMIT"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales WHERE NOT SEGMENT(online) GROUP BY ALL',
     "a segment cannot be negated in cube SQL; declare the complement as a segment of its own "
     "in cubes/sales.yaml"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales WHERE SEGMENT(online, b2b) GROUP BY ALL',
     "SEGMENT takes one segment name"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales WHERE "customer.industry" = NULL '
     "GROUP BY ALL", "a comparison with NULL never holds; write IS NULL or IS NOT NULL"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales WHERE "customer.industry" '
     "IN ('Energy', NULL) GROUP BY ALL", "a comparison with NULL never holds"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales WHERE "date.year" BETWEEN NULL AND 2024 '
     "GROUP BY ALL", "a comparison with NULL never holds"),
    ('SELECT MEASURE(purchases) FROM campaign WHERE "response.purchase" IS NOT TRUE',
     "only IS NULL and IS NOT NULL are supported; write = true or = false"),
    ('SELECT "date.year", MEASURE(revenue), MEASURE(revenue) AS r2 FROM sales GROUP BY ALL',
     "MEASURE(revenue) is selected twice"),
    ('SELECT "date.year" AS x, MEASURE(revenue) AS x FROM sales GROUP BY ALL',
     "two columns are named 'x'"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales GROUP BY "date.year", upper("order.status")',
     'GROUP BY UPPER("order.status"): only selected levels can be grouped by'),
    ('SELECT "date.year", MEASURE(revenue) FROM sales GROUP BY CUBE ("date.year", 1)',
     "CUBE 1: only selected levels can be grouped by"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales GROUP BY 1',
     "GROUP BY by position is not supported"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales GROUP BY ALL ORDER BY "date.year" '
     "NULLS FIRST", "NULLS FIRST is not supported; cube answers put NULLs last"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales GROUP BY ALL ORDER BY 2',
     "ORDER BY 2: positions are not supported"),
    # Clearer errors than before.
    ('SELECT "date.year", MEASURE(revenue) / MEASURE(orders) FROM sales GROUP BY ALL',
     "expressions over measures are not computed in cube SQL (the cube has it already: "
     "MEASURE(avg_order_value)); declare a calculated measure in cubes/sales.yaml"),
    ('SELECT "date.year", MEASURE(revenue) / MEASURE(customers) * 2 FROM sales GROUP BY ALL',
     "declare a calculated measure in cubes/sales.yaml (under cubes.sales.measures, e.g. "
     "my_measure: {type: calculated, formula: revenue / customers * 2}) and select "
     "MEASURE(my_measure), or compute it from the result outside"),
    ('SELECT "date.year", MEASURE(revenue) FILTER (WHERE "channel.type" = \'digital\') '
     "FROM sales GROUP BY ALL", "FILTER on a measure is not supported"),
    ('SELECT "date.year", rank() OVER (ORDER BY MEASURE(revenue)) AS r, MEASURE(revenue) '
     "FROM sales GROUP BY ALL", "window functions are not supported in cube SQL"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales WHERE "date.year" = 2025 OR "date.year" '
     "= 2024 GROUP BY ALL", "OR is not supported in cube SQL; for several members of one "
     "level write IN (...)"),
    ('SELECT x."date.year", MEASURE(revenue) FROM sales s GROUP BY ALL',
     'x is not the cube in FROM (or its alias); drop the qualifier: write "date.year"'),
    ('SELECT s.year, MEASURE(revenue) FROM sales s GROUP BY ALL',
     "s is the cube, and 'year' is not a level"),
    ('SELECT "date.year", MEASURE(x.revenue) FROM sales s GROUP BY ALL',
     "x is not the cube in FROM; write MEASURE(revenue)"),
    ('SELECT "date.year", MEASURE(1) + MEASURE(revenue) FROM sales GROUP BY ALL',
     "MEASURE(1): MEASURE takes one measure name; write MEASURE(revenue)"),
    ('SELECT "date.year", MEASURE(revenue) FROM sales AS s(a, b) GROUP BY ALL',
     "column aliases on the cube are not supported"),
])
def test_measure_sql_refuses_what_it_does_not_translate(cube_model, text, says):
    with pytest.raises(CubeSQLError) as info:
        to_query(cube_model, text)
    assert says in str(info.value)


def test_measure_sql_reads_a_table_alias_and_parenthesized_conditions(mini_wh, cube_model):
    plain = ('SELECT "customer.segment", MEASURE(revenue) FROM sales WHERE "date.year" = 2025 '
             "AND \"customer.segment\" <> 'Unknown' GROUP BY ALL")
    aliased = ('SELECT s."customer.segment", MEASURE(s.revenue) FROM cubes.sales AS s '
               "WHERE (s.\"date.year\" = 2025 AND (\"customer.segment\" <> 'Unknown')) "
               'GROUP BY s."customer.segment" ORDER BY s."customer.segment"')
    named = ('SELECT sales."customer.segment", MEASURE(revenue) FROM sales '
             "WHERE sales.customer.segment <> 'Unknown' GROUP BY ALL")
    answer = mini_wh.run(to_query(cube_model, plain)).rows()
    assert answer == [("affluent", Decimal("19.90")), ("mass", Decimal("1053.72"))]
    assert mini_wh.run(to_query(cube_model, aliased)).rows() == answer
    assert mini_wh.run(to_query(cube_model, named)).rows() == answer


# Drill-across cubes as plain SQL. Per base measure: its fact, the aggregate an analyst writes
# over the stacked view, and an independent one over the fact table itself (f), joined to the
# customer version (c) and the date (d) of each row. A balance is summed over one day only: the
# mini sources' last snapshot day, on which every customer has a row (the engine's last day of
# every group below).
LAST_DAY = "DATE '2025-03-11'"
FACT_TABLES = {"sales": ("core.fact_sales_line", "order_date_key"),
               "invoices": ("core.fact_invoice", "invoice_date_key"),
               "payments": ("core.fact_payment", "paid_date_key"),
               "service": ("core.fact_service_ticket", "opened_date_key"),
               "campaign": ("core.fact_campaign_response", "response_date_key"),
               "customer_snapshot": ("core.fact_customer_day", "snapshot_date_key")}
BASE_MEASURES = {
    "revenue": ("sales", "sum(revenue)", "sum(f.net_amount)"),
    "lines": ("sales", "count(lines)", "count(*)"),
    "customers": ("sales", "count(DISTINCT customers)", "count(DISTINCT c.customer_id)"),
    "invoiced": ("invoices", "sum(invoiced)", "sum(f.gross_amount)"),
    "invoices": ("invoices", "count(invoices)", "count(*)"),
    "void_amount": ("invoices", "sum(void_amount)",
                    "sum(f.gross_amount) FILTER (WHERE f.status = 'void')"),
    "paid": ("payments", "sum(paid)", "sum(f.amount)"),
    "payments": ("payments", "count(payments)", "count(*)"),
    "tickets": ("service", "count(tickets)", "count(*)"),
    "complaints": ("service", "count(complaints)",
                   "count(*) FILTER (WHERE f.category = 'complaint')"),
    "responses": ("campaign", "count(responses)", "count(*)"),
    "open_receivables": ("customer_snapshot",
                         f'sum(open_receivables) FILTER (WHERE "date.day" = {LAST_DAY})',
                         f"sum(f.open_receivables) FILTER (WHERE d.date = {LAST_DAY})"),
    "snapshot_customers": ("customer_snapshot", "count(DISTINCT snapshot_customers)",
                           "count(DISTINCT f.customer_id)"),
}
HAND_LEVELS = {"customer.customer": "c.customer_id", "customer.region": "c.region_name",
               "date.month": "d.year_month"}


def _by_key(rows, width: int) -> dict[tuple, tuple]:
    return {tuple(r[:width]): tuple(r[width:]) for r in rows}


def hand_drill_across(con, measures: list[str], levels: list[str]) -> dict[tuple, tuple]:
    """Each fact aggregated alone by ROLLUP over its own table, then put side by side; a fact
    without rows in a group counts 0 there and sums to NULL."""
    cols = ", ".join(HAND_LEVELS[lv] for lv in levels)
    per_fact = {}
    for fact in dict.fromkeys(BASE_MEASURES[m][0] for m in measures):
        table, date_key = FACT_TABLES[fact]
        mine = [m for m in measures if BASE_MEASURES[m][0] == fact]
        sql = (f"SELECT {cols}, GROUPING({cols}), "
               f"{', '.join(BASE_MEASURES[m][2] for m in mine)} FROM {table} f "
               "JOIN core.dim_customer c ON c.customer_key = f.customer_key "
               f"JOIN core.dim_date d ON d.date_key = f.{date_key} GROUP BY ROLLUP ({cols})")
        rows = _by_key(con.execute(sql).fetchall(), len(levels) + 1)
        per_fact[fact] = {key: dict(zip(mine, values, strict=True))
                          for key, values in rows.items()}
    keys = {key for rows in per_fact.values() for key in rows}
    keys.add((None,) * len(levels) + (2 ** len(levels) - 1,))    # the grand total
    return {key: tuple(per_fact[BASE_MEASURES[m][0]].get(key, {}).get(
        m, 0 if BASE_MEASURES[m][1].startswith("count") else None) for m in measures)
        for key in keys}


@pytest.mark.parametrize("cube, levels", [
    ("customer360", ["customer.customer"]),
    ("customer360", ["customer.region", "date.month"]),
    ("receivables", ["customer.customer"]),
    ("receivables", ["date.month", "customer.region"]),
])
def test_drill_across_view_sums_like_the_engine_without_fan_out(mini_wh, cube_model, cube,
                                                                 levels):
    """The stacked view cubes.<cube> (one row per fact row of each of its facts, a measure
    column NULL on other facts' rows) answers plain GROUP BY ROLLUP SQL like the engine's
    drill-across and like each fact aggregated alone: customer 3 has only sales, customer 2 only
    snapshots, the unknown member (an unmatched debtor) only an invoice."""
    facts = cube_model.cube(cube).components
    measures = [m for m, (fact, _, _) in BASE_MEASURES.items() if fact in facts]
    keys = ", ".join(f'"{lv}"' for lv in levels)
    plain = _by_key(mini_wh.con.execute(
        f"SELECT {keys}, GROUPING({keys}), {', '.join(BASE_MEASURES[m][1] for m in measures)} "
        f"FROM cubes.{cube} GROUP BY ROLLUP ({keys})").fetchall(), len(levels) + 1)
    engine = mini_wh.run(make_query(cube, measures, levels, totals="rollup")).table.to_pydict()
    engine = {tuple(engine[k][i] for k in [*levels, "grouping_id"]):
              tuple(engine[m][i] for m in measures) for i in range(len(engine["grouping_id"]))}
    assert plain == engine
    assert plain == hand_drill_across(mini_wh.con, measures, levels)
    if levels == ["customer.customer"]:
        assert plain[(None, 0)][measures.index("invoiced")] == Decimal("113.00")
        if cube == "customer360":
            only_sales = plain[(3, 0)]
            assert only_sales[measures.index("revenue")] == Decimal("39.80")
            assert only_sales[measures.index("invoices")] == 0
            assert plain[(2, 0)][measures.index("revenue")] is None


def measures_of(cube_model, cube):
    """The base measures that are columns of a view (calculated ones are not)."""
    return [m for m in cube.measures.values() if m.type != "calculated"]


@pytest.mark.parametrize("cube", ["customer360", "receivables"])
def test_drill_across_view_stacks_its_facts_views_on_the_shared_dimensions(mini_wh, cube_model,
                                                                           cube):
    """Each fact's rows in the stacked view are its own view's rows (cubes.sales, ...) on the
    columns they share, tagged by `fact`; only dimensions every fact has are columns, so no
    grouping puts one fact's rows under another's members."""
    con = mini_wh.con
    model = cube_model.cube(cube)
    columns = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'cubes' AND table_name = ? "
        "ORDER BY column_index", [cube]).fetchall()]
    assert columns[0] == "fact"
    roles = {c.partition(".")[0] for c in columns if "." in c}
    assert roles == {r for r in model.roles
                     if all(r in cube_model.cube(f).roles for f in model.components)}
    assert "product.category" not in columns and "due_date.month" not in columns
    for fact in model.components:
        own = [r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'cubes' "
            "AND table_name = ?", [fact]).fetchall()]
        shared = ", ".join(f'"{c}"' for c in columns if c in own)
        stacked = f"SELECT {shared} FROM cubes.{cube} WHERE fact = '{fact}'"
        alone = f"SELECT {shared} FROM cubes.{fact}"
        assert con.execute(f"SELECT count(*) FROM ({stacked})").fetchone()[0] == \
            con.execute(f"SELECT count(*) FROM ({alone})").fetchone()[0]
        for a, b in ((stacked, alone), (alone, stacked)):
            assert con.execute(f"{a} EXCEPT ALL {b}").fetchall() == []
        others = [m for m in measures_of(cube_model, model) if m.cube != fact]
        assert con.execute(f"SELECT count(*) FROM cubes.{cube} WHERE fact = '{fact}' AND ("
                           + " OR ".join(f'"{m.name}" IS NOT NULL' for m in others)
                           + ")").fetchone()[0] == 0


def test_semi_additive_columns_carry_a_warning_in_every_view(mini_wh, cube_model):
    """A balance is a column (its value on each row's day) whose comment says not to sum it
    across days, in the fact's view and in every drill-across view holding it: summed over the
    mini sources' two snapshot days it doubles customer 1's balance."""
    con = mini_wh.con
    comments = {(t, c): text for t, c, text in con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE schema_name = 'cubes'").fetchall()}
    semi = [(cube.name, m.name) for cube in cube_model.cubes.values()
            for m in cube.measures.values() if m.semi_additive]
    assert ("customer360", "open_receivables") in semi
    for view, name in semi:
        text = comments[view, name] or ""
        assert text.startswith("semi-additive") and "do not sum it across days" in text, text
        assert f"MEASURE({name})" in text
    naive = con.execute('SELECT sum(open_receivables) FROM cubes.customer360 '
                        'WHERE "customer.customer" = 1').fetchone()[0]
    engine = mini_wh.run(make_query("customer360", ["open_receivables"], [],
                                    [PointCut("customer.customer", 1)])).rows()
    assert engine == [(Decimal("690.70"),)] and naive == 2 * Decimal("690.70")
    for view in ("sales", "customer360"):
        assert comments[view, "revenue"].startswith("sum(revenue)")
    assert comments["customer360", "fact"].startswith("the fact")


def crmwh(home, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CRMWH_HOME": str(home.root)}
    return subprocess.run([sys.executable, "-m", "warehouse", *args], capture_output=True,
                          text=True, env=env, cwd=REPO_ROOT, timeout=300)


def test_cli_query_members_explain_and_sql(mini_wh):
    home = mini_wh.home
    out = crmwh(home, "query", "sales", "--measures", "revenue,lines", "--drilldown",
                "customer.segment", "--cut", "customer.segment=mass,affluent", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [
        {"customer.segment": "affluent", "revenue": "19.90", "lines": 1},
        {"customer.segment": "mass", "revenue": "1053.72", "lines": 2}]
    members = crmwh(home, "members", "sales", "customer.type", "--format", "csv")
    assert members.stdout.splitlines() == ["customer.type", "B2B", "B2C", "Unknown"]
    explain = crmwh(home, "explain", "sales", "-m", "revenue", "-d", "date.month",
                    "--cut", "customer.region=x' OR 1=1 --")
    assert "$1" in explain.stdout and "OR 1=1" not in explain.stdout.split("parameters")[1] \
        .split("\n", 1)[1]
    assert "core.fact_sales_line" in explain.stdout
    sql = crmwh(home, "sql", 'SELECT "order.status", MEASURE(lines) FROM sales GROUP BY ALL',
                "--format", "csv")
    assert sql.stdout.splitlines() == ["order.status,lines", "completed,2", "open,2"]
    bad = crmwh(home, "query", "sales", "-m", "revenue", "-d", "date.yr")
    assert bad.returncode == 2 and "no level or attribute 'yr'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_cli_top_n_with_totals_of_the_visible_or_all_members(mini_wh):
    args = ["query", "sales", "-m", "revenue", "-d", "customer.segment", "--top", "1",
            "--top-by", "revenue", "--totals", "rollup", "--format", "json"]
    visible = crmwh(mini_wh.home, *args)
    assert visible.returncode == 0, visible.stderr
    assert json.loads(visible.stdout) == [
        {"customer.segment": "mass", "grouping_id": 0, "revenue": "1053.72"},
        {"customer.segment": None, "grouping_id": 1, "revenue": "1053.72"}]
    every = crmwh(mini_wh.home, *args, "--top-subtotals", "all")
    assert every.returncode == 0, every.stderr
    assert json.loads(every.stdout)[1] == {"customer.segment": None, "grouping_id": 1,
                                           "revenue": "1113.42"}
