"""The warehouse resource: where the home folder is and how source outages are retried."""

from __future__ import annotations

from datetime import date

from dagster import ConfigurableResource
from pydantic import Field

from warehouse import config
from warehouse.load import LoadResult, Progress, run_load


class WarehouseResource(ConfigurableResource):
    """Runs loads against one home folder; one writer at a time is enforced by a file lock."""

    home: str | None = Field(None, description="CRMWH_HOME folder; default from the environment")
    retries: int = Field(3, description="retries when a source database cannot be reached")
    retry_base_seconds: float = Field(60.0, description="first retry delay; doubles each retry")
    lock_wait_seconds: float = Field(
        3600.0, description="how long a load waits for another load to finish (backfills queue)")
    accept_changes: list[str] = Field(
        default_factory=list, description="source tables (source.table) or file families "
        "(source.family) whose batch row-count change is accepted for this run's loads")

    def load(self, business_date: date | None, progress: Progress | None = None) -> LoadResult:
        return run_load(config.home(self.home), business_date, progress=progress,
                        lock_wait_seconds=self.lock_wait_seconds,
                        accept_changes=frozenset(self.accept_changes))
