"""`crmwh`: demo sources, loads, SQL on the published snapshot, status, rollback, docs."""

from __future__ import annotations

import traceback
from datetime import date, timedelta
from typing import Annotated

import typer

from warehouse import config
from warehouse.cli import cube as cube_cli
from warehouse.cli.output import console, err_console, print_rows
from warehouse.cli.quarantine import quarantine_app
from warehouse.cli.resolve import resolve_app
from warehouse.errors import UserError

app = typer.Typer(help="CRM analytics warehouse.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
demo_app = typer.Typer(help="Demo source databases (CRM and ERP).", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(resolve_app, name="resolve")
app.add_typer(quarantine_app, name="quarantine")

HomeOpt = Annotated[str | None, typer.Option("--home", help="State folder (default $CRMWH_HOME)")]


@app.command("home")
def home_cmd(home: HomeOpt = None) -> None:
    """Print the home folder."""
    typer.echo(str(config.home(home).root))


@demo_app.command("init")
def demo_init(
    scale: Annotated[float, typer.Option(help="1.0 = about 5,000 customers, 100,000 lines")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same data")] = 42,
    crm_url: Annotated[str | None, typer.Option(help="CRM database URL (default SQLite)")] = None,
    erp_url: Annotated[str | None, typer.Option(help="ERP database URL (default SQLite)")] = None,
    home: HomeOpt = None,
) -> None:
    """Create the demo CRM and ERP source databases."""
    from warehouse.demo import init_demo

    with console.status("generating demo sources") as status:
        summary = init_demo(config.home(home), scale=scale, seed=seed, crm_url=crm_url,
                            erp_url=erp_url,
                            progress=lambda msg, _n=0: status.update(f"demo: {msg}"))
    _print_summary(summary, "Demo sources created")


@demo_app.command("advance")
def demo_advance(
    days: Annotated[int, typer.Option(help="Business days to add")] = 1,
    crm_url: Annotated[str | None, typer.Option(help="CRM database URL")] = None,
    erp_url: Annotated[str | None, typer.Option(help="ERP database URL")] = None,
    home: HomeOpt = None,
) -> None:
    """Apply N business days of new and changed rows to the demo sources."""
    from warehouse.demo import advance_demo

    with console.status("advancing demo sources") as status:
        summary = advance_demo(config.home(home), days=days, crm_url=crm_url, erp_url=erp_url,
                               progress=lambda msg, _n=0: status.update(f"demo: {msg}"))
    _print_summary(summary, f"Demo sources advanced {days} day(s)")


def _print_summary(summary: dict[str, dict[str, int]], title: str) -> None:
    rows = [(src, table, n) for src, tables in summary.items() for table, n in tables.items()]
    print_rows(["source", "table", "rows"], rows, title=title)


@app.command("load")
def load_cmd(
    on: Annotated[str | None, typer.Option("--date", help="Business date YYYY-MM-DD")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First date of a backfill")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date of a backfill")] = None,
    accept_change: Annotated[list[str] | None, typer.Option(
        "--accept-change", help="Accept the batch row-count change of this source table "
        "(source.table) or file family (source.family) for these loads; repeatable")] = None,
    home: HomeOpt = None,
) -> None:
    """Run the nightly load (default: every date up to the sources' latest business date)."""
    from warehouse.cli.loading import run_dates

    h = config.home(home)
    if start or end:
        if not (start and end):
            raise UserError("--from and --to go together")
        first, last = _date(start, "--from"), _date(end, "--to")
        if last < first:
            raise UserError(f"--to {last} is before --from {first}")
        dates: list[date] | None = [first + timedelta(days=i)
                                    for i in range((last - first).days + 1)]
    else:
        dates = [_date(on, "--date")] if on else None
    run_dates(h, dates, frozenset(accept_change or ()))


def _date(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{flag}: expected a date YYYY-MM-DD, got {text!r}") from None


@app.command("sql")
def sql_cmd(
    query: Annotated[str, typer.Argument(help="SQL to run on the published snapshot")],
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    home: HomeOpt = None,
) -> None:
    """Run read-only SQL on the published snapshot."""
    import duckdb

    from warehouse.cli.cube import run_cube_sql
    from warehouse.cube.sql import is_measure_sql
    from warehouse.publish import SnapshotStore

    if fmt not in {"table", "csv", "json"}:
        raise UserError(f"--format: expected table, csv or json, got {fmt!r}")
    if is_measure_sql(query):  # MEASURE(...) over a cube: answered by the cube engine
        return run_cube_sql(query, fmt, home)
    con = SnapshotStore(config.home(home)).connect()
    try:
        cur = con.execute(query)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if columns else []
    except duckdb.Error as exc:
        raise UserError(f"query failed: {exc}") from exc
    finally:
        con.close()
    print_rows(columns, rows, fmt=fmt)


cube_cli.register(app)  # query, members, drill-through, explain, cube-sql


@app.command("status")
def status_cmd(home: HomeOpt = None) -> None:
    """Recent loads, row accounting and check results."""
    from warehouse.cli.status import show_status

    show_status(config.home(home))


@app.command("rollback")
def rollback_cmd(
    to: Annotated[str | None, typer.Option(help="Snapshot id (default: the previous one)")] = None,
    home: HomeOpt = None,
) -> None:
    """Serve the previous snapshot again."""
    from warehouse.publish import SnapshotStore

    snap = SnapshotStore(config.home(home)).rollback(to)
    console.print(f"now serving snapshot [bold]{snap.id}[/] (business date {snap.business_date})")


@app.command("docs")
def docs_cmd(
    quality: Annotated[bool, typer.Option("--quality", help="GX Data Docs of a load's expectation "
                                                           "results instead")] = False,
    load: Annotated[str | None, typer.Option("--load", help="with --quality: load id")] = None,
    home: HomeOpt = None,
) -> None:
    """Write the data dictionary as HTML and Markdown (or, with --quality, GX Data Docs)."""
    from warehouse.meta.dictionary import write_docs

    if quality:
        from warehouse.cli.quarantine import quality_docs
        return quality_docs(config.home(home), load)

    paths = write_docs(config.home(home))
    for path in paths:
        console.print(f"wrote {path}")


def main() -> None:
    """Entry point: user errors print a message and exit 2; bugs leave a trace in the logs."""
    try:
        app()
    except UserError as exc:
        err_console.print(f"[red]error[/] [{exc.code}]: {exc}", markup=True, highlight=False)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise SystemExit(130) from None
    except Exception as exc:  # a bug: keep the trace in the log, not on the user's screen
        log = config.home().logs / "crmwh-errors.log"
        with log.open("a", encoding="utf-8") as fh:
            fh.write(traceback.format_exc() + "\n")
        err_console.print(f"[red]internal error[/]: {type(exc).__name__}: {exc} "
                          f"(trace in {log})")
        raise SystemExit(1) from None
