"""Metadata: loads, batches, watermarks, row accounting, checks and the data dictionary."""
