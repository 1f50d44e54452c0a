"""Every link records a weight: deterministic links (and duplicate edges on a shared key) that
Splink never scored carry the weight Splink's formula gives a pair known to agree on their key
alone (the prior plus that level's log2(m/u)), worked out here from the model file by its
level labels, so they sit on the scale of Splink's scored pairs."""

from __future__ import annotations

import json
import math

import duckdb
import pytest

from warehouse.errors import ContractError
from warehouse.resolve import clusters, deterministic, features, link
from warehouse.resolve.config import RESOLVE_DIR
from warehouse.resolve.model import exact_match_weight, key_weights, load

PEOPLE = RESOLVE_DIR / "people.json"


def label_weight(label: str) -> float:
    """Prior plus log2(m/u) of the level the model file labels `label`, from the JSON."""
    model = json.loads(PEOPLE.read_text(encoding="utf-8"))
    [level] = [lv for c in model["comparisons"] for lv in c["comparison_levels"]
               if lv.get("label_for_charts") == label]
    odds = model["probability_two_random_records_match"]
    return (math.log2(odds / (1 - odds))
            + math.log2(level["m_probability"] / level["u_probability"]))


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("CREATE TEMP TABLE ext (unique_id VARCHAR, email VARCHAR, phone_key VARCHAR, "
              "uscc VARCHAR)")
    c.execute("INSERT INTO ext VALUES ('e:1', 'a@x.cn', NULL, NULL), "
              "('e:2', NULL, '1380013800', NULL), ('e:3', 'b@x.cn', '1390013900', NULL), "
              "('e:4', NULL, '1390013900', NULL)")
    c.execute("CREATE TEMP TABLE internal (unique_id VARCHAR, customer_id BIGINT, email VARCHAR, "
              "phone_key VARCHAR)")
    c.execute("INSERT INTO internal VALUES ('i:10', 10, 'a@x.cn', NULL), "
              "('i:20', 20, NULL, '1380013800'), ('i:30', 30, 'b@x.cn', NULL)")
    yield c
    c.close()


def test_deterministic_links_carry_the_weight_of_their_key(con):
    keys = ["email", "phone"]
    weights = key_weights(PEOPLE, deterministic.key_columns(keys))
    deterministic.links(con, keys, "ext", "internal", None, "det", weights)
    # Splink scored only e:3 with customer 30; the other two pairs it never saw.
    con.execute("CREATE TEMP TABLE pairs AS SELECT 'e:3' AS ext_id, 'i:30' AS int_id, "
                "7.5::DOUBLE AS match_weight, 0.99::DOUBLE AS match_probability, "
                "'splink: x' AS rule")
    link.decide(con, "ext", "det", "pairs", 0.9, "links")
    got = dict(con.execute("SELECT unique_id, (customer_id, rule, match_weight) FROM links")
               .fetchall())
    assert got == {
        "e:1": (10, "email", pytest.approx(label_weight("Exact match on email"))),
        "e:2": (20, "phone", pytest.approx(label_weight("Exact match on phone_key"))),
        "e:3": (30, "email", 7.5)}
    # a key link's probability is its weight's, as Splink reads weights; Splink's own where it
    # scored the pair
    probability = dict(con.execute("SELECT unique_id, match_probability FROM links").fetchall())
    email, phone = (label_weight(f"Exact match on {k}") for k in ("email", "phone_key"))
    assert probability == {"e:1": pytest.approx(2 ** email / (1 + 2 ** email)),
                           "e:2": pytest.approx(2 ** phone / (1 + 2 ** phone)), "e:3": 0.99}


def test_a_duplicate_of_a_linked_record_carries_the_weight_of_the_shared_key(con):
    """e:4 shares e:3's phone; e:3 is linked by e-mail: e:4 joins it via the phone edge."""
    keys = ["email"]
    deterministic.links(con, keys, "ext", "internal", None, "det",
                        key_weights(PEOPLE, deterministic.key_columns(keys)))
    con.execute("CREATE TEMP TABLE pairs (ext_id VARCHAR, int_id VARCHAR, match_weight DOUBLE, "
                "match_probability DOUBLE, rule VARCHAR)")
    link.decide(con, "ext", "det", "pairs", 0.9, "links")
    con.execute("CREATE TEMP TABLE dedupe (a VARCHAR, b VARCHAR, match_weight DOUBLE, "
                "match_probability DOUBLE, rule VARCHAR)")
    clusters.edges(con, "ext", "dedupe", "edges", key_weights(PEOPLE, ["email", "phone_key"]))
    clusters.components(con, "ext", "edges", "comps")
    clusters.assign(con, "ext", "links", "edges", "comps", "person", "assigned")
    row = con.execute("SELECT customer_id, rule, match_weight FROM assigned "
                      "WHERE unique_id = 'e:4'").fetchone()
    assert row == (30, "duplicate of a linked record",
                   pytest.approx(label_weight("Exact match on phone_key")))
    assert con.execute("SELECT count(*) FROM assigned WHERE customer_id IS NOT NULL "
                       "AND match_weight IS NULL").fetchone()[0] == 0


def test_a_model_without_the_key_is_refused_by_name(tmp_path):
    with pytest.raises(ContractError, match=r"no trained exact-match level on 'uscc'"):
        exact_match_weight(json.loads(PEOPLE.read_text(encoding="utf-8")), "uscc", PEOPLE)


@pytest.mark.parametrize("key", ["email", "phone_key"])
def test_a_key_weight_is_what_splink_scores_a_pair_agreeing_on_that_key_alone(key):
    """Splink itself scores two records equal on `key` and NULL everywhere else (every other
    comparison at its null level, weight 0): the weight recorded for a key link."""
    from splink import DuckDBAPI, Linker

    con = duckdb.connect()
    columns = [c for c in features.COLUMNS["person"] if c not in ("unique_id", key)]
    nulls = ", ".join(f"NULL::{'DATE' if c == 'birth_date' else 'VARCHAR'} AS {c}"
                      for c in columns)
    for side, uid in (("l", "e:1"), ("r", "i:1")):
        con.execute(f"CREATE TABLE {side} AS SELECT '{uid}' AS unique_id, {nulls}, "
                    f"'1380013800' AS {key}")
    db = DuckDBAPI(connection=con)
    left, right = db.register("l"), db.register("r")
    linker = Linker([left, right], load(PEOPLE, "link_only"), log_level="WARNING")
    [scored] = linker.inference.score_pair(left, right).as_pandas_dataframe()[
        "match_weight"].tolist()
    assert key_weights(PEOPLE, [key])[key] == pytest.approx(scored)
    con.close()


def test_a_model_without_a_prior_is_refused(tmp_path):
    model = json.loads(PEOPLE.read_text(encoding="utf-8"))
    del model["probability_two_random_records_match"]
    with pytest.raises(ContractError, match="probability that two random records match"):
        exact_match_weight(model, "email", PEOPLE)
