"""Expectation suites: Great Expectations 1.x suite JSON files, validated without importing GX.

One file per staged or core table in expectations/, named after the table it checks
(`staging.order_line.json`, `core.fact_sales_line.json`). The file format is GX's own
(`name`, `expectations: [{type, kwargs, meta}]`), so GX can read the files too; the warehouse
evaluates the supported types itself as DuckDB SQL (see sql.py) because GX's SQL path does not
work on DuckDB as shipped. Every problem names the file, the expectation and what is wrong.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from warehouse.config import REPO_ROOT
from warehouse.errors import ContractError

EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SCHEMAS = ("staging", "core")
PARAMETERS = ("business_date", "business_end", "load_id")


@dataclass(frozen=True)
class TypeSpec:
    """What an expectation type needs: required and optional kwargs, and how it is evaluated."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    row_level: bool = True   # its failures are rows (which can be quarantined)


ROW_OPTIONAL = ("mostly", "result_format")
# The supported expectation types (GX names, plus one project type marked below).
TYPES: dict[str, TypeSpec] = {
    "expect_column_values_to_not_be_null": TypeSpec(("column",), ROW_OPTIONAL),
    "expect_column_values_to_be_in_set": TypeSpec(("column", "value_set"), ROW_OPTIONAL),
    "expect_column_values_to_not_be_in_set": TypeSpec(("column", "value_set"), ROW_OPTIONAL),
    "expect_column_values_to_be_between": TypeSpec(
        ("column",), ("min_value", "max_value", "strict_min", "strict_max", *ROW_OPTIONAL)),
    "expect_column_values_to_match_regex": TypeSpec(("column", "regex"), ROW_OPTIONAL),
    "expect_column_values_to_not_match_regex": TypeSpec(("column", "regex"), ROW_OPTIONAL),
    "expect_column_value_lengths_to_be_between": TypeSpec(
        ("column",), ("min_value", "max_value", *ROW_OPTIONAL)),
    "expect_column_values_to_be_unique": TypeSpec(("column",), ROW_OPTIONAL),
    "expect_compound_columns_to_be_unique": TypeSpec(("column_list",), ROW_OPTIONAL),
    "expect_column_pair_values_a_to_be_greater_than_b": TypeSpec(
        ("column_A", "column_B"), ("or_equal", "ignore_row_if", *ROW_OPTIONAL)),
    "unexpected_rows_expectation": TypeSpec(("unexpected_rows_query",), ("result_format",)),
    "expect_table_row_count_to_be_between": TypeSpec((), ("min_value", "max_value"), False),
    "expect_column_sum_to_be_between": TypeSpec(("column",), ("min_value", "max_value"), False),
    # Project type (a GX custom expectation in spirit): rows after this load compared with
    # rows before it, from meta.table_changes; a first load (nothing before) passes.
    "expect_table_row_count_change_to_be_between": TypeSpec((), ("min_ratio", "max_ratio"), False),
    # Project type, staging suites only: each source table's (or file family's) rows read by
    # this load compared with its previous batch, from meta.batches (quality/batch_change.py).
    "expect_batch_row_count_change_to_be_between": TypeSpec(
        (), ("min_ratio", "max_ratio", "include_incremental"), False),
}
STAGING_ONLY = {"expect_batch_row_count_change_to_be_between"}


class Meta(BaseModel):
    """The warehouse's part of an expectation: how bad a failure is and what happens to rows."""

    model_config = ConfigDict(extra="allow", frozen=True)

    severity: Literal["blocking", "warning"]
    on_fail: Literal["quarantine", "report"] = "report"
    name: str | None = Field(None, description="unique name within the suite (default type(column))")
    notes: str | None = None


class RawExpectation(BaseModel):
    """One entry of a GX 1.x suite; GX's own optional fields are accepted and kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
    meta: Meta
    id: str | None = None
    description: str | None = None
    notes: str | list[str] | None = None
    severity: str | None = None
    rendered_content: Any = None


class RawSuite(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    id: str | None = None
    expectations: list[RawExpectation]
    meta: dict[str, Any] = Field(default_factory=dict)
    notes: str | list[str] | None = None


@dataclass(frozen=True)
class Expectation:
    name: str
    type: str
    kwargs: dict[str, Any]
    severity: str
    on_fail: str
    index: int

    @property
    def row_level(self) -> bool:
        return TYPES[self.type].row_level

    @property
    def column(self) -> str | None:
        kw = self.kwargs
        if "column" in kw:
            return kw["column"]
        if "column_list" in kw:
            return ",".join(kw["column_list"])
        if "column_A" in kw:
            return f"{kw['column_A']},{kw['column_B']}"
        return None

    def columns(self) -> list[str]:
        kw = self.kwargs
        return ([kw["column"]] if "column" in kw else []) + list(kw.get("column_list", [])) + \
            [kw[k] for k in ("column_A", "column_B") if k in kw]


@dataclass(frozen=True)
class Suite:
    name: str              # schema.table
    path: Path
    expectations: tuple[Expectation, ...] = field(default_factory=tuple)

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]

    def where(self, e: Expectation) -> str:
        return f"{self.path}: expectations[{e.index}] {e.name}"


def expectations_dir() -> Path:
    """$CRMWH_EXPECTATIONS_DIR or the repository's expectations/ folder."""
    return Path(os.environ.get("CRMWH_EXPECTATIONS_DIR") or EXPECTATIONS_DIR)


def default_name(type_: str, kwargs: dict[str, Any]) -> str:
    col = kwargs.get("column") or ",".join(kwargs.get("column_list", [])) or (
        f"{kwargs['column_A']},{kwargs['column_B']}" if "column_A" in kwargs else "")
    return f"{type_}({col})" if col else type_


def _check_kwargs(where: str, type_: str, kwargs: dict[str, Any], meta: Meta) -> None:
    spec = TYPES.get(type_)
    if spec is None:
        raise ContractError(f"{where}: unsupported expectation type {type_!r}; supported: "
                            f"{', '.join(sorted(TYPES))}")
    missing = [k for k in spec.required if k not in kwargs]
    if missing:
        raise ContractError(f"{where}: {type_} needs kwargs {', '.join(missing)}")
    unknown = [k for k in kwargs if k not in spec.required + spec.optional]
    if unknown:
        raise ContractError(f"{where}: {type_} does not take kwargs {', '.join(unknown)} "
                            f"(takes {', '.join(spec.required + spec.optional) or 'none'})")
    if meta.on_fail == "quarantine" and not spec.row_level:
        raise ContractError(f"{where}: on_fail quarantine needs a row-level expectation; "
                            f"{type_} checks the whole table")
    for key in ("value_set", "column_list"):
        if key in kwargs and not (isinstance(kwargs[key], list) and kwargs[key]):
            raise ContractError(f"{where}: {key} must be a non-empty list")
    for key in ("column", "column_A", "column_B", "regex", "unexpected_rows_query"):
        if key in kwargs and not (isinstance(kwargs[key], str) and kwargs[key]):
            raise ContractError(f"{where}: {key} must be a non-empty string")
    for key in ("min_ratio", "max_ratio"):
        if key in kwargs and not (isinstance(kwargs[key], int | float)
                                  and not isinstance(kwargs[key], bool) and kwargs[key] >= 0):
            raise ContractError(f"{where}: {key} must be a number >= 0")
    if "include_incremental" in kwargs and not isinstance(kwargs["include_incremental"], bool):
        raise ContractError(f"{where}: include_incremental must be true or false")
    if "mostly" in kwargs and not (isinstance(kwargs["mostly"], int | float)
                                   and 0 <= kwargs["mostly"] <= 1):
        raise ContractError(f"{where}: mostly must be a number between 0 and 1")
    if type_ == "unexpected_rows_expectation" and "{batch}" not in kwargs["unexpected_rows_query"]:
        raise ContractError(f"{where}: unexpected_rows_query must read the rows under test "
                            "as {batch}")
    for value in kwargs.values():
        if isinstance(value, dict):
            param = value.get("$PARAMETER")
            if set(value) != {"$PARAMETER"} or param not in PARAMETERS:
                raise ContractError(f"{where}: a kwarg object must be {{\"$PARAMETER\": name}} "
                                    f"with name one of {', '.join(PARAMETERS)}; got {value}")


def parse_suite(path: Path, data: Any) -> Suite:
    """Validate one suite's JSON data; `path` is only used in messages."""
    try:
        raw = RawSuite.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = list(err["loc"])
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
            problems.append(f"  {where or '(top level)'}: {err['msg']}")
        raise ContractError(f"{path}: invalid expectation suite:\n" + "\n".join(problems)) from exc
    schema, _, table = raw.name.partition(".")
    if schema not in SCHEMAS or not table:
        raise ContractError(f"{path}: name {raw.name!r} must be staging.<entity> or core.<table>")
    if path.name != f"{raw.name}.json":
        raise ContractError(f"{path}: a suite named {raw.name!r} must be in {raw.name}.json")
    seen: dict[str, int] = {}
    out = []
    for i, e in enumerate(raw.expectations):
        name = e.meta.name or default_name(e.type, e.kwargs)
        where = f"{path}: expectations[{i}] {name}"
        _check_kwargs(where, e.type, e.kwargs, e.meta)
        if e.type in STAGING_ONLY and schema != "staging":
            raise ContractError(f"{where}: {e.type} compares the batches of a staging entity; "
                                "core suites use expect_table_row_count_change_to_be_between")
        if e.meta.on_fail == "quarantine" and schema != "staging":
            raise ContractError(f"{where}: on_fail quarantine is for staging suites; core "
                                "suites report (a blocking failure stops publishing)")
        if name in seen:
            raise ContractError(f"{where}: duplicate name (also expectations[{seen[name]}]); "
                                "give one of them meta.name")
        seen[name] = i
        out.append(Expectation(name, e.type, dict(e.kwargs), e.meta.severity, e.meta.on_fail, i))
    return Suite(raw.name, path, tuple(out))


def load_suite(path: Path) -> Suite:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ContractError(f"{path}: not valid JSON: line {exc.lineno} column {exc.colno}: "
                            f"{exc.msg}") from exc
    except OSError as exc:
        raise ContractError(f"{path}: cannot be read: {exc}") from exc
    return parse_suite(path, data)


def load_suites(directory: Path | None = None) -> dict[str, Suite]:
    """Every suite in the folder by table name (schema.table); no folder means no gates."""
    folder = directory or expectations_dir()
    if not folder.is_dir():
        return {}
    suites = [load_suite(p) for p in sorted(folder.glob("*.json"))]
    return {s.name: s for s in suites}


def check_tables(suites: dict[str, Suite], staging_entities: set[str]) -> None:
    """Staging suites must name a declared staging entity (core tables are checked when run)."""
    for suite in suites.values():
        if suite.schema == "staging" and suite.table not in staging_entities:
            raise ContractError(f"{suite.path}: name {suite.name!r}: no staging entity "
                                f"{suite.table!r}; known: {', '.join(sorted(staging_entities))}")
