"""File source contracts (kind: file): file families in the landing zone and their columns.

One YAML per external source, like the database contracts; each family names its files
(glob), format, encoding, the staging entity it feeds and, per staging column, the file
column it comes from and the standardisation rules applied (validated here, by name).
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from warehouse.clean.rules import RuleCall, parse_rule
from warehouse.contracts.sources import Deletes, Frozen

# Encodings a contract may name -> (DuckDB encodings-extension name, Python codec).
ENCODINGS = {
    "utf-8": ("utf-8", "utf-8"),
    "utf-8-sig": ("utf-8", "utf-8-sig"),
    "gbk": ("gb18030", "gb18030"),  # GBK files often hold GB18030's 4-byte characters
    "gb18030": ("gb18030", "gb18030"),
}


class FileColumn(Frozen):
    """Where one staging column comes from: a file column, the file name, or a constant."""

    from_: str | None = Field(None, alias="from", description="file column (header) name")
    from_name: str | None = Field(None, description="regex over the file name; group 1 is the value")
    value: str | None = Field(None, description="a constant for every row")
    clean: tuple[Any, ...] = ()

    @model_validator(mode="after")
    def _one_origin(self) -> FileColumn:
        origins = [o for o in (self.from_, self.from_name, self.value) if o is not None]
        if len(origins) != 1:
            raise ValueError("give exactly one of `from` (a file column), `from_name` "
                             "(a regex over the file name) or `value`")
        if self.from_name is not None:
            try:
                pattern = re.compile(self.from_name)
            except re.error as exc:
                raise ValueError(f"from_name is not a valid regex: {exc}") from exc
            if pattern.groups != 1:
                raise ValueError("from_name needs exactly one capturing group")
        return self

    @field_validator("clean", mode="before")
    @classmethod
    def _rules(cls, value: Any) -> tuple[Any, ...]:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            raise ValueError("clean is a list of rules")
        rules = [parse_rule(spec) for spec in value]  # ValueError names a bad rule or argument
        for rule in rules[:-1]:
            if rule.rule.lookup is not None:
                raise ValueError(f"rule {rule.name!r} looks a value up: it must be the last rule")
        return tuple(value)

    @cached_property
    def rules(self) -> tuple[RuleCall, ...]:
        return tuple(parse_rule(spec) for spec in self.clean)


class FileFamily(Frozen):
    """One kind of file of a source (e.g. the monthly people list)."""

    name: str = ""
    description: str = ""
    pattern: str = Field(description="glob of file names in landing/<source>/")
    format: Literal["csv", "jsonl", "parquet", "xlsx"]
    encoding: str = "utf-8"
    delimiter: str = ","
    quote: str = '"'
    header: bool = True
    sheet: str | None = Field(None, description="xlsx: sheet name (default the first)")
    stage: str = Field(description="the staging entity this family feeds")
    key: tuple[str, ...]
    columns: dict[str, FileColumn]
    max_ragged_fraction: float = Field(
        0.01, ge=0, le=1, description="CSV rows with a wrong field count are quarantined; more "
        "than this share of the file's rows rejects the whole file")

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        name = value.strip().lower().replace("_", "-")
        name = {"utf8": "utf-8", "utf-8-bom": "utf-8-sig", "utf8-sig": "utf-8-sig"}.get(name, name)
        if name not in ENCODINGS:
            raise ValueError(f"unknown encoding {value!r}; expected one of {', '.join(ENCODINGS)}")
        return name

    @field_validator("delimiter", "quote")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError(f"expected one character, got {value!r}")
        return value

    @model_validator(mode="after")
    def _keys_declared(self) -> FileFamily:
        for col in self.key:
            if col not in self.columns:
                raise ValueError(f"key column {col!r} is not among the columns")
        if not self.header and self.format == "csv":
            for name, col in self.columns.items():
                if col.from_ is not None and not re.fullmatch(r"column\d+", col.from_):
                    raise ValueError(f"columns.{name}.from: a file without a header names its "
                                     f"columns column1, column2, ... (got {col.from_!r})")
        return self

    @property
    def codec(self) -> str:
        return ENCODINGS[self.encoding][1]

    @property
    def duck_encoding(self) -> str:
        return ENCODINGS[self.encoding][0]

    @property
    def file_columns(self) -> list[str]:
        """File columns read, in declaration order, without repeats."""
        return list(dict.fromkeys(c.from_ for c in self.columns.values() if c.from_ is not None))

    # The staging step reads these like a database table's settings.
    @property
    def mapping(self) -> dict[str, str]:
        return {}

    @property
    def mode(self) -> str:
        return "file"

    @property
    def watermark(self) -> None:
        return None

    @property
    def deletes(self) -> Deletes:
        return Deletes()


class FileSource(Frozen):
    source: str
    description: str = ""
    kind: Literal["file"]
    files: dict[str, FileFamily]
    path: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _name_families(cls, data: Any) -> Any:
        """A family is named by its key: meta.file_manifests, --accept-change and the asset
        names all use it, so a `name:` that says otherwise is refused, not half-obeyed."""
        if isinstance(data, dict) and isinstance(data.get("files"), dict):
            for key, spec in data["files"].items():
                if isinstance(spec, dict) and spec.get("name", key) != key:
                    raise ValueError(f"files.{key}: name {spec['name']!r} differs from its key; "
                                     f"a file family is named by its key (drop `name:`)")
            files = {n: ({**s, "name": n} if isinstance(s, dict) else s)
                     for n, s in data["files"].items()}
            return {**data, "files": files}
        return data

    @property
    def tables(self) -> dict[str, FileFamily]:
        """The families, under the name database sources use, for lineage and asset specs."""
        return self.files

    def landing(self, landing_root: Path) -> Path:
        return landing_root / self.source
