"""`crmwh status`: what is served, recent load attempts, row accounting and checks."""

from __future__ import annotations

from warehouse import runlog
from warehouse.cli.output import console, print_rows
from warehouse.config import Home
from warehouse.duck import table_exists
from warehouse.publish import SnapshotStore


def show_status(home: Home) -> None:
    store = SnapshotStore(home)
    current = store.current()
    history = store.history()
    print_rows(["snapshot", "business date", "published at", "current"],
               [(s.id, s.business_date, s.published_at.isoformat(timespec="seconds"),
                 "*" if current and s.id == current.id else "") for s in history[:10]],
               title="Snapshots")
    attempts = [e for e in runlog.recent(home, 50) if e.get("status") != "started"][-10:]
    print_rows(["at", "load", "business date", "status", "detail"],
               [(e["at"], e.get("load_id"), e.get("business_date"), e.get("status"),
                 (e.get("error") or e.get("snapshot") or "")[:200]) for e in attempts],
               title="Recent load attempts")
    if current is None:
        console.print("no snapshot published yet: run `crmwh load`")
        return
    con = store.connect()
    try:
        load_id = con.execute(
            "SELECT load_id FROM meta.loads ORDER BY business_date DESC LIMIT 1").fetchone()[0]
        rows = con.execute(
            "SELECT source || '.' || source_table, rows_extracted, rows_loaded, rows_merged, "
            "rows_quarantined, deletes_detected, "
            "CASE WHEN rows_extracted = rows_loaded + rows_merged + rows_quarantined "
            "THEN 'yes' ELSE 'NO' END FROM meta.batches WHERE load_id = ? ORDER BY 1",
            [load_id]).fetchall()
        high = con.execute("SELECT max(watermark_to) FROM meta.batches WHERE load_id = ?",
                           [load_id]).fetchone()[0]
        print_rows(["source table", "read", "loaded", "merged", "quarantined", "deletes",
                    "balanced"], rows,
                   title=f"Row accounting, load {load_id} (watermarks up to {high})")
        _show_files(con, load_id)
        checks = con.execute(
            "SELECT count(*) FILTER (WHERE passed), count(*) FILTER (WHERE NOT passed) "
            "FROM meta.checks WHERE load_id = ?", [load_id]).fetchone()
        failing = con.execute("SELECT check_name, detail FROM meta.checks WHERE load_id = ? "
                              "AND NOT passed", [load_id]).fetchall()
        console.print(f"checks: {checks[0]} passed, {checks[1]} failed")
        unmatched = con.execute(
            "SELECT erp_customer_id, erp_customer_code, erp_name FROM core.customer_xref "
            "WHERE customer_id IS NULL ORDER BY 1").fetchall()
        if unmatched:
            print_rows(["erp debtor", "code", "name"], unmatched[:10],
                       title=f"ERP debtors not matched to a CRM customer ({len(unmatched)}, first 10)")
        if failing:
            print_rows(["check", "detail"], failing, title="Failed checks")
        from warehouse.cli.quarantine import show_quality
        show_quality(con, load_id)
    finally:
        con.close()


def _show_files(con, load_id: str) -> None:
    """The load's landed files: taken in (with their row accounting), skipped as duplicates,
    or rejected as a whole (with the reason; the file waits in landing/<source>/_rejected/)."""
    if not table_exists(con, "meta", "file_manifests"):
        return
    rows = con.execute(
        "SELECT source, file_name, status, size_bytes, rows_read, rows_loaded, rows_merged, "
        "rows_quarantined, CASE WHEN rows_read IS NULL THEN '' WHEN rows_read = rows_loaded "
        "+ rows_merged + rows_quarantined THEN 'yes' ELSE 'NO' END, "
        "coalesce(left(reason, 120), '') FROM meta.file_manifests WHERE load_id = ? "
        "ORDER BY source, file_name", [load_id]).fetchall()
    if rows:
        print_rows(["source", "file", "status", "bytes", "read", "loaded", "merged",
                    "quarantined", "balanced", "reason"], rows,
                   title=f"Landed files, load {load_id}")
