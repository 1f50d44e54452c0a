"""`init_demo` into SQLite: contract conformance, determinism, arithmetic, realism."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.demo.conftest import BASE_AS_OF
from tests.demo.helpers import (
    SOURCES,
    assert_matches_contract,
    checksums,
    open_sources,
    sqlite_urls,
    typed,
)
from warehouse.config import home
from warehouse.demo import advance_demo, init_demo
from warehouse.demo.people import USCC_CHARS, USCC_WEIGHTS
from warehouse.errors import UserError

END = datetime.combine(BASE_AS_OF, time(23, 59, 59))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Scale 0.05, generated twice with seed 42 and once with seed 7: checksums of each."""
    sums = {}
    for label, seed in (("a", 42), ("b", 42), ("other", 7)):
        h = home(tmp_path_factory.mktemp(f"demo_small_{label}"))
        urls = sqlite_urls(h)
        summary = init_demo(h, scale=0.05, seed=seed, crm_url=urls["crm"], erp_url=urls["erp"],
                            as_of=BASE_AS_OF)
        sums[label] = (checksums(urls), summary)
    return sums


def test_same_seed_gives_identical_sources(small):
    (a, summary_a), (b, _) = small["a"], small["b"]
    assert a == b
    assert a["crm.sales_order_lines"][0] == summary_a["crm"]["sales_order_lines"] > 0


def test_other_seed_gives_other_sources(small):
    a, other = small["a"][0], small["other"][0]
    for table in ("crm.customers", "crm.sales_orders", "crm.sales_order_lines",
                  "crm.web_sessions", "erp.ar_invoice", "erp.wms_shipment"):
        assert a[table] != other[table], table
    # fixed reference data does not depend on the seed
    assert a["crm.regions"] == other["crm.regions"]


def test_rows_grow_with_scale(small, base):
    low, high = small["a"][1], base[2]
    for source, table in (("crm", "customers"), ("crm", "sales_orders"),
                          ("crm", "sales_order_lines"), ("crm", "web_sessions"),
                          ("erp", "ar_invoice"), ("erp", "ar_customer")):
        assert high[source][table] > low[source][table], table
    ratio = high["crm"]["sales_order_lines"] / low["crm"]["sales_order_lines"]
    assert 3 < ratio < 5  # 4x the scale, about 4x the lines


def test_summary_counts_every_table(base):
    summary = base[2]
    for name, source in SOURCES.items():
        assert set(summary[name]) == set(source.tables), name
        assert all(n > 0 for n in summary[name].values()), summary[name]


def test_tables_match_the_contracts(base):
    assert_matches_contract(base[1])


def test_line_amount_is_exact(base):
    con, targets = open_sources(base[1])
    rows = con.execute(f"SELECT quantity, unit_price, discount_pct, line_amount "
                       f"FROM {typed(targets, 'crm', 'sales_order_lines')}").fetchall()
    assert len(rows) > 1000
    for quantity, price, discount, amount in rows:
        expected = (quantity * price * (1 - discount / Decimal(100))).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert amount == expected, (quantity, price, discount, amount)
    assert {int(r[2]) for r in rows} == {0, 5, 10, 15, 20}


def test_invoices_follow_the_orders(base):
    con, targets = open_sources(base[1])
    lines = typed(targets, "crm", "sales_order_lines")
    orders = typed(targets, "crm", "sales_orders")
    invoices = typed(targets, "erp", "ar_invoice")
    row = con.execute(f"""
        WITH net AS (SELECT order_id, sum(CAST(line_amount * 100 AS BIGINT)) AS cents
                     FROM {lines} WHERE NOT is_deleted GROUP BY ALL)
        SELECT count(*),
               count(*) FILTER (WHERE i.net_cents <> n.cents),
               count(*) FILTER (WHERE i.tax_cents <> (i.net_cents * 13 + 50) // 100),
               count(*) FILTER (WHERE o.status NOT IN ('shipped', 'completed'))
        FROM {invoices} i JOIN {orders} o ON o.order_no = i.sales_order_ref
        JOIN net n USING (order_id)
    """).fetchone()
    assert row[0] > 1000 and row[1:] == (0, 0, 0)
    # every shipped or completed order has its invoice
    missing = con.execute(f"""
        SELECT count(*) FROM {orders} o WHERE status IN ('shipped', 'completed')
        AND order_no NOT IN (SELECT sales_order_ref FROM {invoices}
                             WHERE sales_order_ref IS NOT NULL)
    """).fetchone()[0]
    assert missing == 0
    statuses = {r[0] for r in con.execute(f"SELECT DISTINCT inv_status FROM {invoices}")
                .fetchall()}
    assert statuses == {"O", "P", "T", "X"}


def test_timestamps_stay_within_the_period(base):
    con, targets = open_sources(base[1])
    for name, source in SOURCES.items():
        for table, spec in source.tables.items():
            mark = spec.watermark or "updated_at"
            latest = con.execute(f"SELECT max({mark}) FROM {typed(targets, name, table)}")\
                .fetchone()[0]
            assert latest <= END, (table, latest)
            if "created_at" in spec.columns and "updated_at" in spec.columns:
                bad = con.execute(f"SELECT count(*) FROM {typed(targets, name, table)} "
                                  "WHERE created_at > updated_at").fetchone()[0]
                assert bad == 0, table
    orders = typed(targets, "crm", "sales_orders")
    assert con.execute(f"SELECT count(*) FROM {orders} WHERE order_date > created_at")\
        .fetchone()[0] == 0
    # a few orders were entered days after they were placed
    assert con.execute(f"SELECT count(*) FROM {orders} "
                       "WHERE CAST(order_date AS DATE) < CAST(created_at AS DATE)")\
        .fetchone()[0] > 0


def _uscc_valid(code: str) -> bool:
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return len(code) == 18 and USCC_CHARS[(31 - total % 31) % 31] == code[17]


def test_customers_look_real(base):
    con, targets = open_sources(base[1])
    customers = typed(targets, "crm", "customers")
    kinds = dict(con.execute(f"SELECT customer_type, count(*) FROM {customers} GROUP BY ALL")
                 .fetchall())
    assert 0.6 < kinds["B2C"] / (kinds["B2C"] + kinds["B2B"]) < 0.8
    segments = {r[0] for r in con.execute(f"SELECT DISTINCT segment FROM {customers}")
                .fetchall()}
    assert segments == {"mass", "affluent", "premium", "SMB", "mid_market", "enterprise"}
    taxes = [r[0] for r in con.execute(f"SELECT tax_id FROM {customers} "
                                       "WHERE tax_id IS NOT NULL").fetchall()]
    assert taxes and all(_uscc_valid(t) for t in taxes)
    assert con.execute(f"SELECT count(*) FROM {customers} WHERE customer_type = 'B2C' "
                       "AND tax_id IS NOT NULL").fetchone()[0] == 0
    # dirty but loadable: untrimmed or upper-case e-mails, phones in several formats
    assert con.execute(f"SELECT count(*) FROM {customers} WHERE email <> trim(email)")\
        .fetchone()[0] > 0
    assert con.execute(f"SELECT count(*) FROM {customers} WHERE email <> lower(email)")\
        .fetchone()[0] > 0
    formats = {r[0] for r in con.execute(
        f"SELECT regexp_replace(phone, '[0-9]', '9', 'g') FROM {customers} "
        "WHERE customer_type = 'B2C' AND phone LIKE '%1%'").fetchall()}
    assert {"99999999999", "+99 999 9999 9999", "999-9999-9999"} <= formats
    names = con.execute(f"SELECT full_name FROM {customers} WHERE customer_type = 'B2C' "
                        "AND city_id < 9000000 LIMIT 50").fetchall()
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in n[0]) for n in names)


def test_value_is_concentrated_and_seasonal(base):
    con, targets = open_sources(base[1])
    lines = typed(targets, "crm", "sales_order_lines")
    orders = typed(targets, "crm", "sales_orders")
    top_share = con.execute(f"""
        WITH v AS (SELECT o.customer_id, sum(l.line_amount) AS value
                   FROM {lines} l JOIN {orders} o USING (order_id)
                   WHERE NOT l.is_deleted GROUP BY ALL),
             r AS (SELECT value, row_number() OVER (ORDER BY value DESC) AS rn,
                          count(*) OVER () AS n FROM v)
        SELECT sum(value) FILTER (WHERE rn <= n / 5) / sum(value) FROM r
    """).fetchone()[0]
    assert top_share > 0.6  # few customers make most of the revenue
    daily = dict(con.execute(f"SELECT CAST(order_date AS DATE), count(*) FROM {orders} "
                             "GROUP BY ALL").fetchall())
    mean = sum(daily.values()) / len(daily)
    assert daily[date(2024, 11, 11)] > 2.5 * mean  # Singles Day
    cny = sum(daily.get(date(2025, 1, 29) + timedelta(days=i), 0) for i in range(-5, 6)) / 11
    assert cny < 0.8 * mean  # Chinese New Year dip


def test_erp_links_to_the_crm_imperfectly(base):
    con, targets = open_sources(base[1])
    debtors = typed(targets, "erp", "ar_customer")
    customers = typed(targets, "crm", "customers")
    total, matched, blank, other = con.execute(f"""
        SELECT count(*),
               count(*) FILTER (WHERE trim(crm_ref) IN (SELECT customer_no FROM {customers})),
               count(*) FILTER (WHERE nullif(trim(crm_ref), '') IS NULL),
               count(*) FILTER (WHERE nullif(trim(crm_ref), '') IS NOT NULL AND trim(crm_ref)
                                NOT IN (SELECT customer_no FROM {customers}))
        FROM {debtors}
    """).fetchone()
    assert 0.75 < matched / total < 0.92
    assert 0.08 < blank / total < 0.22  # blank references (and the ERP-only debtors)
    assert other > 0  # some references are wrong
    # a blank reference still matches by tax number or e-mail, except for ERP-only debtors
    unmatched = con.execute(f"""
        SELECT count(*) FROM {debtors} d
        WHERE nullif(trim(d.crm_ref), '') IS NULL
          AND NOT EXISTS (SELECT 1 FROM {customers} c
                          WHERE c.tax_id = d.tax_no OR lower(trim(c.email)) = d.email)
    """).fetchone()[0]
    erp_only = con.execute(f"SELECT count(*) FROM {targets['erp'].ref('demo_customer_map')} "
                           "WHERE customer_id IS NULL").fetchone()[0]
    assert 0.02 < erp_only / total < 0.07
    assert unmatched >= erp_only > 0


def test_default_urls_are_sqlite_files_in_home(tmp_path, monkeypatch):
    monkeypatch.delenv("CRMWH_CRM_URL", raising=False)
    monkeypatch.delenv("CRMWH_ERP_URL", raising=False)
    h = home(tmp_path / "home")
    with pytest.raises(UserError, match="demo init"):
        advance_demo(h)
    summary = init_demo(h, scale=0.01, as_of=date(2024, 3, 31))
    assert (h.sources / "crm.sqlite").exists() and (h.sources / "erp.sqlite").exists()
    assert summary["crm"]["customers"] > 0
    with pytest.raises(UserError):
        init_demo(h, scale=0)
