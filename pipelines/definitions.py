"""The only wiring module: assets, checks, job, schedule and resources."""

from __future__ import annotations

from dagster import Definitions

from pipelines.assets.nightly import nightly_load
from pipelines.resources import WarehouseResource
from pipelines.schedules import nightly_job, nightly_schedule

defs = Definitions(
    assets=[nightly_load],
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    resources={"warehouse": WarehouseResource()},
)
