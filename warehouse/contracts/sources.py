"""Source contracts (schemas/sources/*.yaml): connection, tables, columns, keys, watermarks, mapping."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from warehouse.contracts.loader import parse, read_yaml
from warehouse.contracts.types import normalise_type
from warehouse.errors import ContractError

if TYPE_CHECKING:
    from warehouse.contracts.files import FileSource


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(Frozen):
    type: str
    nullable: bool = True

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return normalise_type(value)


def parse_column(spec: str | dict) -> dict:
    """Accept the shorthand "decimal(12,2) not null" as well as {type:, nullable:}."""
    if isinstance(spec, dict):
        return spec
    text = str(spec).strip()
    nullable = True
    if text.lower().endswith("not null"):
        text, nullable = text[: -len("not null")].strip(), False
    return {"type": text, "nullable": nullable}


def expand_columns(data: object) -> object:
    """A mapping with `columns:` in shorthand, with each column spelled out."""
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        return {**data, "columns": {k: parse_column(v) for k, v in data["columns"].items()}}
    return data


class Deletes(Frozen):
    soft: str | None = Field(None, description="boolean column set when a row is soft-deleted")
    detect: Literal["key_scan"] | None = Field(
        None, description="compare the source's key set with the warehouse to find hard deletes"
    )


class Connection(Frozen):
    url_env: str
    default_url: str | None = None
    engine: Literal["auto", "scanner", "sqlalchemy"] = Field(
        "auto", description="scanner = DuckDB's postgres/mysql/sqlite scanners; sqlalchemy = "
        "any SQLAlchemy dialect through Arrow batches; auto picks the scanner when one exists",
    )

    def url(self, home: Path) -> str:
        value = os.environ.get(self.url_env) or self.default_url
        if not value:
            raise ContractError(f"no connection URL: set ${self.url_env}")
        return value.replace("{home}", str(home))


class SourceTable(Frozen):
    name: str = ""
    description: str = ""
    mode: Literal["incremental", "full"] = "incremental"
    key: tuple[str, ...]
    stage: str = Field(description="the staging entity this table feeds")
    watermark: str | None = None
    lag: str | None = None
    deletes: Deletes = Deletes()
    columns: dict[str, Column]
    mapping: dict[str, str] = Field(
        default_factory=dict,
        description="staging column -> DuckDB SQL expression over source columns; "
        "unmapped staging columns take the source column of the same name",
    )
    tolerate: tuple[Literal["retype", "missing_nullable"], ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        return expand_columns(data)

    @model_validator(mode="after")
    def _consistent(self) -> SourceTable:
        for col in self.key:
            if col not in self.columns:
                raise ValueError(f"key column {col!r} is not among the columns")
        if self.mode == "incremental" and not self.watermark:
            raise ValueError("an incremental table needs a watermark column (or mode: full)")
        if self.mode == "incremental" and self.watermark not in self.columns:
            raise ValueError(f"watermark column {self.watermark!r} is not among the columns")
        if self.deletes.soft and self.deletes.soft not in self.columns:
            raise ValueError(f"soft-delete column {self.deletes.soft!r} is not among the columns")
        return self


class Defaults(Frozen):
    watermark: str | None = None
    lag: str = "0 minutes"


class Source(Frozen):
    source: str
    description: str = ""
    kind: Literal["database"] = "database"
    connection: Connection
    on_new_columns: Literal["ignore", "warn", "error"] = "warn"
    defaults: Defaults = Defaults()
    tables: dict[str, SourceTable]
    path: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _fill_tables(cls, data: dict) -> dict:
        if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
            return data
        defaults = data.get("defaults") or {}
        tables = {}
        for name, spec in data["tables"].items():
            if isinstance(spec, dict):
                spec = {"name": name, **spec}
                if spec.get("mode", "incremental") == "incremental":
                    spec.setdefault("watermark", defaults.get("watermark"))
                spec.setdefault("lag", defaults.get("lag", "0 minutes"))
            tables[name] = spec
        return {**data, "tables": tables}

    @cached_property
    def by_stage(self) -> dict[str, SourceTable]:
        return {t.stage: t for t in self.tables.values()}


def load_source(path: Path) -> Source | FileSource:
    """A contract of its declared kind: database (the default) or file."""
    from warehouse.contracts.files import FileSource

    data = read_yaml(path)
    kinds: dict[str, type[Source] | type[FileSource]] = {"database": Source, "file": FileSource}
    model = kinds.get(str(data.get("kind", "database")), Source)  # an unknown kind: Source says so
    source = parse(model, path, data)
    return source.model_copy(update={"path": path})


def load_sources(directory: Path) -> dict[str, Source | FileSource]:
    """Every source contract in a folder, keyed by source name; names must be unique."""
    found: dict[str, Source | FileSource] = {}
    for path in sorted(directory.glob("*.yaml")):
        source = load_source(path)
        if source.source in found:
            raise ContractError(f"{path}: source {source.source!r} is also declared in "
                                f"{found[source.source].path}")
        found[source.source] = source
    if not found:
        raise ContractError(f"{directory}: no source contracts (*.yaml)")
    return found
