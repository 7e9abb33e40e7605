"""ganbench's performance benchmarks (pytest-benchmark; run with ``make bench``)."""
