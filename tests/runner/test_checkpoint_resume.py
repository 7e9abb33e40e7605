"""Checkpoints and --resume: bit-for-bit continuation, weights_only loading, SIGKILL and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from ganbench.engine.checkpoint import CHECKPOINT_FILE, CheckpointError, load_checkpoint
from ganbench.registry import get_registry
from ganbench.runner.cell import run_cell
from ganbench.runner.context import CellContext
from ganbench.runner.local import RunSettings, run_plan
from ganbench.runner.plan import DataConfig, EvalOptions, make_plan
from tests.inprocess import ganbench

CPU = torch.device("cpu")
NO_EVAL = EvalOptions(enabled=False)
GANBENCH = [sys.executable, "-m", "ganbench"]


def _plan(variant: str = "dcgan", steps: int = 30, seeds: tuple[int, ...] = (0,), **train):
    registry = get_registry()
    plan = make_plan(
        registry,
        variants=[variant],
        datasets=["ring8"],
        seeds=list(seeds),
        data=DataConfig(root=Path(".")),
        train_overrides={"steps": steps, "batch_size": 32, "log_every": 5, **train},
    )
    return registry, plan


def _ctx(registry, plan, run_dir: Path, **kw) -> CellContext:
    return CellContext(registry, plan.datasets["ring8"], CPU, run_dir, NO_EVAL, **kw)


def _generator(cell_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(cell_dir / "generator.pt", weights_only=True)["state_dict"]


def _assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


class _StopAt:
    """An on_log callback that presses Ctrl-C at a logging point."""

    def __init__(self, step: int) -> None:
        self.step = step

    def __call__(self, cell, step, losses, img_s) -> None:
        if step >= self.step:
            raise KeyboardInterrupt


@pytest.mark.parametrize("variant", ["dcgan", "infogan"])
def test_resumed_cell_matches_uninterrupted_bit_for_bit(tmp_path, variant):
    """InfoGAN too: its Q head lives in the loss module and its codes come from the global RNG."""
    registry, plan = _plan(variant, steps=30, d_steps=2)
    cell = plan.cells[0]
    full = run_cell(cell, _ctx(registry, plan, tmp_path / "full", checkpoint_every=10))

    with pytest.raises(KeyboardInterrupt):
        run_cell(cell, _ctx(registry, plan, tmp_path / "cut", checkpoint_every=10, on_log=_StopAt(15)))
    cut_dir = tmp_path / "cut" / cell.cell_id
    assert json.loads((cut_dir / "metrics.json").read_text())["status"] == "interrupted"
    assert load_checkpoint(cut_dir / CHECKPOINT_FILE)["step"] == 10

    resumed = run_cell(cell, _ctx(registry, plan, tmp_path / "cut", checkpoint_every=10, resume=True))
    assert resumed["status"] == full["status"] == "ok"
    assert (resumed["d_loss"], resumed["g_loss"]) == (full["d_loss"], full["g_loss"])
    full_dir = tmp_path / "full" / cell.cell_id
    assert (cut_dir / "history.csv").read_text() == (full_dir / "history.csv").read_text()
    _assert_same_weights(_generator(cut_dir), _generator(full_dir))
    a, b = load_checkpoint(cut_dir / CHECKPOINT_FILE), load_checkpoint(full_dir / CHECKPOINT_FILE)
    for part in ("discriminator", "loss"):
        _assert_same_weights(a[part], b[part])
    assert a["batches_consumed"] == b["batches_consumed"] == 30 * 2


def test_resumed_cell_keeps_the_ema_generator_bit_for_bit(tmp_path):
    """--ema: the average is in the checkpoint; resuming gives the uninterrupted raw and EMA weights."""
    registry, plan = _plan(steps=30, ema=0.9, ema_start=3)
    cell = plan.cells[0]
    run_cell(cell, _ctx(registry, plan, tmp_path / "full", checkpoint_every=10))
    with pytest.raises(KeyboardInterrupt):
        run_cell(cell, _ctx(registry, plan, tmp_path / "cut", checkpoint_every=10, on_log=_StopAt(15)))
    cut_dir, full_dir = tmp_path / "cut" / cell.cell_id, tmp_path / "full" / cell.cell_id
    assert load_checkpoint(cut_dir / CHECKPOINT_FILE)["ema"] is not None
    resumed = run_cell(cell, _ctx(registry, plan, tmp_path / "cut", checkpoint_every=10, resume=True))
    assert resumed["status"] == "ok" and resumed["ema"] is False
    a, b = (torch.load(d / "generator.pt", weights_only=True) for d in (cut_dir, full_dir))
    _assert_same_weights(a["state_dict"], b["state_dict"])
    _assert_same_weights(a["ema_state_dict"], b["ema_state_dict"])
    assert any(not torch.equal(a["state_dict"][k], v) for k, v in a["ema_state_dict"].items())
    ema_row = json.loads((cut_dir / "metrics_ema.json").read_text())
    assert (ema_row["variant"], ema_row["ema"], ema_row["status"]) == ("dcgan+ema", True, "ok")
    table = run_plan(registry, plan, RunSettings(run_dir=tmp_path / "table", device=CPU, evaluation=NO_EVAL))
    assert sorted(table["variant"]) == ["dcgan", "dcgan+ema"]


def test_checkpointing_does_not_change_training(tmp_path):
    registry, plan = _plan(steps=20)
    cell = plan.cells[0]
    plain = run_cell(cell, _ctx(registry, plan, tmp_path / "plain"))
    saved = run_cell(cell, _ctx(registry, plan, tmp_path / "saved", checkpoint_every=5))
    assert (plain["d_loss"], plain["g_loss"]) == (saved["d_loss"], saved["g_loss"])
    _assert_same_weights(_generator(tmp_path / "plain" / cell.cell_id), _generator(tmp_path / "saved" / cell.cell_id))
    assert not (tmp_path / "plain" / cell.cell_id / CHECKPOINT_FILE).exists()


def test_resume_after_the_last_step_keeps_the_losses(tmp_path):
    """Killed during evaluation: the final checkpoint is loaded and training has nothing left to do."""
    registry, plan = _plan(steps=10)
    cell = plan.cells[0]
    first = run_cell(cell, _ctx(registry, plan, tmp_path, checkpoint_every=5))
    again = run_cell(cell, _ctx(registry, plan, tmp_path, checkpoint_every=5, resume=True))
    assert again["status"] == "ok"
    assert (again["d_loss"], again["g_loss"]) == (first["d_loss"], first["g_loss"])


class Evil:
    """Unpickling this would call a function of the checkpoint's choosing."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_checkpoint_needing_arbitrary_unpickling_is_refused(tmp_path):
    path = tmp_path / CHECKPOINT_FILE
    torch.save({"format": "ganbench-checkpoint/1", "payload": Evil()}, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "\n" not in message and "\x1b" not in message and "weights_only" not in message
    assert str(path) in message and "other than tensors" in message and "will not load it" in message


def test_unsafe_or_foreign_checkpoint_fails_only_its_cell(tmp_path):
    registry, plan = _plan(steps=10)
    cell = plan.cells[0]
    cell_dir = tmp_path / cell.cell_id
    cell_dir.mkdir(parents=True)
    torch.save({"payload": Evil()}, cell_dir / CHECKPOINT_FILE)
    row = run_cell(cell, _ctx(registry, plan, tmp_path, checkpoint_every=5, resume=True))
    assert row["status"] == "failed" and "CheckpointError" in row["error"] and "will not load it" in row["error"]

    torch.save({"format": "something-else/2"}, cell_dir / CHECKPOINT_FILE)
    with pytest.raises(CheckpointError, match="not a ganbench training checkpoint"):
        load_checkpoint(cell_dir / CHECKPOINT_FILE)


def test_checkpoint_from_another_configuration_is_not_continued(tmp_path):
    registry, plan = _plan(steps=10)
    run_cell(plan.cells[0], _ctx(registry, plan, tmp_path, checkpoint_every=5))
    _, other = _plan(steps=10, lr_g=5e-4)
    row = run_cell(other.cells[0], _ctx(registry, other, tmp_path, checkpoint_every=5, resume=True))
    assert row["status"] == "failed" and "different configuration (train differ)" in row["error"]


def _default_sigint() -> None:
    """A job started in the background by a non-interactive shell inherits SIGINT ignored (POSIX), and Python
    then installs no KeyboardInterrupt handler; the child must see Ctrl-C as a terminal user's run would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _ganbench(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*GANBENCH, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint
    )


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"run ended before {path.name} appeared: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{path} did not appear")
        time.sleep(0.02)


@pytest.mark.slow
def test_sigkill_mid_training_then_resume_gives_the_uninterrupted_weights(tmp_path):
    args = ["--plugins", "dcgan", "--dataset", "ring8", "--steps", "200", "--batch-size", "32"]
    args += ["--log-every", "10", "--checkpoint-every", "20", "--no-eval", "-q"]
    proc = _ganbench("run", *args, "--results-dir", str(tmp_path), "--out", "k")
    cell_dir = tmp_path / "k" / "dcgan-ring8-s0"
    _wait_for(cell_dir / CHECKPOINT_FILE, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert not (cell_dir / "metrics.json").exists(), "the run finished before it could be killed"
    killed_at = load_checkpoint(cell_dir / CHECKPOINT_FILE)["step"]
    assert 0 < killed_at < 200

    resumed = ganbench("run", "--resume", str(tmp_path / "k"), "-q")  # resuming needs no process of its own
    assert resumed.returncode == 0, resumed.stderr
    assert "1 from a checkpoint" in resumed.stderr
    assert json.loads((cell_dir / "metrics.json").read_text())["status"] == "ok"

    # the same cell, uninterrupted, in this process (same device)
    registry, plan = _plan(steps=200, log_every=10)
    settings = RunSettings(run_dir=tmp_path / "ref", device=CPU, evaluation=NO_EVAL, checkpoint_every=20)
    run_plan(registry, plan, settings)
    ref_dir = tmp_path / "ref" / "dcgan-ring8-s0"
    _assert_same_weights(_generator(cell_dir), _generator(ref_dir))
    assert (cell_dir / "history.csv").read_text() == (ref_dir / "history.csv").read_text()
    a, b = load_checkpoint(cell_dir / CHECKPOINT_FILE), load_checkpoint(ref_dir / CHECKPOINT_FILE)
    _assert_same_weights(a["discriminator"], b["discriminator"])
    _assert_same_weights(a["opt_g"]["state"][0], b["opt_g"]["state"][0])


@pytest.mark.slow
def test_ctrl_c_marks_the_cell_interrupted_keeps_the_rest_and_resume_finishes(tmp_path):
    args = ["--plugins", "dcgan", "--dataset", "ring8", "--seeds", "0,1", "--steps", "200", "--batch-size", "32"]
    proc = _ganbench("run", *args, "--no-eval", "-q", "--results-dir", str(tmp_path), "--out", "c")
    run_dir = tmp_path / "c"
    first = run_dir / "dcgan-ring8-s0" / "metrics.json"
    # the second cell writes its config.json once it is inside run_cell
    _wait_for(run_dir / "dcgan-ring8-s1" / "config.json", proc, timeout=600)
    assert first.exists()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr

    table = pd.read_csv(run_dir / "results.csv")
    assert pd.read_parquet(run_dir / "results.parquet").shape == table.shape
    assert dict(zip(table["seed"], table["status"], strict=True)) == {0: "ok", 1: "interrupted"}
    assert not list(run_dir.rglob("*.tmp"))
    first_row = first.read_text()

    # --resume skips the finished cell and reruns the interrupted one (it has no checkpoint: from scratch)
    result = ganbench("run", "--resume", str(run_dir), "-q", "--steps", "5")
    assert result.returncode == 2 and "--steps cannot be given with it" in result.stderr
    result = ganbench("run", "--resume", str(run_dir), "-q")
    assert result.returncode == 0, result.stderr
    assert "1 cell(s) finished, 1 to run" in result.stderr
    assert first.read_text() == first_row
    table = pd.read_csv(run_dir / "results.csv")
    assert list(table["status"]) == ["ok", "ok"]
    assert len(json.loads((run_dir / "run.json").read_text())["invocations"]) == 2
