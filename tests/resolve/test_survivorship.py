"""Survivorship rules on a hand-built case: two vendor files and the CRM disagree."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.resolve import survivorship as surv
from warehouse.resolve.config import Attribute, Survivorship

RULES = Survivorship(
    sources={"crm": 1, "vendor_a": 2, "vendor_b": 3},
    customer_profile={
        "industry": Attribute(rule="source_priority", sources=["crm", "vendor_a", "vendor_b"]),
        "income": Attribute(rule="most_recent", sources=["vendor_a", "vendor_b"],
                            type="decimal(14,2)"),
        "interests": Attribute(rule="most_complete", sources=["vendor_a", "vendor_b"]),
    },
    prospect={},
)


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("CREATE SCHEMA staging")
    c.execute("""CREATE TABLE staging.current_ext AS SELECT * FROM (VALUES
        ('A1', 1, 'vendor_a', 'a.csv', DATE '2025-01-01', 'Retail', '100.50', '旅游;美食'),
        ('B1', 1, 'vendor_b', 'b.csv', DATE '2025-03-01', 'Finance', '120.00', '旅游'),
        ('A2', 2, 'vendor_a', 'a.csv', DATE '2025-01-01', NULL, '90', '运动;阅读;音乐'),
        ('B2', 2, 'vendor_b', 'b.csv', DATE '2025-01-01', 'Energy', '95', NULL),
        ('B3', 3, 'vendor_b', 'b.csv', DATE '2025-02-01', '  ', NULL, '摄影')
        ) t(record_id, customer_id, _source, _file, as_of, industry, income, interests)""")
    c.execute("ALTER TABLE staging.current_ext ADD COLUMN _deleted BOOLEAN DEFAULT false")
    c.execute("""CREATE TABLE staging.current_customer AS SELECT * FROM (VALUES
        (1, 'crm', TIMESTAMP '2024-06-01 10:00:00', 'IT & Software', false),
        (2, 'crm', TIMESTAMP '2024-06-01 10:00:00', NULL, false)
        ) t(customer_id, _source, updated_at, industry, _deleted)""")
    return c


def _run(con):
    feeds = [("staging.current_ext", "CAST(s.customer_id AS VARCHAR)", ""),
             ("staging.current_customer", "CAST(s.customer_id AS VARCHAR)", "")]
    surv.candidates(con, RULES.customer_profile, feeds, "cand")
    surv.pick(con, RULES, RULES.customer_profile, "cand", "lin", "wide", "customer_id")


def test_each_rule_picks_its_winner(con):
    _run(con)
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT customer_id, industry, income, interests FROM wide ORDER BY 1").fetchall()}
    from decimal import Decimal
    assert got["1"] == ("IT & Software", Decimal("120.00"), "旅游;美食")   # crm; newest; longest
    assert got["2"] == ("Energy", Decimal("90.00"), "运动;阅读;音乐")      # only value; tie -> A2
    assert got["3"] == (None, None, "摄影")                                # blank is no value


def test_lineage_records_the_winner_and_the_conflict(con):
    _run(con)
    rows = con.execute("SELECT entity_id, attribute, source, file, record_id, candidates, "
                       "distinct_values FROM lin ORDER BY 1, 2").fetchall()
    assert ("1", "income", "vendor_b", "b.csv", "B1", 2, 2) in rows
    assert ("1", "industry", "crm", None, "1", 3, 3) in rows
    assert ("2", "income", "vendor_a", "a.csv", "A2", 2, 2) in rows
    assert not [r for r in rows if r[0] == "3" and r[1] in ("industry", "income")]
