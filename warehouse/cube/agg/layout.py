"""The shape of an aggregate table: which columns it keeps, how each is computed from the fact,
and the FactSource through which the cube compiler reads it instead of the fact.

Columns: for each kept level and each of its ancestors, the level's key, label and sort
attributes (named role__attribute); for each distinct-count measure the counted values
themselves (grouped on, so any roll-up counts them exactly); for every other measure its
partial aggregates (measure_sql.COMPONENTS, unfiltered: a filtered measure is filtered at query
time on the kept levels); and _rows, the number of fact rows behind each aggregate row.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from warehouse.cube.agg.spec import Aggregate, ancestors
from warehouse.cube.measure_sql import COMPONENTS, REAGGREGATE
from warehouse.cube.model import Attr, Cube, LevelRef, Role
from warehouse.cube.scope import qualify, table_expr
from warehouse.cube.source import FactSource

FACT = "f"
DISTINCT = {"count_distinct", "approx_count_distinct"}
ROWS = "_rows"


@dataclass
class Layout:
    """Group-by columns, aggregate columns and the name mapping of one aggregate table."""

    aggregate: Aggregate
    groups: dict[str, exp.Expression] = field(default_factory=dict)     # column -> row value
    aggregates: dict[str, exp.Expression] = field(default_factory=dict)  # column -> aggregate
    levels: dict[str, str] = field(default_factory=dict)     # role.level / role.attr -> column
    measures: dict[str, str] = field(default_factory=dict)   # measure component -> column
    roles: dict[str, Role] = field(default_factory=dict)     # dimensions joined to build it
    partition: str | None = None                             # column of the time partition
    partition_ref: LevelRef | None = None
    # aggregate column -> how its partial values roll up further (building from a finer table)
    rollup: dict[str, Callable[[exp.Expression], exp.Expression]] = field(default_factory=dict)
    # key column of each kept level -> the other columns kept for it (its label and sort, its
    # ancestors' keys, labels and sorts): what the key fixes when the hierarchy is strict.
    dependents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sum_types: dict[str, str] = field(default_factory=dict)  # component -> type of its SUM

    def source(self, rows: int | None = None, determined: frozenset[str] = frozenset()
               ) -> FactSource:
        """determined: key columns checked to fix their dependents in the built table."""
        label = self.aggregate.table + (f" ({rows:,} rows)" if rows is not None else "")
        return FactSource(self.aggregate.table, levels=dict(self.levels),
                          measures=dict(self.measures), name=label, grain=tuple(self.groups),
                          determines={k: v for k, v in self.dependents.items() if k in determined},
                          sum_types=dict(self.sum_types))

    def determined_sql(self) -> str | None:
        """One row: per kept level with dependents, whether its key fixes them in the table."""
        checks = [exp.alias_(exp.EQ(
            this=exp.Count(this=exp.Distinct(expressions=[_row([key])])),
            expression=exp.Count(this=exp.Distinct(expressions=[_row([key, *deps])]))),
            key, quoted=True) for key, deps in self.dependents.items() if deps]
        if not checks:
            return None
        return exp.select(*checks).from_(table_expr(self.aggregate.table)).sql("duckdb")

    def select(self, cube: Cube, where: exp.Expression | None = None) -> exp.Select:
        """SELECT ... FROM fact JOIN dims GROUP BY ..., ordered by the kept levels (zone maps)."""
        proj = [exp.alias_(e.copy(), c, quoted=True) for c, e in self.groups.items()]
        proj += [exp.alias_(e.copy(), c, quoted=True) for c, e in self.aggregates.items()]
        select = exp.select(*proj).from_(table_expr(cube.fact, FACT))
        for name, role in self.roles.items():
            on = exp.EQ(this=exp.column(role.fact_key, table=FACT, quoted=True),
                        expression=exp.column(role.dimension.key, table=name, quoted=True))
            select = select.join(table_expr(role.dimension.table, name), on=on,
                                 join_type="left")
        if where is not None:
            select = select.where(where)
        if self.groups:
            select = select.group_by(*[e.copy() for e in self.groups.values()])
            select = select.order_by(*self.sort_keys())
        return select

    def sort_keys(self) -> list[exp.Ordered]:
        """The table's row order: the declared order_by levels, then every kept column."""
        first = [self.levels[ref.name] for ref in self.aggregate.order_by]
        return [exp.Ordered(this=exp.column(c, quoted=True), nulls_first=False)
                for c in dict.fromkeys([*first, *self.groups])]

    def can_derive_from(self, finer: Layout) -> bool:
        """Whether this table is a roll-up of `finer` (its columns are named the same there)."""
        return (set(self.groups) <= set(finer.groups)
                and set(self.aggregates) <= set(finer.aggregates))

    def select_from(self, finer: Layout) -> exp.Select:
        """This table computed from the finer aggregate table instead of the fact."""
        proj = [exp.column(c, quoted=True) for c in self.groups]
        for c, built in self.aggregates.items():
            value = self.rollup[c](exp.column(c, quoted=True))
            if isinstance(built, exp.Cast):            # keep the narrow type of a partial sum
                value = exp.Cast(this=value, to=built.args["to"].copy())
            proj.append(exp.alias_(value, c, quoted=True))
        select = exp.select(*proj).from_(table_expr(finer.aggregate.table))
        if self.groups:
            select = select.group_by(*[exp.column(c, quoted=True) for c in self.groups])
            select = select.order_by(*self.sort_keys())
        return select

    def definition_hash(self, cube: Cube) -> str:
        """Changes whenever the table would be built differently (YAML, dimensions, fact)."""
        return hashlib.sha256(self.select(cube).sql("duckdb").encode()).hexdigest()[:16]


def _row(columns: list[str]) -> exp.Expression:
    """row(a, b): NULLs included, so count(DISTINCT row(...)) counts every combination."""
    return exp.Anonymous(this="row", expressions=[exp.column(c, quoted=True) for c in columns])


def sum_type(dtype: str | None) -> str | None:
    """What DuckDB's SUM returns over a column of this type (None: not a summable type)."""
    t = (dtype or "").upper()
    found = re.fullmatch(r"DECIMAL\(\d+,\s*(\d+)\)", t)
    if found:
        return f"DECIMAL(38, {found.group(1)})"
    if t in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
             "UINTEGER", "UBIGINT"}:
        return "HUGEINT"
    if t in {"FLOAT", "DOUBLE", "REAL"}:
        return "DOUBLE"
    return None


def column_name(role: str, attr: str) -> str:
    return f"{role}__{attr}"




def _value(cube: Cube, role: Role, attr: Attr, layout: Layout) -> exp.Expression:
    if role.dimension.table is None:                 # degenerate: a fact column
        return qualify(attr.expr, FACT)
    layout.roles[role.name] = role
    return qualify(attr.expr, role.name)


def narrow_decimal(dtype: str | None) -> exp.DataType | None:
    """DECIMAL(18, s) for a sum over a DECIMAL column of at most 18 digits, else None.

    SUM widens to DECIMAL(38, s), stored as 128-bit integers that DuckDB reads several times
    slower than 64-bit ones. A partial sum per aggregate row fits 18 digits in practice; when it
    does not, the CAST fails (DuckDB never wraps) and the build falls back to the wide type.
    """
    found = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", (dtype or "").upper())
    if not found or int(found.group(1)) > 18:
        return None
    return exp.DataType.build(f"DECIMAL(18, {found.group(2)})")


def layout_of(cube: Cube, agg: Aggregate, *, narrow: bool = True) -> Layout:
    out = Layout(agg)

    def keep(role: Role, attr: Attr) -> str:
        name = column_name(role.name, attr.name)
        if name not in out.groups:
            out.groups[name] = _value(cube, role, attr, out)
        out.levels.setdefault(f"{role.name}.{attr.name}", name)
        return name

    for ref in agg.levels:
        kept: list[str] = []
        for level in ancestors(ref):
            key = keep(ref.role, level.key)
            kept.append(key)
            out.levels[f"{ref.role.name}.{level.name}"] = key
            for attr in (level.label, level.sort):
                if attr is not None:
                    kept.append(keep(ref.role, attr))
            if out.partition is None and ref.role.dimension.time is not None and level is ref.level:
                out.partition, out.partition_ref = key, ref
        own = out.levels[ref.name]
        out.dependents[own] = tuple(dict.fromkeys(c for c in kept if c != own))
    for m in agg.measures:
        if m.column is not None:
            value: exp.Expression = qualify(m.column, FACT)
        elif m.column_ref is not None:
            value = _value(cube, m.column_ref.role, m.column_ref.level.key, out)
        else:
            value = exp.Star()
        if m.type in DISTINCT:
            name = f"{m.name}__values"
            out.groups[name] = value
            out.measures[m.name] = name
            if m.column_ref is not None:
                # The counted level's values are kept, so keep its label and sort too: then a
                # query may also group by that level.
                ref = m.column_ref
                out.levels.setdefault(ref.name, name)
                out.levels.setdefault(f"{ref.role.name}.{ref.level.key.name}", name)
                for attr in (ref.level.label, ref.level.sort):
                    if attr is not None:
                        keep(ref.role, attr)
            continue
        for suffix, fn in COMPONENTS[m.type]:
            partial = fn(value.copy())
            small = narrow_decimal(m.dtype) if narrow and isinstance(partial, exp.Sum) else None
            out.aggregates[m.name + suffix] = exp.Cast(this=partial, to=small) if small else partial
            out.measures[m.name + suffix] = m.name + suffix
            out.rollup[m.name + suffix] = _rollup(m.type, suffix)
            if isinstance(partial, exp.Sum) and sum_type(m.dtype):
                out.sum_types[m.name + suffix] = sum_type(m.dtype)
    out.aggregates[ROWS] = exp.Count(this=exp.Star())
    out.rollup[ROWS] = _rollup("count", "")
    return out


def _rollup(mtype: str, suffix: str) -> Callable[[exp.Expression], exp.Expression]:
    """Re-aggregation of a stored component; counts stay BIGINT as a build from the fact has."""
    if mtype == "count" or suffix == "__count":
        return lambda v: exp.Cast(this=exp.Sum(this=v), to=exp.DataType.build("BIGINT"))
    return REAGGREGATE[(mtype, suffix)]
