"""Load cubes/*.yaml into a resolved, checked model.

Every reference is resolved once here (role.level, measure columns, formulas, segments) against a
catalog of real tables, so the compiler never meets a name it cannot place, and every mistake is
reported as `<file>: <key path>: <problem>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from warehouse.contracts.loader import parse, read_yaml
from warehouse.cube.catalog import Catalog, catalog_from_model, is_numeric
from warehouse.cube.spec import CubesFile, CubeSpec, DimensionsFile, DimensionSpec, MeasureSpec
from warehouse.errors import ContractError, UserError

CUBES_DIR = Path(__file__).resolve().parent.parent.parent / "cubes"


@dataclass(frozen=True)
class Attr:
    name: str
    expr: exp.Expression          # over the dimension table's (or the fact's) unqualified columns
    dtype: str


@dataclass(frozen=True)
class Level:
    name: str
    key: Attr
    label: Attr | None = None
    sort: Attr | None = None
    period: str | None = None
    parent_child: bool = False
    # "organisation.manager_key": an attribute of a parent-child level's member, for cuts only
    # (members whose manager is 1, with everything under them: the children of 1).
    member_of: str | None = None


@dataclass(frozen=True)
class Dimension:
    name: str
    table: str | None             # None: degenerate, attributes are fact columns
    key: str | None
    attributes: dict[str, Attr]
    levels: dict[str, Level]
    hierarchies: dict[str, tuple[str, ...]]
    default_hierarchy: str | None = None
    time: Attr | None = None
    parent: str | None = None
    fiscal_start: int = 1         # the month fiscal periods start in (fiscal_year_start)

    def level(self, name: str) -> Level | None:
        """A declared level, or any attribute as a one-attribute level (for filters), or
        "<parent-child level>.<attribute>": that attribute of the level's members (for cuts)."""
        if name in self.levels:
            return self.levels[name]
        attr = self.attributes.get(name)
        if attr is None and "." in name:
            base, _, attr_name = name.partition(".")
            tree = self.levels.get(base)
            attr = self.attributes.get(attr_name) if tree and tree.parent_child else None
            return Level(name=name, key=attr, parent_child=True, member_of=base) if attr else None
        return Level(name=name, key=attr) if attr else None

    def hierarchy_of(self, level: str) -> tuple[str, ...]:
        """The hierarchy a level belongs to (the default one first)."""
        names = ([self.default_hierarchy] if self.default_hierarchy else []) + list(self.hierarchies)
        for name in names:
            if level in self.hierarchies.get(name, ()):
                return self.hierarchies[name]
        return (level,)


@dataclass(frozen=True)
class Role:
    name: str
    dimension: Dimension
    fact_key: str | None          # None for degenerate dimensions


@dataclass(frozen=True)
class LevelRef:
    role: Role
    level: Level

    @property
    def name(self) -> str:
        return f"{self.role.name}.{self.level.name}"


@dataclass(frozen=True)
class Condition:
    ref: LevelRef
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Measure:
    name: str
    type: str
    cube: str                     # the base cube it is computed on
    column: exp.Expression | None = None
    column_ref: LevelRef | None = None
    dtype: str | None = None
    formula: exp.Expression | None = None
    filter: tuple[Condition, ...] = ()
    semi_additive: str | None = None
    over: Role | None = None
    depends: tuple[str, ...] = ()

    @property
    def additive(self) -> bool:
        return self.type in {"sum", "count"} and not self.semi_additive


@dataclass
class Cube:
    name: str
    path: Path
    fact: str | None
    roles: dict[str, Role]
    measures: dict[str, Measure]
    segments: dict[str, tuple[Condition, ...]]
    fact_columns: dict[str, str] = field(default_factory=dict)
    grain: tuple[str, ...] = ()
    drill_through: tuple[str, ...] = ()
    components: tuple[str, ...] = ()          # drill-across: the base cubes it combines
    description: str = ""
    _resolved: dict[str, LevelRef] = field(default_factory=dict, repr=False, compare=False)

    def role(self, name: str) -> Role:
        """A role by name, or the only role a conformed dimension plays here."""
        if name in self.roles:
            return self.roles[name]
        playing = [r for r in self.roles.values() if r.dimension.name == name]
        if len(playing) == 1:
            return playing[0]
        if playing:
            raise UserError(f"cube {self.name}: dimension {name!r} plays several roles here "
                            f"({', '.join(r.name for r in playing)}); name one of them")
        raise UserError(f"cube {self.name}: no dimension {name!r}; known: "
                        f"{', '.join(sorted(self.roles))}")

    def level(self, ref: str) -> LevelRef:
        """Resolve 'role.level' (or 'role.attribute', or 'dimension.level' when unambiguous)."""
        found = self._resolved.get(ref)
        if found is None:
            found = self._resolved[ref] = self._level(ref)
        return found

    def _level(self, ref: str) -> LevelRef:
        role_name, dot, level_name = ref.partition(".")
        if not dot:
            raise UserError(f"cube {self.name}: {ref!r} is not a level; write role.level, "
                            f"e.g. {next(iter(self.roles), 'date')}.<level>")
        role = self.role(role_name)
        level = role.dimension.level(level_name)
        if level is None:
            raise UserError(f"cube {self.name}: {role.name} has no level or attribute "
                            f"{level_name!r}; levels: {', '.join(role.dimension.levels)}")
        return LevelRef(role, level)

    def measure(self, name: str) -> Measure:
        if name not in self.measures:
            raise UserError(f"cube {self.name}: no measure {name!r}; known: "
                            f"{', '.join(sorted(self.measures))}")
        return self.measures[name]


@dataclass
class CubeModel:
    dimensions: dict[str, Dimension]
    cubes: dict[str, Cube]
    catalog: Catalog

    def cube(self, name: str) -> Cube:
        if name not in self.cubes:
            raise UserError(f"no cube {name!r}; known: {', '.join(sorted(self.cubes))}")
        return self.cubes[name]


def load_cube_model(directory: Path | None = None, catalog: Catalog | None = None) -> CubeModel:
    """Read dimensions.yaml and every other *.yaml in `directory` (default: cubes/)."""
    directory = directory or CUBES_DIR
    catalog = catalog if catalog is not None else catalog_from_model()
    dim_path = directory / "dimensions.yaml"
    dims_file = parse(DimensionsFile, dim_path)
    dimensions = {name: _dimension(dim_path, name, spec, catalog)
                  for name, spec in dims_file.dimensions.items()}
    specs: dict[str, tuple[Path, CubeSpec]] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "dimensions.yaml":
            continue
        for name, spec in parse(CubesFile, path, read_yaml(path)).cubes.items():
            if name in specs:
                raise ContractError(f"{path}: cubes.{name}: also declared in {specs[name][0]}")
            specs[name] = (path, spec)
    cubes: dict[str, Cube] = {}
    for name, (path, spec) in specs.items():
        if spec.fact:
            cubes[name] = _cube(path, name, spec, dimensions, catalog)
    for name, (path, spec) in specs.items():
        if spec.drill_across:
            cubes[name] = _drill_across(path, name, spec, cubes)
    return CubeModel(dimensions, cubes, catalog)


# ---- dimensions --------------------------------------------------------------------------


def _columns(path: Path, where: str, table: str, catalog: Catalog) -> dict[str, str]:
    if table not in catalog:
        raise ContractError(f"{path}: {where}: unknown table {table!r}")
    return catalog[table]


def _expr(path: Path, where: str, text: str, columns: dict[str, str], what: str) -> exp.Expression:
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except ParseError as exc:
        raise ContractError(f"{path}: {where}: not a valid expression: {exc}") from None
    for col in tree.find_all(exp.Column):
        if col.name not in columns:
            raise ContractError(f"{path}: {where}: unknown column {col.name!r} of {what}; "
                                f"known: {', '.join(columns)}")
    return tree


def _column_attr(name: str, column: str, columns: dict[str, str]) -> Attr:
    return Attr(name, exp.column(column, quoted=True), columns[column])


def _dimension(path: Path, name: str, spec: DimensionSpec, catalog: Catalog) -> Dimension:
    where = f"dimensions.{name}"
    columns = _columns(path, f"{where}.table", spec.table, catalog)
    if spec.key not in columns:
        raise ContractError(f"{path}: {where}.key: unknown column {spec.key!r} of {spec.table}")
    attrs = {c: _column_attr(c, c, columns) for c in columns}
    for attr_name, attr in spec.attributes.items():
        at = f"{where}.attributes.{attr_name}"
        if attr.column is not None:
            if attr.column not in columns:
                raise ContractError(f"{path}: {at}: unknown column {attr.column!r} of {spec.table}")
            attrs[attr_name] = _column_attr(attr_name, attr.column, columns)
        else:
            tree = _expr(path, at, attr.expr, columns, spec.table)
            attrs[attr_name] = Attr(attr_name, tree, _expr_type(tree, columns))
    return _with_levels(path, where, name, spec, attrs, spec.table, spec.key)


def _with_levels(path: Path, where: str, name: str, spec: DimensionSpec, attrs: dict[str, Attr],
                 table: str | None, key: str | None) -> Dimension:
    def attr(level: str, part: str, ref: str | None) -> Attr | None:
        if ref is None:
            return None
        if ref not in attrs:
            raise ContractError(f"{path}: {where}.levels.{level}.{part}: unknown attribute or "
                                f"column {ref!r}; known: {', '.join(attrs)}")
        return attrs[ref]

    levels = {}
    for lname, lv in spec.levels.items():
        levels[lname] = Level(lname, attr(lname, "key", lv.key), attr(lname, "label", lv.label),
                              attr(lname, "sort", lv.sort), lv.period, lv.parent_child)
        if lv.parent_child and not spec.parent:
            raise ContractError(f"{path}: {where}.levels.{lname}.parent_child: the dimension "
                                f"declares no `parent` column")
    if spec.parent and (spec.parent not in attrs or table is None):
        raise ContractError(f"{path}: {where}.parent: unknown column {spec.parent!r} of {table}")
    for hname, path_levels in spec.hierarchies.items():
        for lname in path_levels:
            if lname not in levels:
                raise ContractError(f"{path}: {where}.hierarchies.{hname}: unknown level "
                                    f"{lname!r}; levels: {', '.join(levels)}")
    if spec.default_hierarchy and spec.default_hierarchy not in spec.hierarchies:
        raise ContractError(f"{path}: {where}.default_hierarchy: unknown hierarchy "
                            f"{spec.default_hierarchy!r}")
    time = None
    if spec.time:
        time = attrs.get(spec.time)
        if time is None or time.dtype != "DATE":
            raise ContractError(f"{path}: {where}.time: {spec.time!r} must be a DATE column")
    for lname, lv in spec.levels.items():
        if lv.period and not time:
            raise ContractError(f"{path}: {where}.levels.{lname}.period: the dimension "
                                f"declares no `time:` column")
        if (lv.period or "").startswith("fiscal_") and spec.fiscal_year_start is None:
            raise ContractError(f"{path}: {where}.levels.{lname}.period: {lv.period} needs "
                                f"the month the fiscal year starts in (fiscal_year_start: 4)")
    return Dimension(name, table, key, attrs, levels, dict(spec.hierarchies),
                     spec.default_hierarchy or next(iter(spec.hierarchies), None), time,
                     spec.parent, spec.fiscal_year_start or 1)


def _expr_type(tree: exp.Expression, columns: dict[str, str]) -> str:
    """The DuckDB type of an attribute expression, asked of DuckDB on an empty relation."""
    import duckdb

    con = duckdb.connect()
    try:
        cols = ", ".join(f"NULL::{t} AS {exp.to_identifier(c, quoted=True).sql('duckdb')}"
                         for c, t in columns.items())
        rel = con.sql(f"SELECT {tree.sql('duckdb')} AS v FROM (SELECT {cols}) t")
        return str(rel.types[0]).upper()
    except duckdb.Error:
        return "VARCHAR"
    finally:
        con.close()


# ---- cubes -------------------------------------------------------------------------------


def _cube(path: Path, name: str, spec: CubeSpec, dimensions: dict[str, Dimension],
          catalog: Catalog) -> Cube:
    where = f"cubes.{name}"
    fact_cols = _columns(path, f"{where}.fact", spec.fact or "", catalog)
    roles: dict[str, Role] = {}
    for role_name, role in spec.dimensions.items():
        at = f"{where}.dimensions.{role_name}"
        if role.degenerate is not None:
            attrs = {}
            for lname, column in role.degenerate.items():
                if column not in fact_cols:
                    raise ContractError(f"{path}: {at}.degenerate.{lname}: unknown column "
                                        f"{column!r} of {spec.fact}")
                attrs[lname] = _column_attr(lname, column, fact_cols)
            levels = {n: Level(n, a) for n, a in attrs.items()}
            dim = Dimension(role_name, None, None, attrs, levels, {})
            roles[role_name] = Role(role_name, dim, None)
            continue
        if role.dimension not in dimensions:
            raise ContractError(f"{path}: {at}.dimension: unknown dimension {role.dimension!r}; "
                                f"known: {', '.join(sorted(dimensions))}")
        if role.key not in fact_cols:
            raise ContractError(f"{path}: {at}.key: unknown column {role.key!r} of {spec.fact}")
        roles[role_name] = Role(role_name, dimensions[role.dimension], role.key)
    for col in spec.grain + spec.drill_through:
        if col not in fact_cols:
            raise ContractError(f"{path}: {where}: unknown column {col!r} of {spec.fact} "
                                f"(in grain or drill_through)")
    cube = Cube(name, path, spec.fact, roles, {}, {}, fact_cols, spec.grain, spec.drill_through,
                description=spec.description)
    cube.segments = {s: _conditions(cube, f"{where}.segments.{s}", conds)
                     for s, conds in spec.segments.items()}
    for mname, mspec in spec.measures.items():
        cube.measures[mname] = _measure(cube, f"{where}.measures.{mname}", mname, mspec)
    _check_formulas(cube, where, spec.measures)
    return cube


def _at(cube: Cube, where: str, fn, *args):
    """Run a resolver, turning its UserError into a ContractError naming file and key."""
    try:
        return fn(*args)
    except ContractError:
        raise
    except UserError as exc:
        raise ContractError(f"{cube.path}: {where}: {exc}") from None


def _conditions(cube: Cube, where: str, conds: dict[str, Any]) -> tuple[Condition, ...]:
    out = []
    for ref, value in conds.items():
        level = _at(cube, f"{where}.{ref}", cube.level, ref)
        values = tuple(value) if isinstance(value, list) else (value,)
        out.append(Condition(level, values))
    return tuple(out)


def _measure(cube: Cube, where: str, name: str, spec: MeasureSpec) -> Measure:
    column = column_ref = dtype = None
    if spec.column:
        if spec.column in cube.fact_columns:
            column, dtype = exp.column(spec.column, quoted=True), cube.fact_columns[spec.column]
        elif "." in spec.column:
            column_ref = _at(cube, f"{where}.column", cube.level, spec.column)
            dtype = column_ref.level.key.dtype
        else:
            raise ContractError(f"{cube.path}: {where}.column: unknown column {spec.column!r} of "
                                f"{cube.fact} (a dimension attribute is written role.attribute)")
    elif spec.expr:
        column = _expr(cube.path, f"{where}.expr", spec.expr, cube.fact_columns, cube.fact or "")
        dtype = _expr_type(column, cube.fact_columns)
    if spec.type in {"sum", "avg"} and dtype and not is_numeric(dtype):
        raise ContractError(f"{cube.path}: {where}.type: {spec.type} needs a numeric column; "
                            f"{spec.column or spec.expr} is {dtype}")
    over = None
    if spec.over:
        over = _at(cube, f"{where}.over", cube.role, spec.over)
        if over.dimension.time is None:
            raise ContractError(f"{cube.path}: {where}.over: {spec.over!r} is not a time "
                                f"dimension (declare `time:` on it)")
        if spec.type not in {"sum", "count", "min", "max"}:
            raise ContractError(f"{cube.path}: {where}.semi_additive: applies to sum, count, "
                                f"min or max, not {spec.type}")
    formula, depends = None, ()
    if spec.formula:
        try:
            formula = sqlglot.parse_one(spec.formula, read="duckdb")
        except ParseError as exc:
            raise ContractError(f"{cube.path}: {where}.formula: not a valid expression: "
                                f"{exc}") from None
        depends = tuple(dict.fromkeys(c.name for c in formula.find_all(exp.Column)))
    filters = _conditions(cube, f"{where}.filter", spec.filter) if spec.filter else ()
    return Measure(name, spec.type, cube.name, column, column_ref, dtype, formula, filters,
                   spec.semi_additive, over, depends)


def _check_formulas(cube: Cube, where: str, specs: dict[str, MeasureSpec]) -> None:
    for name, measure in cube.measures.items():
        for dep in measure.depends:
            if dep not in cube.measures:
                raise ContractError(f"{cube.path}: {where}.measures.{name}.formula: unknown "
                                    f"measure {dep!r}; known: {', '.join(cube.measures)}")
    for name in cube.measures:
        _no_cycle(cube, where, name, ())


def _no_cycle(cube: Cube, where: str, name: str, seen: tuple[str, ...]) -> None:
    if name in seen:
        raise ContractError(f"{cube.path}: {where}.measures.{seen[0]}.formula: circular "
                            f"reference {' -> '.join((*seen, name))}")
    for dep in cube.measures[name].depends:
        _no_cycle(cube, where, dep, (*seen, name))


def _drill_across(path: Path, name: str, spec: CubeSpec, cubes: dict[str, Cube]) -> Cube:
    where = f"cubes.{name}"
    roles: dict[str, Role] = {}
    measures: dict[str, Measure] = {}
    for component in spec.drill_across:
        base = cubes.get(component)
        if base is None:
            raise ContractError(f"{path}: {where}.drill_across: unknown cube {component!r} "
                                f"(drill-across combines cubes over one fact each)")
        for role_name, role in base.roles.items():
            other = roles.get(role_name)
            if other is not None and other.dimension.name != role.dimension.name:
                raise ContractError(
                    f"{path}: {where}.drill_across: ambiguous join path: role {role_name!r} is "
                    f"dimension {other.dimension.name} in one cube, {role.dimension.name} in "
                    f"{component}")
            roles.setdefault(role_name, role)
        for mname, measure in base.measures.items():
            if mname in measures:
                raise ContractError(f"{path}: {where}.drill_across: measure {mname!r} is in "
                                    f"both {measures[mname].cube} and {component}; rename one")
            measures[mname] = measure
    # The view cubes.<name> stacks the facts' columns by name, the fact of a row in `fact`.
    for component in spec.drill_across:
        for column in (*cubes[component].grain, "fact"):
            other = measures.get(column)
            if other is not None and (column == "fact" or other.cube != component):
                also = (f"a grain column of {component}" if column != "fact" else
                        "the column naming each row's fact in the view")
                raise ContractError(f"{path}: {where}.drill_across: measure {column!r} of "
                                    f"{other.cube} is {also}; rename the measure")
    cube = Cube(name, path, None, roles, measures, {}, components=spec.drill_across,
                description=spec.description)
    for mname, mspec in spec.measures.items():
        if mspec.type != "calculated":
            raise ContractError(f"{path}: {where}.measures.{mname}: a drill-across cube adds "
                                f"only calculated measures; base measures belong to its cubes")
        cube.measures[mname] = _measure(cube, f"{where}.measures.{mname}", mname, mspec)
    cube.segments = {s: _conditions(cube, f"{where}.segments.{s}", conds)
                     for s, conds in spec.segments.items()}
    _check_formulas(cube, where, spec.measures)
    return cube
