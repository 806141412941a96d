"""Benchmarks: they print their figures; they are never timed tests."""
