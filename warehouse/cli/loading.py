"""`crmwh load`: run loads with a live progress display and print what each did."""

from __future__ import annotations

from datetime import date

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from warehouse.cli.output import console, print_rows
from warehouse.config import Home
from warehouse.load import LoadResult, run_load


def run_dates(home: Home, dates: list[date | None]) -> list[LoadResult]:
    results = []
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("load", total=len(dates))
        for i, day in enumerate(dates, 1):
            label = f"[{i}/{len(dates)}] {day or 'latest'}"
            progress.update(task, description=label)
            result = run_load(home, day, progress=lambda msg, label=label: progress.update(
                task, description=f"{label}: {msg}"))
            progress.advance(task)
            results.append(result)
            console.print(f"[green]published[/] {result.snapshot.id} "
                          f"(business date {result.business_date}, {result.duration_s:.1f} s)")
    if results:
        summarise(results[-1])
    return results


def summarise(result: LoadResult) -> None:
    rows = [(f"{b.source}.{b.table}", b.counts.rows_extracted, b.counts.rows_loaded,
             b.counts.rows_merged, b.counts.rows_quarantined, b.counts.deletes_detected)
            for b in result.batches]
    print_rows(["source table", "read", "loaded", "merged", "quarantined", "deletes"], rows,
               title=f"Row accounting, load {result.load_id}")
    rows = [(name, c.rows_inserted, c.rows_updated, c.rows_deleted, c.rows_after)
            for name, c in result.changes.items()]
    print_rows(["core table", "inserted", "updated", "deleted", "rows"], rows,
               title="Core tables")
    failed = [c for c in result.checks if not c.passed]
    console.print(f"checks: {len(result.checks) - len(failed)} passed, {len(failed)} failed; "
                  f"unmatched ERP debtors: {result.unmatched_erp_customers}")
