"""Several writers into one results folder: no lost or corrupt rows."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ganbench.runner.rundir import SUMMARY_STEM, rebuild

GANBENCH = [sys.executable, "-m", "ganbench"]


@pytest.mark.slow
def test_two_concurrent_runs_into_one_folder_keep_every_row(tmp_path):
    common = ["--dataset", "ring8", "--seeds", "0,1", "--steps", "20", "--no-eval", "-q"]
    common += ["--results-dir", str(tmp_path), "--out", "shared"]
    procs = [
        subprocess.Popen([*GANBENCH, "run", "--plugins", variant, *common], stdout=subprocess.PIPE, text=True)
        for variant in ("dcgan", "minibatch")
    ]
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert all("mean ± std over seeds" in out for out in outputs)

    run_dir = tmp_path / "shared"
    table = pd.read_csv(run_dir / "results.csv")
    assert sorted(zip(table["variant"], table["seed"], strict=True)) == [
        ("dcgan", 0), ("dcgan", 1), ("minibatch", 0), ("minibatch", 1)
    ]  # fmt: skip
    assert set(table["status"]) == {"ok"}
    assert pd.read_parquet(run_dir / "results.parquet").shape == table.shape
    summary = pd.read_csv(run_dir / f"{SUMMARY_STEM}.csv")
    assert sorted(summary["variant"]) == ["dcgan", "minibatch"] and set(summary["n_seeds"]) == {2}
    run = json.loads((run_dir / "run.json").read_text())
    assert len(run["invocations"]) == 2 and len(run["cells"]) == 4
    assert not list(run_dir.rglob("*.tmp"))


def _writer(run_dir: str, variant: str, n: int) -> None:
    for seed in range(n):
        cell = Path(run_dir) / f"{variant}-ring8-s{seed}"
        cell.mkdir()
        row = {"variant": variant, "dataset": "ring8", "seed": seed, "status": "ok", "fid": float(seed)}
        (cell / "metrics.json").write_text(json.dumps(row))
        rebuild(Path(run_dir))


def test_interleaved_rebuilds_never_publish_a_stale_table(tmp_path):
    """The last rebuild of each writer runs under the folder lock, after its own rows: the final table has all."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), v, 12)) for v in ("a", "b", "c")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    table = pd.read_parquet(tmp_path / "results.parquet")
    assert len(table) == 36 and len(pd.read_csv(tmp_path / "results.csv")) == 36
    assert pd.read_csv(tmp_path / f"{SUMMARY_STEM}.csv")["n_seeds"].tolist() == [12, 12, 12]
