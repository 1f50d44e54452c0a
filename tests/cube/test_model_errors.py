"""Cube files are validated on load: each mistake names the file, the key path and the problem."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from warehouse.cube.model import CUBES_DIR, load_cube_model
from warehouse.errors import ContractError

GOOD_SALES = """
cubes:
  shop:
    fact: core.fact_sales_line
    dimensions:
      date: {dimension: date, key: order_date_key}
      ship_date: {dimension: date, key: order_date_key}
      customer: {dimension: customer, key: customer_key}
    measures:
      revenue: {type: sum, column: net_amount}
"""


def load_with(tmp_path: Path, text: str, dimensions: str | None = None):
    folder = Path(tempfile.mkdtemp(dir=tmp_path)) / "cubes"
    folder.mkdir()
    if dimensions is None:
        shutil.copy(CUBES_DIR / "dimensions.yaml", folder / "dimensions.yaml")
    else:
        (folder / "dimensions.yaml").write_text(dimensions, encoding="utf-8")
    (folder / "shop.yaml").write_text(text, encoding="utf-8")
    return load_cube_model(folder)


def expect(tmp_path, text, *parts, dimensions=None):
    with pytest.raises(ContractError) as info:
        load_with(tmp_path, text, dimensions)
    message = str(info.value)
    for part in parts:
        assert part in message, message
    return message


def test_the_shipped_cubes_load(cube_model):
    assert {"sales", "invoices", "payments", "receivables", "service", "campaign",
            "customer_snapshot", "customer360"} <= set(cube_model.cubes)


def test_a_good_file_loads(tmp_path):
    model = load_with(tmp_path, GOOD_SALES)
    assert model.cube("shop").level("ship_date.month").name == "ship_date.month"


def test_unknown_fact_column(tmp_path):
    expect(tmp_path, GOOD_SALES.replace("column: net_amount", "column: net_amout"),
           "shop.yaml", "cubes.shop.measures.revenue.column", "unknown column 'net_amout'")


def test_unknown_role_key_column(tmp_path):
    expect(tmp_path, GOOD_SALES.replace("key: customer_key", "key: client_key"),
           "shop.yaml", "cubes.shop.dimensions.customer.key", "unknown column 'client_key'")


def test_sum_over_text_is_refused(tmp_path):
    expect(tmp_path, GOOD_SALES.replace("column: net_amount", "column: order_no"),
           "shop.yaml", "cubes.shop.measures.revenue.type", "sum needs a numeric column",
           "VARCHAR")


def test_unknown_level_in_a_filter(tmp_path):
    text = GOOD_SALES + "    segments:\n      big: {customer.size: large}\n"
    expect(tmp_path, text, "shop.yaml", "cubes.shop.segments.big.customer.size",
           "no level or attribute 'size'")


def test_missing_join_path(tmp_path):
    text = GOOD_SALES + "      buyers: {type: count_distinct, column: product.product_id}\n"
    expect(tmp_path, text, "shop.yaml", "cubes.shop.measures.buyers.column",
           "no dimension 'product'")


def test_ambiguous_join_path(tmp_path):
    # "date" would be fine (a role of that name exists); the dimension plays two roles in a
    # cube where no role has its name.
    text = GOOD_SALES.replace("      date: {dimension: date, key: order_date_key}",
                              "      order_date: {dimension: date, key: order_date_key}")
    text += "    segments:\n      y: {date.year: 2025}\n"
    expect(tmp_path, text, "shop.yaml", "cubes.shop.segments.y", "plays several roles",
           "order_date, ship_date")


def test_ambiguous_drill_across(tmp_path):
    text = GOOD_SALES + """
  tickets:
    fact: core.fact_service_ticket
    dimensions:
      customer: {dimension: channel, key: channel_key}
    measures:
      n: {type: count}
  both:
    drill_across: [shop, tickets]
"""
    expect(tmp_path, text, "shop.yaml", "cubes.both.drill_across", "ambiguous join path",
           "role 'customer'")


def test_drill_across_measure_named_like_a_column_of_another_fact(tmp_path):
    """The view cubes.<drill-across cube> stacks its facts' columns by name: a measure of one
    fact named like another's grain column (or `fact`) would share its column."""
    text = GOOD_SALES.replace("    dimensions:", "    grain: [line_id]\n    dimensions:", 1) + """
  tickets:
    fact: core.fact_service_ticket
    dimensions:
      customer: {dimension: customer, key: customer_key}
    measures:
      line_id: {type: count}
  both:
    drill_across: [shop, tickets]
"""
    expect(tmp_path, text, "shop.yaml", "cubes.both.drill_across", "measure 'line_id' of "
           "tickets is a grain column of shop")
    text = GOOD_SALES + "      fact: {type: count}\n  both:\n    drill_across: [shop]\n"
    expect(tmp_path, text, "cubes.both.drill_across", "measure 'fact' of shop is the column")


def test_unknown_level_in_a_hierarchy(tmp_path):
    dims = (CUBES_DIR / "dimensions.yaml").read_text(encoding="utf-8").replace(
        "calendar: [year, quarter, month, day]", "calendar: [year, quater, month, day]")
    expect(tmp_path, GOOD_SALES, "dimensions.yaml", "dimensions.date.hierarchies.calendar",
           "unknown level 'quater'", dimensions=dims)


def test_unknown_key_and_bad_formula(tmp_path):
    expect(tmp_path, GOOD_SALES.replace("type: sum,", "type: sum, colour: red,"),
           "shop.yaml", "cubes.shop.measures.revenue.colour", "Extra inputs")
    text = GOOD_SALES + "      ratio: {type: calculated, formula: revenue / nothing}\n"
    expect(tmp_path, text, "shop.yaml", "cubes.shop.measures.ratio.formula",
           "unknown measure 'nothing'")


def test_unknown_attribute_column_in_an_expression(tmp_path):
    dims = (CUBES_DIR / "dimensions.yaml").read_text(encoding="utf-8").replace(
        'iso_year: {expr: "isoyear(date)"', 'iso_year: {expr: "isoyear(day)"')
    expect(tmp_path, GOOD_SALES, "dimensions.yaml", "dimensions.date.attributes.iso_year",
           "unknown column 'day' of core.dim_date", dimensions=dims)


def test_a_measure_may_sum_an_expression_over_fact_columns(tmp_path):
    model = load_with(tmp_path, GOOD_SALES.replace(
        "revenue: {type: sum, column: net_amount}",
        "revenue: {type: sum, column: net_amount}\n"
        "      margin: {type: sum, expr: net_amount - cost_amount}"))
    margin = model.cube("shop").measure("margin")
    assert margin.column.sql("duckdb") == "net_amount - cost_amount"
    assert margin.dtype.startswith("DECIMAL")


def test_measure_expression_errors(tmp_path):
    expect(tmp_path, GOOD_SALES.replace("column: net_amount", "expr: net_amount - cost_amout"),
           "shop.yaml", "cubes.shop.measures.revenue.expr", "unknown column 'cost_amout'")
    expect(tmp_path, GOOD_SALES.replace("column: net_amount",
                                        "column: net_amount, expr: net_amount * 2"),
           "shop.yaml", "column or an expr, not both")


def test_fiscal_periods_need_the_fiscal_year_start(tmp_path):
    dimensions = (CUBES_DIR / "dimensions.yaml").read_text(encoding="utf-8")
    without = "\n".join(line for line in dimensions.splitlines()
                        if "fiscal_year_start:" not in line)
    expect(tmp_path, GOOD_SALES, "dimensions.yaml",
           "dimensions.date.levels.fiscal_year.period", "fiscal_year_start",
           dimensions=without)
    expect(tmp_path, GOOD_SALES, "dimensions.date", "fiscal_year_start",
           dimensions=dimensions.replace("fiscal_year_start: 4", "fiscal_year_start: 13"))
