"""Datasets: the contract every dataset plugin satisfies, and the batch streams the engine reads."""
