"""`crmwh load`: run the Dagster nightly job in-process, with a live progress display.

The job is the same one the schedule runs, so CLI loads show up in the Dagster UI too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from warehouse.cli.output import console, print_rows
from warehouse.config import Home
from warehouse.errors import LoadError
from warehouse.load import LoadResult, latest_source_date, load_contracts, run_load


@dataclass
class CliRunner:
    """Stands in for the Dagster resource: same load, progress to the terminal, no retries."""

    home: Home
    report: object
    results: list[LoadResult] = field(default_factory=list)
    error: BaseException | None = None
    retries: int = 0
    accept_changes: frozenset[str] = frozenset()

    def load(self, business_date: date | None, progress=None) -> LoadResult:
        def both(msg: str) -> None:
            self.report(msg)
            if progress:
                progress(msg)
        try:
            result = run_load(self.home, business_date, progress=both,
                              accept_changes=self.accept_changes)
        except BaseException as exc:
            self.error = exc
            raise
        self.results.append(result)
        return result


MAX_CATCH_UP_DAYS = 31


def catch_up_dates(home: Home) -> list[date]:
    """Each business date after the served snapshot up to the sources' latest, so every night
    gets its periodic snapshot; a gap longer than a month is loaded in one step instead."""
    from warehouse.publish import SnapshotStore

    latest = latest_source_date(home, load_contracts()[0])
    current = SnapshotStore(home).current()
    if current is None or current.business_date is None or current.business_date >= latest:
        return [latest]
    days = (latest - current.business_date).days
    if days > MAX_CATCH_UP_DAYS:
        console.print(f"{days} days behind: loading up to {latest} in one step "
                      f"(use --from/--to for a snapshot per day)")
        return [latest]
    return [current.business_date + timedelta(days=i) for i in range(1, days + 1)]


def run_dates(home: Home, dates: list[date] | None,
              accept_changes: frozenset[str] = frozenset()) -> list[LoadResult]:
    """Load each date in order (None: catch up to the sources' latest business date)."""
    os.environ.setdefault("DAGSTER_HOME", str(home.dagster))
    dates = dates or catch_up_dates(home)
    from dagster import DagsterInstance

    from pipelines.definitions import defs

    job = defs.resolve_job_def("nightly_job")
    results: list[LoadResult] = []
    with DagsterInstance.get() as instance, Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
            console=console, transient=True) as progress:
        task = progress.add_task("load", total=len(dates))
        for i, day in enumerate(dates, 1):
            label = f"[{i}/{len(dates)}] {day}"
            runner = CliRunner(home, lambda msg, label=label: progress.update(
                task, description=f"{label}: {msg}"), accept_changes=accept_changes)
            outcome = job.execute_in_process(
                partition_key=day.isoformat(), instance=instance,
                resources={"warehouse": runner}, raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            )
            if runner.error is not None:
                raise runner.error
            if not outcome.success or not runner.results:
                raise LoadError(f"the Dagster run {outcome.run_id} for {day} failed; "
                                "see `dagster dev` for its logs")
            result = runner.results[-1]
            progress.advance(task)
            results.append(result)
            console.print(f"[green]published[/] {result.snapshot.id} (business date "
                          f"{result.business_date}, {result.duration_s:.1f} s, "
                          f"Dagster run {outcome.run_id[:8]})")
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
