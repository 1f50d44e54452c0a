"""`crmwh query | members | explain | drill-through | cube-sql`: cubes from the command line.

Every command reads the published snapshot read-only and goes through the same query model as
the Python API.
"""

from __future__ import annotations

from typing import Annotated

import typer

from warehouse import config
from warehouse.cli.output import console, print_rows
from warehouse.cube.query import Cut, PathCut, PointCut, Query, RangeCut, SetCut, TimeCalc, TopN
from warehouse.errors import UserError

HomeOpt = Annotated[str | None, typer.Option("--home", help="State folder (default $CRMWH_HOME)")]
FormatOpt = Annotated[str, typer.Option("--format", help="table, csv or json")]
Measures = Annotated[str, typer.Option("--measures", "-m", help="Comma-separated measures")]
Drill = Annotated[list[str] | None, typer.Option("--drilldown", "-d",
                                                 help="role.level (repeat, or comma-separated)")]
CutOpt = Annotated[list[str] | None, typer.Option(
    "--cut", "-c", help="role.level=v | =a,b | =lo..hi | !=v | role@hierarchy=a/b (repeat)")]
Segments = Annotated[list[str] | None, typer.Option("--segment", "-s", help="Named segment")]
Orders = Annotated[list[str] | None, typer.Option("--order", help="level or measure; -x = desc")]
Times = Annotated[list[str] | None, typer.Option(
    "--time", help="measure:kind[:n][@hierarchy] with kind ytd, qtd, mtd, last_year, "
                   "previous, rolling, change, change_pct (e.g. revenue:rolling:3; "
                   "revenue:ytd@fiscal: fiscal YTD by months)")]
TopOpt = Annotated[int | None, typer.Option(help="Top N members")]
TopByOpt = Annotated[str | None, typer.Option(
    help="Measure (or --time column, e.g. revenue_last_year) for --top")]
TopSubtotalsOpt = Annotated[str, typer.Option(
    help="With --top and --totals: subtotals of the kept members (visible) or of all (all)")]
PageOpt = Annotated[int | None, typer.Option("--limit", help="Rows per page")]
OffsetOpt = Annotated[int, typer.Option("--offset", help="Rows to skip")]
TotalsOpt = Annotated[str, typer.Option(help="none, rollup or all")]


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for item in values or [] for v in item.split(",") if v.strip())


def parse_cut(text: str) -> Cut:
    """One --cut argument as a cut; values stay strings and are typed by the level's column."""
    name, op, value = text.partition("!=")
    invert = bool(op)
    if not op:
        name, op, value = text.partition("=")
    if not op or not name.strip():
        raise UserError(f"--cut {text!r}: expected role.level=value")
    name = name.strip()
    if "@" in name:
        dim, _, hierarchy = name.partition("@")
        return PathCut(dim, tuple(value.split("/")), hierarchy or None, invert)
    if ".." in value:
        low, _, high = value.partition("..")
        return RangeCut(name, low or None, high or None, invert)
    if "," in value:
        return SetCut(name, tuple(value.split(",")), invert)
    return PointCut(name, value, invert)


def parse_time(text: str) -> TimeCalc:
    """measure:kind[:n][@hierarchy]; @fiscal: to-date within the fiscal year (quarter)."""
    body, _, hierarchy = text.partition("@")
    parts = body.split(":")
    if len(parts) not in (2, 3):
        raise UserError(f"--time {text!r}: expected measure:kind or measure:rolling:n "
                        f"(optionally @hierarchy, e.g. revenue:ytd@fiscal)")
    kinds = {"ytd", "qtd", "mtd", "last_year", "previous", "rolling", "change", "change_pct",
             "change_yoy", "change_pct_yoy"}
    if parts[1] not in kinds:
        raise UserError(f"--time {text!r}: kind must be one of {', '.join(sorted(kinds))}")
    kind, against = parts[1], "previous"
    if kind.endswith("_yoy"):
        kind, against = kind[:-4], "last_year"
    n = int(parts[2]) if len(parts) == 3 and parts[2].isdigit() else 3
    return TimeCalc(parts[0], kind, n=n, against=against, hierarchy=hierarchy or None)


def build_query(cube: str, measures: str, drilldown, cut, segment, order, top: int | None,
                top_by: str | None, limit: int | None, offset: int, totals: str,
                time, top_subtotals: str = "visible") -> Query:
    from warehouse.cube.execute import make_query

    top_n = None
    if top is not None:
        if not top_by:
            raise UserError("--top needs --top-by MEASURE")
        top_n = TopN(top, top_by, subtotals=top_subtotals)
    return make_query(cube, _split([measures]), _split(drilldown),
                      tuple(parse_cut(c) for c in cut or []), segments=_split(segment),
                      order=tuple(order or ()), top=top_n, limit=limit, offset=offset,
                      totals=totals, time=tuple(parse_time(t) for t in time or []))


def _engine(home: str | None):
    """The cube engine on the published snapshot (read-only connection)."""
    from warehouse.cube.execute import CubeEngine

    return CubeEngine.open(config.home(home))


def _print(table, fmt: str) -> None:
    if fmt not in {"table", "csv", "json"}:
        raise UserError(f"--format: expected table, csv or json, got {fmt!r}")
    cols = [c.to_pylist() for c in table.columns]
    print_rows(table.column_names, list(zip(*cols, strict=True)) if cols else [], fmt=fmt)


def register(app: typer.Typer) -> None:
    """Add the cube commands to the crmwh app."""

    @app.command("query")
    def query_cmd(cube: str, measures: Measures, drilldown: Drill = None, cut: CutOpt = None,
                  segment: Segments = None, order: Orders = None,
                  top: TopOpt = None, top_by: TopByOpt = None,
                  top_subtotals: TopSubtotalsOpt = "visible", limit: PageOpt = None,
                  offset: OffsetOpt = 0, totals: TotalsOpt = "none",
                  time: Times = None,
                  pivot: Annotated[list[str] | None, typer.Option(
                      help="Levels laid out as columns (the others stay rows)")] = None,
                  fmt: FormatOpt = "table", home: HomeOpt = None) -> None:
        """Ask a cube: measures by drilldown levels, with cuts, segments, totals and time."""
        q = build_query(cube, measures, drilldown, cut, segment, order, top, top_by, limit,
                        offset, totals, time, top_subtotals)
        with _engine(home) as engine:
            if pivot:
                cols = list(_split(pivot))
                canon = engine.model.cube(cube)
                rows = [d for d in q.drilldown if canon.level(d).name not in
                        {canon.level(c).name for c in cols}]
                _print(engine.pivot(q, rows, cols), fmt)
            else:
                _print(engine.run(q).table, fmt)

    @app.command("members")
    def members_cmd(cube: str, level: str, cut: CutOpt = None,
                    limit: PageOpt = None, offset: OffsetOpt = 0,
                    fmt: FormatOpt = "table", home: HomeOpt = None) -> None:
        """Members of a level, in its sort order (for filter pickers)."""
        with _engine(home) as engine:
            _print(engine.members(cube, level, tuple(parse_cut(c) for c in cut or []),
                                  limit=limit, offset=offset), fmt)

    @app.command("drill-through")
    def drill_through_cmd(cube: str, cut: CutOpt = None, drilldown: Drill = None,
                          fact: Annotated[str | None, typer.Option(
                              help="Component cube of a drill-across cube")] = None,
                          limit: Annotated[int, typer.Option(help="Rows per page")] = 100,
                          offset: OffsetOpt = 0,
                          fmt: FormatOpt = "table", home: HomeOpt = None) -> None:
        """The fact rows behind a cell (its cuts), one page at a time."""
        with _engine(home) as engine:
            _print(engine.drill_through(cube, tuple(parse_cut(c) for c in cut or []),
                                        levels=_split(drilldown), fact=fact, limit=limit,
                                        offset=offset), fmt)

    @app.command("explain")
    def explain_cmd(cube: str, measures: Measures, drilldown: Drill = None, cut: CutOpt = None,
                    segment: Segments = None, order: Orders = None,
                    top: TopOpt = None, top_by: TopByOpt = None,
                    top_subtotals: TopSubtotalsOpt = "visible", limit: PageOpt = None,
                    offset: OffsetOpt = 0, totals: TotalsOpt = "none",
                    time: Times = None, home: HomeOpt = None) -> None:
        """Print the SQL a cube query compiles to, its parameters and the tables it reads."""
        q = build_query(cube, measures, drilldown, cut, segment, order, top, top_by, limit,
                        offset, totals, time, top_subtotals)
        from warehouse.cube.agg.serving import explain_lines
        with _engine(home) as engine:
            compiled, aggregates = explain_lines(engine, q)
        for line in aggregates:
            console.print("-- " + line, markup=False, highlight=False)
        console.print("-- reads: " + "; ".join(compiled.sources), markup=False, highlight=False)
        console.print("-- parameters: " + repr(compiled.params), markup=False, highlight=False)
        console.print(compiled.pretty(), markup=False, highlight=False)

    @app.command("cube-sql")
    def cube_sql_cmd(query: Annotated[str, typer.Argument(
                         help='SELECT "date.quarter", MEASURE(revenue) FROM sales GROUP BY ALL')],
                     fmt: FormatOpt = "table", home: HomeOpt = None) -> None:
        """Measure-aware SQL over a cube, answered by the cube engine."""
        run_cube_sql(query, fmt, home)


def run_cube_sql(text: str, fmt: str = "table", home: str | None = None) -> None:
    """Answer a measure-aware SELECT through the engine (also used by `crmwh sql`)."""
    from warehouse.cube.sql import to_query

    with _engine(home) as engine:
        _print(engine.run(to_query(engine.model, text)).table, fmt)
