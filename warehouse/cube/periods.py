"""Check that a dimension's period levels name the periods time calculations assume.

Time calculations compute windows from a level's declared `period` (and, for fiscal ones, the
dimension's `fiscal_year_start`), while the level's members come from its key expression in
cubes/dimensions.yaml. If the two disagree (the fiscal year moved to January in one place but
not the other), every ytd, last_year or rolling answer by that level is silently wrong. So
each load checks, on the snapshot's own calendar, that members and periods correspond one to
one: no member spans two periods and no period holds two members.
"""

from __future__ import annotations

import duckdb
from sqlglot import exp

from warehouse.cube.model import CUBES_DIR, CubeModel, Dimension, Level
from warehouse.cube.scope import table_expr
from warehouse.cube.timecalc import period_start
from warehouse.errors import LoadError


def check_periods(con: duckdb.DuckDBPyConnection, model: CubeModel) -> None:
    """LoadError naming dimension, level and an example when a period level's members and
    the periods its `period` (and fiscal_year_start) define are not one to one."""
    problems = [problem for dim in model.dimensions.values() if dim.time is not None
                and dim.table is not None for level in dim.levels.values()
                if level.period not in (None, "day")
                for problem in [_mismatch(con, dim, level)] if problem]
    if problems:
        raise LoadError(f"{CUBES_DIR / 'dimensions.yaml'}: period levels disagree with their "
                        "periods, so time calculations by them would be wrong:\n  "
                        + "\n  ".join(problems))


def _mismatch(con: duckdb.DuckDBPyConnection, dim: Dimension, level: Level) -> str | None:
    assert dim.time is not None and dim.table is not None and level.period is not None
    day = dim.time.expr
    start = period_start(dim, level.period, day.copy())
    rows = exp.select(level.key.expr.copy().as_("member"), start.as_("period_start")).from_(
        table_expr(dim.table)).where(exp.Not(this=exp.Is(this=day.copy(), expression=exp.Null())))
    sql = (f"WITH r AS ({rows.sql(dialect='duckdb')}) "
           "SELECT (SELECT any_value(member::VARCHAR) FROM (SELECT member FROM r GROUP BY member "
           "HAVING count(DISTINCT period_start) > 1)), "
           "(SELECT any_value(period_start::VARCHAR) FROM (SELECT period_start FROM r "
           "GROUP BY period_start HAVING count(DISTINCT member) > 1))")
    split_member, shared_period = con.execute(sql).fetchone()
    if split_member is None and shared_period is None:
        return None
    fiscal = f" (fiscal_year_start: {dim.fiscal_start})" if level.period.startswith("fiscal_") else ""
    if split_member is not None:
        return (f"{dim.name}.{level.name}: member {split_member} spans more than one "
                f"{level.period} period{fiscal}")
    return (f"{dim.name}.{level.name}: the {level.period} period starting {shared_period} "
            f"holds more than one member{fiscal}")
