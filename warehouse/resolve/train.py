"""`crmwh resolve train`: re-estimate the Splink models from staged data and store them as
JSON in schemas/resolve/ (the nightly load only predicts with them).

Trains on a private copy of the served snapshot's staged records (Splink writes tables;
readers never see them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from warehouse import duck
from warehouse.config import Home
from warehouse.errors import UserError
from warehouse.publish import SnapshotStore
from warehouse.resolve import features, model, probabilistic, staged_kinds
from warehouse.resolve.config import RESOLVE_DIR, load_settings


def train_models(home: Home, *, folder: Path = RESOLVE_DIR, seed: int = 42) -> dict[str, Path]:
    """Train every entity kind with staged records; returns the model file per kind."""
    current = SnapshotStore(home).current()
    if current is None:
        raise UserError("no snapshot is published yet: run `crmwh load` first")
    home.work.mkdir(parents=True, exist_ok=True)
    copy = home.work / "resolve-train.duckdb"
    shutil.copy(home.snapshots / f"{current.id}.duckdb", copy)
    settings = load_settings(folder)
    con = duck.connect(copy, temp_directory=home.work / "spill")
    try:
        con.execute(f"SET memory_limit = '{settings.memory_limit}'")
        kinds = staged_kinds(con, folder)
        if not kinds:
            raise UserError("the served snapshot holds no staged external records to train on: "
                            "drop files into the landing folder and run `crmwh load` first")
        features.register_macros(con)
        written = {}
        for kind in kinds:
            ent = settings.entities[kind]
            features.external(con, kind, ent.staged, "rt_ext")
            features.internal(con, kind, "rt_int")
            cols = ", ".join(features.COLUMNS[kind])
            con.execute(f"CREATE OR REPLACE TEMP TABLE rt_sp_ext AS SELECT {cols} FROM rt_ext")
            con.execute(f"CREATE OR REPLACE TEMP TABLE rt_sp_int AS SELECT {cols} FROM rt_int")
            path = folder / ent.model
            model.train(con, kind, "rt_sp_ext", "rt_sp_int", ent, path, seed=seed)
            probabilistic.cleanup(con)
            written[kind] = path
        return written
    finally:
        con.close()
        copy.unlink(missing_ok=True)
        shutil.rmtree(home.work / "spill", ignore_errors=True)

