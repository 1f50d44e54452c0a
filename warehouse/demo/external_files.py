"""Write generated external rows as the files vendors deliver: GBK CSV, JSON lines, Excel,
UTF-8-with-BOM CSV; with blank and garbage lines mixed in, as real deliveries have.

Rows are shuffled by a hash of the record id, so a file's order says nothing about identity.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import duckdb


def _rows(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> list[tuple]:
    cols = ", ".join(columns)
    return con.execute(f"SELECT {cols} FROM {table} ORDER BY md5(record_id || ext_seed())"
                       ).fetchall()


def _garbage(n_rows: int, width: int, mess: float) -> list[tuple[int, list[str]]]:
    """(position, row) of blank and junk lines: a few per file, more at higher mess."""
    if mess <= 0:
        return []
    n = max(2, round(n_rows * 0.002 * mess))
    junk = [[""] * width, ["合计", str(n_rows)] + [""] * (width - 2),
            ["-" * 10] + [""] * (width - 1), ["N/A"] * width]
    step = max(1, n_rows // n)
    return [(i * step + 1, junk[i % len(junk)]) for i in range(n)]


def _atomic(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name("." + path.name + ".part")


def write_csv(con: duckdb.DuckDBPyConnection, table: str, columns: list[str],
              headers: list[str], path: Path, encoding: str, mess: float) -> int:
    """A CSV in `encoding` (gbk, utf-8-sig); returns the data rows written (garbage excluded)."""
    rows = _rows(con, table, columns)
    junk = dict(_garbage(len(rows), len(columns), mess))
    tmp = _atomic(path)
    with open(tmp, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for i, row in enumerate(rows):
            if i in junk:
                w.writerow(junk[i])
            w.writerow(["" if v is None else v for v in row])
    os.replace(tmp, path)
    return len(rows)


def write_jsonl(con: duckdb.DuckDBPyConnection, table: str, columns: list[str],
                keys: list[str], path: Path, mess: float) -> int:
    """JSON lines, UTF-8; empty values are left out of the object, as exporters do."""
    rows = _rows(con, table, columns)
    junk = dict(_garbage(len(rows), len(columns), mess))
    tmp = _atomic(path)
    with open(tmp, "w", encoding="utf-8") as fh:
        for i, row in enumerate(rows):
            if i in junk:
                fh.write("\n" if i % 2 else json.dumps({"note": junk[i][0]}, ensure_ascii=False)
                         + "\n")
            obj = {k: v for k, v in zip(keys, row, strict=True) if v not in (None, "")}
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return len(rows)


def write_xlsx(con: duckdb.DuckDBPyConnection, table: str, columns: list[str],
               headers: list[str], path: Path, mess: float) -> int:
    """One sheet, the header on the first row, text cells as the vendor typed them."""
    from openpyxl import Workbook

    rows = _rows(con, table, columns)
    junk = dict(_garbage(len(rows), len(columns), mess))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业名录")
    ws.append(headers)
    for i, row in enumerate(rows):
        if i in junk:
            ws.append(junk[i])
        ws.append(["" if v is None else v for v in row])
    tmp = _atomic(path)
    wb.save(tmp)
    os.replace(tmp, path)
    return len(rows)
