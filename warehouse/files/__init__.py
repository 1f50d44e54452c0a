"""External file sources: landing zone, manifests, reading, ingest into staging, archive."""
