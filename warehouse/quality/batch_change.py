"""Row-count change versus the previous batch, for staging suites
(`expect_batch_row_count_change_to_be_between`).

A staged entity is fed by batches (meta.batches: one per source table, one per landed file).
This load's rows read from each source table, or from each file family (its files summed),
are divided by the rows read from the same table or family in the latest earlier load that
had a batch of it. Why batches and not the table: a file family that delivered 100,000 rows
last time and 40 today, or a full snapshot that lost half its rows, shows in what was read,
while the staged table barely moves. Skipped: a table or family with no earlier batch (or an
empty one), release batches, and incremental tables (a day's changes are not comparable with
the day before) unless the expectation says `include_incremental: true`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from warehouse.duck import table_exists

TYPE = "expect_batch_row_count_change_to_be_between"
COMPARED_MODES = ("full", "file")     # plus "incremental" when declared


@dataclass(frozen=True)
class Change:
    """One source table's (or file family's) batch of this load against its previous one."""

    source: str
    table: str
    mode: str
    rows: int
    previous_rows: int | None
    previous_load: str | None

    @property
    def ratio(self) -> Decimal | None:
        if not self.previous_rows:
            return None
        return Decimal(self.rows) / Decimal(self.previous_rows)

    @property
    def unit(self) -> str:
        """What `crmwh load --accept-change` names: source.table, or source.family."""
        return f"{self.source}.{self.table}"

    @property
    def name(self) -> str:
        kind = " (file family)" if self.mode == "file" else ""
        return f"{self.source}.{self.table}{kind}"

    def describe(self) -> str:
        if self.ratio is None:
            return f"{self.name}: {self.rows} rows, no earlier batch to compare with"
        ratio = format(round(self.ratio, 4).normalize(), "f")      # 0.4, not 0.4000
        return (f"{self.name}: {self.rows} rows read vs {self.previous_rows} in the previous "
                f"batch ({self.previous_load}), ratio {ratio}")


def _units_sql(con: duckdb.DuckDBPyConnection) -> str:
    """Batches per (load, source, table or file family) with the rows read."""
    family, join = "b.source_table", ""
    if table_exists(con, "meta", "file_manifests"):
        family = "coalesce(m.family, b.source_table)"
        join = ("LEFT JOIN meta.file_manifests m ON b.mode = 'file' AND m.load_id = b.load_id "
                "AND m.source = b.source AND m.file_name = b.source_table")
    return (f"SELECT b.load_id, b.source, {family} AS unit, any_value(b.mode) AS mode, "
            f"sum(b.rows_extracted) AS n FROM meta.batches b {join} "
            f"WHERE b.entity = $entity AND list_contains($modes, b.mode) GROUP BY ALL")


def changes(con: duckdb.DuckDBPyConnection, entity: str, load_id: str,
            include_incremental: bool = False) -> list[Change]:
    """This load's batches of `entity`, each with the previous batch of its table or family
    (the latest earlier load by business date that read it)."""
    modes = [*COMPARED_MODES, *(["incremental"] if include_incremental else [])]
    rows = con.execute(f"""
        WITH u AS ({_units_sql(con)}),
        prev AS (
            SELECT u.*, row_number() OVER (PARTITION BY u.source, u.unit
                                           ORDER BY l.business_date DESC, u.load_id DESC) AS rk
            FROM u JOIN meta.loads l USING (load_id)
            WHERE u.load_id <> $load AND l.business_date <=
                  (SELECT business_date FROM meta.loads WHERE load_id = $load)
        )
        SELECT c.source, c.unit, c.mode, c.n, p.n, p.load_id
        FROM u c LEFT JOIN prev p ON p.source = c.source AND p.unit = c.unit AND p.rk = 1
        WHERE c.load_id = $load ORDER BY c.source, c.unit""",
        {"entity": entity, "load": load_id, "modes": modes}).fetchall()
    return [Change(*r) for r in rows]


def bounds_text(kwargs: dict[str, Any]) -> str:
    lo, hi = kwargs.get("min_ratio"), kwargs.get("max_ratio")
    return f"[{'-' if lo is None else lo}, {'-' if hi is None else hi}]"


# A failing batch is never the baseline, so a real change at the source keeps failing until
# the operator says otherwise: the message says how.
def way_out(units: list[Change], business_date: date) -> str:
    """How to accept a real change: for one load from the command line (the units failing
    now and those already accepted), or in the suite."""
    flags = " ".join(f"--accept-change {c.unit}" for c in units)
    return (f" (if the change is real, rerun the load with `crmwh load --date {business_date} "
            f"{flags}` to accept it for that load alone, or widen min_ratio/max_ratio in the "
            "staging suite or set its severity to warning; a load that publishes becomes the "
            "new baseline)")


def summary(found: list[Change], failing: list[Change], kwargs: dict[str, Any],
            accepted: list[Change], business_date: date) -> str:
    """The observed text: failures first, each naming the table, both counts and the bounds;
    changes outside the bounds that the operator accepted for this load are named too."""
    compared = [c for c in found if c.ratio is not None]
    waived = "".join(f"; {c.describe()}, outside {bounds_text(kwargs)}, accepted for this load "
                     f"(--accept-change {c.unit})" for c in accepted)
    if failing:
        return ("; ".join(f"{c.describe()}, outside {bounds_text(kwargs)}" for c in failing)
                + waived + way_out(failing + accepted, business_date))
    if not compared:
        return "no batch of this load has an earlier batch to compare with"
    inside = [c for c in compared if c not in accepted]
    shown = "; ".join(c.describe() for c in inside[:3])
    more = f" and {len(inside) - 3} more" if len(inside) > 3 else ""
    if not inside:
        return waived.removeprefix("; ")
    return f"within {bounds_text(kwargs)}: {shown}{more}{waived}"
