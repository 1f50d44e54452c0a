"""The shapes of cubes/*.yaml as frozen pydantic models; unknown keys are errors.

Only shape rules live here. Cross-checks against the catalog and between files (unknown column,
unknown level, join paths, measure types) are in model.py, which knows file names.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PERIODS = ("year", "quarter", "month", "week", "day", "fiscal_year", "fiscal_quarter")
MEASURE_TYPES = ("sum", "count", "count_distinct", "approx_count_distinct", "avg", "min", "max",
                 "calculated")

# A filter as written in YAML: attribute reference -> value, or list of values (a set).
Conditions = dict[str, Any]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AttributeSpec(Frozen):
    """A named attribute of a dimension: a column of its table, or an expression over columns."""

    column: str | None = None
    expr: str | None = Field(None, description="DuckDB expression over the table's columns")
    description: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> AttributeSpec:
        if (self.column is None) == (self.expr is None):
            raise ValueError("give exactly one of column or expr")
        return self


class LevelSpec(Frozen):
    key: str = Field(description="attribute or column whose value identifies a member")
    label: str | None = Field(None, description="attribute shown to people (default: the key)")
    sort: str | None = Field(None, description="attribute members are ordered by (default: key)")
    period: Literal["year", "quarter", "month", "week", "day", "fiscal_year",
                    "fiscal_quarter"] | None = Field(
        None, description="calendar granularity of this level, for time intelligence "
                          "(fiscal ones start in the dimension's fiscal_year_start month)")
    parent_child: bool = Field(
        False, description="a member stands for itself and every member under it (`parent`)")
    description: str = ""


class DimensionSpec(Frozen):
    """A conformed dimension, declared once in cubes/dimensions.yaml and shared by cubes."""

    table: str
    key: str = Field(description="surrogate key column the facts reference")
    time: str | None = Field(None, description="DATE column: makes this a time dimension")
    fiscal_year_start: int | None = Field(
        None, ge=1, le=12, description="month (1-12) the fiscal year starts in: the start of "
                                       "the fiscal_year and fiscal_quarter periods")
    parent: str | None = Field(None, description="column holding the key of a member's parent "
                                                 "(a parent-child hierarchy)")
    description: str = ""
    attributes: dict[str, AttributeSpec | str] = Field(default_factory=dict)
    levels: dict[str, LevelSpec]
    hierarchies: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    default_hierarchy: str | None = None

    @field_validator("attributes", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({"column": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value


class RoleSpec(Frozen):
    """A dimension as it plays a role in one cube (order date, due date), joined by `key`."""

    dimension: str | None = None
    key: str | None = Field(None, description="fact column holding the dimension's key")
    degenerate: dict[str, str] | None = Field(
        None, description="levels read straight off the fact: level name -> fact column")
    description: str = ""

    @model_validator(mode="after")
    def _kind(self) -> RoleSpec:
        if self.degenerate is not None:
            if self.dimension or self.key:
                raise ValueError("a degenerate dimension has no dimension or key")
        elif not (self.dimension and self.key):
            raise ValueError("give dimension and key (or degenerate: {level: fact column})")
        return self


class MeasureSpec(Frozen):
    type: Literal["sum", "count", "count_distinct", "approx_count_distinct", "avg", "min", "max",
                  "calculated"]
    column: str | None = Field(None, description="fact column, or role.attribute of a dimension")
    expr: str | None = Field(None, description="DuckDB expression over the fact's columns, "
                                               "aggregated per row (e.g. price * quantity)")
    formula: str | None = Field(None, description="calculated: arithmetic over other measures")
    filter: Conditions | None = Field(None, description="only fact rows meeting these conditions")
    semi_additive: Literal["last", "first"] | None = Field(
        None, description="snapshot balance: last/first value over `over`, summed elsewhere")
    over: str | None = Field(None, description="time role the semi-additive measure is taken over")
    format: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _shape(self) -> MeasureSpec:
        if self.column and self.expr:
            raise ValueError("give a column or an expr, not both")
        if self.type == "calculated":
            if not self.formula or self.column or self.expr:
                raise ValueError("a calculated measure has a formula and no column")
            if self.filter or self.semi_additive:
                raise ValueError("filter and semi_additive apply to base measures, not formulas")
        else:
            if self.formula:
                raise ValueError(f"a {self.type} measure has no formula (use type: calculated)")
            if self.type != "count" and not self.column and not self.expr:
                raise ValueError(f"a {self.type} measure needs a column (or an expr)")
        if self.semi_additive and not self.over:
            raise ValueError("a semi-additive measure names the time role it is taken `over`")
        if self.over and not self.semi_additive:
            raise ValueError("`over` only goes with semi_additive")
        return self


class CubeSpec(Frozen):
    """A cube over one fact table, or a drill-across cube over several cubes."""

    description: str = ""
    fact: str | None = Field(None, description="schema.table of the fact")
    grain: tuple[str, ...] = Field(default=(), description="fact columns identifying one row")
    dimensions: dict[str, RoleSpec] = Field(default_factory=dict)
    measures: dict[str, MeasureSpec] = Field(default_factory=dict)
    segments: dict[str, Conditions] = Field(default_factory=dict)
    drill_across: tuple[str, ...] = Field(default=(), description="cubes combined by shared dims")
    drill_through: tuple[str, ...] = Field(default=(), description="fact columns shown (default all)")
    # Aggregate tables of this cube; their shape is checked by warehouse.cube.agg.spec.
    aggregates: dict[str, Any] = Field(default_factory=dict, description="aggregate tables")

    @model_validator(mode="after")
    def _kind(self) -> CubeSpec:
        if bool(self.fact) == bool(self.drill_across):
            raise ValueError("give exactly one of fact or drill_across")
        if self.drill_across and self.dimensions:
            raise ValueError("a drill-across cube takes its dimensions from its cubes")
        return self


class DimensionsFile(Frozen):
    dimensions: dict[str, DimensionSpec]


class CubesFile(Frozen):
    cubes: dict[str, CubeSpec]
