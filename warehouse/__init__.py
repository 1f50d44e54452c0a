"""CRM analytics warehouse: extract, stage, conform, validate, load and publish into DuckDB."""

__version__ = "0.1.0"
