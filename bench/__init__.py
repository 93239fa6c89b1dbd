"""Benchmarks: each prints a table and a final machine-readable RESULT line."""
