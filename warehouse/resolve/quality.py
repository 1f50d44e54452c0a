"""Matching quality against the demo generator's truth: precision and recall of customer
links per record, and pairwise precision and recall of the duplicate clusters."""

from __future__ import annotations

import duckdb


def measure(con: duckdb.DuckDBPyConnection, links: str, truth: str) -> dict[str, dict]:
    """Per entity type: link precision/recall and cluster pair precision/recall.
    `links`: (record_id, entity_type, customer_id, cluster_id); `truth`: (record_id,
    entity_type, entity, customer_id), one row per record."""
    out: dict[str, dict] = {}
    rows = con.execute(f"""
        WITH t AS (SELECT DISTINCT record_id, entity_type, entity, customer_id FROM {truth}),
        j AS (
            SELECT l.entity_type, l.record_id, l.customer_id AS got, t.customer_id AS want,
                   l.cluster_id, t.entity
            FROM {links} l JOIN t USING (record_id, entity_type)
        )
        SELECT entity_type, count(*) AS records,
               count(got) AS predicted, count(want) AS actual,
               count(*) FILTER (WHERE got = want) AS correct
        FROM j GROUP BY entity_type ORDER BY entity_type
    """).fetchall()
    for kind, records, predicted, actual, correct in rows:
        out[kind] = {"records": records, "links_predicted": predicted, "links_true": actual,
                     "links_correct": correct,
                     "precision": round(correct / predicted, 4) if predicted else None,
                     "recall": round(correct / actual, 4) if actual else None}
    pairs = con.execute(f"""
        WITH t AS (SELECT DISTINCT record_id, entity_type, entity FROM {truth}),
        j AS (SELECT l.entity_type, l.cluster_id, t.entity
              FROM {links} l JOIN t USING (record_id, entity_type)),
        both_ AS (SELECT entity_type, count(*) AS n FROM j GROUP BY entity_type, cluster_id, entity),
        pred AS (SELECT entity_type, count(*) AS n FROM j GROUP BY entity_type, cluster_id),
        act AS (SELECT entity_type, count(*) AS n FROM j GROUP BY entity_type, entity)
        SELECT k.entity_type,
               (SELECT sum(n * (n - 1) / 2) FROM both_ b WHERE b.entity_type = k.entity_type),
               (SELECT sum(n * (n - 1) / 2) FROM pred p WHERE p.entity_type = k.entity_type),
               (SELECT sum(n * (n - 1) / 2) FROM act a WHERE a.entity_type = k.entity_type)
        FROM (SELECT DISTINCT entity_type FROM j) k
    """).fetchall()
    for kind, tp, pred, act in pairs:
        tp, pred, act = int(tp or 0), int(pred or 0), int(act or 0)
        out[kind].update({"duplicate_pairs_true": act, "duplicate_pairs_predicted": pred,
                          "duplicate_pair_precision": round(tp / pred, 4) if pred else None,
                          "duplicate_pair_recall": round(tp / act, 4) if act else None})
    return out
