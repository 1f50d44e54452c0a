"""The landing sensor: new external files trigger a run of the nightly job (latest partition)."""

from __future__ import annotations

import json

from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from pipelines.assets.nightly import PARTITIONS
from pipelines.resources import WarehouseResource
from pipelines.schedules import nightly_job
from warehouse import config
from warehouse.files.watch import new_files, run_key
from warehouse.load import load_contracts


@sensor(job=nightly_job, minimum_interval_seconds=60, name="landing_sensor")
def landing_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource):
    """Files in landing whose checksum the durable manifest has not taken in yet."""
    home = config.home(warehouse.home)
    sources, _ = load_contracts()
    cache = json.loads(context.cursor) if context.cursor else {}
    found, cache = new_files(home, sources, cache)
    cursor = json.dumps(cache)
    if not found:
        return SensorResult(skip_reason=SkipReason("no new files in landing"), cursor=cursor)
    partition = PARTITIONS.get_last_partition_key()
    names = ", ".join(f"{s}/{n}" for s, n, _ in found)
    context.log.info(f"new files: {names}; requesting partition {partition}")
    return SensorResult(run_requests=[RunRequest(
        run_key=run_key(found), partition_key=partition,
        tags={"crmwh/files": names[:200]})], cursor=cursor)
