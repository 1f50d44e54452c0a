"""`advance`: apply N more days to the demo sources, one day at a time.

Each day reads the sources' current state, writes the day's new and changed rows (all
stamped inside that day) and moves both demo clocks, so an interrupted run can be resumed
from the last completed day.
"""

from __future__ import annotations

from datetime import timedelta

from warehouse.config import Home
from warehouse.demo import (
    daily_erp,
    daily_people,
    daily_sales,
    daily_service,
    external,
    reference,
    workspace,
)
from warehouse.demo.clock import Clock, read, write
from warehouse.demo.day import Day
from warehouse.demo.targets import attach, contracts
from warehouse.demo.writer import Progress
from warehouse.errors import UserError

# The day's steps, in dependency order (customers before orders, orders before the ERP).
STEPS = (
    daily_people.customers,
    daily_people.contacts,
    daily_people.campaigns,
    daily_sales.new_orders,
    daily_sales.order_changes,
    daily_sales.line_changes,
    daily_service.contracts,
    daily_service.tickets,
    daily_service.responses,
    daily_service.sessions,
    daily_erp.invoices,
    daily_erp.debtors,
    daily_erp.shipments,
)


def advance(home: Home, days: int, crm_url: str | None, erp_url: str | None,
            progress: Progress | None) -> dict[str, dict[str, int]]:
    if int(days) != days or days < 1:
        raise UserError(f"days must be a positive whole number, got {days}")
    sources = contracts()
    counts: dict[str, dict[str, int]] = {"crm": {}, "erp": {}}
    with workspace.workspace(home, None) as con:
        crm = attach(con, home, sources["crm"], crm_url, create=False)
        erp = attach(con, home, sources["erp"], erp_url, create=False)
        clock, erp_clock = read(con, crm), read(con, erp)
        if clock != erp_clock:
            raise UserError(f"the CRM and ERP demo clocks disagree ({clock} vs {erp_clock}): "
                            "run `crmwh demo init` again")
        workspace.register(con, clock.seed)
        last = clock.as_of + timedelta(days=int(days))
        reference.load(con, crm, clock.scale, clock.start, last.year + 1)
        for i in range(1, int(days) + 1):
            day = clock.as_of + timedelta(days=i)
            x = Day(con, crm, erp, clock, day, counts, progress)
            for step in STEPS:
                step(x)
            counts.setdefault("landing", {}).update(external.write_day(
                con, home, crm.ref("customers"), seed=clock.seed, scale=clock.scale,
                start=clock.start, day=day))
            moved = Clock(day, clock.seed, clock.scale, clock.start)
            write(con, crm, moved)
            write(con, erp, moved)
    return counts
