"""Standardisation rules for external files, compiled to DuckDB SQL so they run vectorised."""
