"""Canonical staging entities (schemas/warehouse/staging.yaml) that sources map onto."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from warehouse.contracts.loader import parse
from warehouse.contracts.sources import Column, Source, expand_columns
from warehouse.errors import ContractError


class Entity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    key: tuple[str, ...]
    columns: dict[str, Column]

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        return expand_columns(data)


class StagingModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entities: dict[str, Entity]


def load_staging(path: Path) -> StagingModel:
    return parse(StagingModel, path)


def check_mappings(staging: StagingModel, sources: dict[str, Source]) -> None:
    """Every source table feeds a known entity, and every entity column has a source expression."""
    for source in sources.values():
        for table in source.tables.values():
            where = f"{source.path}: tables.{table.name}"
            entity = staging.entities.get(table.stage)
            if entity is None:
                raise ContractError(f"{where}.stage: unknown staging entity {table.stage!r}; "
                                    f"known: {', '.join(sorted(staging.entities))}")
            for target in table.mapping:
                if target not in entity.columns:
                    raise ContractError(f"{where}.mapping.{target}: entity {table.stage!r} "
                                        f"has no column {target!r}")
            for column in entity.columns:
                if column not in table.mapping and column not in table.columns:
                    raise ContractError(
                        f"{where}: entity {table.stage!r} column {column!r} has no source: "
                        f"add a column of that name or a mapping expression"
                    )
