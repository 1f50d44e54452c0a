"""Declarative files (schemas/) parsed into frozen, validated models."""
