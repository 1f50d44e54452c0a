"""Engine answers against an independent Python oracle over the raw rows of the demo warehouse:
random queries (hypothesis) and fixed ones for time intelligence, semi-additive measures,
drill-across and the `cubes` views."""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cube.answers import assert_cells, cells
from tests.cube.oracle import (
    INVOICE_MEASURES,
    INVOICE_ROLES,
    SALES_LEVELS,
    SALES_MEASURES,
    SALES_ROLES,
    SEGMENTS,
    answer,
    drill_across,
    flat_rows,
)
from warehouse.cube import PointCut, SetCut, make_query


@pytest.fixture(scope="module")
def sales_rows(demo_wh):
    return flat_rows(demo_wh.con, "core.fact_sales_line", SALES_ROLES)


@pytest.fixture(scope="module")
def members(sales_rows):
    return {lv: sorted({r[col] for r in sales_rows}, key=repr)
            for lv, col in SALES_LEVELS.items()}


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9)
    return a == b


def engine_answer(engine, measures, levels, cuts, segments, totals) -> dict[tuple, tuple]:
    query = make_query("sales", measures, levels, cuts, segments=segments, totals=totals)
    return cells(engine, query, list(measures))


def assert_same(got: dict, want: dict) -> None:
    assert_cells(got, want, same)


cut_kinds = st.sampled_from(["point", "set", "not", "missing"])


@st.composite
def queries(draw, members):
    measures = draw(st.lists(st.sampled_from(sorted(SALES_MEASURES)), min_size=1, max_size=4,
                             unique=True))
    levels = draw(st.lists(st.sampled_from(sorted(SALES_LEVELS)), max_size=3, unique=True))
    cuts, oracle_cuts = [], []
    for level in draw(st.lists(st.sampled_from(sorted(SALES_LEVELS)), max_size=2, unique=True)):
        kind = draw(cut_kinds)
        values = members[level]
        if kind == "missing":
            absent = -424242 if any(isinstance(v, int) for v in values) else "no such member"
            cuts.append(PointCut(level, absent))
            oracle_cuts.append((level, (absent,), False))
        elif kind == "set":
            chosen = tuple(draw(st.lists(st.sampled_from(values), min_size=1, max_size=3,
                                         unique=True)))
            cuts.append(SetCut(level, chosen))
            oracle_cuts.append((level, chosen, False))
        else:
            value = draw(st.sampled_from(values))
            cuts.append(PointCut(level, value, invert=kind == "not"))
            oracle_cuts.append((level, (value,), kind == "not"))
    segments = draw(st.lists(st.sampled_from(sorted(SEGMENTS)), max_size=2, unique=True))
    totals = draw(st.sampled_from(["none", "rollup"]))
    return measures, levels, cuts, oracle_cuts, segments, totals


def test_random_queries_match_the_oracle(demo_wh, sales_rows, members):
    @settings(max_examples=150, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(queries(members))
    def check(q):
        measures, levels, cuts, oracle_cuts, segments, totals = q
        # Integer-keyed levels are compared as the values themselves (cuts keep their type).
        got = engine_answer(demo_wh, measures, levels, cuts, segments, totals)
        want = answer(sales_rows, measures, levels, oracle_cuts, segments, totals)
        assert_same(got, want)

    check()


SHARED = ["date.year", "date.quarter", "customer.region", "customer.segment", "customer.type",
          "customer.customer"]


def test_random_drill_across_never_fans_out(demo_wh, sales_rows, members):
    invoice_rows = flat_rows(demo_wh.con, "core.fact_invoice", INVOICE_ROLES)
    parts = [(sales_rows, SALES_MEASURES), (invoice_rows, INVOICE_MEASURES)]
    members = {level: sorted(set(members[level]) | {r[SALES_LEVELS[level]] for r in invoice_rows},
                             key=repr) for level in SHARED}

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.sampled_from(["revenue", "lines", "customers"]), min_size=1, max_size=2,
                    unique=True),
           st.lists(st.sampled_from(sorted(INVOICE_MEASURES)), min_size=1, max_size=2,
                    unique=True),
           st.lists(st.sampled_from(SHARED), max_size=2, unique=True),
           st.lists(st.sampled_from(SHARED), max_size=1, unique=True), st.data())
    def check(sales_m, invoice_m, levels, cut_levels, data):
        measures = sales_m + invoice_m
        cuts, oracle_cuts = [], []
        for level in cut_levels:
            value = data.draw(st.sampled_from(members[level]))
            cuts.append(PointCut(level, value))
            oracle_cuts.append((level, (value,), False))
        query = make_query("customer360", measures, levels, cuts)
        table = demo_wh.run(query).table.to_pydict()
        count = len(table[measures[0]])
        got = {tuple(table[lv][i] for lv in levels): tuple(table[m][i] for m in measures)
               for i in range(count)}
        want = drill_across(parts, measures, levels, oracle_cuts)
        if not levels:          # no grain: one row even when nothing matches
            want = want or {(): tuple(0 if m in {"lines", "customers", "invoices",
                                                 "invoiced_customers"} else None
                                      for m in measures)}
        assert_same(got, want)

    check()


def test_nulls_and_unknown_members_are_members(demo_wh, sales_rows):
    # B2C customers have no industry (NULL): they form their own member, and a cut on NULL
    # selects exactly them.
    got = engine_answer(demo_wh, ["revenue", "customers"], ["customer.industry"],
                        [PointCut("customer.industry", None)], [], "none")
    want = answer(sales_rows, ["revenue", "customers"], ["customer.industry"],
                  [("customer.industry", (None,), False)], [], "none")
    assert list(want) == [(None,)] and want[(None,)][0] > 0
    assert_same(got, want)


def test_default_order_follows_the_level_keys_with_totals_after_details(demo_wh):
    result = demo_wh.run(make_query("sales", ["revenue"], ["date.year", "channel.type"],
                                    totals="rollup"))
    rows = result.rows()
    assert rows[-1][:3] == (None, None, 3)
    years = [r[0] for r in rows if r[2] == 0]
    assert years == sorted(years)
    for year in set(years):
        block = [r for r in rows if r[0] == year]
        assert block[-1][2] == 1 and [r[1] for r in block[:-1]] == sorted(r[1] for r in block[:-1])


def test_top_n_within_parent_and_pagination(demo_wh, sales_rows):
    from warehouse.cube import TopN

    got = demo_wh.run(make_query("sales", ["revenue"], ["date.year", "product.category"],
                                 top=TopN(2, "revenue"))).rows()
    want = answer(sales_rows, ["revenue"], ["date.year", "product.category"], [], [], "none")
    for year in {k[0] for k in want}:
        best = sorted(((v[0], k[1]) for k, v in want.items() if k[0] == year), reverse=True)[:2]
        assert sorted((r[2], r[1]) for r in got if r[0] == year) == sorted(best)
    page = demo_wh.run(make_query("sales", ["revenue"], ["customer.customer"],
                                  order=["-revenue"], limit=5, offset=5)).rows()
    ranked = sorted(answer(sales_rows, ["revenue"], ["customer.customer"], [], [], "none")
                    .items(), key=lambda kv: kv[1][0], reverse=True)
    assert [r[-1] for r in page] == [v[0] for _k, v in ranked[5:10]]


def test_time_intelligence_matches_the_oracle(demo_wh, sales_rows):
    from warehouse.cube import TimeCalc

    calcs = (TimeCalc("revenue", "ytd"), TimeCalc("customers", "ytd"),
             TimeCalc("revenue", "last_year"), TimeCalc("revenue", "rolling", n=3),
             TimeCalc("revenue", "change"), TimeCalc("revenue", "qtd"),
             TimeCalc("revenue", "previous"))
    result = demo_wh.run(make_query("sales", ["revenue", "customers"], ["date.month"],
                                    [PointCut("date.year", 2025)], time=calcs))
    by_month: dict[str, list] = {}
    for r in sales_rows:
        by_month.setdefault(r["date.year_month"], []).append(r)

    def months_back(month: str, n: int) -> str:
        y, m = map(int, month.split("-"))
        index = y * 12 + m - 1 - n
        return f"{index // 12}-{index % 12 + 1:02d}"

    def revenue(ms):
        values = [r["net_amount"] for m in ms for r in by_month.get(m, [])]
        return sum(values, Decimal(0)) if values else None

    assert result.rows(), "the demo has 2025 sales"
    for month, rev, customers, ytd, cust_ytd, last_year, rolling, change, qtd, prev in \
            result.rows():
        year_to_date = [f"2025-{i:02d}" for i in range(1, int(month[5:]) + 1)]
        assert rev == revenue([month])
        assert customers == len({r["customer.customer_id"] for r in by_month[month]} - {None})
        assert ytd == revenue(year_to_date)
        assert cust_ytd == len({r["customer.customer_id"] for m in year_to_date
                                for r in by_month.get(m, [])} - {None})
        assert last_year == revenue([months_back(month, 12)])
        assert rolling == revenue([months_back(month, i) for i in range(3)])
        previous = revenue([months_back(month, 1)])
        assert prev == previous
        first = (int(month[5:]) - 1) // 3 * 3 + 1
        assert qtd == revenue([f"2025-{i:02d}" for i in range(first, int(month[5:]) + 1)])
        assert change == (rev - previous if rev is not None and previous is not None else None)


def test_semi_additive_balance_is_the_last_day_summed_over_customers(demo_wh):
    rows = demo_wh.con.execute(
        "SELECT f.snapshot_date, c.customer_type, f.open_receivables FROM core.fact_customer_day f "
        "JOIN core.dim_customer c USING (customer_key)").fetchall()
    dates = sorted({r[0] for r in rows})
    assert len(dates) == 3
    got = demo_wh.run(make_query("customer_snapshot", ["open_receivables", "opening_receivables"],
                                 ["customer.type"], totals="rollup")).rows()
    for ctype, gid, last, first in got:
        mine = [r for r in rows if gid == 1 or r[1] == ctype]
        last_day = max(r[0] for r in mine)
        first_day = min(r[0] for r in mine)
        assert last == sum(r[2] for r in mine if r[0] == last_day)
        assert first == sum(r[2] for r in mine if r[0] == first_day)
    # Over the time dimension itself it is the balance of each day.
    by_day = demo_wh.run(make_query("customer_snapshot", ["open_receivables"],
                                    ["date.day"])).rows()
    assert by_day == [(d, sum(r[2] for r in rows if r[0] == d)) for d in dates]



def test_semi_additive_rollup_over_days_keeps_its_grand_total(demo_wh):
    """Found by tests/cube/test_properties.py (customer_snapshot, open_receivables by
    consent.state and date.day, rollup). The balance's day was grouped by in every grouping
    set as the bare date column, which is also date.day's key: GROUPING(date.day) read 0 in
    the sets without it, so subtotals came out as extra day rows and the grand total was lost."""
    rows = demo_wh.run(make_query("customer_snapshot", ["open_receivables"], ["date.day"],
                                  totals="rollup")).rows()
    days = [r for r in rows if r[1] == 0]
    assert len(days) == 3 and rows[3:] == [(None, 1, days[-1][2])]   # the last day's balance
    rows = demo_wh.run(make_query("customer_snapshot", ["open_receivables"],
                                  ["consent.state", "date.day"], totals="rollup")).rows()
    assert sorted({r[2] for r in rows}) == [0, 1, 3]
    for state, day, gid, balance in rows:
        if gid == 1:
            assert day is None and balance == max(r for r in rows if r[0] == state and r[2] == 0)[3]


def test_semi_additive_grand_total_over_nothing_is_one_row(demo_wh):
    """Found by tests/cube/test_properties.py on the mini warehouses (customer_snapshot,
    open_receivables by consent.state, rollup, a cut keeping no row): the balance's grand total
    row was missing, where every other measure's is one row of NULL."""
    nothing = PointCut("consent.state", "none such")
    assert demo_wh.run(make_query("customer_snapshot", ["open_receivables"], ["consent.state"],
                                  [nothing], totals="rollup")).rows() == [(None, 1, None)]
    assert demo_wh.run(make_query("sales", ["revenue"], ["channel.type"],
                                  [PointCut("channel.type", "none such")], totals="rollup")
                       ).rows() == [(None, 1, None)]

def test_drill_across_by_month_equals_each_fact_alone(demo_wh):
    both = demo_wh.run(make_query("customer360", ["revenue", "invoiced", "tickets"],
                                  ["date.month"])).rows()
    sales = dict(demo_wh.run(make_query("sales", ["revenue"], ["date.month"])).rows())
    invoices = dict(demo_wh.run(make_query("invoices", ["invoiced"], ["date.month"])).rows())
    tickets = dict(demo_wh.run(make_query("service", ["tickets"], ["date.month"])).rows())
    assert {r[0] for r in both} == set(sales) | set(invoices) | set(tickets)
    for month, revenue, invoiced, n in both:
        assert (revenue, invoiced, n) == (sales.get(month), invoices.get(month),
                                          tickets.get(month, 0))


def test_cubes_views_answer_like_the_engine(demo_wh):
    plain = demo_wh.con.execute(
        'SELECT "date.year", "channel.type", sum(revenue), count(DISTINCT customers) '
        'FROM cubes.sales GROUP BY ALL ORDER BY ALL').fetchall()
    engine = demo_wh.run(make_query("sales", ["revenue", "customers"],
                                    ["date.year", "channel.type"])).rows()
    assert plain == engine
    views = {r[0] for r in demo_wh.con.execute(
        "SELECT view_name FROM duckdb_views() WHERE schema_name = 'cubes'").fetchall()}
    assert views == {"sales", "invoices", "payments", "service", "campaign", "customer_snapshot",
                     "receivables", "customer360"}


def test_customer360_view_sums_each_fact_once_like_the_engine(demo_wh):
    """The stacked view over all six facts (the demo has rows in each): plain SQL by region,
    with subtotals, gives the engine's drill-across answer."""
    measures = ["revenue", "invoiced", "paid", "tickets", "complaints", "responses",
                "snapshot_customers", "avg_hours_to_resolve"]
    plain = demo_wh.con.execute(
        'SELECT "customer.region", GROUPING("customer.region"), sum(revenue), sum(invoiced), '
        "sum(paid), count(tickets), count(complaints), count(responses), "
        "count(DISTINCT snapshot_customers), avg(avg_hours_to_resolve) FROM cubes.customer360 "
        'GROUP BY ROLLUP ("customer.region")').fetchall()
    engine = demo_wh.run(make_query("customer360", measures, ["customer.region"],
                                    totals="rollup")).rows()
    assert all(n > 0 for n in engine[-1][2:-1])
    want = {r[:2]: r[2:] for r in engine}
    got = {r[:2]: r[2:] for r in plain}
    assert set(got) == set(want)
    for key, values in want.items():
        assert all(same(a, b) for a, b in zip(got[key], values, strict=True)), \
            (key, got[key], values)


def test_explicit_grouping_sets_and_cube_totals(demo_wh, sales_rows):
    query = make_query("sales", ["revenue", "customers"], ["date.year", "channel.type"],
                       grouping_sets=[("date.year",), ("channel.type",), ()])
    got = demo_wh.run(query).rows()
    years = answer(sales_rows, ["revenue", "customers"], ["date.year"], [], [], "none")
    channels = answer(sales_rows, ["revenue", "customers"], ["channel.type"], [], [], "none")
    total = answer(sales_rows, ["revenue", "customers"], [], [], [], "none")[()]
    want = {(k[0], None, 1): v for k, v in years.items()}
    want |= {(None, k[0], 2): v for k, v in channels.items()}
    want[(None, None, 3)] = total
    assert {r[:3]: r[3:] for r in got} == want
    cube = demo_wh.run(make_query("sales", ["customers"], ["date.year", "channel.type"],
                                  totals="all")).rows()
    assert {r[2] for r in cube} == {0, 1, 2, 3}
    assert [r[3] for r in cube if r[2] == 3] == [total[1]]


def test_one_component_compiles_to_one_select_ordered_like_the_nested_form(demo_wh):
    """The common query is a single SELECT (no wrapping layers), ordered by each level's sort
    attribute, then its key: product names in order, ties broken by id."""
    result = demo_wh.run(make_query("sales", ["revenue"], ["product.product"]))
    sql = result.compiled.sql
    assert sql.count("SELECT") == 1, sql
    rows = result.rows()
    assert [(r[1], r[0]) for r in rows] == sorted((r[1], r[0]) for r in rows)


def test_the_customer_day_snapshot_equals_pandas_over_staging(demo_wh):
    """The last loaded day of core.fact_customer_day, recomputed in pandas from the staged
    rows the load read: invoiced (not void) minus paid to date per customer through the xref,
    tickets open at the end of the day, the latest consent answer (ordered by time, then
    response id, as the SQL orders them; the demo data has no ties to break)."""
    con = demo_wh.con
    day = con.execute("SELECT max(snapshot_date) FROM core.fact_customer_day").fetchone()[0]
    end = pd.Timestamp(day) + pd.Timedelta(days=1)

    def staged(entity: str, money: str | None = None):
        """Live staged rows; `money` read as Decimal (a DataFrame would make it a float), and
        rows without it left out, as SQL's sum leaves out NULLs."""
        df = con.execute(f"SELECT *{f', CAST({money} AS VARCHAR) AS _exact' if money else ''} "
                         f"FROM staging.current_{entity} WHERE NOT _deleted").df()
        if money:
            df = df[df["_exact"].notna()].copy()
            df[money] = df.pop("_exact").map(Decimal)
        return df

    xref = con.execute("SELECT erp_customer_id, customer_id FROM core.customer_xref "
                       "WHERE customer_id IS NOT NULL").df()
    inv = staged("invoice", "gross_amount")
    # SQL's `status <> 'void'` is not true for a NULL status either
    inv = inv[inv.status.notna() & (inv.status != "void")
              & (pd.to_datetime(inv.invoice_date) <= pd.Timestamp(day))]
    pay = staged("payment", "amount")
    pay = pay[pay.paid_at < end]
    billed = inv.merge(xref, on="erp_customer_id").groupby("customer_id").gross_amount.sum()
    paid = pay.merge(xref, on="erp_customer_id").groupby("customer_id").amount.sum()
    tickets = staged("ticket")
    tickets = tickets[(tickets.opened_at < end)
                      & (tickets.resolved_at.isna() | (tickets.resolved_at >= end))]
    open_tickets = tickets.groupby("customer_id").size()
    answers = staged("campaign_response")
    answers = answers[(answers.responded_at < end) & answers.consent_marketing.notna()]
    latest = answers.sort_values(["responded_at", "response_id"]).groupby("customer_id").last()
    customers = staged("customer")
    customers = customers[customers.created_at < end]
    expected = {}
    for cid in customers.customer_id:
        consent = latest.consent_marketing.get(cid)
        state = "unknown" if consent is None else ("granted" if consent else "withdrawn")
        expected[cid] = (billed.get(cid, Decimal(0)) - paid.get(cid, Decimal(0)),
                         int(open_tickets.get(cid, 0)), state)
    got = {r[0]: (r[1], r[2], r[3]) for r in con.execute(
        "SELECT customer_id, open_receivables, open_tickets, consent_state "
        "FROM core.fact_customer_day WHERE snapshot_date = ?", [day]).fetchall()}
    assert got == expected
    # what the demo data exercises: positive balances, open tickets, all three consent states
    assert {s for _, _, s in got.values()} == {"granted", "withdrawn", "unknown"}
    assert any(b > 0 for b, _, _ in got.values()) and any(t for _, t, _ in got.values())
