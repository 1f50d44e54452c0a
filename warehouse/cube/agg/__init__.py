"""Aggregate tables for cubes: declared in the cube YAML, built after the facts, chosen per query.

spec.py     declarations (`aggregates:` under a cube) resolved against the cube model
layout.py   the columns of an aggregate table and the FactSource that reads it
build.py    full and incremental (by partition) builds into schema `agg`, recorded in meta
navigate.py the picker: the smallest aggregate answering a query exactly, with reasons
cache.py    query results cached per published snapshot
"""
