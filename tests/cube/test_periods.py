"""Period levels name the periods time calculations assume: the load refuses a model whose
fiscal_year_start and fiscal level expressions disagree (every fiscal ytd would be wrong)."""

from __future__ import annotations

import shutil

import pytest

from warehouse.cube.model import CUBES_DIR, load_cube_model
from warehouse.cube.periods import check_periods
from warehouse.errors import LoadError


def model_with(tmp_path, old: str, new: str):
    """The shipped cubes with one text change in dimensions.yaml."""
    folder = tmp_path / "cubes"
    shutil.copytree(CUBES_DIR, folder)
    dims = folder / "dimensions.yaml"
    text = dims.read_text(encoding="utf-8")
    assert old in text
    dims.write_text(text.replace(old, new), encoding="utf-8")
    return load_cube_model(folder)


def test_the_shipped_period_levels_match_their_periods(mini_time_wh, cube_model):
    check_periods(mini_time_wh.con, cube_model)


def test_a_fiscal_start_the_expressions_do_not_follow_is_refused(mini_time_wh, tmp_path):
    model = model_with(tmp_path, "fiscal_year_start: 4", "fiscal_year_start: 1")
    with pytest.raises(LoadError) as err:
        check_periods(mini_time_wh.con, model)
    text = str(err.value)
    assert "dimensions.yaml" in text
    assert "date.fiscal_year: member" in text and "fiscal_year_start: 1" in text
    # Quarters shifted by three months still correspond one to one: only the year is wrong.
    assert "date.fiscal_quarter" not in text


def test_a_calendar_level_keyed_by_the_wrong_attribute_is_refused(mini_time_wh, tmp_path):
    model = model_with(tmp_path, "quarter: {key: year_quarter, period: quarter}",
                       "quarter: {key: year_month, period: quarter}")
    with pytest.raises(LoadError, match=r"date\.quarter: the quarter period starting "
                                        r"\S+ holds more than one member"):
        check_periods(mini_time_wh.con, model)
