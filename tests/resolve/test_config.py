"""The resolution settings and survivorship rules are validated on load, naming file and key."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from warehouse.errors import ContractError
from warehouse.resolve import resolve_identities
from warehouse.resolve.config import RESOLVE_DIR, load_settings, load_survivorship


@pytest.fixture
def folder(tmp_path):
    for name in ("resolve.yaml", "survivorship.yaml"):
        shutil.copy(RESOLVE_DIR / name, tmp_path / name)
    return tmp_path


def test_shipped_files_load():
    assert set(load_settings().entities) == {"person", "company"}
    assert load_survivorship().customer_profile["industry"].rule == "source_priority"


def test_unknown_deterministic_key_names_file_and_key(folder):
    path = folder / "resolve.yaml"
    path.write_text(path.read_text().replace("deterministic: [email, phone]",
                                             "deterministic: [email, fax]"))
    with pytest.raises(ContractError) as exc:
        load_settings(folder)
    assert "resolve.yaml" in str(exc.value) and "fax" in str(exc.value)


def test_threshold_out_of_range(folder):
    path = folder / "resolve.yaml"
    path.write_text(path.read_text().replace("link_threshold: 0.9", "link_threshold: 1.5", 1))
    with pytest.raises(ContractError, match=r"entities\.person\.link_threshold"):
        load_settings(folder)


def test_undeclared_source_and_unknown_rule(folder):
    path = folder / "survivorship.yaml"
    text = path.read_text()
    path.write_text(text.replace("sources: [crm, purchased_people], type: text}",
                                 "sources: [crm, gossip], type: text}", 1))
    with pytest.raises(ContractError, match="gossip"):
        load_survivorship(folder)
    path.write_text(text.replace("{rule: most_recent", "{rule: loudest", 1))
    with pytest.raises(ContractError, match=r"survivorship\.yaml.*\n.*customer_profile\.age_band\.rule"):
        load_survivorship(folder)


def test_nothing_staged_is_a_noop_with_a_note():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging; CREATE SCHEMA core")
    result = resolve_identities(con, load_id="L1")
    assert "no external records staged" in result.note
    con.execute("CREATE TABLE staging.current_ext_person (record_id VARCHAR)")
    assert "skipped" in resolve_identities(con, load_id="L1").note
    tables = con.execute("SELECT count(*) FROM information_schema.tables "
                         "WHERE table_schema = 'core'").fetchone()[0]
    assert tables == 0
