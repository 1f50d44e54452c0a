"""The only wiring module: assets, checks, job, schedule, sensor and resources."""

from __future__ import annotations

from dagster import Definitions

from pipelines.assets.nightly import nightly_load
from pipelines.resources import WarehouseResource
from pipelines.schedules import nightly_job, nightly_schedule
from pipelines.sensors import landing_sensor

defs = Definitions(
    assets=[nightly_load],
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[landing_sensor],
    resources={"warehouse": WarehouseResource()},
)
