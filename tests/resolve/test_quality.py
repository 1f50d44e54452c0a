"""Matching quality on the demo's external files at the default mess level, against the
generator's truth, and the shape of the published resolution tables."""

from __future__ import annotations

from datetime import date

import pandas as pd

from tests.resolve import harness
from warehouse.quality.evaluate import Target, evaluate
from warehouse.quality.sql import Params
from warehouse.quality.suite import load_suites
from warehouse.resolve.outputs import TABLES as RESOLUTION_TABLES
from warehouse.resolve.outputs import row_counts
from warehouse.resolve.quality import measure

PRECISION, RECALL = 0.98, 0.95


def test_links_meet_precision_and_recall_targets(resolved):
    h, con, _ = resolved
    q = measure(con, "core.identity_link", harness.truth(con, h))
    for kind in ("person", "company"):
        assert q[kind]["links_true"] > 50, q[kind]      # enough customers in the lists to judge
        assert q[kind]["precision"] >= PRECISION, q[kind]
        assert q[kind]["recall"] >= RECALL, q[kind]
        assert q[kind]["duplicate_pairs_true"] > 0, q[kind]
        assert q[kind]["duplicate_pair_precision"] >= PRECISION, q[kind]
        assert q[kind]["duplicate_pair_recall"] >= RECALL, q[kind]


def test_quality_is_measured_independently(resolved):
    """The same link precision and recall computed with pandas from the raw tables."""
    h, con, _ = resolved
    links = con.execute("SELECT record_id, entity_type, customer_id FROM core.identity_link").df()
    truth = con.execute(f"SELECT DISTINCT record_id, entity_type, customer_id "
                        f"FROM read_parquet('{h.sources}/external_truth.parquet')").df()
    j = links.merge(truth, on=["record_id", "entity_type"], suffixes=("_got", "_want"))
    assert len(j) == len(links)                       # every staged record has its truth
    q = measure(con, "core.identity_link", harness.truth(con, h))
    for kind, g in j.groupby("entity_type"):
        got, want = g["customer_id_got"], g["customer_id_want"]
        correct = ((got == want) & got.notna()).sum()
        assert q[kind]["precision"] == round(correct / got.notna().sum(), 4)
        assert q[kind]["recall"] == round(correct / want.notna().sum(), 4)


def test_every_staged_record_is_linked_or_a_prospect(resolved):
    _, con, notes = resolved
    for kind, table in (("person", "ext_person"), ("company", "ext_company")):
        staged = con.execute(f"SELECT count(*) FROM staging.current_{table}").fetchone()[0]
        got = con.execute("SELECT count(*), count(DISTINCT record_id), "
                          "count(*) FILTER (WHERE (customer_id IS NULL) = (prospect_id IS NULL)) "
                          "FROM core.identity_link WHERE entity_type = ?", [kind]).fetchone()
        assert got == (staged, staged, 0)
    total = con.execute("SELECT count(*) FROM core.identity_link").fetchone()[0]
    assert notes == [f"resolve identities: {total} external records: "
                     f"{con.execute('SELECT count(customer_id) FROM core.identity_link').fetchone()[0]}"
                     f" linked to customers, "
                     f"{con.execute('SELECT count(*) FROM core.dim_prospect').fetchone()[0]} prospects"]


def test_garbage_rows_are_quarantined_not_resolved(resolved):
    """Blank and junk lines of the vendor files never reach resolution; the rest all do."""
    h, con, _ = resolved
    truth = con.execute(f"SELECT count(DISTINCT record_id) FROM read_parquet("
                        f"'{h.sources}/external_truth.parquet')").fetchone()[0]
    linked = con.execute("SELECT count(*) FROM core.identity_link").fetchone()[0]
    assert linked == truth
    junk = con.execute("SELECT count(*) FROM quarantine.source_rows WHERE source IN "
                       "('purchased_people', 'purchased_companies')").fetchone()[0]
    assert junk > 0


def test_links_carry_rule_weight_and_the_current_customer_key(resolved):
    _, con, _ = resolved
    bad = con.execute("""
        SELECT count(*) FROM core.identity_link l
        LEFT JOIN core.dim_customer d ON d.customer_key = l.customer_key
        WHERE l.customer_id IS NOT NULL
          AND (d.customer_id IS DISTINCT FROM l.customer_id OR NOT d.is_current
               OR l.match_rule IS NULL OR l.match_probability IS NULL
               OR l.match_weight IS NULL)""").fetchone()[0]
    assert bad == 0
    splink = con.execute("""
        SELECT count(*), count(match_weight), min(match_probability)
        FROM core.identity_link WHERE match_rule LIKE 'splink: %'""").fetchone()
    assert splink[0] > 0 and splink[1] == splink[0] and splink[2] >= 0.9
    rules = {r[0] for r in con.execute("SELECT DISTINCT match_rule FROM core.identity_link")
             .fetchall()}
    assert {"email", "phone", "uscc", "unmatched: prospect"} <= rules


def test_prospects_are_not_customers(resolved):
    h, con, _ = resolved
    n_prospects = con.execute("SELECT count(DISTINCT prospect_id) FROM core.identity_link "
                              "WHERE prospect_id IS NOT NULL").fetchone()[0]
    dim = con.execute("SELECT count(*), count(DISTINCT prospect_id), sum(n_records) "
                      "FROM core.dim_prospect").fetchone()
    in_links = con.execute("SELECT count(*) FROM core.identity_link WHERE prospect_id IS NOT NULL"
                           ).fetchone()[0]
    assert dim == (n_prospects, n_prospects, in_links)
    # most prospects are true prospects (entities 'X…') in the truth
    share = con.execute(f"""
        SELECT avg(CASE WHEN t.customer_id IS NULL THEN 1 ELSE 0 END)
        FROM core.identity_link l JOIN read_parquet('{h.sources}/external_truth.parquet') t
            USING (record_id) WHERE l.prospect_id IS NOT NULL""").fetchone()[0]
    assert share >= 0.98


def test_profile_follows_the_survivorship_rules(resolved):
    """income_cny (most recent, then lowest record id) and industry (CRM first) recomputed
    with pandas from the staged rows and the links."""
    _, con, _ = resolved
    links = con.execute("SELECT record_id, customer_id FROM core.identity_link "
                        "WHERE customer_id IS NOT NULL").df()
    people = con.execute("SELECT record_id, income_cny, as_of FROM staging.current_ext_person "
                         "WHERE income_cny IS NOT NULL").df().merge(links, on="record_id")
    people = people.sort_values(["customer_id", "as_of", "record_id"],
                                ascending=[True, False, True])
    want = people.groupby("customer_id").first()["income_cny"]
    got = con.execute("SELECT customer_id, income_cny FROM core.customer_profile "
                      "WHERE income_cny IS NOT NULL").df().set_index("customer_id")["income_cny"]
    assert len(want) > 50
    pd.testing.assert_series_equal(got.sort_index().astype(float), want.sort_index().astype(float),
                                   check_names=False)
    crm = con.execute("SELECT customer_id, industry FROM staging.current_customer "
                      "WHERE industry IS NOT NULL").df().set_index("customer_id")["industry"]
    prof = con.execute("SELECT customer_id, industry FROM core.customer_profile p "
                       "JOIN core.identity_link l USING (customer_id) "
                       "WHERE l.entity_type = 'company' GROUP BY ALL").df()
    prof = prof.set_index("customer_id")["industry"]
    both = prof.index.intersection(crm.index)
    assert len(both) > 20
    assert (prof[both] == crm[both]).all()


def test_lineage_names_the_winning_record(resolved):
    _, con, _ = resolved
    wrong = con.execute("""
        SELECT count(*) FROM core.profile_lineage g
        JOIN staging.current_ext_person s ON s.record_id = g.record_id
        WHERE g.entity = 'customer' AND g.attribute = 'age_band' AND g.value <> s.age_band
    """).fetchone()[0]
    assert wrong == 0
    conflicts = con.execute("SELECT count(*) FROM core.profile_lineage WHERE distinct_values > 1 "
                            "AND attribute = 'employee_band'").fetchone()[0]
    assert conflicts > 0        # the vendor disagrees with the CRM now and then
    sources = {r[0] for r in con.execute("SELECT DISTINCT source FROM core.profile_lineage")
               .fetchall()}
    assert sources == {"crm", "purchased_people", "purchased_companies"}


def test_benchmark_staging_matches_the_file_contracts(resolved):
    """The benchmark stages records with plain SQL; on the same files it must give what the
    file contracts' rules give (so its P/R are measured on the same values)."""
    from warehouse.demo import external_stage as es

    h, con, _ = resolved
    es.register(con)
    archived = sorted((h.landing / "purchased_people" / "_archive").iterdir())[-1]
    es.read_people_files(con, archived, "raw_people")
    con.execute("CREATE TEMP TABLE plain AS " + es.latest(es.people_sql("raw_people", "T")))
    cols = ["full_name", "gender", "birth_date", "phone", "email", "province_code", "city_name",
            "address", "income_cny", "attitude_price", "as_of"]
    diff = con.execute(f"""
        SELECT count(*) FROM plain p FULL JOIN staging.current_ext_person s USING (record_id)
        WHERE ({', '.join(f'p.{c}' for c in cols)}) IS DISTINCT FROM
              ({', '.join(f's.{c}' for c in cols)})""").fetchone()[0]
    assert diff == 0


RESOLUTION_SUITES = {f"core.{t}" for t in RESOLUTION_TABLES}


def test_the_resolution_tables_pass_their_suites_and_the_suites_catch_a_bad_link(resolved):
    _, con, _ = resolved
    load_id = con.execute("SELECT max(load_id) FROM meta.loads").fetchone()[0]
    found = con.execute(
        "SELECT suite, count(*), count(*) FILTER (WHERE NOT success) FROM "
        "meta.expectation_results WHERE load_id = ? AND suite IN (SELECT unnest(?)) GROUP BY 1",
        [load_id, sorted(RESOLUTION_SUITES)]).fetchall()
    suites = load_suites()
    assert row_counts(con) == {t: con.execute(f"SELECT count(*) FROM core.{t}").fetchone()[0]
                               for t in RESOLUTION_TABLES}
    assert all(row_counts(con).values())
    assert {s: (n, bad) for s, n, bad in found} == {
        s: (len(suites[s].expectations), 0) for s in RESOLUTION_SUITES}

    # A record both linked and a prospect, and a link to a customer key that is not current.
    con.execute("CREATE TEMP TABLE _kept AS SELECT * FROM core.identity_link")
    try:
        con.execute("UPDATE core.identity_link SET prospect_id = 'PX' WHERE record_id = "
                    "(SELECT min(record_id) FROM core.identity_link WHERE customer_id IS NOT NULL)")
        con.execute("UPDATE core.identity_link SET customer_key = -1 WHERE record_id = "
                    "(SELECT max(record_id) FROM core.identity_link WHERE customer_id IS NOT NULL)")
        target = Target(scope="SELECT * FROM core.identity_link", universe="core.identity_link",
                        keys=())
        results = evaluate(con, suites["core.identity_link"], target,
                           Params(date(2025, 1, 1), load_id))
        failed = {r.expectation: r.unexpected_count for r in results if not r.success}
        assert len(failed) == 2 and set(failed.values()) == {1}, failed
        assert all(r.severity == "blocking" for r in results if not r.success)
    finally:
        con.execute("DELETE FROM core.identity_link; INSERT INTO core.identity_link "
                    "SELECT * FROM _kept; DROP TABLE _kept")
