"""The bad-input corpus (tests/files/corpus/cases.yaml): each case ends with its declared
outcome — loaded with exact counts, quarantined with a reason naming file, row and field, or
rejected with a reason — and the accounting balances: read = loaded + merged + quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from bench.people_file import write_people
from tests.files.helpers import HEADER, csv_text
from warehouse import duck
from warehouse.config import MODEL_DIR, Home
from warehouse.contracts.sources import load_source
from warehouse.contracts.staging import check_mappings, load_staging
from warehouse.files.ingest import ingest_files
from warehouse.stage.schema import create_all

CORPUS = Path(__file__).parent / "corpus"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
STAGING = load_staging(MODEL_DIR / "staging.yaml")
SOURCE = load_source(CORPUS / "contract.yaml")
check_mappings(STAGING, {SOURCE.source: SOURCE})
ONE_MB = 1 << 20


def write_case(case: dict, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / case["file"]
    header = case.get("header", HEADER)
    rows = case.get("rows", [])
    fmt = case.get("format", "csv")
    if case.get("generate") == "big":
        write_people(path, 1_250_000, "gbk")
    elif case.get("generate") == "one_mb_field":
        rows = [["P1", "长" * ONE_MB, "", "", "", "", "", ""],
                ["P2", "李四", "", "x" * ONE_MB, "", "", "", ""]]
        path.write_bytes(csv_text(rows, header).encode("gb18030"))
    elif "text" in case:
        path.write_bytes(case["text"].encode(case.get("encoding", "gbk")))
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(dict(zip(header, r, strict=True)), ensure_ascii=False)
                                + "\n" for r in rows), encoding="utf-8")
    elif fmt == "parquet":
        pq.write_table(pa.table({h: [r[i] for r in rows] for i, h in enumerate(header)}), path)
    elif fmt == "xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(header)
        for row in rows:
            sheet.append([v or None for v in row])
        book.save(path)
    else:
        data = csv_text(rows, header).encode(case.get("encoding", "gbk"))
        path.write_bytes(data + bytes.fromhex(case.get("append_bytes", "")))
    paths = [path]
    if "also" in case:
        paths.append(folder / case["also"])
        paths[1].write_bytes(path.read_bytes())
    return paths


def run_case(case: dict, tmp_path: Path):
    home = Home(tmp_path / "home").ensure()
    write_case(case, home.landing / SOURCE.source)
    con = duck.connect(tmp_path / "build.duckdb")
    create_all(con, STAGING)
    batches = ingest_files(con, home, {SOURCE.source: SOURCE}, staging=STAGING, load_id="C1")
    manifest = con.execute("SELECT file_name, status, reason, rows_read, rows_loaded, "
                           "rows_merged, rows_quarantined FROM meta.file_manifests "
                           "ORDER BY ingested_at").fetchall()
    problems = [p for (ps,) in con.execute("SELECT problems FROM quarantine.source_rows")
                .fetchall() for p in ps]
    return con, batches, manifest, problems


def params():
    for case in CASES:
        marks = [pytest.mark.slow] if case.get("slow") else []
        yield pytest.param(case, id=case["case"], marks=marks)


@pytest.mark.parametrize("case", list(params()))
def test_case(case, tmp_path):
    expect = case["expect"]
    con, batches, manifest, problems = run_case(case, tmp_path)
    name, status, reason, *counts = manifest[0]
    assert (name, status) == (case["file"], expect["status"]), reason
    if status == "rejected":
        assert expect["reason"] in reason
        assert batches == []
        assert con.execute("SELECT count(*) FROM staging.current_ext_person").fetchone()[0] == 0
        return
    read, loaded, merged, quarantined = counts
    assert (read, loaded, merged, quarantined) == (
        expect["read"], expect["loaded"], expect["merged"], expect["quarantined"])
    # The batch, the manifest, quarantine and staging tell the same story.
    [batch] = batches
    assert batch.counts.balanced and batch.counts.rows_extracted == read
    staged = con.execute(f"SELECT count(*) FROM staging.{batch.entity}").fetchone()[0]
    held = con.execute("SELECT count(*) FROM quarantine.source_rows").fetchone()[0]
    assert (staged, held) == (loaded, quarantined)
    assert read == loaded + merged + quarantined
    for fragment in expect.get("problems", []):
        assert any(fragment in p for p in problems), (fragment, problems)
    assert all(p.startswith(f"file {case['file']} row ") for p in problems), problems
    for key, fields in expect.get("values", {}).items():
        for field, value in fields.items():
            column = field.removesuffix("_length")
            expr = f"length({column})" if field.endswith("_length") else f"CAST({column} AS VARCHAR)"
            got = con.execute(f"SELECT {expr} FROM staging.current_{batch.entity} "
                              f"WHERE record_id = ?", [key]).fetchone()
            assert got == (value,), (key, field)
    if "second" in expect:
        _, status2, reason2, *_ = manifest[1]
        assert status2 == expect["second"]["status"] and expect["second"]["reason"] in reason2
    con.close()


def test_sql_in_a_file_name_and_values_is_data_not_code(tmp_path):
    case = next(c for c in CASES if c["case"] == "control_characters_and_sql_in_names")
    con, *_ = run_case(case, tmp_path)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() "
                                        "WHERE schema_name = 'staging'").fetchall()}
    assert "current_ext_person" in tables
    assert con.execute("SELECT DISTINCT _file FROM staging.current_ext_person").fetchall() == [
        (case["file"],)]
    con.close()
