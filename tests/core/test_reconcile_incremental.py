"""Incremental reconciliation against the full one, over random days of changes.

Each day changes a few CRM customers and ERP debtors the way staging does (the replaced
version moves to superseded, the new one is current with the day's batch id; deletes are
tombstones). Values come from tiny pools, so rules collide, go ambiguous and fall through.
After every day, the links the incremental pass left must equal a full recompute's.
"""

from __future__ import annotations

import random

import duckdb
import pytest

from warehouse.config import MODEL_DIR
from warehouse.contracts.model import load_model
from warehouse.core.reconcile import reconcile_customers
from warehouse.stage.schema import create_all

MODEL = load_model(MODEL_DIR)
RULES = MODEL.reconciliation
NOS = [f"C{i:03d}" for i in range(6)] + [None]
TAX_IDS = ["91-31A", "9131a", "91 32B", None]
EMAILS = ["a@x.cn", " A@X.cn", "b@x.cn", "c@x.cn", None]
XREF = "SELECT * FROM core.customer_xref ORDER BY erp_customer_id"


def _stage(con: duckdb.DuckDBPyConnection, entity: str, key: str, row: dict, batch: str,
           deleted: bool) -> None:
    """What staging's append does: the current version moves to superseded, the new one is
    current (a delete is a tombstone: the last values, flagged)."""
    current, old = f"staging.current_{entity}", f"staging.superseded_{entity}"
    con.execute(f"INSERT INTO {old} SELECT * FROM {current} WHERE {key} = ?", [row[key]])
    con.execute(f"DELETE FROM {current} WHERE {key} = ?", [row[key]])
    cols = ", ".join(row)
    marks = ", ".join("?" * len(row))
    con.execute(f"INSERT INTO {current} ({cols}, _batch_id, _source, _source_table, _deleted, "
                f"_row_hash) VALUES ({marks}, ?, 'test', ?, ?, 0)",
                [*row.values(), batch, entity, deleted])


def _customer(rng: random.Random, cid: int) -> dict:
    return {"customer_id": cid, "customer_no": rng.choice(NOS[:-1]),
            "tax_id": rng.choice(TAX_IDS), "email": rng.choice(EMAILS)}


def _debtor(rng: random.Random, did: int) -> dict:
    return {"erp_customer_id": did, "erp_customer_code": f"D{did}", "name": f"debtor {did}",
            "crm_customer_no": rng.choice(NOS), "tax_id": rng.choice(TAX_IDS),
            "email": rng.choice(EMAILS)}


@pytest.mark.parametrize("seed", range(6))
def test_incremental_links_equal_a_full_recompute(seed: int) -> None:
    rng = random.Random(seed)
    con = duckdb.connect()
    create_all(con, MODEL.staging)
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    customers, debtors = {}, {}
    for day in range(12):
        batch = f"L202501{day + 1:02d}"
        for _ in range(rng.randint(1, 5)):
            cid = rng.randint(1, 8)
            deleted = cid in customers and rng.random() < 0.2
            customers[cid] = customers.get(cid) if deleted else _customer(rng, cid)
            _stage(con, "customer", "customer_id", customers[cid], batch, deleted)
        for _ in range(rng.randint(0, 4)):
            did = rng.randint(1, 10)
            deleted = did in debtors and rng.random() < 0.2
            debtors[did] = debtors.get(did) if deleted else _debtor(rng, did)
            _stage(con, "erp_customer", "erp_customer_id", debtors[did], batch, deleted)
        reconcile_customers(con, RULES, batch)
        incremental = con.execute(XREF).fetchall()
        changed = {r[0] for r in con.execute("SELECT * FROM _xref_changed").fetchall()}
        before = {r[0]: r for r in incremental}
        reconcile_customers(con, RULES)  # the full pass, over the same state
        full = con.execute(XREF).fetchall()
        assert incremental == full, f"seed {seed} day {day + 1}"
        # the full pass found nothing the incremental one left out
        assert not con.execute("SELECT * FROM _xref_changed").fetchall()
        assert changed <= set(before)
    assert len(full) > 3 and any(r[4] is None for r in full) and any(r[4] for r in full)


def _linked_by_email(seed: int) -> duckdb.DuckDBPyConnection:
    """One customer and one debtor sharing only an e-mail, reconciled on load L1."""
    con = duckdb.connect()
    create_all(con, MODEL.staging)
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    rng = random.Random(seed)
    _stage(con, "customer", "customer_id", {"customer_id": 1, "customer_no": "C001",
                                            "tax_id": None, "email": "a@x.cn"}, "L1", False)
    _stage(con, "erp_customer", "erp_customer_id", {**_debtor(rng, 1), "crm_customer_no": None,
                                                   "email": "a@x.cn"}, "L1", False)
    reconcile_customers(con, RULES, "L1")
    assert con.execute("SELECT match_rule FROM core.customer_xref").fetchall() == [("email",)]
    return con


def test_changed_rules_match_every_debtor_again() -> None:
    con = _linked_by_email(seed=1)
    no_email = RULES.model_copy(update={"rules": RULES.rules[:2]})
    # nothing came in on L2, yet the debtor is matched again under the new rules
    reconcile_customers(con, no_email, "L2")
    assert con.execute("SELECT match_rule FROM core.customer_xref").fetchall() == [(None,)]


def test_a_version_a_gate_puts_back_is_matched_again() -> None:
    """Debtor 1 is staged and found hard-deleted in L1 (its live row and its tombstone tie on
    batch and watermark). In L2 its new version is held back by a gate, which puts back the
    version the base served (the tombstone), and the incremental pass looks at that debtor
    again, as a full pass does."""
    from datetime import datetime

    from warehouse.contracts.types import duckdb_type
    from warehouse.load import load_contracts
    from warehouse.quality.evaluate import HITS
    from warehouse.quality.quarantine import move_rows
    from warehouse.stage.apply import _tombstone_missing, stage_table

    sources, model = load_contracts()
    erp, crm = sources["erp"], sources["crm"]
    debtors, customers = erp.tables["ar_customer"], crm.tables["customers"]
    entity = model.staging.entities["erp_customer"]
    con = duckdb.connect()
    create_all(con, model.staging)
    con.execute("CREATE SCHEMA IF NOT EXISTS core")

    def source(table, name: str, row: dict) -> None:
        cols = ", ".join(f"NULL::{duckdb_type(table.columns[c].type)} AS {c}"
                         for c in table.columns)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM (SELECT {cols}) "
                    f"WHERE false")
        con.execute(f"INSERT INTO {name} ({', '.join(row)}) VALUES "
                    f"({', '.join('?' * len(row))})", list(row.values()))

    source(customers, "c", {"customer_id": 7, "customer_no": "C7",
                            "updated_at": datetime(2025, 1, 1)})
    stage_table(con, load_id="L1", source=crm, table=customers, entity_name="customer",
                entity=model.staging.entities["customer"], relation="SELECT * FROM c",
                missing=set())
    source(debtors, "e", {"cust_id": 1, "crm_ref": "C7", "last_modified": datetime(2025, 1, 1)})
    stage_table(con, load_id="L1", source=erp, table=debtors, entity_name="erp_customer",
                entity=entity, relation="SELECT * FROM e", missing=set())
    _tombstone_missing(con, "L1", erp, debtors, "erp_customer", list(entity.columns),
                       ["erp_customer_id"], "SELECT 2::BIGINT AS erp_customer_id")
    reconcile_customers(con, model.reconciliation, "L1")
    source(debtors, "e", {"cust_id": 1, "crm_ref": "C7", "last_modified": datetime(2025, 1, 2)})
    stage_table(con, load_id="L2", source=erp, table=debtors, entity_name="erp_customer",
                entity=entity, relation="SELECT * FROM e", missing=set())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {HITS} AS SELECT 1::BIGINT AS erp_customer_id, "
                f"'x' AS _exp, 'v' AS _value")
    move_rows(con, name="erp_customer", entity=entity, load_id="L2",
              failing={"x": (None, "quarantine")})
    # the version the base served comes back: the tombstone, not the live row it replaced
    assert con.execute("SELECT _batch_id, _deleted FROM staging.current_erp_customer "
                       "WHERE erp_customer_id = 1").fetchall() == [("L1", True)]
    reconcile_customers(con, model.reconciliation, "L2")
    incremental = con.execute(XREF).fetchall()
    reconcile_customers(con, model.reconciliation)
    assert incremental == con.execute(XREF).fetchall()


def test_a_renamed_debtor_keeps_its_link_and_shows_its_new_name() -> None:
    con = duckdb.connect()
    create_all(con, MODEL.staging)
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    customer = {"customer_id": 1, "customer_no": "C001", "tax_id": None, "email": None}
    debtor = {"erp_customer_id": 1, "erp_customer_code": "D1", "name": "old name",
              "crm_customer_no": "C001", "tax_id": None, "email": None}
    _stage(con, "customer", "customer_id", customer, "L1", False)
    _stage(con, "erp_customer", "erp_customer_id", debtor, "L1", False)
    reconcile_customers(con, RULES, "L1")
    _stage(con, "erp_customer", "erp_customer_id", {**debtor, "name": "new name"}, "L2", False)
    reconcile_customers(con, RULES, "L2")
    assert con.execute("SELECT erp_name, customer_id FROM core.customer_xref").fetchall() == [
        ("new name", 1)]
    assert not con.execute("SELECT * FROM _xref_changed").fetchall()  # the link did not move


def test_a_new_duckdb_version_matches_every_debtor_again(monkeypatch) -> None:
    """The rules' SQL is evaluated by DuckDB: after an upgrade the links are not taken on
    trust. A link made stale behind the load's back shows which pass ran."""
    con = _linked_by_email(seed=2)
    con.execute("UPDATE core.customer_xref SET match_rule = 'stale'")
    reconcile_customers(con, RULES, "L2")     # nothing staged, same rules and DuckDB
    assert con.execute("SELECT match_rule FROM core.customer_xref").fetchall() == [("stale",)]
    monkeypatch.setattr(duckdb, "__version__", "99.0.0")
    reconcile_customers(con, RULES, "L3")
    assert con.execute("SELECT match_rule FROM core.customer_xref").fetchall() == [("email",)]
