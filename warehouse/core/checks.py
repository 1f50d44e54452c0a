"""Blocking checks run on the build file before it may be published."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.contracts.model import Model
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit


@dataclass(frozen=True)
class CheckResult:
    name: str
    table: str | None
    passed: bool
    detail: str
    severity: str = "blocking"


def _scalar(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def row_accounting(con: duckdb.DuckDBPyConnection, load_id: str) -> CheckResult:
    bad = con.execute(
        "SELECT source || '.' || source_table, rows_extracted, rows_loaded, rows_merged, "
        "rows_quarantined FROM meta.batches WHERE load_id = ? AND rows_extracted <> "
        "rows_loaded + rows_merged + rows_quarantined", [load_id]).fetchall()
    detail = "; ".join(f"{t}: read {e} != loaded {lo} + merged {m} + quarantined {qu}"
                       for t, e, lo, m, qu in bad) or "read = loaded + merged + quarantined"
    return CheckResult("row_accounting", "meta.batches", not bad, detail)


def dimension_checks(con: duckdb.DuckDBPyConnection, model: Model) -> list[CheckResult]:
    results = []
    for name, dim in model.dimensions.items():
        t, nk, sk = f"core.{q(name)}", q(dim.natural_key), q(dim.surrogate_key)
        dup_sk = _scalar(con, f"SELECT count(*) - count(DISTINCT {sk}) FROM {t}")
        results.append(CheckResult(f"{name}.surrogate_key_unique", name, dup_sk == 0,
                                   f"{dup_sk} duplicated surrogate keys"))
        multi = _scalar(con, f"SELECT count(*) FROM (SELECT {nk} FROM {t} WHERE is_current "
                             f"AND {nk} IS NOT NULL GROUP BY 1 HAVING count(*) > 1)")
        results.append(CheckResult(f"{name}.one_current_version", name, multi == 0,
                                   f"{multi} natural keys with several current versions"))
        overlap = _scalar(con, f"SELECT count(*) FROM (SELECT valid_from, lead(valid_from) OVER "
                               f"(PARTITION BY {nk} ORDER BY valid_from) AS nxt, valid_to "
                               f"FROM {t} WHERE {nk} IS NOT NULL) WHERE nxt IS NOT NULL "
                               f"AND nxt <> valid_to")
        results.append(CheckResult(f"{name}.contiguous_versions", name, overlap == 0,
                                   f"{overlap} versions whose validity has a gap or overlap"))
    return results


def fact_checks(con: duckdb.DuckDBPyConnection, model: Model,
                load_id: str) -> list[CheckResult]:
    """Grain and references of the fact rows this load wrote; the rest passed when written
    (dimension rows are never deleted, so an old fact row cannot lose its member)."""
    results = []
    for name, fact in model.facts.items():
        t = f"core.{q(name)}"
        keys = ", ".join(q(k) for k in fact.key)
        written = f"_load_id = {lit(load_id)}"
        # Rows of every key a load touches are replaced, so the table is unique by grain
        # exactly when the rows this load wrote are (a fan-out in the select would show here).
        dup = _scalar(con, f"SELECT count(*) FROM (SELECT {keys} FROM {t} WHERE {written} "
                           f"GROUP BY ALL HAVING count(*) > 1)")
        results.append(CheckResult(f"{name}.grain_unique", name, dup == 0,
                                   f"{dup} duplicated grain keys ({', '.join(fact.key)})"))
        for key_col, lookup in fact.lookups.items():
            dim = model.dimensions[lookup.dim]
            orphans = _scalar(con, f"SELECT count(*) FROM {t} f WHERE f.{written} AND NOT "
                                   f"EXISTS (SELECT 1 FROM core.{q(lookup.dim)} d WHERE "
                                   f"d.{q(dim.surrogate_key)} = f.{q(key_col)})")
            results.append(CheckResult(f"{name}.{key_col}_references_{lookup.dim}", name,
                                       orphans == 0, f"{orphans} rows without a dimension row"))
        for key_col in fact.dates:
            orphans = _scalar(con, f"SELECT count(*) FROM {t} f WHERE f.{written} AND NOT "
                                   f"EXISTS (SELECT 1 FROM core.dim_date d WHERE "
                                   f"d.date_key = f.{q(key_col)})")
            results.append(CheckResult(f"{name}.{key_col}_references_dim_date", name,
                                       orphans == 0, f"{orphans} rows outside the calendar"))
    return results


def sales_reconcile_to_source(con: duckdb.DuckDBPyConnection) -> CheckResult:
    """Revenue in core equals the live order lines in staging, to the cent."""
    core_total, stage_total = con.execute(
        "SELECT (SELECT coalesce(sum(net_amount), 0) FROM core.fact_sales_line), "
        # An anti-join against the few deleted orders, not a join against every order: the
        # same lines (orphans included), a fraction of the work on millions of lines.
        "(SELECT coalesce(sum(l.line_amount), 0) FROM staging.current_order_line l "
        " ANTI JOIN (SELECT order_id FROM staging.current_order WHERE _deleted) o "
        " ON o.order_id = l.order_id WHERE NOT l._deleted)").fetchone()
    return CheckResult("fact_sales_line.net_amount_reconciles", "fact_sales_line",
                       core_total == stage_total, f"core {core_total} vs staging {stage_total}")


def run_checks(con: duckdb.DuckDBPyConnection, model: Model, load_id: str) -> list[CheckResult]:
    results = [row_accounting(con, load_id)]
    results += dimension_checks(con, model)
    results += fact_checks(con, model, load_id)
    results.append(sales_reconcile_to_source(con))
    rows = [(load_id, r.name, r.table, r.severity, r.passed, r.detail) for r in results]
    con.execute("INSERT OR REPLACE INTO meta.checks SELECT * FROM (VALUES " +  # one statement
                ", ".join("(?, ?, ?, ?, ?, ?)" for _ in rows) + ")", [v for r in rows for v in r])
    return results
