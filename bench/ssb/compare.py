"""Exact comparison of query answers: rows as tuples, DECIMALs as Decimal, order-insensitive."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

Row = tuple[Any, ...]


def normalise(rows: list[Row]) -> list[Row]:
    """Rows sorted by their text form, so answers compare as multisets (ties in ORDER BY)."""
    return sorted((tuple(r) for r in rows), key=lambda r: tuple(repr(v) for v in r))


def no_floats(rows: list[Row]) -> bool:
    return not any(isinstance(v, float) for r in rows for v in r)


def same(expected: list[Row], got: list[Row]) -> tuple[bool, str]:
    """(equal, why not): equal values in equal numbers; a float anywhere is a failure."""
    if not no_floats(got):
        return False, "float in the answer (money must stay DECIMAL)"
    if len(expected) != len(got):
        return False, f"{len(got)} rows, expected {len(expected)}"
    a, b = normalise(expected), normalise(got)
    for x, y in zip(a, b, strict=True):
        if x != y:
            return False, f"row {y!r} differs from expected {x!r}"
    return True, ""


def as_text(rows: list[Row]) -> list[list[str | None]]:
    """Rows as strings (the form the peer runner prints), for comparing across processes."""
    return [[None if v is None else str(v) for v in r] for r in rows]


def same_text(expected: list[Row], got: list[list[str | None]]) -> tuple[bool, str]:
    """Compare a peer's text rows with ours: DECIMALs numerically exact, the rest as text."""
    def norm(v: str | None) -> str | None:
        if v is None:
            return None
        try:
            return str(Decimal(v).normalize())
        except ArithmeticError:
            return v
    exp = sorted(tuple(norm(v) for v in r) for r in as_text(expected))
    act = sorted(tuple(norm(v) for v in r) for r in got)
    if exp == act:
        return True, ""
    if len(exp) != len(act):
        return False, f"{len(act)} rows, expected {len(exp)}"
    diff = next((a, e) for a, e in zip(act, exp, strict=True) if a != e)
    return False, f"row {diff[0]!r} differs from expected {diff[1]!r}"
