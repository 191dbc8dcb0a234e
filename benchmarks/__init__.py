"""Benchmarks: scripts that measure, run by make targets (not part of the test suite)."""
