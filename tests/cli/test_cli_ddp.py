"""``ganbench run --nproc N``: one cell trained over 2 gloo processes, and the combinations it refuses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from ganbench.cli import main
from tests.cli.test_cli_core import GANBENCH
from tests.inprocess import ganbench


@pytest.mark.slow
def test_two_processes_train_one_cell_and_write_one_row(tmp_path):
    """The launcher runs in this process; the two ranks are real processes (gloo)."""
    result = ganbench(
        "run", "--plugins", "dcgan", "--dataset", "digits", "--steps", "4", "--log-every", "2", "--nproc", "2",
        "--no-eval", "--results-dir", str(tmp_path), "--out", "ddp", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(tmp_path / "ddp" / "results.csv")
    assert len(table) == 1
    row = table.iloc[0]
    assert row["status"] == "ok" and row["world_size"] == 2
    assert row["batch_size"] == 64 and row["batch_per_rank"] == 32  # --batch-size is the global batch
    cell = tmp_path / "ddp" / "dcgan-digits-s0"
    assert (cell / "generator.pt").is_file() and (cell / "samples.png").is_file()
    assert len(pd.read_csv(cell / "history.csv")) == 2  # steps 2 and 4
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
        (["--nproc", "2", "--vectorize-seeds", "--seeds", "0,1"], "cannot be combined with --vectorize-seeds"),
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


def _rank_pid(parent: int, rank: int) -> int | None:
    """The worker process of ``rank`` among ``parent``'s children (Linux /proc)."""
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        if f"RANK={rank}".encode() in environ:
            return int(child)
    return None


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the worker through Linux /proc")
def test_a_rank_that_dies_fails_the_cell_with_one_line(tmp_path):
    command = [*GANBENCH, "run", "--plugins", "dcgan", "--dataset", "ring8", "--steps", "100000", "--nproc", "2"]
    command += ["--no-eval", "--quiet", "--results-dir", str(tmp_path), "--out", "killed"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        cell = tmp_path / "killed" / "dcgan-ring8-s0"
        deadline = time.monotonic() + 300
        while not (cell / "config.json").is_file() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
        time.sleep(2)  # training has started
        pid = _rank_pid(process.pid, 1)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        _, stderr = process.communicate(timeout=120)  # no hang: the agent stops rank 0
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1
    lines = stderr.strip().splitlines()
    assert lines == ["ganbench: error: data-parallel rank 1 died (SIGKILL); cell dcgan-ring8-s0 is recorded as failed"]
    row = json.loads((cell / "metrics.json").read_text())
    assert row["status"] == "failed" and row["error"] == "data-parallel rank 1 died (SIGKILL)"


def test_ranks_get_this_command_line_without_nproc_and_with_the_folder_fixed(tmp_path, monkeypatch):
    import ganbench.runner.ddp as ddp

    seen = {}

    def fake_launch(nproc, argv, run_dir, plan):
        seen.update(nproc=nproc, argv=argv, run_dir=run_dir, cells=[c.cell_id for c in plan.cells])
        return 0

    monkeypatch.setattr(ddp, "launch_local", fake_launch)
    args = ["run", "-p", "dcgan", "--dataset", "ring8", "--nproc", "2", "--no-eval", "--gen-opt", "hidden=32"]
    args += ["--gen-opt", "depth=2", "--steps", "7", "--results-dir", str(tmp_path), "--quiet"]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 0
    assert seen["nproc"] == 2 and seen["cells"] == ["dcgan-ring8-s0"]
    argv = seen["argv"]
    assert argv[0] == "run" and "--nproc" not in argv
    assert argv[-2] == "--out" and seen["run_dir"] == tmp_path / argv[-1]  # the timestamp, fixed for all ranks
    for pair in (["--plugins", "dcgan"], ["--gen-opt", "hidden=32"], ["--gen-opt", "depth=2"], ["--steps", "7"]):
        assert any(argv[i : i + 2] == pair for i in range(len(argv))), (pair, argv)
    assert "--no-eval" in argv and "--quiet" in argv
