"""`crmwh quarantine list / release`: what the gates and the typing step held back, and taking
rows back in after a fix (applied by the next load, exactly once)."""

from __future__ import annotations

from typing import Annotated

import typer

from warehouse import config
from warehouse.cli.output import console, print_rows
from warehouse.errors import UserError

quarantine_app = typer.Typer(help="Rows held back by the quality gates.", no_args_is_help=True)
HomeOpt = Annotated[str | None, typer.Option("--home", help="State folder (default $CRMWH_HOME)")]

# Typing-step rows: problems read "<column>: expected <type>, got <value>".
SOURCE_ROWS = """
SELECT entity, load_id, regexp_replace(p, ', got .*$', '') AS reason, split_part(p, ':', 1),
       list_sort(array_agg(DISTINCT regexp_extract(p, ', got (.*)$', 1)))[1:3], count(*), 0
FROM (SELECT entity, load_id, unnest(problems) AS p FROM quarantine.source_rows) s
WHERE ($table IS NULL OR entity = $table) AND ($load IS NULL OR load_id = $load)
GROUP BY ALL
"""


def _gate_rows(table: str) -> str:
    return (f"SELECT '{table}', load_id, f.expectation, f.\"column\", "
            f"list_sort(array_agg(DISTINCT f.value))[1:3], count(*), "
            f"count(*) FILTER (WHERE released_in IS NOT NULL) "
            f"FROM (SELECT load_id, released_in, unnest(failures) AS f "
            f"FROM quarantine.\"{table}\" WHERE $load IS NULL OR load_id = $load) GROUP BY ALL")


def _connect(home: config.Home):
    from warehouse.publish import SnapshotStore

    return SnapshotStore(home).connect()


@quarantine_app.command("list")
def list_cmd(
    table: Annotated[str | None, typer.Option("--table", help="Staging entity")] = None,
    load: Annotated[str | None, typer.Option("--load", help="Load id, e.g. L20250310")] = None,
    rows: Annotated[bool, typer.Option("--rows", help="One line per row, with its id")] = False,
    home: HomeOpt = None,
) -> None:
    """Quarantined rows by table, load and reason (typing problems and failed expectations)."""
    from warehouse.quality.quarantine import quarantined_tables
    from warehouse.quality.release import all_requests

    h = config.home(home)
    con = _connect(h)
    try:
        tables = [t for t in quarantined_tables(con) if table is None or t == table]
        params = {"table": table, "load": load}
        if rows:
            _print_rows(con, tables, load)
            return
        found = []
        for t in tables:
            found += con.execute(_gate_rows(t), {"load": load}).fetchall()
        found += con.execute(SOURCE_ROWS, params).fetchall()
    finally:
        con.close()
    found.sort(key=lambda r: (r[0], r[1], r[2]))
    print_rows(["table", "load", "expectation / reason", "column", "values (first 3)", "rows",
                "released"], [(*r[:4], ", ".join(v or "NULL" for v in r[4]), r[5], r[6])
                              for r in found], title="Quarantined rows")
    pending = [r for r in all_requests(h) if r.status == "pending"]
    if pending:
        print_rows(["request", "table", "expectation", "ids", "requested at"],
                   [(r.id, r.table, r.expectation or "(any)", ", ".join(r.ids) or "(all)",
                     r.requested_at) for r in pending], title="Releases waiting for the next load")


def _print_rows(con, tables: list[str], load: str | None) -> None:
    out = []
    for t in tables:
        cols = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE "
                                          "schema_name = 'quarantine' AND table_name = ?",
                                          [t]).fetchall()}
        origin = "_source || '.' || _source_table"
        if "_file" in cols:   # rows from an external file: the file and its row number
            origin = f"coalesce(_file || ' row ' || _file_row, {origin})"
        out += con.execute(
            f"SELECT '{t}', quarantine_id, load_id, {origin}, f.expectation, f.\"column\", "
            f"f.value, coalesce(released_in, '') FROM (SELECT *, unnest(failures) AS f FROM "
            f"quarantine.\"{t}\" WHERE $load IS NULL OR load_id = $load) ORDER BY 2, 5",
            {"load": load}).fetchall()
    print_rows(["table", "id", "load", "from", "expectation", "column", "value", "released in"],
               out, title="Quarantined rows (release with --id)")


@quarantine_app.command("release")
def release_cmd(
    table: Annotated[str, typer.Option("--table", help="Staging entity, e.g. order_line")],
    expectation: Annotated[str | None, typer.Option(
        "--expectation", help="Only rows that failed this expectation")] = None,
    ids: Annotated[list[str] | None, typer.Option("--id", help="Quarantine id (repeatable)")] = None,
    home: HomeOpt = None,
) -> None:
    """Let quarantined rows back in: the next load re-stages them and gates them again."""
    from warehouse.quality.quarantine import quarantined_tables
    from warehouse.quality.release import Request, matching_rows, new_request

    h = config.home(home)
    if table == "source_rows":
        raise UserError("rows the typing step quarantined (quarantine.source_rows) come back by "
                        "fixing them in the source or the contract; release is for rows a "
                        "quality gate held back")
    con = _connect(h)
    try:
        known = quarantined_tables(con)
        if table not in known:
            raise UserError(f"--table {table!r}: no rows of it are quarantined; tables with "
                            f"quarantined rows: {', '.join(known) or 'none'}")
        probe = Request(id="", table=table, expectation=expectation, ids=list(ids or []))
        n = matching_rows(con, probe)
    finally:
        con.close()
    if not n:
        what = f" that failed {expectation!r}" if expectation else ""
        raise UserError(f"no unreleased quarantined rows of {table}{what}"
                        f"{' with those ids' if ids else ''}; see `crmwh quarantine list --rows`")
    req = new_request(h, table, expectation, list(ids or []))
    console.print(f"release {req.id}: {n} row(s) of quarantine.{table} re-enter staging at the "
                  "next load and go through the gates again")


def show_quality(con, load_id: str) -> None:
    """`crmwh status` section: expectation results and quarantine counts of the load."""
    from warehouse.quality.results import read

    found = read(con, load_id)
    if not found:
        return
    typed = con.execute("SELECT count(*) FROM quarantine.source_rows WHERE load_id = ?",
                        [load_id]).fetchone()[0]
    failed = [r for r in found if not r.success]
    console.print(f"expectations: {len(found) - len(failed)} passed, {len(failed)} failed "
                  f"({sum(r.blocks for r in failed)} blocking); rows quarantined: "
                  f"{sum(r.quarantined for r in found)} by gates, {typed} by typing")
    if failed:
        print_rows(["suite", "expectation", "severity", "observed", "quarantined", "sample"],
                   [(r.suite, r.expectation, r.severity, r.observed, r.quarantined,
                     ", ".join(r.sample[:3])) for r in failed], title="Failed expectations")


def quality_docs(home: config.Home, load_id: str | None) -> None:
    """`crmwh docs --quality`: the load's report page and GX Data Docs of the same results."""
    from warehouse.errors import NoSnapshotError
    from warehouse.publish import SnapshotStore
    from warehouse.quality import gx_docs, report
    from warehouse.quality.results import read_snapshot

    current = SnapshotStore(home).current()
    if current is None:
        raise NoSnapshotError("no snapshot published yet: run `crmwh load`")
    load_id, found = read_snapshot(current.path, load_id)
    if not found:
        raise UserError(f"the served snapshot holds no expectation results for load {load_id}")
    page = report.write_report(home, load_id, found, "published")
    console.print(f"wrote {page}")
    with console.status("rendering Great Expectations Data Docs"):
        index = gx_docs.build(home, load_id, found)
    console.print(f"wrote {index}")
