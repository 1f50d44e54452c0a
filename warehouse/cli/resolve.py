"""`crmwh resolve train | quality`: re-estimate the matching models; measure links against the
demo's truth."""

from __future__ import annotations

from typing import Annotated

import typer

from warehouse import config
from warehouse.cli.output import console, print_rows
from warehouse.errors import UserError

resolve_app = typer.Typer(help="Identity resolution of external records.", no_args_is_help=True)
HomeOpt = Annotated[str | None, typer.Option("--home", help="State folder (default $CRMWH_HOME)")]


@resolve_app.command("train")
def train_cmd(home: HomeOpt = None) -> None:
    """Re-estimate the Splink models from the served snapshot; writes schemas/resolve/*.json."""
    from warehouse.resolve.train import train_models

    with console.status("training matching models"):
        written = train_models(config.home(home))
    print_rows(["entity", "model"], [(k, str(p)) for k, p in written.items()],
               title="Models trained")


@resolve_app.command("quality")
def quality_cmd(home: HomeOpt = None) -> None:
    """Precision and recall of the served snapshot's links against the demo's truth file."""
    from warehouse import duck
    from warehouse.demo.external import TRUTH_FILE
    from warehouse.publish import SnapshotStore
    from warehouse.resolve.quality import measure

    h = config.home(home)
    truth = h.sources / TRUTH_FILE
    if not truth.exists():
        raise UserError(f"no truth file at {truth}: only the demo's external files have one")
    current = SnapshotStore(h).current()
    if current is None:
        raise UserError("no snapshot is published yet: run `crmwh load` first")
    con = duck.connect(h.snapshots / f"{current.id}.duckdb", read_only=True)
    try:
        if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                           "'core' AND table_name = 'identity_link'").fetchone()[0]:
            raise UserError("the served snapshot has no core.identity_link: no external records "
                            "were resolved")
        con.execute(f"CREATE TEMP TABLE truth AS SELECT * FROM read_parquet('{truth}')")
        result = measure(con, "core.identity_link", "truth")
    finally:
        con.close()
    keys = {"records": "records", "links_true": "true links", "links_predicted": "links",
            "precision": "precision", "recall": "recall", "duplicate_pair_precision": "dup P",
            "duplicate_pair_recall": "dup R"}
    print_rows(["entity", *keys.values()],
               [(k, *[v.get(x) for x in keys]) for k, v in result.items()],
               title="Matching quality against the demo truth")
