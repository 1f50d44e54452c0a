"""Asset checks generated from the expectation suites: one `expectations` check per suite's asset.

Wiring only: the results come from meta.expectation_results of the snapshot the load published.
"""

from __future__ import annotations

from collections.abc import Iterator

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, AssetSpec

from warehouse.load import LoadResult
from warehouse.quality.results import read_snapshot
from warehouse.quality.suite import load_suites

CHECK = "expectations"


def suite_asset(suite_name: str) -> AssetKey:
    schema, table = suite_name.split(".", 1)
    return AssetKey([schema, table])


def quality_check_specs(specs: list[AssetSpec]) -> list[AssetCheckSpec]:
    """A check per suite whose table is an asset of the load."""
    keys = {s.key for s in specs}
    return [AssetCheckSpec(CHECK, asset=suite_asset(name),
                           description=f"expectation suite {suite.path.name}: blocking and "
                                       "warning expectations on this load's rows")
            for name, suite in sorted(load_suites().items()) if suite_asset(name) in keys]


def quality_check_results(result: LoadResult,
                          specs: list[AssetCheckSpec]) -> Iterator[AssetCheckResult]:
    _, found = read_snapshot(result.snapshot.path, result.load_id)
    for spec in specs:
        suite = "/".join(spec.asset_key.path).replace("/", ".", 1)
        mine = [r for r in found if r.suite == suite]
        failed = [r for r in mine if not r.success]
        yield AssetCheckResult(
            check_name=CHECK, asset_key=spec.asset_key, passed=not failed,
            severity=(AssetCheckSeverity.ERROR if any(r.blocks for r in failed)
                      else AssetCheckSeverity.WARN),
            metadata={"expectations": len(mine), "failed": [r.expectation for r in failed],
                      # what each failure saw (a batch change names table, counts and bounds)
                      "failures": {r.expectation: r.observed or "" for r in failed},
                      "quarantined_rows": sum(r.quarantined for r in mine),
                      # a table this load did not build (identity resolution not run yet)
                      "evaluated": bool(mine)})
