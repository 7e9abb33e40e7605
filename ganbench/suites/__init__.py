"""Benchmark suites that ship with ganbench (``ganbench run --suite NAME``)."""
