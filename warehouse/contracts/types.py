"""Logical column types shared by source contracts and the warehouse model."""

from __future__ import annotations

import re

_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
SIMPLE_TYPES = {
    "bigint": "BIGINT",
    "integer": "INTEGER",
    "text": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
    "double": "DOUBLE",
}


def normalise_type(spec: str) -> str:
    """Lower-case, spacing removed; raises ValueError for an unknown type."""
    text = re.sub(r"\s+", "", spec.strip().lower())
    if text in SIMPLE_TYPES or _DECIMAL.match(text):
        return text
    raise ValueError(
        f"unknown type {spec!r}; expected one of {sorted(SIMPLE_TYPES)} or decimal(p,s)"
    )


def duckdb_type(logical: str) -> str:
    """The DuckDB type for a logical type."""
    match = _DECIMAL.match(logical)
    if match:
        return f"DECIMAL({match.group(1)},{match.group(2)})"
    return SIMPLE_TYPES[logical]


def type_family(duck_type: str) -> str:
    """Coarse family of a DuckDB type, used to tell a retype from a harmless width change."""
    t = duck_type.upper()
    if t.startswith(("DECIMAL", "NUMERIC")):
        return "decimal"
    if t in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
             "UINTEGER", "UBIGINT"}:
        return "integer"
    if t in {"FLOAT", "DOUBLE", "REAL"}:
        return "double"
    if t.startswith(("VARCHAR", "TEXT", "CHAR", "STRING", "BPCHAR", "ENUM", "UUID", "JSON")):
        return "text"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP") or t == "DATETIME":
        return "timestamp"
    if t in {"BOOLEAN", "BOOL"}:
        return "boolean"
    return t.lower()


def logical_family(logical: str) -> str:
    return type_family(duckdb_type(logical))
