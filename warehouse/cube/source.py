"""The seam for aggregate navigation: which table a cube's component reads, and how.

The compiler never assumes the base fact table. It asks a `SourcePicker` for a `FactSource`
given what a component needs (levels, attributes, measures); the default picks the cube's own
fact. An aggregate table is a FactSource whose `levels` carry pre-joined level values (no
dimension join) and whose `measures` carry partial aggregates the compiler re-aggregates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FactSource:
    """A table a cube component reads.

    table: "schema.name" of the table.
    columns: fact column -> column of `table` (absent: same name). Role foreign keys and
        measure columns are looked up here, so a copy of the fact with renamed columns works.
    levels: "role.level" or "role.attribute" -> column of `table` holding that value; such a
        reference needs no dimension join (an aggregate table stores level values directly).
    measures: measure component -> column of `table` holding its partial aggregate, which is
        re-aggregated (sum for sum and count, min, max; count(DISTINCT) for distinct counts,
        so map those only where the table's grain keeps the distinct values). Components are
        the measure name, or name__sum / name__count for an average (measure_sql.components).
    name: shown by `explain` (default: the table).
    grain: the columns the table is grouped by (an aggregate table: one row per combination).
    determines: grain column -> other grain columns whose value it fixes in this table (checked
        on the data when the aggregate was built: a city fixes its nation, region and label).
    sum_types: measure component -> the type its re-aggregating SUM returns (the base fact's).
    A query whose grouping and single-value cuts fix every grain column reads one table row per
    answer row, so it needs no re-aggregation (component.py).
    """

    table: str
    columns: Mapping[str, str] = field(default_factory=dict)
    levels: Mapping[str, str] = field(default_factory=dict)
    measures: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None
    grain: tuple[str, ...] = ()
    determines: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sum_types: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.name or self.table

    def column(self, fact_column: str) -> str:
        return self.columns.get(fact_column, fact_column)


@dataclass(frozen=True)
class Needs:
    """What one component of a query reads from its cube: enough to judge an aggregate table."""

    cube: str
    levels: frozenset[str]          # "role.level" grouped by (drilldown), keys of their labels/sorts
    filters: frozenset[str]         # "role.level"/"role.attribute" filtered on (cuts, segments)
    measures: frozenset[str]        # base measures aggregated
    time_shifted: bool = False      # a time-intelligence window: dates are remapped
    subtrees: bool = False          # a parent-child level: members stand for their subtrees


SourcePicker = Callable[["object", Needs], FactSource]   # (Cube, Needs) -> FactSource


def base_source(cube, needs: Needs) -> FactSource:
    """The default picker: the cube's own fact table."""
    return FactSource(cube.fact)
