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
from warehouse.duck import quote_ident as q
from warehouse.duck import quote_literal as lit

VALUE_SHOWN = 120  # characters of a bad value quoted in a reason


@dataclass(frozen=True)
class Compiled:
    select: str                    # SELECT over _file_raw r
    problems: tuple[str, ...]      # problem column names in that SELECT
    raw_json: str                  # the row as the file had it, as JSON (over the SELECT as r)


def origin_sql(spec: FileColumn, file_name: str) -> str:
    """The raw text of a column, before rules."""
    if spec.from_ is not None:
        return f"r.{q(spec.from_)}"
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
            if con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND "
                           "table_name = ?", [table]).fetchone()[0]:
                continue
            con.execute(f"CREATE TEMP TABLE {table} (k VARCHAR PRIMARY KEY, v VARCHAR)")
            con.executemany(f"INSERT INTO {table} VALUES (?, ?)",
                            sorted(rule.rule.lookup().items()))


def compile_family(family: FileFamily, file_name: str) -> Compiled:
    columns, problems, problem_cols, joins = [], [], [], []
    for i, (name, spec) in enumerate(family.columns.items()):
        expr = origin_sql(spec, file_name)
        checks = []
        for rule in spec.rules:
            if rule.rule.lookup is not None:  # always the last rule (checked on load)
                alias = f"_j{i}"
                joins.append(f"LEFT JOIN {reference_table(rule)} {alias} "
                             f"ON {alias}.k = {lookup_key(expr)}")
                out = f"{alias}.v"
            else:
                out = rule.sql(expr)
            if rule.rule.strict:
                reason = (f"{lit('file ' + file_name + ' row ')} || r._file_row || "
                          f"{lit(' field ' + _field_label(name, spec) + ': ')} || "
                          f"{_quoted(expr)} || "
                          f"{lit(' is not ' + rule.rule.expects + ' (rule ' + rule.describe() + ')')}")
                checks.append(f"CASE WHEN ({expr}) IS NOT NULL AND ({out}) IS NULL THEN {reason} END")
            expr = out
        columns.append(f"{expr} AS {q(name)}")
        if checks:
            col = f"_problem_{i}"
            problems.append(f"coalesce({', '.join(checks)}) AS {col}")
            problem_cols.append(col)
    raws = [(c, f"_raw_{j}") for j, c in enumerate(family.file_columns)]
    raw_cols = [f"r.{q(c)} AS {alias}" for c, alias in raws]
    select = ", ".join(["r._file_row AS _file_row", *columns, *problems, *raw_cols])
    pairs = ", ".join(f"{lit(c)}, r.{alias}" for c, alias in raws)
    raw_json = (f"json_object('_file', {lit(file_name)}, '_file_row', r._file_row"
                f"{', ' + pairs if pairs else ''})")
    return Compiled(f"SELECT {select} FROM _file_raw r {' '.join(joins)} ORDER BY r._file_row",
                    tuple(problem_cols), raw_json)


def _quoted(expr: str) -> str:
    """The value as shown in a reason: quoted, control characters escaped, long ones cut."""
    shown = f"regexp_replace(left({expr}, {VALUE_SHOWN}), '[\\x00-\\x1f]', '?', 'g')"
    return (f"'''' || {shown} || '''' || CASE WHEN length({expr}) > {VALUE_SHOWN} "
            f"THEN '… (' || length({expr}) || ' characters)' ELSE '' END")
