"""Canonical staging entities (schemas/warehouse/staging.yaml) that sources map onto."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, model_validator

from warehouse.contracts.loader import parse
from warehouse.contracts.sources import Column, Source, expand_columns
from warehouse.errors import ContractError

if TYPE_CHECKING:
    from warehouse.contracts.files import FileSource


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


def _entity(staging: StagingModel, name: str, where: str) -> Entity:
    """The staging entity a table or file family feeds, or an error naming where it is asked for."""
    entity = staging.entities.get(name)
    if entity is None:
        raise ContractError(f"{where}.stage: unknown staging entity {name!r}; "
                            f"known: {', '.join(sorted(staging.entities))}")
    return entity


def check_mappings(staging: StagingModel, sources: dict[str, Source]) -> None:
    """Every source table feeds a known entity, and every entity column has a source expression."""
    for source in sources.values():
        if source.kind == "file":
            check_file_columns(staging, source)
            continue
        for table in source.tables.values():
            where = f"{source.path}: tables.{table.name}"
            entity = _entity(staging, table.stage, where)
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


def check_file_columns(staging: StagingModel, source: FileSource) -> None:
    """Each family feeds a known entity with known columns; uncovered columns must be nullable."""
    for family in source.files.values():
        where = f"{source.path}: files.{family.name}"
        entity = _entity(staging, family.stage, where)
        for column in family.columns:
            if column not in entity.columns:
                raise ContractError(f"{where}.columns.{column}: entity {family.stage!r} has no "
                                    f"column {column!r}; known: {', '.join(entity.columns)}")
        if tuple(family.key) != tuple(entity.key):
            raise ContractError(f"{where}.key: {list(family.key)} differs from entity "
                                f"{family.stage!r}'s key {list(entity.key)}")
        for column, spec in entity.columns.items():
            if column not in family.columns and not spec.nullable:
                raise ContractError(f"{where}.columns: entity {family.stage!r} column "
                                    f"{column!r} is required (not null) but has no source")
