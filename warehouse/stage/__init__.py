"""Staging: raw batches as landed (history) plus the current state per key."""
