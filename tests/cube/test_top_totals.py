"""Top-N within a parent combined with totals, against the independent oracle
(tests/cube/oracle.py: Python over the flat joined rows of the demo warehouse).

Default semantics (TopN.subtotals="visible"): a subtotal adds up the kept cells only, as the
query over those cells' facts, so a distinct count is never a sum of its cells' counts;
subtotals="all": the parent's total over all its members, detail rows ranked as without totals.
Ties are broken by the ranked levels' keys (ascending, NULL last); NULL ranks last.
"""

from __future__ import annotations

import math

import pytest

from tests.cube import pandas_oracle
from tests.cube.answers import assert_cells, cells
from tests.cube.oracle import (
    COUNTS,
    INVOICE_MEASURES,
    INVOICE_ROLES,
    SALES_LEVELS,
    SALES_MEASURES,
    SALES_ROLES,
    answer,
    drill_across,
    flat_rows,
    time_answer,
    top_answer,
    top_cells,
)
from warehouse.cube import PointCut, TimeCalc, TopN, make_query
from warehouse.errors import UserError

LEVELS = SALES_LEVELS | {"customer.province": "customer.province_name",
                         "product.product": "product.product_id"}
SORT = {"product.product": "product.product_name"}      # levels with a sort attribute


@pytest.fixture(scope="module")
def sales_rows(demo_wh):
    return flat_rows(demo_wh.con, "core.fact_sales_line", SALES_ROLES)


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9)
    return a == b


def engine_answer(engine, measures, levels, top, totals="rollup", **kw) -> dict[tuple, tuple]:
    query = make_query("sales", measures, levels, top=top, totals=totals, **kw)
    return cells(engine, query, [*measures, *(t.column for t in kw.get("time", ()))])


def assert_same(got: dict, want: dict) -> None:
    assert_cells(got, want, same)


def boundary_ties(rows, levels, by, within, n) -> int:
    """Parents whose n-th and (n+1)-th best cells tie on `by` (the tie-break decides)."""
    detail = answer(rows, [by], levels, [], [], "none", LEVELS)
    parents: dict[tuple, list] = {}
    for cell, (v,) in detail.items():
        parents.setdefault(tuple(cell[i] for i in within), []).append(v)
    best = [sorted(vs, key=lambda v: (v is None, -(v or 0))) for vs in parents.values()]
    return sum(1 for vs in best if len(vs) > n and vs[n - 1] == vs[n])


MEASURES = ["revenue", "customers", "lines", "avg_price", "margin_pct"]


@pytest.mark.parametrize("subtotals", ["visible", "all"])
def test_top_products_per_province_with_subtotals_and_grand_total(demo_wh, sales_rows,
                                                                  subtotals):
    """The analyst's question: top 5 products per province by revenue, with province
    subtotals and a grand total (provinces include NULL and 'Unknown')."""
    levels = ["customer.province", "product.product"]
    top = TopN(5, "revenue", subtotals=subtotals)
    got = engine_answer(demo_wh, MEASURES, levels, top)
    want = top_answer(sales_rows, MEASURES, levels, [], [], "rollup", 5, "revenue", [0],
                      subtotals, LEVELS)
    assert_same(got, want)
    provinces = {k[0] for k in got if k[2] == 1}
    assert None in provinces and "Unknown" in provinces
    everything = answer(sales_rows, MEASURES, levels, [], [], "rollup", LEVELS)
    if subtotals == "visible":
        # The trap: a province's customers over its 5 products is a distinct count over their
        # facts, not the sum of the products' counts (a customer buys several products).
        summed = [k for k, v in got.items() if k[2] == 1 and v[1] != sum(
            w[1] for d, w in got.items() if d[2] == 0 and d[0] == k[0])]
        assert summed, "no province where customers overlap between its top products"
        assert any(v != everything[k] for k, v in got.items() if k[2] == 1)
    else:
        assert all(v == everything[k] for k, v in got.items() if k[2] != 0)


@pytest.mark.parametrize("n", [1, 2, 8])
@pytest.mark.parametrize("subtotals", ["visible", "all"])
def test_ties_and_null_members_rank_like_the_oracle(demo_wh, sales_rows, n, subtotals):
    """Industries per region ranked by distinct customers: many ties (1 customer each), a
    NULL industry (B2C customers), a NULL region and an 'Unknown' region and industry."""
    levels = ["customer.region", "customer.industry"]
    measures = ["customers", "revenue", "orders"]
    top = TopN(n, "customers", subtotals=subtotals)
    got = engine_answer(demo_wh, measures, levels, top)
    want = top_answer(sales_rows, measures, levels, [], [], "rollup", n, "customers", [0],
                      subtotals, LEVELS)
    assert_same(got, want)
    assert n == 1 or boundary_ties(sales_rows, levels, "customers", [0], n), "no tie to break"
    assert {(None, None, 0), ("Unknown", "Unknown", 0)} <= set(got)


@pytest.mark.parametrize("subtotals", ["visible", "all"])
def test_ascending_top_n_within_no_parent_and_with_a_cut(demo_wh, sales_rows, subtotals):
    """Bottom 4 (channel, category) cells overall, digital excluded, by distinct orders."""
    levels = ["channel.type", "product.category"]
    top = TopN(4, "orders", descending=False, within=(), subtotals=subtotals)
    cut = [PointCut("channel.type", "digital", invert=True)]
    got = engine_answer(demo_wh, ["orders", "customers"], levels, top, cuts=cut)
    want = top_answer(sales_rows, ["orders", "customers"], levels,
                      [("channel.type", ("digital",), True)], [], "rollup", 4, "orders", [],
                      subtotals, LEVELS, descending=False)
    assert_same(got, want)
    assert len([k for k in got if k[2] == 0]) == 4


def default_order(levels, rows, key_of):
    """The engine's default order of a rollup answer: per level its GROUPING bit, then its
    sort attribute and key, ascending, NULL last."""
    def rank(row):
        out = []
        for i, lv in enumerate(levels):
            bit = row[-1] >> (len(levels) - 1 - i) & 1
            out.append(bit)
            for v in (*key_of(lv, row[i]), row[i]):
                out += [v is None, v if v is not None else 0]
        return tuple(out)
    return sorted(rows, key=rank)


def test_pagination_pages_the_ordered_top_n_answer_with_subtotals(demo_wh, sales_rows):
    levels = ["customer.province", "product.product"]
    top = TopN(3, "customers")
    names = {r["product.product_id"]: r["product.product_name"] for r in sales_rows}

    def run(**kw):
        return demo_wh.run(make_query("sales", ["customers", "revenue"], levels, top=top,
                                      totals="rollup", **kw)).rows()

    full = run()
    want = top_answer(sales_rows, ["customers", "revenue"], levels, [], [], "rollup", 3,
                      "customers", [0], "visible", LEVELS)
    # Columns: province, product, product label, grouping_id, customers, revenue.
    assert {(r[0], r[1], r[3]): r[4:] for r in full} == want
    keys = default_order(levels, [(r[0], r[1], r[3]) for r in full],
                         lambda lv, v: (names.get(v),) if lv in SORT else ())
    assert [(r[0], r[1], r[3]) for r in full] == keys
    assert len(full) > 40
    for offset in (0, 7, 40, len(full) - 3):
        assert run(limit=7, offset=offset) == full[offset:offset + 7]
    # Ordered by a measure with ties (distinct counts): the levels break them, totals included.
    by_customers = run(order=["-customers"])
    assert sorted(by_customers, key=repr) == sorted(full, key=repr)
    assert [r[4] for r in by_customers] == sorted((r[4] for r in full), reverse=True)
    assert run(order=["-customers"], limit=10, offset=5) == by_customers[5:15]


@pytest.mark.parametrize("measure", ["revenue", "customers"])
@pytest.mark.parametrize("totals", ["none", "rollup"])
@pytest.mark.parametrize("subtotals", ["visible", "all"])
def test_top_n_by_a_time_calculation(demo_wh, sales_rows, measure, totals, subtotals):
    """Top 2 categories per quarter by the same quarter last year. Visible subtotals: the
    quarter's value and window over its kept categories only (a distinct count of their
    facts); all: the quarter's totals over every category."""
    levels = ["date.quarter", "product.category"]
    calc = TimeCalc(measure, "last_year")
    top = TopN(2, calc.column, subtotals=subtotals)
    got = engine_answer(demo_wh, [measure], levels, top, totals=totals, time=(calc,))
    detail = time_answer(sales_rows, levels, [(0, 1)], [], [("last_year", 0)], measure)
    kept = top_cells({k[:2]: v[1] for k, v in detail.items()}, [0], 2)
    sets = [(0, 1)] if totals == "none" else [(0, 1), (0,), ()]
    if subtotals == "visible":
        want = time_answer(sales_rows, levels, sets, [], [("last_year", 0)], measure, kept)
    else:
        want = {k: v for k, v in time_answer(sales_rows, levels, sets, [], [("last_year", 0)],
                                             measure).items() if k[2] != 0 or k[:2] in kept}
    if totals == "none":
        want = {k[:2]: v for k, v in want.items()}
    assert_same(got, want)
    # Not the best current values: ranked by last year's (NULL for 2024, ranked last).
    current = top_cells({k[:2]: v[0] for k, v in detail.items()}, [0], 2)
    assert kept != current


def test_refused_with_a_message_saying_what_to_do(demo_wh):
    calc = TimeCalc("revenue", "last_year")
    with pytest.raises(UserError, match=r"a year subtotal row would need .*subtotals='all'"):
        demo_wh.run(make_query("sales", ["revenue"], ["date.year", "date.quarter",
                                                      "product.category"],
                               top=TopN(2, calc.column), totals="rollup", time=(calc,)))
    # Over all members the same query is fine.
    demo_wh.run(make_query("sales", ["revenue"], ["date.year", "date.quarter",
                                                  "product.category"],
                           top=TopN(2, calc.column, subtotals="all"), totals="rollup",
                           time=(calc,)))
    with pytest.raises(UserError, match="rank by one of the query's measures or time"):
        demo_wh.run(make_query("sales", ["revenue"], ["product.category"],
                               top=TopN(2, "customers")))
    with pytest.raises(UserError, match="subtotals: expected visible or all"):
        demo_wh.run(make_query("sales", ["revenue"], ["product.category"], totals="rollup",
                               top=TopN(2, "revenue", subtotals="some")))


def test_drill_across_visible_subtotals_restrict_every_fact_to_the_kept_cells(demo_wh,
                                                                            sales_rows):
    """Top 2 segments per region by invoiced (invoices), with sales' revenue and customers:
    both facts read only the kept cells' facts; the cells are ranked once (a CTE)."""
    levels = ["customer.region", "customer.segment"]
    measures = ["revenue", "customers", "invoiced", "invoiced_customers"]
    result = demo_wh.run(make_query("customer360", measures, levels, top=TopN(2, "invoiced"),
                                    totals="rollup"))
    sql = result.compiled.sql
    assert sql.startswith('WITH "__top" AS') and sql.count("QUALIFY") == 1, sql
    data = result.table.to_pydict()
    got = {tuple(data[k][i] for k in [*levels, "grouping_id"]): tuple(data[m][i] for m in measures)
           for i in range(result.table.num_rows)}
    invoice_rows = flat_rows(demo_wh.con, "core.fact_invoice", INVOICE_ROLES)
    facts = [(sales_rows, SALES_MEASURES), (invoice_rows, INVOICE_MEASURES)]
    detail = drill_across(facts, ["invoiced"], levels, [])
    kept = top_cells({k: v[0] for k, v in detail.items()}, [0], 2)
    parts = {}
    for rows, fns in facts:
        mine = [m for m in measures if m in fns]
        shown = [r for r in rows if tuple(r[SALES_LEVELS[lv]] for lv in levels) in kept]
        parts[tuple(mine)] = answer(shown, mine, levels, [], [], "rollup", measure_fns=fns)
    want = {}
    for key in set().union(*parts.values()):
        values = {}
        for mine, ans in parts.items():
            for i, m in enumerate(mine):
                values[m] = ans[key][i] if key in ans else (0 if m in COUNTS else None)
        want[key] = tuple(values[m] for m in measures)
    assert_same(got, want)
    assert any(k[2] == 0 and v[2] is None for k, v in got.items()) or len(kept) > 2


@pytest.mark.parametrize(("levels", "within", "totals"), [
    (["customer.region", "customer.province", "product.category"], ("customer.region",),
     "rollup"),
    (["customer.region", "product.category"], (), "rollup"),
])
def test_all_subtotals_show_only_parents_with_a_kept_row(demo_wh, sales_rows, levels, within,
                                                         totals):
    """TopN(subtotals="all") as MDX's TopCount within parent with VisualTotals off: a parent
    row (a subtotal over all its members) is shown when at least one of its kept rows is;
    a parent whose members were all cut away is not (found in review: those were shown, a
    total over members none of which is in the answer). The grand total always is."""
    top = TopN(2, "revenue", within=within, subtotals="all")
    measures = ["revenue", "customers"]
    got = engine_answer(demo_wh, measures, levels, top, totals=totals)
    positions = [levels.index(w) for w in within]
    want = top_answer(sales_rows, measures, levels, [], [], totals, 2, "revenue", positions,
                      "all", LEVELS)
    assert_same(got, want)
    # The trap: a parent with facts but no kept row under it.
    everything = answer(sales_rows, measures, levels, [], [], totals, LEVELS)
    hidden = set(everything) - set(got)
    n = len(levels)
    assert any(k[-1] not in (0, (1 << n) - 1) for k in hidden), "no parent was cut away"
    assert (None,) * n + ((1 << n) - 1,) in got


@pytest.mark.parametrize(("cube", "measures", "levels"), [
    ("customer360", ["tickets", "revenue"], ["customer.region", "date.month"]),
    ("receivables", ["paid", "invoiced"], ["customer.region", "date.day"]),
])
def test_visible_subtotals_keep_the_cells_of_every_fact(demo_wh, cube, measures, levels):
    """Found while extending the property tests to top-N with totals (the pandas oracle's
    top_answer, tests/cube/test_properties.py), by drill-across queries: with
    visible subtotals a drill-across query kept only cells of the ranked measure's fact, so a
    month with sales but no tickets (0 tickets, kept without totals when its region has fewer
    than n months with tickets) vanished from the detail rows and the subtotals. The kept
    cells are now the query's own, as without totals (pandas oracle)."""
    frames = pandas_oracle.load_world(demo_wh.con)
    top = TopN(3, measures[0])
    for totals in ("none", "rollup"):
        query = make_query(cube, measures, levels, top=top, totals=totals)
        want = pandas_oracle.top_answer(frames, cube, measures, levels, [], (), totals, top)
        got = cells(demo_wh, query, measures)
        assert_cells(got, want)
