"""Write a first expectation suite for every staged and core table that has none yet.

`python -m warehouse.quality.scaffold [--force] [--dir D]` derives the obvious expectations from
schemas/warehouse/*.yaml (keys and required columns not null, business numbers unique,
amounts not negative, change times not after the business date, e-mail format, unknown
members rare, row counts not collapsing); people then edit the files by hand. Existing files
are left alone unless --force, so hand edits are never overwritten.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from warehouse.config import MODEL_DIR
from warehouse.contracts.model import Model, load_model
from warehouse.contracts.staging import Entity
from warehouse.quality.suite import TYPES, expectations_dir, parse_suite

GX_META = {"great_expectations_version": "1.24.1"}
EMAIL_REGEX = r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$"
MONEY_WORDS = ("amount", "price", "cost", "fee", "budget", "limit")
CHANGE_TIMES = ("created_at", "updated_at")


def _exp(type_: str, severity: str, on_fail: str = "report", **kwargs: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"severity": severity}
    if TYPES[type_].row_level:
        meta["on_fail"] = on_fail
    return {"type": type_, "kwargs": kwargs, "meta": meta}


def staging_suite(name: str, entity: Entity) -> dict[str, Any]:
    exps = []
    own = entity.key[0].removesuffix("_id")
    for col in entity.key:
        exps.append(_exp("expect_column_values_to_not_be_null", "blocking", column=col))
    for col, spec in entity.columns.items():
        if col in entity.key:
            continue
        if not spec.nullable:
            exps.append(_exp("expect_column_values_to_not_be_null", "blocking", column=col))
        if col in (f"{own}_no", f"{own}_code") and spec.type == "text":  # own business number
            exps.append(_exp("expect_column_values_to_be_unique", "warning", column=col))
        if spec.type.startswith("decimal") and any(w in col for w in MONEY_WORDS):
            exps.append(_exp("expect_column_values_to_be_between", "warning", "quarantine",
                             column=col, min_value=0))
        if col in CHANGE_TIMES:
            exps.append(_exp("expect_column_values_to_be_between", "warning", "quarantine",
                             column=col, max_value={"$PARAMETER": "business_end"}))
        if col == "email":
            exps.append(_exp("expect_column_values_to_match_regex", "warning", column=col,
                             regex=EMAIL_REGEX, mostly=0.9))
    return {"name": f"staging.{name}", "expectations": exps, "meta": GX_META}


def core_suite(model: Model, name: str) -> dict[str, Any]:
    exps = []
    if name in model.dimensions:
        exps.append(_exp("expect_column_values_to_not_be_null", "blocking",
                         column=model.dimensions[name].natural_key))
    else:
        fact = model.facts[name]
        for col in fact.key:
            exps.append(_exp("expect_column_values_to_not_be_null", "blocking", column=col))
        for col in fact.lookups:
            exps.append(_exp("expect_column_values_to_not_be_in_set", "warning", column=col,
                             value_set=[-1], mostly=0.99))
    exps.append({"type": "expect_table_row_count_change_to_be_between",
                 "kwargs": {"min_ratio": 0.9, "max_ratio": 10},
                 "meta": {"severity": "blocking",
                          "notes": "rows after this load / rows before it"}})
    return {"name": f"core.{name}", "expectations": exps, "meta": GX_META}


def scaffold(model: Model, folder: Path, force: bool = False) -> list[Path]:
    """Write the missing suites (all with `force`); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    suites = [staging_suite(n, e) for n, e in model.staging.entities.items()]
    suites += [core_suite(model, n) for n in (*model.dimensions, *model.facts)]
    written = []
    for suite in suites:
        path = folder / f"{suite['name']}.json"
        if path.exists() and not force:
            continue
        parse_suite(path, suite)    # what we write must load
        path.write_text(json.dumps(suite, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite existing suites")
    parser.add_argument("--dir", type=Path, default=None, help="folder (default expectations/)")
    args = parser.parse_args(argv)
    for path in scaffold(load_model(MODEL_DIR), args.dir or expectations_dir(), args.force):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
