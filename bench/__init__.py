"""Benchmark-only code: Splink 5 side by side with Radar, FEBRL4 through the pipeline, the
link stage at national scale (``scale``) and the quality gates on a million rows (``gates``).

Splink (and DuckDB through it) is a benchmark-only dependency: only this package imports it,
and only ``radar bench`` reaches this package, lazily (``tests/unit/test_architecture.py``).
The plaintext Splink sees here is synthetic (``radar synth``) or FEBRL4's synthetic records.
"""
