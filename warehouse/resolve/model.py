"""The Splink model: comparisons and blocking rules per entity kind, training, and loading
the stored model (settings + trained m/u parameters as JSON in schemas/resolve/).

The nightly run only predicts with the stored model; `crmwh resolve train` re-estimates it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from warehouse.errors import ContractError
from warehouse.resolve.config import EntitySettings

# m probability of a comparison level that training never observed among matches
UNSEEN_M = 0.001


def _exact(col: str, label: str) -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name=label, comparison_levels=[
        cll.NullLevel(col), cll.ExactMatchLevel(col), cll.ElseLevel()])


def _fuzzy(col: str, label: str, high: float, low: float) -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name=label, comparison_levels=[
        cll.NullLevel(col), cll.ExactMatchLevel(col),
        cll.JaroWinklerLevel(col, high), cll.JaroWinklerLevel(col, low), cll.ElseLevel()])


def _name() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="name", comparison_levels=[
        cll.NullLevel("name_key"),
        cll.CustomLevel("name_han_l = name_han_r", "same name in Chinese characters"),
        cll.ExactMatchLevel("name_key"),
        cll.CustomLevel("list_sort(string_split(replace(name_key_l, ' ', ''), '')) = "
                        "list_sort(string_split(replace(name_key_r, ' ', ''), ''))",
                        "same letters, other spacing or order"),
        cll.JaroWinklerLevel("name_key", 0.92), cll.JaroWinklerLevel("name_key", 0.8),
        cll.ElseLevel()])


def _birth() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="birth_date", comparison_levels=[
        cll.NullLevel("birth_date"), cll.ExactMatchLevel("birth_date"),
        cll.CustomLevel("abs(date_diff('day', birth_date_l, birth_date_r)) <= 3",
                        "within 3 days"),
        cll.ElseLevel()])


def _city() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="city", comparison_levels=[
        cll.NullLevel("city_name"), cll.ExactMatchLevel("city_name"),
        cll.CustomLevel("province_code_l = province_code_r", "same province"),
        cll.ElseLevel()])


def settings(kind: str, link_type: str = "link_only") -> SettingsCreator:
    """The untrained settings of one entity kind."""
    common = [_city(), _fuzzy("addr_key", "address", 0.95, 0.85), _exact("email", "email"),
              _exact("phone_key", "phone")]
    if kind == "person":
        comparisons = [_name(), _birth(), *common]
        rules = [block_on("name_key", "city_name"), block_on("name_key", "birth_date"),
                 block_on("birth_date", "city_name"), block_on("addr_key"), block_on("phone_key"),
                 block_on("email")]
    else:
        comparisons = [_fuzzy("name_key", "name", 0.92, 0.8), *common, _exact("uscc", "uscc")]
        rules = [block_on("name_key"), block_on("city_name", "addr_key"), block_on("uscc"),
                 block_on("phone_key"), block_on("email")]
    return SettingsCreator(link_type=link_type, comparisons=comparisons,
                           blocking_rules_to_generate_predictions=rules,
                           retain_matching_columns=False,
                           retain_intermediate_calculation_columns=False)


def train(con: duckdb.DuckDBPyConnection, kind: str, ext: str, internal: str,
          cfg: EntitySettings, path: Path, seed: int = 42) -> dict[str, Any]:
    """Estimate the model on (ext, internal) and write it to `path`; returns the JSON."""
    db = DuckDBAPI(connection=con)
    linker = Linker([db.register(ext), db.register(internal)], settings(kind))
    deterministic = ([block_on("email"), block_on("phone_key")] if kind == "person"
                     else [block_on("uscc"), block_on("email"), block_on("phone_key")])
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=cfg.train.u_max_pairs, seed=seed)
    # each comparison must be left free by at least one of the blocking rules to be estimated
    em_rules = ([block_on("name_key", "city_name"), block_on("birth_date", "city_name"),
                 block_on("name_key", "birth_date")]
                if kind == "person" else
                [block_on("name_key"), block_on("city_name", "addr_key"), block_on("uscc")])
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=cfg.train.em_max_pairs)
    model = linker.misc.save_model_to_json(str(path), overwrite=True)
    # a stable file in the repository: no run-specific linker id
    model.pop("linker_uid", None)
    _floor_unseen(model)
    path.write_text(json.dumps(model, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                    encoding="utf-8")
    return model


def _floor_unseen(model: dict[str, Any]) -> None:
    """Levels never seen among matches in training (e.g. a person in another city) get a
    small explicit m instead of Splink's silent default, so the stored model is complete."""
    for comparison in model.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if not level.get("is_null_level") and level.get("m_probability") is None:
                level["m_probability"] = UNSEEN_M


def load(path: Path, link_type: str) -> dict[str, Any]:
    """The stored model as a settings dict for `link_type` (link_only or dedupe_only)."""
    model = json.loads(path.read_text(encoding="utf-8"))
    model["link_type"] = link_type
    model.pop("linker_uid", None)
    return model


def rule_names(model: dict[str, Any]) -> list[str]:
    """The blocking rules' SQL by match_key (their position)."""
    out = []
    for rule in model.get("blocking_rules_to_generate_predictions", []):
        out.append(rule["blocking_rule"] if isinstance(rule, dict) else str(rule))
    return out


def exact_match_weight(model: dict[str, Any], column: str, where: Path) -> float:
    """The match weight Splink gives two records that agree on `column` while every other
    comparison is unknown (NULL, 0 bits): the prior log2(lambda / (1 - lambda)) plus the
    exact-match level's partial weight log2(m/u). Recorded for a deterministic link (or
    duplicate edge) Splink did not score, it is on the scale of the scored pairs' weights in
    the same column; the link itself stands on its key, whatever this weight says."""
    condition = f'"{column}_l" = "{column}_r"'
    prior = model.get("probability_two_random_records_match")
    if not prior or not 0 < prior < 1:
        raise ContractError(f"{where}: the model has no trained probability that two random "
                            "records match; run `crmwh resolve train`")
    for comparison in model.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("sql_condition") == condition and m and u:
                return math.log2(prior / (1 - prior)) + math.log2(m / u)
    raise ContractError(f"{where}: the model has no trained exact-match level on {column!r}, "
                        "so links on that key would have no weight; run `crmwh resolve train`")


def probability_sql(weight: str) -> str:
    """SQL: the match probability of a match weight (bits of log-odds), as Splink defines it."""
    return f"(pow(2.0, {weight}) / (1 + pow(2.0, {weight})))"


def key_weights(path: Path, columns: list[str]) -> dict[str, float]:
    """The exact-match weight of each key column the stored model at `path` compares."""
    model = load(path, "link_only")
    return {c: exact_match_weight(model, c, path) for c in columns}
