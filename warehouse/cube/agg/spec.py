"""Aggregate declarations: `aggregates:` under a cube in cubes/*.yaml, resolved and checked.

    cubes:
      sales:
        ...
        aggregates:
          by_month_region:
            levels: [date.month, customer.region]
            measures: [revenue, orders, avg_price]
            order_by: [customer.region]     # optional: rows sorted by these kept levels first

A level keeps its ancestors in every hierarchy of its dimension (date.month keeps quarter and
year), with their labels and sort keys, so roll-ups and filters on coarser levels read the
aggregate without joining the dimension. Calculated measures bring the measures they use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from warehouse.contracts.loader import parse, read_yaml
from warehouse.cube.model import Cube, CubeModel, Level, LevelRef, Measure
from warehouse.errors import ContractError, UserError


class AggregateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    levels: tuple[str, ...] = Field(description="role.level kept (with their ancestors)")
    measures: tuple[str, ...] = Field(description="measures stored (calculated: their inputs)")
    order_by: tuple[str, ...] = Field(
        (), description="kept levels (role.level) the table is sorted by first, so filters on "
                        "them skip most row groups; then the other kept columns")
    description: str = ""


class _CubeAggs(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    aggregates: dict[str, AggregateSpec] = Field(default_factory=dict)


class _File(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    cubes: dict[str, _CubeAggs] = Field(default_factory=dict)


@dataclass(frozen=True)
class Aggregate:
    """One declared aggregate table of one cube, resolved against the cube model."""

    cube: str
    name: str
    levels: tuple[LevelRef, ...]
    measures: tuple[Measure, ...]           # base measures only
    path: Path
    order_by: tuple[LevelRef, ...] = ()     # levels the table is sorted by first

    @property
    def table(self) -> str:
        return f"agg.{self.cube}__{self.name}"

    @property
    def label(self) -> str:
        return f"{self.cube}.{self.name}"


def load_aggregates(model: CubeModel, directory: Path) -> dict[str, list[Aggregate]]:
    """cube name -> its aggregates, from the same *.yaml files the cube model was read from."""
    out: dict[str, list[Aggregate]] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "dimensions.yaml":
            continue
        raw = read_yaml(path)
        for cube_name, entry in parse(_File, path, raw).cubes.items():
            for agg_name, spec in entry.aggregates.items():
                where = f"cubes.{cube_name}.aggregates.{agg_name}"
                cube = model.cubes.get(cube_name)
                if cube is None or cube.fact is None:
                    raise ContractError(f"{path}: {where}: aggregates belong to a cube over one "
                                        f"fact table")
                out.setdefault(cube_name, []).append(
                    resolve(cube, agg_name, spec, path, where))
    return out


def _level(cube: Cube, ref: str, at: str) -> LevelRef:
    """A level reference of the cube, or a ContractError that says where it was written."""
    try:
        return cube.level(ref)
    except UserError as exc:
        raise ContractError(f"{at}: {exc}") from None


def resolve(cube: Cube, name: str, spec: AggregateSpec, path: Path, where: str) -> Aggregate:
    """Check the names of one declaration; errors name file, key and the problem."""
    if not name.isidentifier():
        raise ContractError(f"{path}: {where}: the name must be an identifier (letters, digits, _)")
    if not spec.levels:
        raise ContractError(f"{path}: {where}.levels: keep at least one level")
    levels = []
    for i, ref in enumerate(spec.levels):
        level = _level(cube, ref, f"{path}: {where}.levels[{i}]")
        if level.level.name not in level.role.dimension.levels:
            raise ContractError(f"{path}: {where}.levels[{i}]: {ref!r} is an attribute, not a "
                                f"declared level of {level.role.dimension.name}")
        levels.append(level)
    measures: dict[str, Measure] = {}

    def add(mname: str, at: str) -> None:
        if mname not in cube.measures:
            raise ContractError(f"{path}: {at}: unknown measure {mname!r}; known: "
                                f"{', '.join(cube.measures)}")
        m = cube.measures[mname]
        if m.type == "calculated":
            for dep in m.depends:
                add(dep, at)
        else:
            measures.setdefault(mname, m)

    if not spec.measures:
        raise ContractError(f"{path}: {where}.measures: store at least one measure")
    for i, mname in enumerate(spec.measures):
        add(mname, f"{where}.measures[{i}]")
    kept = {f"{r.role.name}.{lv.name}" for r in levels for lv in ancestors(r)}
    order = []
    for i, ref in enumerate(spec.order_by):
        level = _level(cube, ref, f"{path}: {where}.order_by[{i}]")
        if level.name not in kept:
            raise ContractError(f"{path}: {where}.order_by[{i}]: {ref!r} is not a level this "
                                f"aggregate keeps; kept: {', '.join(sorted(kept))}")
        order.append(level)
    return Aggregate(cube.name, name, tuple(levels), tuple(measures.values()), path, tuple(order))


def ancestors(ref: LevelRef) -> list[Level]:
    """The level and every level above it in each hierarchy that contains it (coarsest first)."""
    dim = ref.role.dimension
    out: dict[str, Level] = {}
    for hierarchy in dim.hierarchies.values():
        if ref.level.name in hierarchy:
            for name in hierarchy[:hierarchy.index(ref.level.name)]:
                out.setdefault(name, dim.levels[name])
    out.setdefault(ref.level.name, ref.level)
    return list(out.values())
