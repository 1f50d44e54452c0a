"""The README's worked example: a new OLTP database of another design needs a YAML file only.

It is also read through the SQLAlchemy + Arrow path (`engine: sqlalchemy`), the route for
databases DuckDB has no scanner for.
"""

from __future__ import annotations

import re
import shutil
from datetime import date

import yaml

from tests.core.test_mini_load import query
from warehouse import duck
from warehouse.config import REPO_ROOT, SOURCES_DIR
from warehouse.contracts.sources import load_source
from warehouse.contracts.types import duckdb_type
from warehouse.load import run_load


def readme_example() -> dict:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(source: webshop.*?)```", text, re.S)
    assert block, "the README's worked example is missing"
    return yaml.safe_load(block.group(1))


def test_readme_webshop_example_loads_with_yaml_only(mini, tmp_path, monkeypatch):
    home, _, _ = mini
    spec = readme_example()
    spec["connection"]["engine"] = "sqlalchemy"
    sources = tmp_path / "sources"
    sources.mkdir()
    for name in ("crm.yaml", "erp.yaml"):
        shutil.copy(SOURCES_DIR / name, sources / name)
    (sources / "webshop.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    contract = load_source(sources / "webshop.yaml")
    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    con = duck.connect()
    duck.attach(con, url, "shop", read_only=False)
    table = contract.tables["shop_orders"]
    cols = ", ".join(f'"{n}" {duckdb_type(c.type)}' for n, c in table.columns.items())
    con.execute(f"CREATE TABLE shop.shop_orders ({cols})")
    con.execute("INSERT INTO shop.shop_orders VALUES (1, '77', 2, '2025-03-10 09:00:00', 'PAID', "
                "false, '2025-03-10 09:00:00'), (2, '78', 1, '2025-03-10 10:00:00', 'OPEN', true, "
                "'2025-03-10 10:05:00')")
    con.close()
    monkeypatch.setenv("CRMWH_SOURCES_DIR", str(sources))
    monkeypatch.setenv("CRMWH_WEBSHOP_URL", url)
    result = run_load(home, date(2025, 3, 10))
    batch = next(b for b in result.batches if b.source == "webshop")
    assert (batch.counts.rows_extracted, batch.counts.rows_loaded) == (2, 2), query(
        home, "SELECT problems FROM quarantine.source_rows")
    assert query(home, "SELECT order_id, order_no, status, _deleted FROM staging.current_order "
                       "WHERE _source = 'webshop' ORDER BY 1") == [
        (900000001, "WS-77", "paid", False), (900000002, "WS-78", "open", True)]
