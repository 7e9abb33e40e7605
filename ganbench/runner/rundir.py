"""The shared results folder: ``run.json``, the table and the multi-seed summary.

Several ``ganbench run`` processes may write into one folder (two invocations
with the same ``--out``, a resume next to a running job, Ray tasks on one
machine). Each cell writes only its own folder; everything shared is
read-modified-written under an exclusive lock on ``.ganbench.lock`` and
replaced atomically, so no writer loses another's rows or invocation.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import torch

import ganbench
from ganbench.results import atomic
from ganbench.results.aggregate import GROUP_KEYS, aggregate
from ganbench.results.table import rebuild_table

RUN_FILE = "run.json"
LOCK_FILE = ".ganbench.lock"
SUMMARY_STEM = "results_summary"
NOT_FINISHED = ("failed", "interrupted")
"""Statuses counted in the summary's ``n_failed``: the seed produced no trained model."""

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, writes stay atomic
    fcntl = None  # type: ignore[assignment]


@contextmanager
def folder_lock(run_dir: Path) -> Iterator[None]:
    """An exclusive advisory lock on the results folder (released when the process dies, too)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(run_dir / LOCK_FILE, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def read_run_file(run_dir: Path) -> dict[str, Any]:
    path = run_dir / RUN_FILE
    if not path.is_file():
        return {}
    try:
        obj = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return obj if isinstance(obj, dict) else {}


def record_invocation(
    run_dir: Path,
    *,
    cells: list[str],
    config: dict[str, Any] | None,
    device: str,
    plugins: str,
    executor: dict[str, Any],
    resumed: bool = False,
    suite: dict[str, Any] | None = None,
) -> None:
    """Add this invocation to ``run.json``, keeping earlier (or concurrent) invocations.

    Top-level keys describe the latest invocation (what the report shows);
    ``invocations`` keeps each one's configuration, which ``--resume`` re-plans.
    """
    invocation = {
        "argv": sys.argv,
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "pid": os.getpid(),
        "config": config,
        "cells": cells,
        "executor": executor,
        "resumed": resumed,
        "suite": suite,
    }
    with folder_lock(run_dir):
        previous = read_run_file(run_dir)
        invocations = [*previous.get("invocations", []), invocation]
        all_cells = list(dict.fromkeys([*previous.get("cells", []), *cells]))
        atomic.write_json(
            run_dir / RUN_FILE,
            {
                "argv": sys.argv,
                "ganbench_version": ganbench.__version__,
                "torch_version": torch.__version__,
                "device": device,
                "plugins": plugins,
                "cells": all_cells,
                "config": config if config is not None else previous.get("config"),
                "invocations": invocations,
            },
        )


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (variant, dataset): ``<metric>_mean``, ``<metric>_std``, ``n_seeds``, ``n_failed``, ...

    The statistics are :func:`ganbench.results.aggregate.aggregate` (the report's
    rules: sample std, NaN-skipping); ``n_failed`` counts seeds that failed or
    were interrupted.
    """
    if table.empty:
        return pd.DataFrame(columns=[*GROUP_KEYS, "n_seeds", "n_failed", "status"])
    summary = aggregate(table)
    failed = (
        table.assign(_failed=table["status"].isin(NOT_FINISHED))
        .groupby(GROUP_KEYS, sort=True, dropna=False)["_failed"]
        .sum()
        .astype(int)
    )
    keys = list(zip(summary["variant"], summary["dataset"], strict=True))
    summary.insert(3, "n_failed", [int(failed.get(k, 0)) for k in keys])
    return summary


def rebuild(run_dir: Path) -> pd.DataFrame:
    """Rebuild ``results.csv/.parquet`` and ``results_summary.csv/.parquet`` from every cell's row.

    Under the folder lock, so the last rebuild always sees every row written
    before it: a slower writer can never replace the table with an older one.
    """
    with folder_lock(run_dir):
        table = rebuild_table(run_dir)
        atomic.write_table(summarise(table), run_dir, SUMMARY_STEM)
    return table


def has_several_seeds(table: pd.DataFrame) -> bool:
    if table.empty or "seed" not in table:
        return False
    return bool((table.groupby(GROUP_KEYS, dropna=False)["seed"].nunique() > 1).any())
