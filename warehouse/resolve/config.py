"""Resolution settings (schemas/resolve/resolve.yaml) and survivorship rules
(schemas/resolve/survivorship.yaml), validated on load: errors name the file and key."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from warehouse.config import SCHEMAS_DIR
from warehouse.contracts.loader import parse
from warehouse.errors import ContractError

RESOLVE_DIR = SCHEMAS_DIR / "resolve"
DETERMINISTIC_KEYS = {"person": {"email", "phone"},
                      "company": {"uscc", "email", "contact_email", "phone"}}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Training(Strict):
    u_max_pairs: float = Field(gt=0)
    em_max_pairs: float = Field(gt=0)


class EntitySettings(Strict):
    staged: str
    model: str
    link_threshold: float = Field(gt=0, lt=1)
    dedupe_threshold: float = Field(gt=0, lt=1)
    deterministic: list[str]
    train: Training


class ResolveSettings(Strict):
    memory_limit: str = Field("4GB", pattern=r"^[0-9]+(\.[0-9]+)? ?([KMGT]i?B)$")
    entities: dict[Literal["person", "company"], EntitySettings]

    @model_validator(mode="after")
    def _keys_known(self) -> ResolveSettings:
        for kind, ent in self.entities.items():
            unknown = set(ent.deterministic) - DETERMINISTIC_KEYS[kind]
            if unknown:
                raise ValueError(f"entities.{kind}.deterministic: unknown keys {sorted(unknown)}; "
                                 f"known: {sorted(DETERMINISTIC_KEYS[kind])}")
        return self


SQL_TYPES = {"text": "VARCHAR", "date": "DATE", "decimal(14,2)": "DECIMAL(14,2)",
             "decimal(18,2)": "DECIMAL(18,2)", "decimal(3,1)": "DECIMAL(3,1)"}


class Attribute(Strict):
    rule: Literal["source_priority", "most_recent", "most_complete"]
    sources: list[str] = Field(min_length=1)
    type: Literal["text", "date", "decimal(14,2)", "decimal(18,2)", "decimal(3,1)"] = "text"


class Survivorship(Strict):
    sources: dict[str, int]
    customer_profile: dict[str, Attribute]
    prospect: dict[str, Attribute]

    @model_validator(mode="after")
    def _sources_declared(self) -> Survivorship:
        for section in ("customer_profile", "prospect"):
            for name, attr in getattr(self, section).items():
                missing = [s for s in attr.sources if s not in self.sources]
                if missing:
                    raise ValueError(f"{section}.{name}.sources: {missing} not declared under "
                                     f"sources ({sorted(self.sources)})")
        return self


def load_settings(folder: Path = RESOLVE_DIR) -> ResolveSettings:
    return parse(ResolveSettings, folder / "resolve.yaml")


def load_survivorship(folder: Path = RESOLVE_DIR) -> Survivorship:
    return parse(Survivorship, folder / "survivorship.yaml")


def model_path(settings: EntitySettings, folder: Path = RESOLVE_DIR) -> Path:
    path = folder / settings.model
    if not path.exists():
        raise ContractError(f"{path}: the Splink model is missing; run `crmwh resolve train`")
    return path
