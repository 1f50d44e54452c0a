"""The nightly schedule: 02:00 in the business time zone, loading the day that just ended."""

from __future__ import annotations

import os

from dagster import build_schedule_from_partitioned_job, define_asset_job, in_process_executor

from pipelines.assets.nightly import nightly_load

nightly_job = define_asset_job(
    "nightly_job", selection=[nightly_load],
    tags={"warehouse/writer": "true"}, executor_def=in_process_executor,
)

nightly_schedule = build_schedule_from_partitioned_job(
    nightly_job, hour_of_day=int(os.environ.get("CRMWH_SCHEDULE_HOUR", "2")), minute_of_hour=0,
    name="nightly_schedule",
)
