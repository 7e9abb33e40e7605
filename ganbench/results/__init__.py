"""Results: atomic files, the per-cell store, and the invocation's table."""
