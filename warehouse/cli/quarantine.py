"""`crmwh quarantine list / release`: what the gates and the typing step held back, and taking
rows back in after a fix (applied by the next load, exactly once)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from warehouse import config
from warehouse.cli.output import console, print_rows
from warehouse.errors import UserError

quarantine_app = typer.Typer(help="Rows held back by the quality gates and the typing step.",
                             no_args_is_help=True)
HomeOpt = Annotated[str | None, typer.Option("--home", help="State folder (default $CRMWH_HOME)")]


def _source_rows(con) -> str:
    """Typing-step rows by entity, load and reason (the problem without its row and value)."""
    from warehouse.quality import retype

    return (f"SELECT 'source_rows (' || entity || ')', load_id, {retype.reason_sql('p')}, "
            f"{retype.column_sql('p')}, list_sort(array_agg(DISTINCT {retype.value_sql('p')}))"
            f"[1:3], count(*), count(*) FILTER (WHERE released_in IS NOT NULL) "
            f"FROM (SELECT entity, load_id, released_in, unnest(problems) AS p "
            f"FROM {retype.rows_sql(con)}) s "
            f"WHERE ($table IS NULL OR $table = 'source_rows' OR entity = $table) "
            f"AND ($load IS NULL OR load_id = $load) GROUP BY ALL")


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
    from warehouse.quality import retype
    from warehouse.quality.quarantine import quarantined_tables
    from warehouse.quality.release import all_requests, applied_in

    h = config.home(home)
    con = _connect(h)
    try:
        tables = [t for t in quarantined_tables(con) if table is None or t == table]
        typing = retype.exists(con)
        params = {"table": table, "load": load}
        if rows:
            _print_rows(con, tables, load, typing, table)   # typing rows: by entity too
            return
        found = []
        for t in tables:
            found += con.execute(_gate_rows(t), {"load": load}).fetchall()
        if typing:
            found += con.execute(_source_rows(con), params).fetchall()
        pending = [r for r in all_requests(h) if r.status == "pending" and not applied_in(con, r)]
    finally:
        con.close()
    found.sort(key=lambda r: (r[0], r[1], r[2]))
    print_rows(["table", "load", "expectation / reason", "column", "values (first 3)", "rows",
                "released"], [(*r[:4], ", ".join(v or "NULL" for v in r[4]), r[5], r[6])
                              for r in found], title="Quarantined rows")
    if pending:
        print_rows(["request", "table", "selection", "requested at"],
                   [(r.id, r.table, r.describe(), r.requested_at) for r in pending],
                   title="Releases waiting for the next load")


def _print_rows(con, tables: list[str], load: str | None, typing: bool,
                entity: str | None) -> None:
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
    if typing:   # one line per problem: the file and row, or the source table and key
        from warehouse.quality import retype

        out += con.execute(
            f"SELECT 'source_rows (' || entity || ')', quarantine_id, load_id, "
            f"coalesce(json_extract_string(raw, '$._file') || ' row ' || "
            f"json_extract_string(raw, '$._file_row'), source || '.' "
            f"|| source_table || ' key ' || row_key, source || '.' || source_table), "
            f"{retype.reason_sql('p')}, {retype.column_sql('p')}, {retype.value_sql('p')}, "
            f"coalesce(released_in, '') FROM (SELECT *, unnest(problems) AS p FROM "
            f"{retype.rows_sql(con)}) WHERE ($load IS NULL OR load_id = $load) AND "
            f"($entity IS NULL OR $entity = 'source_rows' OR entity = $entity) "
            f"ORDER BY load_id, TRY_CAST(regexp_extract(quarantine_id, '-([0-9]+)$', 1) AS "
            f"BIGINT), 5", {"load": load, "entity": entity}).fetchall()
    print_rows(["table", "id", "load", "from", "expectation / reason", "column", "value",
                "released in"], out, title="Quarantined rows (release with --id)")


@quarantine_app.command("withdraw")
def withdraw_cmd(
    request_id: Annotated[str, typer.Argument(help="Release request id, e.g. R20250311T...")],
    home: HomeOpt = None,
) -> None:
    """Withdraw a release request: no later load applies it (after `crmwh rollback` past the
    load that applied it, the rows stay quarantined)."""
    from warehouse.quality.release import withdraw

    req = withdraw(config.home(home), request_id)
    console.print(f"release {req.id} ({req.table}: {req.describe()}) withdrawn; no later load "
                  "applies it")


@quarantine_app.command("release")
def release_cmd(
    table_arg: Annotated[str | None, typer.Argument(
        metavar="[TABLE]", help="Staging entity, or source_rows (same as --table)")] = None,
    table: Annotated[str | None, typer.Option(
        "--table", help="Staging entity (rows a gate held back, e.g. order_line), or "
                        "source_rows (rows the typing step held back)")] = None,
    expectation: Annotated[str | None, typer.Option(
        "--expectation", help="Only rows that failed this expectation (source_rows: same "
                              "as --problem)")] = None,
    problem: Annotated[str | None, typer.Option(
        "--problem", help="source_rows: only rows with a problem containing this text, "
                          "e.g. 'birth_date' or 'is not a date'")] = None,
    entity: Annotated[str | None, typer.Option(
        "--entity", help="source_rows: only rows of this staging entity")] = None,
    load: Annotated[str | None, typer.Option(
        "--load", help="Only rows quarantined by this load, e.g. L20250310")] = None,
    ids: Annotated[list[str] | None, typer.Option("--id", help="Quarantine id (repeatable)")] = None,
    home: HomeOpt = None,
) -> None:
    """Let quarantined rows back in: the next load re-stages them and gates them again
    (rows of source_rows are re-typed under the contracts as they are then, first)."""
    from warehouse.quality import retype
    from warehouse.quality.quarantine import quarantined_tables
    from warehouse.quality.release import Request, matching_rows, new_request

    h = config.home(home)
    if table_arg and table and table_arg != table:
        raise UserError(f"two tables named: {table_arg!r} and --table {table!r}; give one")
    table = table or table_arg
    if not table:
        raise UserError("name the table to release from: a staging entity (see `crmwh "
                        "quarantine list`) or source_rows")
    typing = table == retype.TABLE
    if typing:
        if expectation and problem and expectation != problem:
            raise UserError("for source_rows --expectation and --problem mean the same; "
                            "give one")
        problem, expectation = problem or expectation, None
    else:
        for flag, value in (("--problem", problem), ("--entity", entity)):
            if value:
                raise UserError(f"{flag} selects rows of source_rows (the typing step); rows "
                                f"of {table} are chosen by --expectation, --load or --id")
    con = _connect(h)
    try:
        held = quarantined_tables(con)
        if retype.exists(con) and con.execute(
                f"SELECT count(*) > 0 FROM {retype.SOURCE_ROWS}").fetchone()[0]:
            held.append(retype.TABLE)
        if table not in held:
            raise UserError(f"--table {table!r}: no rows of it are quarantined; tables with "
                            f"quarantined rows: {', '.join(held) or 'none'}")
        probe = Request(id="", table=table, expectation=expectation, ids=list(ids or []),
                        load=load, problem=problem, entity=entity)
        n = matching_rows(con, probe)
        ragged = retype.ragged_selected(con, probe) if typing else []
        ragged_ids = {r.quarantine_id for r in ragged}
        unknown = [i for i in probe.ids if i not in ragged_ids
                   and not matching_rows(con, replace(probe, ids=[i]))]
    finally:
        con.close()
    if n and unknown:
        others = " matching the other options" if expectation or problem or entity or load else ""
        raise UserError(f"--id {', '.join(unknown)}: not the id of an unreleased quarantined "
                        f"row of {table}{others}; see `crmwh quarantine list --rows "
                        f"--table {table}`")
    if not n:
        what = "".join(f" {word} {value!r}" for word, value in (
            ("that failed", expectation), ("with a problem containing", problem),
            ("of entity", entity), ("from load", load)) if value)
        hint = f"; {ragged_note(ragged)}" if ragged else ""
        raise UserError(f"no unreleased quarantined rows of {table}{what}"
                        f"{' with those ids' if ids else ''}{hint}; see "
                        f"`crmwh quarantine list --rows --table {table}`")
    req = new_request(h, table, expectation, [i for i in ids or [] if i not in ragged_ids],
                      load=load, problem=problem, entity=entity)
    if typing:
        console.print(f"release {req.id}: {n} row(s) of quarantine.source_rows are re-typed "
                      "under the current contracts at the next load; rows that fit are staged "
                      "and gated again, the rest are quarantined again with the new reason")
        if ragged:
            console.print(f"left out: {ragged_note(ragged)}")
    else:
        console.print(f"release {req.id}: {n} row(s) of quarantine.{table} re-enter staging at "
                      "the next load and go through the gates again")


def ragged_note(rows: list) -> str:
    """What to do about ragged rows (retype.RaggedRow): they have no fields to re-type, so
    the fix is the file itself, corrected and landed under the name that supersedes it."""
    from itertools import groupby

    from warehouse.files.landing import corrected_name

    parts = []
    for (source, file, fixed), group in groupby(rows, key=lambda r: (r.source, r.file,
                                                                     r.corrected_by)):
        numbers = [str(r.row) for r in group]
        where = f"{file} row{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}"
        if fixed:
            parts.append(f"{where}: already corrected by {fixed}, nothing to do")
        else:
            parts.append(f"{where}: correct {'these lines' if len(numbers) > 1 else 'the line'} "
                         f"and land the corrected file as {corrected_name(file)} in "
                         f"landing/{source}/ (it supersedes {file}: its rows replace that "
                         f"file's rows at the next load)")
    return (f"{len(rows)} ragged row(s) cannot be released: a line with the wrong number of "
            f"fields has no fields to re-type. {'; '.join(parts)}. They stay quarantined, "
            f"counted as quarantined in their file's batch")


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
