"""Extraction from source databases: drift checks and bulk columnar reads."""
