"""Dagster wiring only: assets, checks, partitions, schedule and resources around `warehouse`."""
