"""``make gpu-check`` (benchmarks/gpu_check.py) in its CPU dry run, so the script a GPU machine runs cannot rot."""

from __future__ import annotations

import json

import pytest
import torch

from benchmarks import gpu_check

STATUSES = {"ok", "failed", "skipped", "unavailable"}


@pytest.mark.slow
def test_dry_run_runs_every_check_and_writes_one_json(tmp_path, capsys):
    out = tmp_path / "gpu-check.json"
    code = gpu_check.main(["--dry-run", "--out", str(out)])
    report = json.loads(out.read_text())
    checks = {c["name"]: c for c in report["checks"]}
    assert code == 0, [c for c in checks.values() if c["status"] == "failed"]
    assert list(checks) == list(gpu_check.CHECKS)
    assert report["dry_run"] is True and report["torch"] == torch.__version__ and report["device"]
    assert {c["status"] for c in checks.values()} <= STATUSES
    for name in ("cuda_tests", "cell_eager", "cell_amp_fp16", "ddp", "vectorized_seeds"):
        assert checks[name]["status"] == "ok", checks[name]
        assert checks[name]["value"] > 0 and checks[name]["unit"], checks[name]
    assert checks["cell_amp_fp16"]["conditions"]["flags"] == ["--amp", "bf16"]  # fp16 is CUDA-only
    assert checks["ddp"]["conditions"]["nproc"] == 1 and checks["ddp"]["conditions"]["backend"] == "gloo"
    assert checks["cell_compile"]["status"] == "skipped" and "dry run" in checks["cell_compile"]["detail"]
    assert checks["inception_features"]["status"] in {"ok", "unavailable"}  # weights present or not: never fails
    assert checks["vectorized_seeds"]["goal"] == ">= 4x for 8 seeds"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_without_cuda_and_without_dry_run_is_one_line_and_exit_2(tmp_path, capsys):
    assert gpu_check.main(["--out", str(tmp_path / "g.json")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "no CUDA device" in lines[0] and "--dry-run" in lines[0]
    assert not (tmp_path / "g.json").exists()


def test_a_crashing_check_is_recorded_as_failed_and_the_others_still_run(tmp_path, monkeypatch):
    def boom(ctx):
        raise RuntimeError("out of memory")

    monkeypatch.setitem(gpu_check.CHECKS, "cell_eager", boom)
    out = tmp_path / "g.json"
    code = gpu_check.main(["--dry-run", "--only", "cell_eager", "--only", "cell_compile", "--out", str(out)])
    checks = {c["name"]: c for c in json.loads(out.read_text())["checks"]}
    assert code == 1
    assert (checks["cell_eager"]["status"], checks["cell_eager"]["detail"]) == ("failed", "RuntimeError: out of memory")
    assert checks["cell_compile"]["status"] == "skipped"
