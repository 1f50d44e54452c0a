"""Sizes and rates of the demo world, all derived from (seed, scale, start, as_of).

Volumes are daily rates times `scale`, so a longer period or a later `advance` keeps the same
pace; the defaults (2024-01-01..2025-12-31, scale 1) give about 5,000 customers and 100,000
order lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time

# Customers that already exist before the period starts, per scale unit.
CUSTOMERS_BEFORE_START = 1500
# New customers a day, per scale unit (3,500 over the default 731 days).
NEW_CUSTOMERS_PER_DAY = 3500 / 731
# Expected orders a day per unit of customer value weight (calibrated: default -> ~100k lines).
ORDERS_PER_WEIGHT_DAY = 0.00455
# Web sessions a day per unit of browsing weight, and anonymous sessions a day per scale unit.
SESSIONS_PER_BROWSE_DAY = 0.0125
ANONYMOUS_SESSIONS_PER_DAY = 20.0
# ERP-only debtors (no CRM customer) per scale unit over 400 days before start + 731 days.
ERP_ONLY_DEBTORS = 180
# Orders whose lines are generated and written at once (bounds memory at large scales).
CHUNK_ORDERS = 400_000


@dataclass(frozen=True)
class DemoParams:
    """Everything that decides the generated contents; equal params give equal databases."""

    seed: int
    scale: float
    start: date
    as_of: date

    def __post_init__(self) -> None:
        if self.scale <= 0 or not math.isfinite(self.scale):
            raise ValueError(f"scale must be a positive number, got {self.scale}")
        if self.as_of < self.start:
            raise ValueError(f"as_of {self.as_of} is before start {self.start}")

    @property
    def period_days(self) -> int:
        return (self.as_of - self.start).days + 1

    @property
    def n_before(self) -> int:
        """Customers created before `start`."""
        return max(1, round(CUSTOMERS_BEFORE_START * self.scale))

    @property
    def n_customers(self) -> int:
        return self.n_before + max(1, round(NEW_CUSTOMERS_PER_DAY * self.scale * self.period_days))

    @property
    def n_reps(self) -> int:
        return max(10, round(15 * self.scale))

    @property
    def end_ts(self) -> datetime:
        """The last second of `as_of`: no row's watermark may be later."""
        return end_of(self.as_of)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59))


def ts(value: datetime) -> str:
    """A TIMESTAMP literal."""
    return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S}'"


def d(value: date) -> str:
    """A DATE literal."""
    return f"DATE '{value:%Y-%m-%d}'"

