"""The nightly load as one multi-asset: staging entities, core tables and the published snapshot.

A load is all-or-nothing (it publishes one snapshot atomically), so its assets materialise
together in one step; the asset graph still shows each entity and table with its lineage.
"""


import os
from contextlib import closing
from datetime import date

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    DailyPartitionsDefinition,
    MaterializeResult,
    RetryRequested,
    multi_asset,
)

from pipelines.assets.quality import quality_check_results, quality_check_specs
from warehouse import duck
from warehouse.errors import SourceUnavailableError
from warehouse.load import load_contracts
from warehouse.resolve.config import load_settings
from warehouse.resolve.outputs import TABLES as RESOLUTION_TABLES
from warehouse.resolve.outputs import row_counts

TIMEZONE = os.environ.get("CRMWH_TIMEZONE", "Asia/Shanghai")
PARTITIONS = DailyPartitionsDefinition(start_date=os.environ.get("CRMWH_FIRST_DATE", "2024-01-01"),
                                       timezone=TIMEZONE)
SNAPSHOT = AssetKey(["meta", "snapshot"])


def _specs() -> tuple[list[AssetSpec], list[AssetCheckSpec]]:
    """Asset specs and check specs derived from the contracts and the model."""
    sources, model = load_contracts()
    specs: list[AssetSpec] = []
    for source in sources.values():
        for table in source.tables.values():
            specs.append(AssetSpec(["staging", table.stage], group_name="staging",
                                   description=model.staging.entities[table.stage].description,
                                   metadata={"source": f"{source.source}.{table.name}"}))
    for name, dim in model.dimensions.items():
        deps = [AssetKey(["staging", e]) for e in sorted(model.entities_used(dim.select))]
        specs.append(AssetSpec(["core", name], group_name="core", deps=deps,
                               description=dim.description, metadata={"grain": dim.grain}))
    for name, fact in model.facts.items():
        used = model.entities_used(fact.select + (fact.affected or ""))
        deps = [AssetKey(["staging", e]) for e in sorted(used)]
        deps += [AssetKey(["core", lk.dim]) for lk in fact.lookups.values()]
        specs.append(AssetSpec(["core", name], group_name="core", deps=sorted(set(deps), key=str),
                               description=fact.description, metadata={"grain": fact.grain}))
    specs += _resolution_specs()
    core_keys = [AssetKey(["core", n]) for n in (*model.dimensions, *model.facts,
                                                 *RESOLUTION_TABLES)]
    specs.append(AssetSpec(SNAPSHOT, group_name="publish", deps=core_keys,
                           description="The published, immutable warehouse snapshot"))
    checks = [AssetCheckSpec("row_accounting", asset=SNAPSHOT,
                             description="read = loaded + merged + quarantined, per batch"),
              AssetCheckSpec("checks_passed", asset=SNAPSHOT,
                             description="every blocking build check passed")]
    return _dedupe(specs), checks


def _resolution_specs() -> list[AssetSpec]:
    """Identity resolution's published tables: fed by the staged external entities
    (schemas/resolve/resolve.yaml) and the customer dimension they link to."""
    staged = sorted({e.staged for e in load_settings().entities.values()})
    deps = [AssetKey(["staging", e]) for e in staged] + [AssetKey(["core", "dim_customer"])]
    link = AssetKey(["core", "identity_link"])
    about = {
        "identity_link": "One row per external record: the customer it links to (with rule, "
                         "match weight and probability) or the prospect it becomes",
        "dim_prospect": "External persons and companies matched to no customer",
        "customer_profile": "Customers enriched with the surviving external attributes",
        "profile_lineage": "Which source and record won each profile attribute, and by which rule",
    }
    return [AssetSpec(["core", name], group_name="resolve", description=about[name],
                      deps=deps if name == "identity_link" else [link])
            for name in RESOLUTION_TABLES]


def _dedupe(specs: list[AssetSpec]) -> list[AssetSpec]:
    seen: dict[AssetKey, AssetSpec] = {}
    for spec in specs:
        seen.setdefault(spec.key, spec)
    return list(seen.values())


SPECS, CHECK_SPECS = _specs()
QUALITY_SPECS = quality_check_specs(SPECS)


@multi_asset(specs=SPECS, check_specs=CHECK_SPECS + QUALITY_SPECS, partitions_def=PARTITIONS,
             required_resource_keys={"warehouse"}, can_subset=False, name="nightly_load",
             op_tags={"warehouse/writer": "true"})
def nightly_load(context: AssetExecutionContext):
    """Extract, stage, build core, check and publish the partition's business date."""
    business_date = date.fromisoformat(context.partition_key)
    resource = context.resources.warehouse
    try:
        result = resource.load(business_date, progress=context.log.info)
    except SourceUnavailableError as exc:
        retries = getattr(resource, "retries", 0)
        if context.retry_number >= retries:
            raise
        wait = getattr(resource, "retry_base_seconds", 60.0) * 2 ** context.retry_number
        context.log.warning(f"{exc}; retry {context.retry_number + 1}/{retries} in {wait:.0f} s")
        raise RetryRequested(max_retries=retries, seconds_to_wait=wait) from exc
    staged: dict[str, int] = {}
    for batch in result.batches:
        staged[batch.entity] = staged.get(batch.entity, 0) + batch.counts.rows_loaded
    for entity, rows in staged.items():
        yield MaterializeResult(asset_key=AssetKey(["staging", entity]),
                                metadata={"rows_loaded": rows, "load_id": result.load_id})
    for name, change in result.changes.items():
        yield MaterializeResult(asset_key=AssetKey(["core", name]), metadata={
            "rows": change.rows_after, "inserted": change.rows_inserted,
            "updated": change.rows_updated, "deleted": change.rows_deleted})
    with closing(duck.connect(result.snapshot.path, read_only=True)) as con:
        resolved = row_counts(con)
    for name, rows in resolved.items():
        yield MaterializeResult(asset_key=AssetKey(["core", name]),
                                metadata={"rows": rows, "load_id": result.load_id})
    yield MaterializeResult(asset_key=SNAPSHOT, metadata={
        "snapshot": result.snapshot.id, "business_date": str(result.business_date),
        "unmatched_erp_customers": result.unmatched_erp_customers,
        "duration_s": round(result.duration_s, 2)})
    unbalanced = [b for b in result.batches if not b.counts.balanced]
    yield AssetCheckResult(check_name="row_accounting", asset_key=SNAPSHOT,
                           passed=not unbalanced,
                           severity=AssetCheckSeverity.ERROR,
                           metadata={"batches": len(result.batches),
                                     "unbalanced": [f"{b.source}.{b.table}" for b in unbalanced],
                                     "quarantined": sum(b.counts.rows_quarantined
                                                        for b in result.batches)})
    failed = [c.name for c in result.checks if not c.passed]
    yield AssetCheckResult(check_name="checks_passed", asset_key=SNAPSHOT, passed=not failed,
                           metadata={"checks": len(result.checks), "failed": failed})
    yield from quality_check_results(result, QUALITY_SPECS)
