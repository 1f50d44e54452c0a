"""Declarative files are validated on load, with messages naming the file and the key."""

from __future__ import annotations

import shutil

import pytest
import yaml

from warehouse.config import MODEL_DIR, SOURCES_DIR
from warehouse.contracts.model import load_model
from warehouse.contracts.sources import load_sources
from warehouse.contracts.staging import check_mappings
from warehouse.errors import ContractError


def edited_source(tmp_path, edit) -> ContractError:
    folder = tmp_path / "sources"
    shutil.copytree(SOURCES_DIR, folder)
    data = yaml.safe_load((folder / "crm.yaml").read_text(encoding="utf-8"))
    edit(data)
    (folder / "crm.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ContractError) as info:
        check_mappings(load_model(MODEL_DIR).staging, load_sources(folder))
    return info.value


def test_shipped_contracts_and_model_are_valid():
    sources = load_sources(SOURCES_DIR)
    model = load_model(MODEL_DIR)
    check_mappings(model.staging, sources)
    assert set(sources) == {"crm", "erp", "purchased_people", "purchased_companies", "market_stats"}
    assert "fact_sales_line" in model.facts and "dim_customer" in model.dimensions


def test_unknown_key_is_named_with_its_path(tmp_path):
    err = edited_source(tmp_path, lambda d: d["tables"]["customers"].update(watermrk="x"))
    assert "crm.yaml" in str(err) and "tables.customers.watermrk" in str(err)


def test_unknown_type_is_named(tmp_path):
    err = edited_source(tmp_path, lambda d: d["tables"]["customers"]["columns"].update(
        segment="strnig"))
    assert "tables.customers.columns.segment.type" in str(err) and "unknown type 'strnig'" in str(err)


def test_unmapped_staging_column_is_named(tmp_path):
    err = edited_source(tmp_path, lambda d: d["tables"]["customers"]["columns"].pop("tier"))
    assert "tables.customers: entity 'customer' column 'tier' has no source" in str(err)


def test_incremental_table_needs_a_watermark(tmp_path):
    def drop(d):
        d.pop("defaults")
    err = edited_source(tmp_path, drop)
    assert "needs a watermark column" in str(err)
