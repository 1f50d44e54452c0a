"""Readable output: rich tables for people, CSV / JSON for programs."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def print_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, fmt: str = "table",
               title: str | None = None) -> None:
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([[("" if v is None else v) for v in row] for row in rows])
    elif fmt == "json":
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        sys.stdout.write(json.dumps(records, default=_json_default, ensure_ascii=False) + "\n")
    else:
        table = Table(title=title, show_lines=False)
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*[_cell(v) for v in row])
        console.print(table)
