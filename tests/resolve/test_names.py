"""Name keys: one key for a person however the vendor wrote the name."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.resolve.names import name_key, register_keys


@pytest.mark.parametrize("written", ["张伟", "张 伟", " 张伟　", "Zhang Wei", "WEI ZHANG", "zhang  wei",
                                     "Zhang-Wei"])
def test_forms_of_one_name_share_a_key(written):
    assert name_key(written)[0] == "wei zhang"


def test_chinese_characters_are_kept_for_an_exact_level():
    assert name_key("张 伟") == ("wei zhang", "张伟")
    assert name_key("Zhang Wei") == ("wei zhang", None)


def test_compound_and_polyphonic_surnames():
    assert name_key("欧阳娜")[0] == "na ouyang"           # compound surname, given name 娜
    assert name_key("曾芳")[0] == name_key("Zeng Fang")[0]  # 曾 read zeng as a surname
    assert name_key("单丽")[0] == "li shan"


def test_homophone_typo_keeps_the_key_but_not_the_characters():
    a, b = name_key("张伟"), name_key("张玮")
    assert a[0] == b[0] and a[1] != b[1]


@pytest.mark.parametrize("blank", [None, "", "   ", "——", "123"])
def test_nothing_to_key(blank):
    assert name_key(blank) == (None, None)


def test_keys_computed_per_distinct_name():
    con = duckdb.connect()
    con.execute("CREATE TABLE n AS SELECT * FROM (VALUES ('李娜'), ('Li Na'), ('李娜'), (NULL)) t(name)")
    register_keys(con, "SELECT name FROM n", "k")
    assert con.execute("SELECT name, name_key, name_han FROM k ORDER BY name").fetchall() == [
        ("Li Na", "li na", None), ("李娜", "li na", "李娜")]
