"""Diffs: parsing, diffstats, composition, dependencies and range-diff."""
