"""Schema drift: compare a source table's live columns with its contract before extracting."""

from __future__ import annotations

from dataclasses import dataclass, field

from warehouse.contracts.sources import Source, SourceTable
from warehouse.contracts.types import logical_family, type_family
from warehouse.errors import SchemaDriftError

# (physical family, declared family) pairs a backend stores differently but losslessly.
BACKEND_COERCIONS: dict[str, set[tuple[str, str]]] = {
    "sqlite": {("text", "decimal"), ("text", "date"), ("text", "timestamp"),
               ("integer", "boolean"), ("double", "decimal"), ("integer", "decimal")},
    "mysql": {("integer", "boolean")},
    "postgres": set(),
    "sqlalchemy": {("text", "decimal"), ("text", "date"), ("text", "timestamp"),
                   ("integer", "boolean")},
}
# Widening within a family (int -> bigint) is never drift; these cross-family moves are not either.
ALWAYS_SAFE = {("integer", "decimal")}


@dataclass
class DriftReport:
    """What was found for one table: fatal problems and notes (new columns, tolerated changes)."""

    source: str
    table: str
    physical: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def family(self, column: str) -> str:
        return type_family(self.physical[column])


def check_table(source: Source, table: SourceTable, kind: str,
                physical: dict[str, str] | None) -> DriftReport:
    """Compare `physical` (column -> DuckDB type, None if the table is missing) with the contract."""
    report = DriftReport(source.source, table.name, physical or {})
    where = f"source {source.source!r} table {table.name!r}"
    if physical is None:
        report.problems.append(f"{where}: table not found in the source database")
        return report
    lowered = {name.lower(): name for name in physical}
    for name, col in table.columns.items():
        actual = lowered.get(name.lower())
        if actual is None:
            if col.nullable and "missing_nullable" in table.tolerate:
                report.notes.append(f"{where} column {name!r}: missing, loaded as NULL (tolerated)")
            else:
                report.problems.append(
                    f"{where} column {name!r}: missing at the source (declared {col.type}); "
                    "was it renamed or dropped? Update the contract or declare "
                    "`tolerate: [missing_nullable]`"
                )
            continue
        if actual != name:
            report.physical[name] = report.physical.pop(actual)
        got, want = type_family(report.physical[name]), logical_family(col.type)
        ok = got == want or (got, want) in BACKEND_COERCIONS.get(kind, set()) | ALWAYS_SAFE
        if not ok:
            message = (f"{where} column {name!r}: declared {col.type} but the source has "
                       f"{report.physical[name]}")
            if "retype" in table.tolerate:
                report.notes.append(message + " (tolerated: values are cast, failures quarantined)")
            else:
                report.problems.append(message)
    declared = {n.lower() for n in table.columns}
    for name in physical:
        if name.lower() not in declared:
            note = f"{where} column {name!r}: new at the source, not in the contract"
            if source.on_new_columns == "error":
                report.problems.append(note + " (on_new_columns: error)")
            elif source.on_new_columns == "warn":
                report.notes.append(note + " (ignored until declared)")
    return report


def raise_for(reports: list[DriftReport]) -> None:
    problems = [p for r in reports for p in r.problems]
    if problems:
        raise SchemaDriftError("schema drift detected, nothing extracted:\n  " + "\n  ".join(problems))
