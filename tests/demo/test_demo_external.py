"""The demo's external files: where they land, their encodings and mess, determinism per
seed, the truth kept outside the landing zone, and the deliveries `advance` makes."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import duckdb
import pytest

from warehouse.config import home
from warehouse.demo import advance_demo, external, init_demo
from warehouse.demo.clock import read
from warehouse.demo.targets import attach, contracts
from warehouse.demo.workspace import register as workspace_macros
from warehouse.demo.workspace import workspace

AS_OF = date(2025, 12, 31)


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    """Two homes generated with the same seed, a third with another seed."""
    out = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        h = home(tmp_path_factory.mktemp(f"ext_{name}"))
        init_demo(h, scale=0.05, seed=seed, as_of=AS_OF)
        out.append(h)
    return out


def _files(h):
    return {p.relative_to(h.landing).as_posix(): p.read_bytes()
            for p in sorted(h.landing.rglob("*")) if p.is_file()}


def test_same_seed_same_files_other_seed_other_files(homes):
    a, b, c = (_files(h) for h in homes)
    assert a == b
    assert set(a) == set(c) and a["purchased_people/people_20251231.csv"] != \
        c["purchased_people/people_20251231.csv"]


def test_file_families_encodings_and_mess(homes):
    h = homes[0]
    names = set(_files(h))
    assert "purchased_people/people_20251231.csv" in names
    assert "purchased_companies/companies_20251231.jsonl" in names
    assert sum(n.startswith("market_stats/market_") for n in names) == 12 * 4
    raw = (h.landing / "purchased_people/people_20251231.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")                       # GBK, not UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("gbk"))))
    assert rows[0][:3] == ["编号", "姓名", "性别"]
    body = [r for r in rows[1:] if r and r[0].startswith("PP")]
    junk = [r for r in rows[1:] if not r or not r[0].startswith("PP")]
    assert junk, "blank and garbage rows are part of the mess"
    phones = [r[4] for r in body if r[4]]
    assert any(p.startswith("+86") for p in phones) and any("-" in p for p in phones)
    assert any(ch in "".join(phones) for ch in "０１２３４５６７８９")        # full-width digits
    dates = [r[3] for r in body if r[3]]
    assert any("年" in d for d in dates) and any("/" in d for d in dates)
    provinces = {r[6] for r in body}
    assert provinces & {"广东", "广东省", "Guangdong"} or provinces & {"上海", "上海市", "Shanghai"}
    assert any(r[1].isascii() and " " in r[1] for r in body)              # names in pinyin
    market = (h.landing / "market_stats").iterdir().__next__().read_bytes()
    assert market.startswith(b"\xef\xbb\xbf")                              # UTF-8 with BOM
    for line in (h.landing / "purchased_companies/companies_20251231.jsonl").read_text(
            encoding="utf-8").splitlines():
        if line.strip():
            json.loads(line)


def test_truth_outside_landing_covers_every_record(homes):
    h = homes[0]
    truth = h.sources / "external_truth.parquet"
    assert truth.exists() and not list(h.landing.rglob("*truth*"))
    con = duckdb.connect()
    t = con.execute(f"SELECT * FROM read_parquet('{truth}')").df()
    raw = (h.landing / "purchased_people/people_20251231.csv").read_bytes().decode("gbk")
    ids = {r[0] for r in csv.reader(io.StringIO(raw)) if r and r[0].startswith("PP")}
    assert ids == set(t[t.source == "purchased_people"].record_id)
    customers = t[t.customer_id.notna()]
    prospects = t[t.customer_id.isna()]
    assert len(customers) > 0 and len(prospects) > len(customers)
    assert (customers.entity == "C" + customers.customer_id.astype("int64").astype(str)).all()
    dup = t.groupby(["source", "entity"]).size()
    assert (dup > 1).any()                                                  # duplicated people


def test_advance_delivers_on_its_days_only(homes):
    h = homes[1]
    before = set(_files(h))
    advance_demo(h, days=1)                                   # 2026-01-01: people refresh
    assert set(_files(h)) - before == {"purchased_people/people_20260101.csv"}
    # the other delivery days, straight from the generator on the advanced sources
    with workspace(h, None) as con:
        crm = attach(con, h, contracts()["crm"], None, create=False)
        clock = read(con, crm)
        workspace_macros(con, clock.seed)
        written = {}
        for day in (date(2026, 1, 2), date(2026, 1, 5), date(2026, 1, 15), date(2026, 1, 20)):
            written[day] = external.write_day(con, h, crm.ref("customers"), seed=clock.seed,
                                              scale=clock.scale, start=clock.start, day=day)
    assert written[date(2026, 1, 2)] == {} and written[date(2026, 1, 20)] == {}
    assert set(written[date(2026, 1, 5)]) == {f"market_stats/market_{r}_202512.csv"
                                               for r in ("EC", "NC", "SC", "WC")}
    assert set(written[date(2026, 1, 15)]) == {"purchased_companies/companies_20260115.xlsx"}
    from openpyxl import load_workbook
    sheet = load_workbook(h.landing / "purchased_companies/companies_20260115.xlsx").active
    header = next(sheet.iter_rows(values_only=True))
    assert header[:3] == ("企业编号", "企业名称", "统一社会信用代码")
    con = duckdb.connect()
    files = {f for (f,) in con.execute(
        f"SELECT DISTINCT file FROM read_parquet('{h.sources}/external_truth.parquet')").fetchall()}
    assert {"people_20251231.csv", "people_20260101.csv", "companies_20251231.jsonl",
            "companies_20260115.xlsx"} <= files
    refresh = con.execute(f"""
        SELECT count(*) FILTER (WHERE r.record_id IN (SELECT record_id FROM read_parquet(
                   '{h.sources}/external_truth.parquet') WHERE file = 'people_20251231.csv')),
               count(*)
        FROM read_parquet('{h.sources}/external_truth.parquet') r
        WHERE file = 'people_20260101.csv'""").fetchone()
    assert refresh[1] > 0
    assert refresh[0] > 0                       # known people delivered again (values change)
