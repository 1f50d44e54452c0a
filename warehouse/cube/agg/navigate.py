"""Aggregate navigation: answer a query component from the smallest aggregate that can answer it
exactly, else from the base fact, and keep the reasons so `explain` can show them.

An aggregate answers a component when every level it groups by (with the label and sort of
each) and every level it filters on (cuts, segments, measure filters) is kept, every measure is
stored, a semi-additive measure has the day of its time role kept, and no time window remaps the
dates. Distinct counts are stored as their values (layout.py), so any roll-up stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from warehouse.cube.agg.layout import Layout, layout_of
from warehouse.cube.agg.spec import Aggregate
from warehouse.cube.measure_sql import components
from warehouse.cube.model import Cube, CubeModel
from warehouse.cube.source import FactSource, Needs, base_source
from warehouse.duck import table_exists
from warehouse.errors import UserError


@dataclass(frozen=True)
class Candidate:
    aggregate: str
    table: str
    rows: int | None
    reasons: tuple[str, ...]        # empty: it can answer

    @property
    def usable(self) -> bool:
        return not self.reasons


@dataclass
class Decision:
    """Which table answered one component of a query, and why each aggregate did or did not."""

    cube: str
    chosen: str                     # table read
    aggregate: str | None           # aggregate label, None for the base fact
    candidates: list[Candidate] = field(default_factory=list)
    fact: str = ""                  # the base fact it stands in for

    def lines(self) -> list[str]:
        head = (f"{self.cube}: answered from aggregate {self.aggregate} ({self.chosen}) "
                f"instead of {self.fact}"
                if self.aggregate else f"{self.cube}: answered from the base fact {self.chosen}")
        out = [head]
        for c in self.candidates:
            size = f"{c.rows:,} rows" if c.rows is not None else "not built"
            if c.usable:
                verdict = "chosen" if c.aggregate == self.aggregate else "could answer, larger"
            else:
                verdict = "cannot: " + "; ".join(c.reasons)
            out.append(f"  {c.aggregate} [{size}]: {verdict}")
        return out


def reasons_against(cube: Cube, layout: Layout, needs: Needs) -> list[str]:
    """Why this aggregate cannot answer `needs` exactly (empty when it can)."""
    out: list[str] = []
    for name in sorted(needs.levels):
        if name not in layout.levels:
            out.append(f"missing level {name}")
            continue
        ref = _ref(cube, name)
        if ref is None:
            continue
        for what, attr in (("label", ref.level.label), ("sort", ref.level.sort)):
            key = f"{ref.role.name}.{attr.name}" if attr is not None else None
            if key and key not in layout.levels:
                out.append(f"missing {what} {key} of level {name}")
    for name in sorted(needs.filters):
        if name not in layout.levels:
            out.append(f"filter on {name}, a level it lacks")
    for name in sorted(needs.measures):
        m = cube.measures.get(name)
        if m is None:
            continue
        if m.type == "calculated":
            continue
        if not all(c in layout.measures for c in components(m)):
            why = "non-additive measure" if m.type in {"count_distinct", "approx_count_distinct"} \
                else "measure"
            out.append(f"{why} {name} not stored")
            continue
        if m.semi_additive and m.over is not None:
            time = m.over.dimension.time
            if time is None or f"{m.over.name}.{time.name}" not in layout.levels:
                out.append(f"semi-additive {name} ({m.semi_additive} over {m.over.name}) needs "
                           f"the {m.over.name} day kept")
    if needs.time_shifted:
        out.append("a time-intelligence window remaps dates: needs the base fact's date keys")
    if needs.subtrees:
        out.append("a parent-child level sums subtrees: needs the base fact's member keys")
    return out


def _ref(cube: Cube, name: str):
    try:
        return cube.level(name)
    except UserError:
        return None


class AggregatePicker:
    """A SourcePicker (warehouse.cube.source) that navigates to aggregates and records why."""

    def __init__(self, model: CubeModel, aggregates: dict[str, list[Aggregate]],
                 built: dict[str, tuple[str, int]],
                 determined: dict[str, frozenset[str]] | None = None) -> None:
        """built: aggregate table -> (definition hash, rows), as meta.aggregates records them;
        determined: aggregate table -> key columns that fix their level's other columns."""
        self.model = model
        self.aggregates = aggregates
        self.built = built
        self.determined = determined or {}
        self.decisions: list[Decision] = []
        self._layouts: dict[str, tuple[Layout, str]] = {}
        # (cube, needs) -> the verdict on every aggregate: fixed for this picker's built tables,
        # and a serving engine asks the same questions all day.
        self._verdicts: dict[tuple[str, Needs], list[tuple[Candidate, Layout]]] = {}
        self._sources: dict[str, FactSource] = {}      # aggregate table -> how it is read

    @classmethod
    def from_connection(cls, con: duckdb.DuckDBPyConnection, model: CubeModel,
                        aggregates: dict[str, list[Aggregate]]) -> AggregatePicker:
        return cls(model, aggregates, built_aggregates(con), determined_keys(con))

    def layout(self, cube: Cube, agg: Aggregate) -> tuple[Layout, str]:
        """The aggregate's layout and definition hash, worked out once per picker."""
        if agg.table not in self._layouts:
            layout = layout_of(cube, agg)
            self._layouts[agg.table] = (layout, layout.definition_hash(cube))
        return self._layouts[agg.table]

    def candidates(self, cube: Cube, needs: Needs) -> list[tuple[Candidate, Layout]]:
        out = []
        for agg in self.aggregates.get(cube.name, []):
            layout, definition = self.layout(cube, agg)
            reasons = reasons_against(cube, layout, needs)
            built = self.built.get(agg.table)
            rows = built[1] if built else None
            if built is None:
                reasons.insert(0, "not built yet (the next load builds it)")
            elif built[0] != definition:
                reasons.insert(0, "built from an older definition (the next load rebuilds it)")
            out.append((Candidate(agg.label, agg.table, rows, tuple(reasons)), layout))
        return out

    def __call__(self, cube: Cube, needs: Needs) -> FactSource:
        key = (cube.name, needs)
        options = self._verdicts.get(key)
        if options is None:
            options = self._verdicts[key] = self.candidates(cube, needs)
            del_oldest(self._verdicts, 1024)
        usable = [(c, lay) for c, lay in options if c.usable]
        if usable:
            best, layout = min(usable, key=lambda o: (o[0].rows or 0, o[0].table))
            self._record(Decision(cube.name, best.table, best.aggregate, [c for c, _ in options],
                                  cube.fact or ""))
            source = self._sources.get(best.table)
            if source is None:
                source = self._sources[best.table] = layout.source(
                    best.rows, self.determined.get(best.table, frozenset()))
            return source
        self._record(Decision(cube.name, cube.fact or "", None, [c for c, _ in options]))
        return base_source(cube, needs)

    def _record(self, decision: Decision) -> None:
        """Keep the latest decisions only: a serving engine compiles queries all day long."""
        self.decisions.append(decision)
        del self.decisions[:-64]


def del_oldest(cache: dict, keep: int) -> None:
    """Bound a dict used as a cache: drop its oldest entries beyond `keep`."""
    for old in list(cache)[:max(0, len(cache) - keep)]:
        del cache[old]


def built_aggregates(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, int]]:
    """Aggregate tables present in this database: table -> (definition hash, rows)."""
    if not table_exists(con, "meta", "aggregates"):
        return {}
    rows = con.execute(
        "SELECT m.table_name, m.definition, m.rows FROM meta.aggregates m "
        "JOIN duckdb_tables() t ON t.schema_name = 'agg' AND 'agg.' || t.table_name = m.table_name"
    ).fetchall()
    return {t: (d, n) for t, d, n in rows}


def determined_keys(con: duckdb.DuckDBPyConnection) -> dict[str, frozenset[str]]:
    """Aggregate table -> key columns checked at build to fix their level's other columns."""
    has = con.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'meta' AND "
                      "table_name = 'aggregates' AND column_name = 'determined'").fetchone()[0]
    if not has:
        return {}
    rows = con.execute("SELECT table_name, determined FROM meta.aggregates").fetchall()
    return {t: frozenset(filter(None, (d or "").split(","))) for t, d in rows}
