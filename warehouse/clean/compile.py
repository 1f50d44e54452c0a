"""Compile a file family's column rules into one SELECT over the raw text table.

For each staging column the rules nest (`trim` then `halfwidth` ... ), and for each strict
rule a problem column says, for the rows it could not standardise, which file, row, field,
value and rule. One statement, evaluated vectorised by DuckDB; no Python per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from warehouse.clean.rules import RuleCall, lookup_key
from warehouse.contracts.files import FileColumn, FileFamily
from warehouse.duck import insert_rows
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit

VALUE_SHOWN = 120  # characters of a bad value quoted in a reason


@dataclass(frozen=True)
class Compiled:
    select: str                    # SELECT over _file_raw r
    problems: tuple[str, ...]      # problem column names in that SELECT
    raw_json: str                  # the row as the file had it, as JSON (over the SELECT as r)
    raw_json_of_file: str          # the same JSON over _file_raw itself (alias f)


def origin_sql(spec: FileColumn, file_name: str) -> str:
    """The raw text of a column, before rules."""
    if spec.from_ is not None:  # an empty string is missing, whatever the format
        return f"nullif(r.{q(spec.from_)}, '')"
    if spec.value is not None:
        return lit(spec.value)
    match = re.search(spec.from_name or "", file_name)
    return lit(match.group(1)) if match else "NULL::VARCHAR"


def _field_label(name: str, spec: FileColumn) -> str:
    if spec.from_ is not None and spec.from_ != name:
        return f"{spec.from_} ({name})"
    if spec.from_name is not None:
        return f"file name ({name})"
    return name


def reference_table(rule: RuleCall) -> str:
    return f"_clean_ref_{rule.name}"


def ensure_reference_tables(con: duckdb.DuckDBPyConnection, family: FileFamily) -> None:
    """The lookup rules' variant -> value tables, as temp tables (joined, not expressions)."""
    for spec in family.columns.values():
        for rule in spec.rules:
            if rule.rule.lookup is None:
                continue
            table = reference_table(rule)
            con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (k VARCHAR PRIMARY KEY, v VARCHAR)")
            if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:
                insert_rows(con, table, ["k", "v"], sorted(rule.rule.lookup(con).items()))


def drop_reference_tables(con: duckdb.DuckDBPyConnection, family: FileFamily) -> None:
    """Forget the lookup tables: they were read from the geography staged so far, and a
    release re-types rows before this load stages today's (a new city must count for the
    files the load then ingests)."""
    for spec in family.columns.values():
        for rule in spec.rules:
            if rule.rule.lookup is not None:
                con.execute(f"DROP TABLE IF EXISTS {reference_table(rule)}")


def repetitive_columns(con: duckdb.DuckDBPyConnection, family: FileFamily,
                       min_rows: int = 10_000, max_share: float = 0.25) -> frozenset[str]:
    """Columns whose raw values repeat a lot (provinces, cities, birth dates): standardised once
    per distinct value, their rules cost a join instead of a rule chain per row. Judged on a
    sample of _file_raw; small files are not worth the look."""
    specs = {name: spec for name, spec in family.columns.items()
             if spec.from_ is not None and spec.rules}
    rows = con.execute("SELECT count(*) FROM _file_raw").fetchone()[0]
    if rows < min_rows or not specs:
        return frozenset()
    sample = " USING SAMPLE 10 PERCENT (system)" if rows >= 10 * min_rows else ""
    counts = ", ".join(f"approx_count_distinct(r.{q(spec.from_)})" for spec in specs.values())
    n, *distinct = con.execute(f"SELECT count(*), {counts} FROM _file_raw r{sample}").fetchone()
    return frozenset(name for name, d in zip(specs, distinct, strict=True)
                     if d <= max_share * n)


def compile_family(family: FileFamily, file_name: str,
                   by_value: frozenset[str] = frozenset()) -> Compiled:
    """Layered SELECTs, one per rule position: step k of every column is a column computed
    once from step k-1, so a rule that reads its input three times never recomputes the
    rules before it, and each problem test is a cheap comparison of two step columns.

    Columns named in `by_value` (few distinct values: provinces, cities, dates) run their
    rules once per distinct raw value and are joined back: same steps, same problems."""
    specs = list(family.columns.items())
    raws = [(c, f"_raw_{j}") for j, c in enumerate(family.file_columns)]
    first = ["r._file_row AS _file_row", *(f"r.{q(c)} AS {alias}" for c, alias in raws)]
    first += [f"{origin_sql(spec, file_name)} AS _c{i}_0" for i, (_, spec) in enumerate(specs)]
    per_row = [(i, spec) for i, (name, spec) in enumerate(specs) if name not in by_value]
    sql = _layers(f"SELECT {', '.join(first)} FROM _file_raw r", per_row)
    for i, (name, spec) in enumerate(specs):
        if name not in by_value or not spec.rules:
            continue
        values = _layers(f"SELECT DISTINCT {origin_sql(spec, file_name)} AS _c{i}_0 "
                         f"FROM _file_raw r", [(i, spec)])
        steps = ", ".join(f"_v{i}._c{i}_{k}" for k in range(1, len(spec.rules) + 1))
        sql = (f"SELECT l.*, {steps} FROM ({sql}) l "
               f"LEFT JOIN ({values}) _v{i} ON _v{i}._c{i}_0 IS NOT DISTINCT FROM l._c{i}_0")
    columns, problems, problem_cols = [], [], []
    for i, (name, spec) in enumerate(specs):
        columns.append(f"l._c{i}_{len(spec.rules)} AS {q(name)}")
        checks = []
        for k, rule in enumerate(spec.rules, 1):
            if not rule.rule.strict:
                continue
            reason = (f"{lit('file ' + file_name + ' row ')} || l._file_row || "
                      f"{lit(' field ' + _field_label(name, spec) + ': ')} || "
                      f"{_quoted(f'l._c{i}_0')} || "
                      f"{lit(' is not ' + rule.rule.expects + ' (rule ' + rule.describe() + ')')}")
            checks.append(f"CASE WHEN l._c{i}_{k - 1} IS NOT NULL AND l._c{i}_{k} IS NULL "
                          f"THEN {reason} END")
        if checks:
            problems.append(f"coalesce({', '.join(checks)}) AS _problem_{i}")
            problem_cols.append(f"_problem_{i}")
    select = ", ".join(["l._file_row AS _file_row", *columns, *problems,
                        *(f"l.{alias}" for _, alias in raws)])
    return Compiled(f"SELECT {select} FROM ({sql}) l", tuple(problem_cols),
                    _raw_json(file_name, "r", [(c, alias) for c, alias in raws]),
                    _raw_json(file_name, "f", [(c, q(c)) for c in family.file_columns]))


def _raw_json(file_name: str, alias: str, columns: list[tuple[str, str]]) -> str:
    pairs = "".join(f", {lit(c)}, {alias}.{ref}" for c, ref in columns)
    return f"json_object('_file', {lit(file_name)}, '_file_row', {alias}._file_row{pairs})"


def _layers(sql: str, specs: list[tuple[int, FileColumn]]) -> str:
    """Wrap `sql` once per rule position, adding column _c<i>_<k> for each spec i."""
    depth = max((len(spec.rules) for _, spec in specs), default=0)
    for k in range(1, depth + 1):
        steps, joins = [], []
        for i, spec in specs:
            if len(spec.rules) < k:
                continue
            rule, before = spec.rules[k - 1], f"l._c{i}_{k - 1}"
            if rule.rule.lookup is not None:  # always the last rule (checked on load)
                joins.append(f"LEFT JOIN {reference_table(rule)} _j{i} "
                             f"ON _j{i}.k = {lookup_key(before)}")
                steps.append(f"_j{i}.v AS _c{i}_{k}")
            else:
                steps.append(f"{rule.sql(before)} AS _c{i}_{k}")
        sql = f"SELECT l.*, {', '.join(steps)} FROM ({sql}) l {' '.join(joins)}"
    return sql


def _quoted(expr: str) -> str:
    """The value as shown in a reason: quoted, control characters escaped, long ones cut."""
    shown = f"regexp_replace(left({expr}, {VALUE_SHOWN}), '[\\x00-\\x1f]', '?', 'g')"
    return (f"'''' || {shown} || '''' || CASE WHEN length({expr}) > {VALUE_SHOWN} "
            f"THEN '… (' || length({expr}) || ' characters)' ELSE '' END")
