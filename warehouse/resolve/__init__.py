"""Identity resolution of external records: link them to CRM customers (deterministic keys,
then Splink's stored model), cluster duplicates, turn the rest into prospects, and build the
enriched customer profile by declared survivorship rules.

`resolve_identities` is the one call the nightly build makes, after facts; it reads the
staged external entities and does nothing (with a note) when none are staged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.resolve import (
    clusters,
    deterministic,
    features,
    link,
    model,
    outputs,
    probabilistic,
)
from warehouse.resolve import survivorship as surv
from warehouse.resolve.config import (
    RESOLVE_DIR,
    ResolveSettings,
    Survivorship,
    load_settings,
    load_survivorship,
    model_path,
)

__all__ = ["ResolveResult", "resolve_identities", "staged_kinds"]


@dataclass
class ResolveResult:
    note: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                         "'staging' AND table_name = ?", [f"current_{table}"]).fetchone()[0]
    if not exists:
        return 0
    return int(con.execute(f"SELECT count(*) FROM staging.current_{table}").fetchone()[0])


def staged_kinds(con: duckdb.DuckDBPyConnection, folder: Path = RESOLVE_DIR) -> dict[str, int]:
    """Entity kinds with staged external rows, and how many."""
    settings = load_settings(folder)
    found = {kind: _rows(con, ent.staged) for kind, ent in settings.entities.items()}
    return {k: n for k, n in found.items() if n}


def resolve_identities(con: duckdb.DuckDBPyConnection, *, load_id: str,
                       folder: Path = RESOLVE_DIR) -> ResolveResult:
    """Build core.identity_link, core.dim_prospect, core.customer_profile and
    core.profile_lineage from the staged external records."""
    settings = load_settings(folder)
    rules = load_survivorship(folder)
    kinds = staged_kinds(con, folder)
    if not kinds:
        return ResolveResult("no external records staged: identity resolution skipped")
    # Splink's pair tables spill to the connection's temp_directory beyond this limit; the
    # build's own limit comes back afterwards
    previous = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{settings.memory_limit}'")
    try:
        return _resolve(con, settings, rules, kinds, load_id, folder)
    finally:
        con.execute(f"SET memory_limit = '{previous}'")


def _resolve(con: duckdb.DuckDBPyConnection, settings: ResolveSettings, rules: Survivorship,
             kinds: dict[str, int], load_id: str, folder: Path) -> ResolveResult:
    features.register_macros(con)
    features.contact_emails(con, "rs_contacts")
    parts, counts = [], {}
    for kind in kinds:
        ent = settings.entities[kind]
        path = model_path(ent, folder)
        ext, internal = f"rs_ext_{kind}", f"rs_int_{kind}"
        features.external(con, kind, ent.staged, ext)
        features.internal(con, kind, internal)
        weights = model.key_weights(path, deterministic.key_columns(ent.deterministic))
        conflicts = deterministic.links(con, ent.deterministic, ext, internal,
                                        "rs_contacts" if kind == "company" else None,
                                        f"rs_det_{kind}", weights)
        cols = ", ".join(features.COLUMNS[kind])
        con.execute(f"CREATE OR REPLACE TEMP TABLE rs_sp_ext AS SELECT {cols} FROM {ext}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE rs_sp_int AS SELECT {cols} FROM {internal}")
        probabilistic.link_pairs(con, path, "rs_sp_ext", "rs_sp_int", f"rs_det_{kind}",
                                 "rs_pairs")
        link.decide(con, ext, f"rs_det_{kind}", "rs_pairs", ent.link_threshold, "rs_links")
        probabilistic.dedupe_pairs(con, path, "rs_sp_ext", ent.dedupe_threshold, "rs_dedupe")
        clusters.edges(con, ext, "rs_dedupe", "rs_edges", _edge_weights(path, kind))
        clusters.components(con, ext, "rs_edges", "rs_comps")
        clusters.assign(con, ext, "rs_links", "rs_edges", "rs_comps", kind, f"rs_assign_{kind}")
        counts[kind] = _count(con, f"rs_assign_{kind}", conflicts)
        parts.append((kind, ext, f"rs_assign_{kind}"))
        for t in ("rs_sp_ext", "rs_sp_int", "rs_pairs", "rs_links", "rs_dedupe", "rs_edges",
                  "rs_comps", f"rs_det_{kind}", internal):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    outputs.identity_link(con, parts, load_id)
    _survive(con, rules, kinds, settings, load_id)
    for kind in kinds:
        con.execute(f"DROP TABLE IF EXISTS rs_ext_{kind}")
        con.execute(f"DROP TABLE IF EXISTS rs_assign_{kind}")
    con.execute("DROP TABLE IF EXISTS rs_contacts")
    linked = sum(c["linked"] for c in counts.values())
    total = sum(c["records"] for c in counts.values())
    return ResolveResult(f"{total} external records: {linked} linked to customers, "
                         f"{sum(c['prospects'] for c in counts.values())} prospects", counts)


def _edge_weights(path: Path, kind: str) -> dict[str, float]:
    """Exact-match weights of the keys that make duplicate edges (persons have no USCC)."""
    return model.key_weights(path, [k for k in clusters.KEYS
                                    if k in features.COLUMNS[kind]])


def _count(con: duckdb.DuckDBPyConnection, assign: str, conflicts: int) -> dict[str, int]:
    row = con.execute(f"""
        SELECT count(*), count(customer_id),
               count(*) FILTER (WHERE customer_id IS NOT NULL AND NOT starts_with(rule, 'splink')
                                AND rule <> 'duplicate of a linked record'),
               count(*) FILTER (WHERE starts_with(rule, 'splink')),
               count(*) FILTER (WHERE rule = 'duplicate of a linked record'),
               count(DISTINCT prospect_id)
        FROM {assign}""").fetchone()
    return {"records": row[0], "linked": row[1], "deterministic": row[2], "splink": row[3],
            "via_duplicate": row[4], "prospects": row[5], "key_conflicts": conflicts}


def _survive(con: duckdb.DuckDBPyConnection, rules: Survivorship, kinds: dict[str, int],
             settings: ResolveSettings, load_id: str) -> None:
    feeds_c, feeds_p = [], []
    for kind in kinds:
        t = f"staging.current_{settings.entities[kind].staged}"
        join = "JOIN core.identity_link l ON l.record_id = s.record_id AND l.entity_type = " \
               f"'{kind}'"
        feeds_c.append((t, "CAST(l.customer_id AS VARCHAR)", join + " AND l.customer_id IS NOT NULL"))
        feeds_p.append((t, "l.prospect_id", join + " AND l.prospect_id IS NOT NULL"))
    # the CRM's own values compete for the linked customers
    crm = ("staging.current_customer", "CAST(s.customer_id AS VARCHAR)",
           "JOIN (SELECT DISTINCT customer_id FROM core.identity_link) l "
           "ON l.customer_id = s.customer_id")
    surv.candidates(con, rules.customer_profile, [*feeds_c, crm], "rs_cand_c")
    surv.pick(con, rules, rules.customer_profile, "rs_cand_c", "rs_lin_c", "rs_wide_c",
              "customer_id")
    surv.candidates(con, rules.prospect, feeds_p, "rs_cand_p")
    surv.pick(con, rules, rules.prospect, "rs_cand_p", "rs_lin_p", "rs_wide_p", "prospect_id")
    outputs.customer_profile(con, "rs_wide_c", load_id)
    outputs.dim_prospect(con, "rs_wide_p", load_id)
    outputs.profile_lineage(con, "rs_lin_c", "rs_lin_p", load_id)
    for t in ("rs_cand_c", "rs_lin_c", "rs_wide_c", "rs_cand_p", "rs_lin_p", "rs_wide_p"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
