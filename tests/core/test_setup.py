"""The build's schema setup runs once per model: a base set up by the same statements is
not set up again, and a changed model runs the setup on its next build."""

from __future__ import annotations

import duckdb

from warehouse.core.setup import ensure_schema, recorded_fingerprint, schema_fingerprint
from warehouse.load import load_contracts


def test_setup_runs_once_per_model_and_again_when_the_model_changes() -> None:
    _, model = load_contracts()
    con = duckdb.connect()
    assert recorded_fingerprint(con) is None
    assert ensure_schema(con, model) is True
    assert recorded_fingerprint(con) == schema_fingerprint(model)
    tables = con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0]
    assert ensure_schema(con, model) is False

    fact = next(iter(model.facts))
    extra = model.facts[fact].columns[next(iter(model.facts[fact].columns))]
    changed = model.model_copy(deep=True)
    changed.facts["fact_extra"] = changed.facts[fact].model_copy(
        update={"columns": {"only_column": extra}})
    assert schema_fingerprint(changed) != schema_fingerprint(model)
    assert ensure_schema(con, changed) is True
    assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0] == tables + 1
    assert con.execute("SELECT count(*) FROM core.fact_extra").fetchone()[0] == 0
    assert ensure_schema(con, changed) is False
