"""Pivot layout: a flat answer (levels x measures) turned into rows x columns for display."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Sequence
from itertools import pairwise
from typing import Any

import pyarrow as pa

from warehouse.cube.compile import GROUPING_COLUMN
from warehouse.errors import UserError

TOTAL_LABEL = "Total"       # a column member that is a subtotal (the level rolled up)
NULL_LABEL = "(null)"       # a column member that is NULL (a real member without a value)


class _Total:
    """The member of a rolled-up level in a totals row: never equal to any value, None included."""

    def __repr__(self) -> str:
        return TOTAL_LABEL


TOTAL = _Total()


def pivot(table: pa.Table, rows: list[str], columns: list[str], measures: list[str],
          levels: Sequence[str] | None = None) -> pa.Table:
    """One row per member of `rows`, one column per (measure, member of `columns`).

    `levels` are the query's drilldown in its order (default rows + columns); with totals, the
    answer's grouping_id column tells a subtotal (its level rolled up) from a NULL member, bit
    len(levels)-1-i standing for levels[i]. Column names read "measure | member" (members of
    several levels joined by " / "), a NULL member reading "(null)" and a subtotal "Total".
    Row levels keep their types; in a totals row the rolled-up row levels are NULL and the
    output's grouping_id (bits over `rows`, the first one highest) says which; it is kept
    whenever the answer has one. Rows and columns come in the answer's order (each level's sort
    order, totals after their details). Missing cells are null, never zero: no fact there is
    not the same as a zero.
    """
    missing = [c for c in rows + columns + measures if c not in table.column_names]
    if missing:
        raise UserError(f"pivot: {', '.join(missing)} not in the result; drill down by every "
                        f"row and column level and ask for the measures")
    levels = list(levels) if levels is not None else rows + columns
    if sorted(rows + columns) != sorted(levels) or len(set(levels)) != len(levels):
        raise UserError(f"pivot: rows {rows} and columns {columns} must split the drilldown "
                        f"{levels} between them, each level once")
    n = table.num_rows
    data = {c: table.column(c).to_pylist() for c in levels + measures}
    has_grouping = GROUPING_COLUMN in table.column_names
    gids = table.column(GROUPING_COLUMN).to_pylist() if has_grouping else [0] * n
    bit = {name: 1 << (len(levels) - 1 - i) for i, name in enumerate(levels)}
    members = [tuple(TOTAL if gids[i] & bit[name] else data[name][i] for name in levels)
               for i in range(n)]
    ranks = _level_orders(members, len(levels))
    pos = {name: i for i, name in enumerate(levels)}

    def key_of(member: tuple, names: list[str]) -> tuple:
        return tuple(member[pos[name]] for name in names)

    def sort_key(key: tuple, names: list[str]) -> tuple:
        return tuple(ranks[pos[name]][m] for name, m in zip(names, key, strict=True))

    cells: dict[tuple[tuple, tuple], int] = {}
    for i, member in enumerate(members):
        cell = (key_of(member, rows), key_of(member, columns))
        if cell in cells:
            raise UserError(f"pivot: two answer rows for the cell {cell}; drill down by exactly "
                            "the row and column levels")
        cells[cell] = i
    row_keys = sorted({r for r, _ in cells}, key=lambda k: sort_key(k, rows))
    col_keys = sorted({c for _, c in cells}, key=lambda k: sort_key(k, columns))

    arrays: list[pa.Array] = []
    names: list[str] = []
    for j, name in enumerate(rows):
        names.append(name)
        arrays.append(pa.array([None if k[j] is TOTAL else k[j] for k in row_keys],
                               type=table.schema.field(name).type))
    if has_grouping and rows:
        names.append(GROUPING_COLUMN)
        arrays.append(pa.array(
            [sum(1 << (len(rows) - 1 - j) for j, m in enumerate(k) if m is TOTAL)
             for k in row_keys], type=table.schema.field(GROUPING_COLUMN).type))
    headers = [" / ".join(_label(m) for m in key) for key in col_keys]
    if len(set(headers)) != len(headers):
        raise UserError(f"pivot: two column members read the same ({', '.join(headers)}); "
                        f"a member named {TOTAL_LABEL!r} or {NULL_LABEL!r} cannot be told from "
                        "a subtotal or NULL: pivot without totals, or lay it out as rows")
    for measure in measures:
        values = data[measure]
        kind = table.schema.field(measure).type
        for key, header in zip(col_keys, headers, strict=True):
            names.append(f"{measure} | {header}" if columns else measure)
            found = [cells.get((r, key)) for r in row_keys]
            arrays.append(pa.array([None if i is None else values[i] for i in found], type=kind))
    return pa.Table.from_arrays(arrays, names=names)


def _label(member: Any) -> str:
    if member is TOTAL:
        return TOTAL_LABEL
    return NULL_LABEL if member is None else str(member)


def _level_orders(members: list[tuple], n: int) -> list[dict[Hashable, int]]:
    """Each level's members ranked in the answer's order.

    The answer is ordered level by level (sort key, NULLs last, totals after their details), so
    under one value of the levels before it, a level's members come in its order; the orders
    seen under the different prefixes are merged (members never seen under a common prefix
    keep their order of first appearance).
    """
    ranks = []
    for p in range(n):
        index: dict[Hashable, int] = {}             # member -> its order of first appearance
        sequences: dict[tuple, list[int]] = {}
        seen: set[tuple[tuple, int]] = set()
        for member in members:
            m = index.setdefault(member[p], len(index))
            if (member[:p], m) not in seen:
                seen.add((member[:p], m))
                sequences.setdefault(member[:p], []).append(m)
        order = _merge(list(sequences.values()), len(index))
        rank = {m: r for r, m in enumerate(order)}
        ranks.append({member: rank[m] for member, m in index.items()})
    return ranks


def _merge(sequences: list[list[int]], n: int) -> list[int]:
    """0..n-1 in one order consistent with every sequence: a topological sort, ties (and any
    cycle: a query ordered by a measure has no one level order) broken by the smallest number."""
    after: list[set[int]] = [set() for _ in range(n)]
    before = [0] * n
    for seq in sequences:
        for a, b in pairwise(seq):
            if b not in after[a]:
                after[a].add(b)
                before[b] += 1
    ready = [m for m in range(n) if before[m] == 0]
    heapq.heapify(ready)
    out: list[int] = []
    done = [False] * n
    while len(out) < n:
        if not ready:                   # a cycle: take the earliest member left
            ready = [next(m for m in range(n) if not done[m])]
        m = heapq.heappop(ready)
        if done[m]:
            continue
        done[m] = True
        out.append(m)
        for b in after[m]:
            before[b] -= 1
            if before[b] == 0 and not done[b]:
                heapq.heappush(ready, b)
    return out
