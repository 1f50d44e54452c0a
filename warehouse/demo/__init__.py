"""Demo source databases: a realistic, deterministic CRM and ERP for the nightly load.

`init_demo` generates the history from `start` to `as_of`; `advance_demo` applies the next
days' new and changed rows, so incremental loads, late-arriving rows, soft and hard deletes
and slowly changing dimensions have something to work on. Same seed and scale, same data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from warehouse.config import Home
from warehouse.demo.params import DemoParams

__all__ = ["advance_demo", "init_demo"]


def init_demo(home: Home, *, scale: float = 1.0, seed: int = 42, crm_url: str | None = None,
              erp_url: str | None = None, start: date = date(2024, 1, 1),
              as_of: date = date(2025, 12, 31),
              progress: Callable[[str, int], None] | None = None) -> dict[str, dict[str, int]]:
    """Create (or recreate) the demo CRM and ERP; returns rows written per source and table."""
    from warehouse.demo.build import init

    try:
        params = DemoParams(seed=int(seed), scale=float(scale), start=start, as_of=as_of)
    except ValueError as exc:
        from warehouse.errors import UserError

        raise UserError(str(exc)) from exc
    return init(home, params, crm_url, erp_url, progress)


def advance_demo(home: Home, *, days: int = 1, crm_url: str | None = None,
                 erp_url: str | None = None,
                 progress: Callable[[str, int], None] | None = None) -> dict[str, dict[str, int]]:
    """Apply `days` more days of activity; returns rows inserted, changed or deleted per table."""
    from warehouse.demo.advance import advance

    return advance(home, days, crm_url, erp_url, progress)
