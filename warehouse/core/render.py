"""Expand the placeholders of model SQL into real table references for one load."""

from __future__ import annotations

from datetime import date

from warehouse.contracts.model import PLACEHOLDER
from warehouse.duck import quote_literal as lit
from warehouse.stage.schema import current_table


def render(sql: str, *, load_id: str, business_date: date,
           narrowed: dict[str, str] | None = None) -> str:
    """{current.e} -> current state; {batch.e} -> rows whose latest version came in this load.

    `narrowed` maps an entity to a SQL condition that restricts its current state (used to
    read only the affected rows of a fact's driving entity instead of all of them).
    """

    def expand(match) -> str:
        kind, entity = match.group(1), match.group(2)
        if kind == "current":
            if narrowed and entity in narrowed:
                return f"(SELECT * FROM {current_table(entity)} WHERE {narrowed[entity]})"
            return current_table(entity)
        return f"(SELECT * FROM {current_table(entity)} WHERE _batch_id = {lit(load_id)})"

    text = PLACEHOLDER.sub(expand, sql)
    return (text.replace("{xref_changed}", "_xref_changed")
                .replace("{business_date}", f"DATE '{business_date.isoformat()}'"))
