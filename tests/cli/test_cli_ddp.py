"""``ganbench run --nproc N``: one cell trained over 2 gloo processes, and the combinations it refuses."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ganbench.cli import main
from tests.cli.test_cli_core import ganbench


@pytest.mark.slow
def test_two_processes_train_one_cell_and_write_one_row(tmp_path):
    result = ganbench(
        "run", "--plugins", "dcgan", "--dataset", "digits", "--steps", "100", "--nproc", "2", "--no-eval",
        "--results-dir", str(tmp_path), "--out", "ddp", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(tmp_path / "ddp" / "results.csv")
    assert len(table) == 1
    row = table.iloc[0]
    assert row["status"] == "ok" and row["world_size"] == 2
    assert row["batch_size"] == 64 and row["batch_per_rank"] == 32  # --batch-size is the global batch
    cell = tmp_path / "ddp" / "dcgan-digits-s0"
    assert (cell / "generator.pt").is_file() and (cell / "samples.png").is_file()
    assert len(pd.read_csv(cell / "history.csv")) == 2  # steps 50 and 100
    run = json.loads((tmp_path / "ddp" / "run.json").read_text())
    assert run["invocations"][-1]["executor"] == {"kind": "ddp", "world_size": 2, "backend": "gloo", "sync_bn": False}
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--nproc", "2", "--executor", "ray"], "--executor ray"),
        (["--nproc", "2", "--sync-bn", "--device", "cpu"], "--sync-bn needs CUDA"),
        (["--sync-bn"], "--sync-bn only applies"),
        (["--nproc", "2", "--batch-size", "33"], "must be divisible by the 2 processes; use 32 or 34"),
        (["--nproc", "0"], "--nproc must be at least 1"),
        (["--nproc", "2", "--compile"], "--compile is not supported with data-parallel"),
    ],
)
def test_refused_combinations_are_one_line_and_exit_2(tmp_path, capsys, args, needle):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--plugins", "dcgan", "--dataset", "ring8", "--results-dir", str(tmp_path), *args])
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], lines


def test_torchrun_environment_refuses_nproc_and_resume(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    for args, needle in ((["--nproc", "2"], "already rank 1 of 2"), (["--resume", str(tmp_path)], "--resume runs")):
        with pytest.raises(SystemExit) as exit_info:
            main(["run", "--dataset", "ring8", "--results-dir", str(tmp_path), *args])
        assert exit_info.value.code == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], lines
