"""Deterministic pseudo-random values inside DuckDB: hashes of (seed, key, salt).

No random()/setseed: every value is a pure function of the seed and the row's identity, so
a row comes out the same whatever the chunking, thread count or generation order.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from warehouse.duck import quote_literal

_TWO_53 = 9007199254740992.0


def register(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """Create the macros u, u2, ui, ui2, pick, secs on this connection for `seed`."""
    seed = int(seed)
    macros = [
        # uniform in [0, 1) from one key or two keys. Integers hash by value whatever their
        # width. DuckDB combines the hashes of several arguments weakly (u(k, 'a') and
        # u(k, 'b') would correlate at 0.88), so the combined hash is hashed once more.
        f"u(k, salt) AS (hash(hash({seed}, k, salt)) >> 11)::DOUBLE / {_TWO_53}",
        f"u2(a, b, salt) AS (hash(hash({seed}, a, b, salt)) >> 11)::DOUBLE / {_TWO_53}",
        # integer in [0, n)
        "ui(k, salt, n) AS CAST(floor(u(k, salt) * (n)) AS BIGINT)",
        "ui2(a, b, salt, n) AS CAST(floor(u2(a, b, salt) * (n)) AS BIGINT)",
        # an element of a list, by a uniform value
        "pick(items, x) AS items[1 + CAST(floor((x) * len(items)) AS BIGINT)]",
        # whole seconds as an interval
        "secs(x) AS to_seconds(CAST(floor(x) AS BIGINT))",
        # day number of a date, for keying randomness by day
        "dayno(x) AS CAST(CAST(x AS DATE) - DATE '2000-01-01' AS BIGINT)",
    ]
    for body in macros:
        con.execute(f"CREATE OR REPLACE TEMP MACRO {body}")


def choice(u_expr: str, options: Sequence[tuple[str, float]]) -> str:
    """A CASE picking each SQL value with its weight, from a uniform value `u_expr`."""
    total = float(sum(w for _, w in options))
    parts, acc = [], 0.0
    for value, weight in options[:-1]:
        acc += weight / total
        parts.append(f"WHEN {u_expr} < {acc:.10f} THEN {value}")
    return f"CASE {' '.join(parts)} ELSE {options[-1][0]} END"


def text_choice(u_expr: str, options: Sequence[tuple[str, float]]) -> str:
    """`choice` over text values, quoted."""
    return choice(u_expr, [(quote_literal(v), w) for v, w in options])


def sql_list(values: Sequence[str | int | float]) -> str:
    """A DuckDB list literal of strings or numbers."""
    items = [quote_literal(v) if isinstance(v, str) else repr(v) for v in values]
    return "[" + ", ".join(items) + "]"
