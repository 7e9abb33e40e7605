"""Benchmark session set-up: thread count, and the measured ratios printed at the end."""

from __future__ import annotations

import pytest

from benchmarks.common import RESULTS, apply_threads, bench_device


def pytest_configure(config: pytest.Config) -> None:
    apply_threads()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    if not RESULTS:
        return
    import torch

    terminalreporter.section("ganbench throughput ratios")
    terminalreporter.write_line(
        f"device {bench_device()}, torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    for line in RESULTS:
        terminalreporter.write_line(line)
