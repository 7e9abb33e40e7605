"""The Ray executor, for real, on a local Ray instance with 2 CPUs (one session for the module)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from ganbench.errors import UserError
from ganbench.registry import get_registry
from ganbench.runner.local import RunSettings, run_plan
from ganbench.runner.plan import Cell, DataConfig, EvalOptions, Plan, make_plan
from ganbench.runner.ray_executor import CellTask, RayOptions, execute_cell, import_ray, run_plan_ray, wants_gpu

CPU = torch.device("cpu")
TIMING = {"train_img_s", "train_s", "wall_s", "eval_s", "gen_img_s", "peak_mem_mb"}
EVAL = EvalOptions(n_samples=500)


@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        yield ray
    finally:
        ray.shutdown()


def _plan(seeds=(0, 1), steps=20, variants=("dcgan",)) -> Plan:
    return make_plan(
        get_registry(),
        variants=list(variants),
        datasets=["ring8"],
        seeds=list(seeds),
        data=DataConfig(root=Path(".")),
        train_overrides={"steps": steps},
    )


def _settings(run_dir: Path, evaluation: EvalOptions = EVAL) -> RunSettings:
    return RunSettings(run_dir=run_dir, device=CPU, evaluation=evaluation)


def test_ray_table_equals_local_table(ray_session, tmp_path):
    registry, plan = get_registry(), _plan()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the Ray tasks, so that even the thread split cannot differ
    try:
        local = run_plan(registry, plan, _settings(tmp_path / "local"))
    finally:
        torch.set_num_threads(threads)
    remote = run_plan_ray(registry, plan, _settings(tmp_path / "ray"), RayOptions())

    assert list(remote["status"]) == ["ok", "ok"]
    columns = [c for c in local.columns if c not in TIMING]
    pd.testing.assert_frame_equal(remote[columns], local[columns], check_exact=True)
    assert remote[["d_loss", "g_loss", "modes", "hq_fraction"]].notna().all().all()
    for cell in plan.cells:  # the same folder layout as a local run
        names = {p.name for p in (tmp_path / "ray" / cell.cell_id).iterdir()}
        assert {"config.json", "metrics.json", "history.csv", "samples.png", "generator.pt"} <= names
    run = json.loads((tmp_path / "ray" / "run.json").read_text())
    assert run["invocations"][0]["executor"]["kind"] == "ray"
    assert (tmp_path / "ray" / "results_summary.csv").is_file()
    assert not list((tmp_path / "ray").glob(".ganbench-ray-token"))


def test_a_crashed_worker_or_failing_cell_does_not_stop_the_others(ray_session, tmp_path):
    """os._exit in the worker -> WorkerCrashedError; an exception escaping run_cell -> RayTaskError."""
    plan = _plan(seeds=(0, 1, 2), steps=5)
    plan.cells.append(Cell("dcgan", "ring8", 3, dataclasses.replace(plan.cells[0].train, batch_size=10**7)))

    def cell_fn(cell, ctx):
        from ganbench.runner.cell import run_cell

        if cell.seed == 1:
            os._exit(1)  # the worker process dies mid-cell
        if cell.seed == 2:
            raise RuntimeError("boom in the harness")
        return run_cell(cell, ctx)

    table = run_plan_ray(
        get_registry(), plan, _settings(tmp_path, EvalOptions(enabled=False)), RayOptions(), cell_fn=cell_fn
    )
    rows = {int(r.seed): r for r in table.itertuples()}
    assert rows[0].status == "ok"
    assert rows[1].status == "failed" and "WorkerCrashedError" in rows[1].error
    assert rows[2].status == "failed" and "RayTaskError" in rows[2].error and "boom" in rows[2].error
    assert rows[3].status == "failed" and "UserError" in rows[3].error  # run_cell's own isolation, in the worker
    assert len(table) == 4 and (tmp_path / "dcgan-ring8-s1" / "error.txt").is_file()


def test_cell_timeout_cancels_the_task_and_records_timeout(ray_session, tmp_path):
    """A hung cell (here: a sleep) is cancelled by the driver after --cell-timeout; the next cell still runs."""
    plan = _plan(seeds=(0, 1), steps=5)

    def cell_fn(cell, ctx):
        time.sleep(600)

    settings = _settings(tmp_path, EvalOptions(enabled=False))
    settings.cell_timeout = 3
    started = time.monotonic()
    table = run_plan_ray(get_registry(), plan, settings, RayOptions(workers=1), cell_fn=cell_fn)
    assert time.monotonic() - started < 300
    assert list(table["status"]) == ["timeout", "timeout"]  # one worker: the second started after the first stopped
    assert set(table["error"]) == {"stopped after --cell-timeout 3 s"}


def test_cli_executor_ray_joins_the_running_session(ray_session, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ganbench.cli import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        ["run", "--executor", "ray", "--workers", "2", "--plugins", "dcgan", "--dataset", "ring8", "--seeds", "0,1",
         "--steps", "10", "--no-eval", "--out", "r", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "results" / "r" / "results.csv")
    assert list(table["status"]) == ["ok", "ok"]
    assert "mean ± std over seeds" in result.output
    assert ray_session.is_initialized()  # a session it did not start is left running


def test_sweep_trials_run_as_ray_tasks(ray_session, tmp_path, monkeypatch):
    """ganbench sweep --executor ray: trials asked two at a time, each a normal cell written by a Ray task."""
    from typer.testing import CliRunner

    from ganbench.cli import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        ["sweep", "--executor", "ray", "--workers", "2", "--plugins", "dcgan", "--dataset", "ring8", "--trials", "3",
         "--steps", "6", "--eval-samples", "64", "--metrics", "modes", "--metric", "hq_fraction",
         "--reeval-seeds", "1", "--out", "s"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    run = tmp_path / "results" / "s"
    trials = pd.read_csv(run / "trials.csv")
    assert list(trials["trial"]) == [0, 1, 2] and (trials["state"] == "complete").all()
    invocations = json.loads((run / "trials" / "run.json").read_text())["invocations"]
    assert [len(i["cells"]) for i in invocations] == [2, 1] and {i["executor"]["kind"] for i in invocations} == {"ray"}
    assert pd.read_csv(run / "best" / "results.csv")["seed"].tolist() == [1]


def test_worker_without_the_shared_folder_returns_the_files(tmp_path):
    """The remote-cluster path, in process: a wrong token means 'not my filesystem'."""
    plan = _plan(seeds=(0,), steps=5)
    (tmp_path / ".ganbench-ray-token").write_text("driver-token")
    task = CellTask(
        cell=plan.cells[0], data=plan.data, run_dir=str(tmp_path), token="another-token",
        evaluation=EvalOptions(enabled=False), plugins="", strict=False, use_gpu=False, threads=1,
    )  # fmt: skip
    result = execute_cell(task)
    assert not result["shared"] and result["row"]["status"] == "ok"
    assert {"metrics.json", "generator.pt", "history.csv", "config.json"} <= set(result["files"])
    assert not (tmp_path / plan.cells[0].cell_id).exists()  # nothing written into the driver's folder


def test_missing_ray_is_a_one_line_install_hint(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(UserError) as info:
        import_ray()
    assert "pip install ray" in str(info.value) and "\n" not in str(info.value)

    from ganbench.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--executor", "ray", "--steps", "2", "--results-dir", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install ray" in err[0]
    assert not any(tmp_path.iterdir())


def test_gpu_request_follows_the_cluster():
    assert wants_gpu("auto", 2) and not wants_gpu("auto", 0) and not wants_gpu("cpu", 4)
    with pytest.raises(UserError, match="no GPUs"):
        wants_gpu("cuda", 0)
