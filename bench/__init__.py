"""Benchmark-only code: Splink 5 side by side with Radar, and FEBRL4 through the pipeline.

Splink (and DuckDB through it) is a benchmark-only dependency: only this package imports it,
and only ``radar bench`` reaches this package, lazily (``tests/unit/test_architecture.py``).
The plaintext Splink sees here is synthetic (``radar synth``) or FEBRL4's synthetic records.
"""
