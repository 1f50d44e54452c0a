"""Pivot layout: a flat answer (levels x measures) turned into rows x columns for display."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from warehouse.errors import UserError


def pivot(table: pa.Table, rows: list[str], columns: list[str], measures: list[str]) -> pa.Table:
    """One row per member of `rows`, one column per (measure, member of `columns`).

    Column names read "measure | member" (members of several levels joined by " / ").
    Missing cells are null, never zero: no fact there is not the same as a zero.
    """
    missing = [c for c in rows + columns + measures if c not in table.column_names]
    if missing:
        raise UserError(f"pivot: {', '.join(missing)} not in the result; drill down by every "
                        f"row and column level and ask for the measures")
    if not columns:
        return table.select(rows + measures)
    frame = table.to_pandas()
    for c in columns:
        frame[c] = frame[c].astype("string").fillna("(null)")
    wide = frame.pivot_table(index=rows or None, columns=columns, values=measures,
                             aggfunc="first", dropna=False, sort=True)
    wide.columns = [f"{m} | {' / '.join(map(str, keys))}" for m, *keys in wide.columns]
    if rows:
        wide = wide.reset_index()
    return pa.Table.from_pandas(pd.DataFrame(wide), preserve_index=False)
