"""Hand-worked answers on the mini sources: SCD2 versions, inferred and unknown members,
drill-across without fan-out, injection attempts, empty results. Every number is worked out
from tests/mini_sources.py by hand."""

from __future__ import annotations

from decimal import Decimal

from warehouse.cube import PointCut, SetCut, make_query


def rows(engine, *args, **kw):
    return engine.run(make_query(*args, **kw)).rows()


def test_facts_roll_up_by_the_customer_version_valid_at_the_order(mini_wh):
    # Customer 1 ordered lines 1 and 2 as "mass" and line 4 after moving to "affluent";
    # customer 3 is an inferred member (segment "Unknown"); order 1001 was cancelled.
    got = rows(mini_wh, "sales", ["revenue", "lines", "customers"], ["customer.segment"])
    assert got == [("Unknown", Decimal("39.80"), 1, 1),
                   ("affluent", Decimal("19.90"), 1, 1),
                   ("mass", Decimal("1053.72"), 2, 1)]


def test_distinct_customers_count_people_not_versions_at_every_total(mini_wh):
    got = rows(mini_wh, "sales", ["customers", "revenue"], ["customer.segment"],
               totals="rollup")
    total = [r for r in got if r[1] == 1]
    assert total == [(None, 1, 2, Decimal("1113.42"))]   # 3 segment rows, 2 people


def test_unknown_debtor_is_kept_under_the_unknown_member(mini_wh):
    got = rows(mini_wh, "invoices", ["invoiced", "invoices"], ["customer.region"])
    assert got == [("Unknown", Decimal("113.00"), 1), ("中国", Decimal("1190.70"), 1)]


def test_drill_across_sales_and_invoices_by_customer_does_not_fan_out(mini_wh):
    # Customer 1 has three order lines and one invoice: a join of the two facts would
    # count the invoice three times (3572.10).
    got = rows(mini_wh, "customer360", ["revenue", "invoiced", "paid", "lines"],
               ["customer.customer"])
    by_customer = {r[0]: r[2:] for r in got}
    assert by_customer[1] == (Decimal("1073.62"), Decimal("1190.70"), Decimal("500.00"), 3)
    assert by_customer[3] == (Decimal("39.80"), None, None, 1)
    assert by_customer[None] == (None, Decimal("113.00"), None, 0)


def test_receivables_outstanding_is_invoiced_minus_paid(mini_wh):
    got = rows(mini_wh, "receivables", ["invoiced", "paid", "outstanding", "collection_rate"], [])
    assert got == [(Decimal("1303.70"), Decimal("500.00"), Decimal("803.70"), 500 / 1303.70)]
    by_region = rows(mini_wh, "receivables", ["collection_rate"], ["customer.region"])
    assert by_region == [("Unknown", None), ("中国", 500 / 1190.70)]


def test_an_injection_attempt_is_only_data(mini_wh):
    evil = "x' OR 1=1; DROP TABLE core.fact_sales_line; --"
    compiled = mini_wh.compile(make_query("sales", ["revenue"], ["customer.region"],
                                          [SetCut("customer.region", (evil, "中国"))]))
    assert evil not in compiled.sql and evil in compiled.params
    result = mini_wh.run(make_query("sales", ["revenue"], ["customer.region"],
                                    [PointCut("customer.region", evil)]))
    assert result.rows() == []
    assert rows(mini_wh, "sales", ["lines"], []) == [(4,)]


def test_empty_result_has_the_columns(mini_wh):
    result = mini_wh.run(make_query("sales", ["revenue", "customers"], ["date.month"],
                                    [PointCut("date.year", 1999)]))
    assert result.rows() == [] and result.columns == ["date.month", "revenue", "customers"]


def test_drill_across_refuses_a_level_one_fact_lacks(mini_wh):
    import pytest

    from warehouse.errors import UserError

    with pytest.raises(UserError, match=r"missing join path: invoiced come.* cube invoices.*"
                                        "'product'"):
        mini_wh.run(make_query("customer360", ["revenue", "invoiced"], ["product.category"]))
    # Sales alone can still be cut by product inside the multi-fact cube.
    assert rows(mini_wh, "customer360", ["revenue"], ["product.category"]) == [
        ("Electronics", Decimal("1113.42"))]
