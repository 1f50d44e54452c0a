"""The landing sensor: new files request one run of the latest partition, keyed by checksums."""

from __future__ import annotations

from dagster import DagsterInstance, build_sensor_context

from pipelines.assets.nightly import PARTITIONS
from pipelines.definitions import defs
from pipelines.resources import WarehouseResource
from tests.files.helpers import GOOD_ROWS, csv_text, drop
from warehouse.files import manifest
from warehouse.files.landing import sha256_of


def tick(home, cursor=None):
    sensor = defs.resolve_sensor_def("landing_sensor")
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(
            instance=instance, cursor=cursor,
            resources={"warehouse": WarehouseResource(home=str(home.root))})
        return sensor(context)


def test_sensor_requests_one_run_per_set_of_new_files(files_home):
    home = files_home
    folder = home.landing / "test_people"
    assert tick(home).run_requests == []
    first = drop(folder, "people_20250310.csv", csv_text(GOOD_ROWS))
    result = tick(home)
    [request] = result.run_requests
    assert request.partition_key == PARTITIONS.get_last_partition_key()
    assert request.run_key.startswith("landing-")
    # The same files again: the same run key (Dagster runs a key once).
    again = tick(home, result.cursor)
    assert [r.run_key for r in again.run_requests] == [request.run_key]
    # Another file lands: a new set of files, a new key, one more run.
    drop(folder, "people_20250311.csv", csv_text(GOOD_ROWS[:1]))
    [second] = tick(home, again.cursor).run_requests
    assert second.run_key != request.run_key
    # Once the durable manifest records the files as taken in, nothing is new.
    manifest.append_durable(home, [
        {"sha256": sha256_of(p), "source": "test_people", "status": "loaded"}
        for p in (first, folder / "people_20250311.csv")])
    assert tick(home, again.cursor).run_requests == []
