"""The warehouse model (schemas/warehouse/*.yaml): dimensions, facts and reconciliation rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from warehouse.contracts.loader import parse, read_yaml
from warehouse.contracts.staging import StagingModel, load_staging
from warehouse.contracts.types import normalise_type
from warehouse.errors import ContractError

PLACEHOLDER = re.compile(r"\{(current|batch)\.([a-z_]+)\}")


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelColumn(Frozen):
    type: str
    description: str = ""

    @model_validator(mode="after")
    def _known_type(self) -> ModelColumn:
        object.__setattr__(self, "type", normalise_type(self.type))
        return self


class Dimension(Frozen):
    description: str
    grain: str
    natural_key: str
    surrogate_key: str
    changed_at: str | None = Field(None, description="column giving when a type-2 change happened")
    deleted: str | None = None
    type2: tuple[str, ...] = ()
    columns: dict[str, ModelColumn]
    select: str
    driver: str | None = Field(
        None, description="staging entity keyed by the natural key: when no other entity the "
                          "select reads changed, only its rows changed by the load are compared")

    @model_validator(mode="after")
    def _consistent(self) -> Dimension:
        if self.natural_key not in self.columns:
            raise ValueError(f"natural_key {self.natural_key!r} is not among the columns")
        for col in self.type2:
            if col not in self.columns:
                raise ValueError(f"type2 attribute {col!r} is not among the columns")
        if self.type2 and not self.changed_at:
            raise ValueError("type2 attributes need changed_at")
        for col in (self.changed_at, self.deleted):
            if col and col not in self.columns:
                raise ValueError(f"column {col!r} is not among the columns")
        return self

    @property
    def type1(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c != self.natural_key and c not in self.type2)


class Lookup(Frozen):
    dim: str
    by: str = Field(description="fact column holding the natural key of the dimension")
    as_of: str | None = None
    inferred: bool = False


class Fact(Frozen):
    description: str
    grain: str
    kind: Literal["transaction", "accumulating_snapshot", "periodic_snapshot"] = "transaction"
    key: tuple[str, ...]
    affected: str | None = None
    driver: str | None = Field(
        None, description="staging entity with the fact's key: only its affected rows are read")
    select: str
    dates: dict[str, str] = Field(default_factory=dict)
    lookups: dict[str, Lookup] = Field(default_factory=dict)
    columns: dict[str, ModelColumn]

    @model_validator(mode="after")
    def _consistent(self) -> Fact:
        if self.kind != "periodic_snapshot" and not self.affected:
            raise ValueError("a transaction or accumulating fact needs `affected`")
        for col in self.key:
            if col not in self.columns:
                raise ValueError(f"key column {col!r} is not among the columns")
        return self


class Rule(Frozen):
    name: str
    erp: str
    crm: str


class Reconciliation(Frozen):
    erp_entity: str
    crm_entity: str
    rules: tuple[Rule, ...]


class Model(Frozen):
    staging: StagingModel
    dimensions: dict[str, Dimension]
    facts: dict[str, Fact]
    reconciliation: Reconciliation

    def entities_used(self, sql: str) -> set[str]:
        return {m.group(2) for m in PLACEHOLDER.finditer(sql)}


class _Dimensions(Frozen):
    dimensions: dict[str, Dimension]


class _Facts(Frozen):
    facts: dict[str, Fact]


class _Reconciliation(Frozen):
    customer_reconciliation: Reconciliation


def load_model(directory: Path) -> Model:
    """Load and cross-check the model: placeholders name staging entities, lookups name dimensions."""
    staging = load_staging(directory / "staging.yaml")
    dims = parse(_Dimensions, directory / "dimensions.yaml").dimensions
    facts = parse(_Facts, directory / "facts.yaml").facts
    recon = parse(_Reconciliation, directory / "reconciliation.yaml",
                  read_yaml(directory / "reconciliation.yaml")).customer_reconciliation
    model = Model(staging=staging, dimensions=dims, facts=facts, reconciliation=recon)
    for name, dim in dims.items():
        _check_placeholders(model, directory / "dimensions.yaml", f"dimensions.{name}.select",
                            dim.select)
        if dim.driver:
            entity = staging.entities.get(dim.driver)
            if (entity is None or tuple(entity.key) != (dim.natural_key,)
                    or dim.driver not in model.entities_used(dim.select)):
                raise ContractError(f"{directory / 'dimensions.yaml'}: dimensions.{name}.driver: "
                                    f"{dim.driver!r} must be a staging entity keyed by "
                                    f"{dim.natural_key} that the select reads")
    for name, fact in facts.items():
        where = directory / "facts.yaml"
        _check_placeholders(model, where, f"facts.{name}.select", fact.select)
        if fact.affected:
            _check_placeholders(model, where, f"facts.{name}.affected", fact.affected)
        if fact.driver:
            entity = staging.entities.get(fact.driver)
            if entity is None or tuple(entity.key) != tuple(fact.key):
                raise ContractError(f"{where}: facts.{name}.driver: {fact.driver!r} must be a "
                                    f"staging entity keyed by {', '.join(fact.key)}")
        for key, lookup in fact.lookups.items():
            if lookup.dim not in dims:
                raise ContractError(f"{where}: facts.{name}.lookups.{key}: unknown dimension "
                                    f"{lookup.dim!r}; known: {', '.join(sorted(dims))}")
    for entity in (recon.erp_entity, recon.crm_entity):
        if entity not in staging.entities:
            raise ContractError(f"{directory / 'reconciliation.yaml'}: unknown entity {entity!r}")
    return model


def _check_placeholders(model: Model, path: Path, where: str, sql: str) -> None:
    for entity in model.entities_used(sql):
        if entity not in model.staging.entities:
            raise ContractError(f"{path}: {where}: unknown staging entity {entity!r} in a "
                                f"placeholder; known: {', '.join(sorted(model.staging.entities))}")
