"""File source contracts: validated on load, errors name the file and the key."""

from __future__ import annotations

import copy

import pytest
import yaml

from tests.files.helpers import PEOPLE
from warehouse.config import MODEL_DIR, SOURCES_DIR
from warehouse.contracts.files import FileSource
from warehouse.contracts.sources import Source, load_source, load_sources
from warehouse.contracts.staging import check_mappings, load_staging
from warehouse.errors import ContractError

STAGING = load_staging(MODEL_DIR / "staging.yaml")


def write(tmp_path, spec, name="people.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def people(**changes) -> dict:
    spec = copy.deepcopy(PEOPLE)
    family = spec["files"]["demographics"]
    for key, value in changes.items():
        family[key] = value
    return spec


def test_the_agreed_format_loads_and_database_contracts_are_unchanged(tmp_path):
    source = load_source(write(tmp_path, PEOPLE))
    assert isinstance(source, FileSource)
    family = source.files["demographics"]
    assert (family.name, family.stage, family.encoding, family.key) == (
        "demographics", "ext_person", "gbk", ("record_id",))
    assert [r.name for r in family.columns["birth_date"].rules] == ["halfwidth", "date"]
    shipped = load_sources(SOURCES_DIR)
    assert {n for n, s in shipped.items() if isinstance(s, Source)} >= {"crm", "erp"}
    check_mappings(STAGING, {**shipped, "test_people": source})


@pytest.mark.parametrize("change, where, says", [
    ({"columns": {"record_id": {"from": "编号", "clean": ["trim", "titlecase"]}}},
     "files.demographics.columns.record_id.clean", "unknown rule 'titlecase'"),
    ({"columns": {"record_id": {"from": "编号", "clean": [{"date": "nope"}]}}},
     "files.demographics.columns.record_id.clean", "rule 'date'"),
    ({"columns": {"record_id": {"clean": ["trim"]}}},
     "files.demographics.columns.record_id", "give exactly one of `from`"),
    ({"encoding": "latin-9"}, "files.demographics.encoding", "unknown encoding 'latin-9'"),
    ({"format": "xml"}, "files.demographics.format", "csv"),
    ({"columns": {"record_id": {"from": "编号", "clean": ["province_code", "trim"]}}},
     "files.demographics.columns.record_id.clean", "must be the last rule"),
])
def test_bad_contracts_name_file_and_key(tmp_path, change, where, says):
    path = write(tmp_path, people(**change))
    with pytest.raises(ContractError) as err:
        load_source(path)
    message = str(err.value)
    assert str(path) in message and where in message and says in message


def test_unknown_staging_column_and_entity_are_named(tmp_path):
    spec = people()
    spec["files"]["demographics"]["columns"]["shoe_size"] = {"from": "鞋码"}
    path = write(tmp_path, spec)
    with pytest.raises(ContractError, match=r"people.yaml: files.demographics.columns.shoe_size: "
                                            r"entity 'ext_person' has no column 'shoe_size'"):
        check_mappings(STAGING, {"p": load_source(path)})
    path = write(tmp_path, people(stage="ext_persons"))
    with pytest.raises(ContractError, match=r"files.demographics.stage: unknown staging entity "
                                            r"'ext_persons'"):
        check_mappings(STAGING, {"p": load_source(path)})


def test_a_required_column_without_a_source_is_refused(tmp_path):
    spec = {**people(), "files": {"m": {
        "pattern": "market_*.csv", "format": "csv", "stage": "market_stat",
        "key": ["province_code", "month", "category", "competitor"],
        "columns": {"province_code": {"from": "省份"}, "month": {"from": "月份"},
                    "category": {"from": "品类"}, "competitor": {"from": "竞品"}}}}}
    check_mappings(STAGING, {"m": load_source(write(tmp_path, spec))})
    del spec["files"]["m"]["columns"]["category"]
    spec["files"]["m"]["key"] = ["province_code", "month", "competitor"]
    with pytest.raises(ContractError, match="key"):
        check_mappings(STAGING, {"m": load_source(write(tmp_path, spec))})


def test_a_family_is_named_by_its_key(tmp_path):
    """The manifest, --accept-change and the asset names all use the key: a `name:` that
    differs from it is refused; one that repeats it is harmless."""
    assert load_source(write(tmp_path, people(name="demographics"))).files[
        "demographics"].name == "demographics"
    path = write(tmp_path, people(name="people_list"))
    with pytest.raises(ContractError) as err:
        load_source(path)
    message = str(err.value)
    assert str(path) in message and "files.demographics" in message
    assert "'people_list' differs from its key" in message
