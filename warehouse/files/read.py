"""Read one landed file into a temp table of text columns, or reject it as a whole.

Every value is read as VARCHAR (standardisation and typing come later, as SQL), with
`_file_row` = the data row's number in the file (1 = first row after the header). What
decides whole-file rejection versus row-level quarantine:

- rejected (the file cannot be trusted as a whole): empty file; bytes that are not the
  declared encoding; a declared column missing from the header (drift or no header at all);
  broken quoting; a last row cut short without a final newline (truncated delivery); ragged
  rows beyond the family's `max_ragged_fraction`; malformed JSON lines.
- quarantined row by row: a few ragged CSV rows (wrong field count) within that tolerance,
  reported with their row number and text; everything the rules and typing find later.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.contracts.files import ENCODINGS, FileFamily
from warehouse.duck import first_line
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit

RAW_TABLE = "_file_raw"
CHUNK = 1 << 20
MAX_LINE = 1 << 28  # a row may carry long text (a 1 MB field is in the corpus)


class FileRejected(Exception):
    """The whole file is refused; the message is the reason written beside it."""


@dataclass
class Ragged:
    row: int          # data row number in the file
    text: str         # the row as it was
    problem: str


@dataclass
class ReadResult:
    columns: list[str]        # the file's columns, as in its header
    ragged: list[Ragged]
    notes: list[str]


def read_file(con: duckdb.DuckDBPyConnection, family: FileFamily, path: Path,
              work: Path) -> ReadResult:
    """Fill temp table _file_raw(_file_row, <file columns>...) from `path`."""
    if path.stat().st_size == 0:
        raise FileRejected("empty file (0 bytes)")
    reader = {"csv": _read_csv, "jsonl": _read_jsonl, "parquet": _read_parquet,
              "xlsx": _read_xlsx}[family.format]
    con.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
    return reader(con, family, path, work)


# ---------------------------------------------------------------- encoding

def transcode(path: Path, codec: str, work: Path, label: str | None = None) -> Path:
    """Decode with Python into a UTF-8 temp file; an undecodable byte rejects the file,
    naming its line and byte offset."""
    work.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(suffix=".utf8", dir=work)
    decoder = codecs.getincrementaldecoder(codec)()
    offset, line = 0, 1
    try:
        with open(path, "rb") as src, os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            while True:
                chunk = src.read(CHUNK)
                try:
                    text = decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    at = offset + exc.start - len(decoder.getstate()[0])
                    bad = chunk[max(exc.start, 0):exc.start + 4]
                    line += chunk[:max(exc.start, 0)].count(b"\n")
                    raise FileRejected(f"not valid {label or codec}: undecodable bytes {bad!r} at byte "
                                       f"{max(at, 0)} (line {line})") from exc
                if offset == 0:  # a byte-order mark is not data, whatever the declared codec
                    text = text.removeprefix("\ufeff")
                out.write(text)
                line += chunk.count(b"\n")
                offset += len(chunk)
                if not chunk:
                    break
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _head_text(path: Path, codec: str, label: str, limit: int = 1 << 16) -> str:
    with open(path, "rb") as fh:
        data = fh.read(limit)
    try:
        text = codecs.getincrementaldecoder(codec)().decode(data, final=False)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise FileRejected(f"not valid {label}: undecodable bytes {data[exc.start:exc.start + 4]!r} "
                           f"at byte {exc.start} (line {line})") from exc
    return text.removeprefix("\ufeff")


# ---------------------------------------------------------------- CSV

def _csv_header(family: FileFamily, path: Path) -> list[str]:
    text = _head_text(path, family.codec, family.encoding)
    if not text.strip():
        raise FileRejected("empty file (no rows, no header)")
    first = next(csv.reader(io.StringIO(text), delimiter=family.delimiter,
                            quotechar=family.quote), [])
    if not family.header:
        return [f"column{i}" for i in range(1, len(first) + 1)]
    return [c.strip() for c in first]


def check_columns(family: FileFamily, present: list[str], what: str = "header") -> list[str]:
    """Declared file columns must all be there; extra ones are noted and ignored."""
    missing = [c for c in family.file_columns if c not in present]
    if missing and len(missing) == len(family.file_columns):
        raise FileRejected(f"{what} missing or renamed: none of the declared columns "
                           f"{family.file_columns} found; the file has {present}")
    if missing:
        extra = [c for c in present if c not in family.file_columns]
        hint = f" (unexpected columns: {extra} — renamed?)" if extra else ""
        raise FileRejected(f"{what} drift: declared column(s) {missing} missing{hint}; "
                           f"the file has {present}")
    extra = [c for c in present if c not in family.file_columns]
    return [f"columns not in the contract, ignored: {extra}"] if extra else []


def _read_csv(con: duckdb.DuckDBPyConnection, family: FileFamily, path: Path,
              work: Path) -> ReadResult:
    try:
        header = _csv_header(family, path)
        notes = check_columns(family, header)
    except FileRejected as exc:
        raise FileRejected(f"{exc}{_encoding_hint(family, path)}") from exc
    if family.duck_encoding == "utf-8":
        try:
            return _csv_into_table(con, family, path, header, notes)
        except _NeedsTranscode:
            pass  # the Python decoder below names the exact line and byte
    # GBK / GB18030 are always decoded by Python: DuckDB's encodings extension (1.5.5)
    # corrupted a character at a buffer boundary in a 1M-row GBK file (bench/ingest.py),
    # and its 350 MB binary takes seconds to load.
    utf8 = transcode(path, family.codec, work, family.encoding)  # rejects really wrong bytes
    try:
        return _csv_into_table(con, family, utf8, header, notes)
    except _NeedsTranscode as exc:
        raise FileRejected(f"not valid {family.encoding}") from exc
    finally:
        utf8.unlink(missing_ok=True)


def _encoding_hint(family: FileFamily, path: Path) -> str:
    """When another encoding would have given the declared header, say so."""
    for other, (_, codec) in ENCODINGS.items():
        if codec == family.codec:
            continue
        try:
            header = _csv_header(family.model_copy(update={"encoding": other}), path)
        except (FileRejected, UnicodeDecodeError):
            continue
        if all(c in header for c in family.file_columns):
            return (f" — the header reads correctly as {other}: is the file {other}, "
                    f"not {family.encoding}?")
    return ""


class _NeedsTranscode(Exception):
    pass


def _csv_into_table(con: duckdb.DuckDBPyConnection, family: FileFamily, path: Path,
                    header: list[str], notes: list[str]) -> ReadResult:
    positional = {f"c{i}": "VARCHAR" for i in range(1, len(header) + 1)}
    struct = "{" + ", ".join(f"{lit(k)}: 'VARCHAR'" for k in positional) + "}"
    renamed = ", ".join(f"c{i} AS {q(name)}" for i, name in enumerate(header, 1)
                        if name in family.file_columns)
    options = (f"columns={struct}, header={str(family.header).lower()}, auto_detect=false, "
               f"delim={lit(family.delimiter)}, quote={lit(family.quote)}, "
               f"escape={lit(family.quote)}, encoding='utf-8', "
               f"max_line_size={MAX_LINE}, "
               f"store_rejects=true, rejects_table='_file_rejects', rejects_scan='_file_scan'")
    try:
        con.execute(f"CREATE TEMP TABLE {RAW_TABLE} AS SELECT {renamed} "
                    f"FROM read_csv({lit(str(path))}, {options})")
    except duckdb.InvalidInputException as exc:
        if "byte sequence mismatch" in str(exc):
            raise _NeedsTranscode() from exc
        raise FileRejected(f"cannot be read as CSV: {first_line(exc)}") from exc
    try:
        # One entry per bad row (DuckDB lists a short row once per missing column).
        errors = con.execute("SELECT line, min(error_type), min(csv_line), min(error_message) "
                             "FROM _file_rejects GROUP BY line ORDER BY line").fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS _file_rejects; DROP TABLE IF EXISTS _file_scan")
    if any(e[1] == "INVALID ENCODING" for e in errors):
        con.execute(f"DROP TABLE {RAW_TABLE}")
        raise _NeedsTranscode()
    skip = 1 if family.header else 0
    broken = [e for e in errors if e[1] not in ("MISSING COLUMNS", "TOO MANY COLUMNS")]
    if broken:
        line, kind, text, _ = broken[0]
        raise FileRejected(f"broken CSV structure at row {line - skip} ({kind.lower()}): "
                           f"{_clip(text)!r}")
    good = con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]
    total = good + len(errors)
    ragged = [Ragged(line - skip, _clip(text), f"expected {len(header)} fields, "
                     f"{message.split('Found:')[-1].strip()} found")
              for line, _, text, message in errors]
    if ragged and ragged[-1].row == total and not _ends_with_newline(path):
        raise FileRejected(f"truncated: the last row ({total}) is incomplete and the file has "
                           f"no final newline: {ragged[-1].text!r}")
    if len(ragged) > family.max_ragged_fraction * total:
        raise FileRejected(f"{len(ragged)} of {total} rows have the wrong number of fields "
                           f"(tolerance {family.max_ragged_fraction:.0%}); first at row "
                           f"{ragged[0].row}: {ragged[0].text!r}")
    _number_rows(con, [r.row for r in ragged], total)
    return ReadResult(header, ragged, notes)


def _number_rows(con: duckdb.DuckDBPyConnection, skipped: list[int], total: int) -> None:
    """Add _file_row: the table holds the good rows in file order; skipped rows leave gaps."""
    if not skipped:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW_TABLE} AS "
                    f"SELECT rowid + 1 AS _file_row, * FROM {RAW_TABLE}")
        return
    gaps = ", ".join(str(r) for r in skipped)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RAW_TABLE} AS SELECT n._file_row, t.* FROM "
        f"(SELECT rowid AS _i, * FROM {RAW_TABLE}) t JOIN (SELECT row_number() OVER "
        f"(ORDER BY range) - 1 AS _i, range AS _file_row FROM range(1, {total + 1}) "
        f"WHERE range NOT IN ({gaps})) n USING (_i) ORDER BY n._file_row")
    con.execute(f"ALTER TABLE {RAW_TABLE} DROP COLUMN _i")


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) in (b"\n", b"\r")


def _clip(text: str, limit: int = 200) -> str:
    text = text.rstrip("\r\n")
    return text if len(text) <= limit else text[:limit] + "…"


# ---------------------------------------------------------------- JSON lines

def _read_jsonl(con: duckdb.DuckDBPyConnection, family: FileFamily, path: Path,
                work: Path) -> ReadResult:
    utf8 = family.encoding in ("utf-8", "utf-8-sig")
    source = path if utf8 else transcode(path, family.codec, work, family.encoding)
    try:
        try:
            con.execute(f"CREATE TEMP TABLE _file_json AS SELECT json FROM "
                        f"read_json_objects({lit(str(source))}, format='newline_delimited')")
        except duckdb.InvalidInputException as exc:
            if "unicode" in str(exc).lower() or "utf" in str(exc).lower():
                transcode(path, family.codec, work, family.encoding).unlink()  # raises the exact position
            raise FileRejected(f"malformed JSON: {first_line(exc)}") from exc
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    exists = ", ".join(f"bool_or(json_exists(json, {lit(_json_path(c))}))"
                       for c in family.file_columns)
    rows, *present = con.execute(f"SELECT count(*), {exists} FROM _file_json").fetchone()
    if rows == 0:
        con.execute("DROP TABLE _file_json")
        raise FileRejected("empty file (no JSON objects)")
    found = [c for c, ok in zip(family.file_columns, present, strict=True) if ok]
    notes = check_columns(family, found, "fields")
    values = ", ".join(f"json_extract_string(json, {lit(_json_path(c))}) AS {q(c)}"
                       for c in family.file_columns)
    con.execute(f"CREATE TEMP TABLE {RAW_TABLE} AS SELECT rowid + 1 AS _file_row, {values} "
                f"FROM _file_json")
    con.execute("DROP TABLE _file_json")
    return ReadResult(found, [], notes)


def _json_path(key: str) -> str:
    return '$."' + key.replace('"', '\\"') + '"'


# ---------------------------------------------------------------- Parquet and Excel

def _read_parquet(con: duckdb.DuckDBPyConnection, family: FileFamily, path: Path,
                  work: Path) -> ReadResult:
    try:
        names = [r[0] for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({lit(str(path))})").fetchall()]
    except duckdb.Error as exc:
        raise FileRejected(f"not a readable Parquet file: {first_line(exc)}") from exc
    notes = check_columns(family, names, "columns")
    values = ", ".join(f"CAST({q(c)} AS VARCHAR) AS {q(c)}" for c in family.file_columns)
    con.execute(f"CREATE TEMP TABLE {RAW_TABLE} AS SELECT file_row_number + 1 AS _file_row, "
                f"{values} FROM read_parquet({lit(str(path))}, file_row_number=true) "
                f"ORDER BY file_row_number")
    return ReadResult(names, [], notes)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text.removesuffix("T00:00:00")
    return str(value)


def _read_xlsx(con: duckdb.DuckDBPyConnection, family: FileFamily, path: Path,
               work: Path) -> ReadResult:
    from openpyxl import load_workbook  # imported here: only Excel deliveries pay for it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise FileRejected(f"not a readable .xlsx workbook: {exc}") from exc
    try:
        if family.sheet and family.sheet not in book.sheetnames:
            raise FileRejected(f"no sheet {family.sheet!r}; the workbook has {book.sheetnames}")
        sheet = book[family.sheet] if family.sheet else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_cell_text(v) or "" for v in next(rows, ())]
        if not any(header):
            raise FileRejected("empty workbook (no header row)")
        header = [h.strip() for h in header]
        notes = check_columns(family, header)
        index = [header.index(c) for c in family.file_columns]
        columns: list[list[str | None]] = [[] for _ in index]
        for row in rows:
            if row is None or all(v is None for v in row):
                continue
            for out, i in zip(columns, index, strict=True):
                out.append(_cell_text(row[i]) if i < len(row) else None)
    finally:
        book.close()
    n = len(columns[0]) if columns else 0
    table = pa.table({"_file_row": pa.array(range(1, n + 1), pa.int64()),
                      **{c: pa.array(v, pa.string()) for c, v in zip(family.file_columns, columns,
                                                                    strict=True)}})
    con.register("_file_arrow", table)
    try:
        con.execute(f"CREATE TEMP TABLE {RAW_TABLE} AS SELECT * FROM _file_arrow")
    finally:
        con.unregister("_file_arrow")
    return ReadResult(header, [], notes)
