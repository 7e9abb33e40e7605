"""CPU seconds per test, so the test suite's cost can be compared on a shared, loaded machine.

Wall time per test (``pytest --durations``) grows with the machine's load; CPU time much less so. This
pytest plugin records, for every test (setup, call and teardown together): its wall seconds, the CPU seconds
of the pytest process itself (all its threads) and those of the child processes it waited for (a
subprocess ``ganbench``, DDP ranks, pip), one JSON line per test, appended to ``$GANBENCH_CPU_REPORT``.
Works with ``-n N`` (pytest-xdist): every worker appends to the same file.

    GANBENCH_CPU_REPORT=/tmp/cpu.jsonl python -m pytest -p benchmarks.suite_cpu -q
    python -m benchmarks.suite_cpu /tmp/cpu.jsonl     # totals and the 40 costliest tests
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ENV = "GANBENCH_CPU_REPORT"
REPORT = os.environ.get(ENV)
"""Read once, when the plugin loads: tests may clear ``GANBENCH_*`` variables while they run."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


_FAILED: set[str] = set()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    if outcome.get_result().failed:
        _FAILED.add(item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    path = REPORT
    wall, own, children = time.perf_counter(), time.process_time(), _children_cpu()
    yield
    if not path:
        return
    record = {
        "test": item.nodeid,
        "wall_s": round(time.perf_counter() - wall, 3),
        "cpu_s": round(time.process_time() - own, 3),
        "children_cpu_s": round(_children_cpu() - children, 3),
        "slow": item.get_closest_marker("slow") is not None,
        "failed": item.nodeid in _FAILED,
    }
    with open(path, "a") as fh:  # one short write per line: lines from several workers do not interleave
        fh.write(json.dumps(record) + "\n")


def summary(path: Path, top: int = 40) -> str:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for row in rows:
        row["total"] = row["cpu_s"] + row["children_cpu_s"]
    rows.sort(key=lambda r: r["total"], reverse=True)
    total = sum(r["total"] for r in rows)
    children = sum(r["children_cpu_s"] for r in rows)
    lines = [
        f"{len(rows)} tests: {total:.0f} CPU s in all ({children:.0f} s in child processes), "
        f"sum of wall {sum(r['wall_s'] for r in rows):.0f} s; the {top} costliest: "
        f"{sum(r['total'] for r in rows[:top]) / max(total, 1e-9):.0%} of the CPU",
        f"{'CPU s':>7} {'child':>7} {'wall s':>7}  test",
    ]
    lines += [f"{r['total']:7.1f} {r['children_cpu_s']:7.1f} {r['wall_s']:7.1f}  {r['test']}" for r in rows[:top]]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 40))
