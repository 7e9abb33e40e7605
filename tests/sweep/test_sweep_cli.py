"""``ganbench sweep`` end to end on tiny trials: the space seam, SQLite storage, resume, protocols, bad input.

Every call goes through :func:`ganbench.cli.main` in this process (trials of a few steps on ring8).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import optuna
import pandas as pd
import pytest
import torch

from ganbench.plugin import FloatRange, GANLoss, LossOutput, Recipe, Variant, hookimpl
from ganbench.registry import PluginOrigin, get_registry
from ganbench.sweep import study as studies
from tests.inprocess import assert_user_error, run_cli

TINY = ("--dataset", "ring8", "--steps", "6", "--eval-samples", "64", "--metrics", "modes", "--metric",
        "hq_fraction", "--reeval-seeds", "1", "--log-every", "2")  # fmt: skip


class ScaledLoss(GANLoss):
    """Non-saturating loss times ``scale``: an option with a declared search range."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.scale = scale

    def discriminator_loss(self, discriminator, real, fake, codes):
        loss = (
            torch.nn.functional.softplus(-discriminator(real)).mean()
            + torch.nn.functional.softplus(discriminator(fake)).mean()
        )
        return LossOutput(self.scale * loss)

    def generator_loss(self, discriminator, fake, codes):
        return LossOutput(self.scale * torch.nn.functional.softplus(-discriminator(fake)).mean())


class ScaledPlugin:
    @staticmethod
    @hookimpl
    def ganbench_register(registrar):
        registrar.add_loss("scaled-ns", lambda ctx, *, scale=1.0: ScaledLoss(scale), description="Scaled NS loss.")
        registrar.add_search_space("loss", "scaled-ns", {"scale": FloatRange(0.5, 2.0)})
        registrar.add_variant(
            Variant("scaled", "MLPs with the scaled loss.", {"points": Recipe("mlp", "mlp", "scaled-ns")})
        )


@pytest.fixture
def scaled():
    assert get_registry().add_plugin(ScaledPlugin, PluginOrigin("scaled", "gb-test-scaled", "0"))


def test_a_plugins_declared_space_is_sampled_into_normal_cells_with_sqlite_storage(scaled, tmp_path, capsys):
    code, out, err = run_cli(capsys, "sweep", "-p", "scaled", *TINY, "--trials", "3", "--lr-g", "0.001",
                             "--results-dir", str(tmp_path), "--out", "s")  # fmt: skip
    assert code == 0, err
    run = tmp_path / "s"
    assert (run / "sweep.db").is_file()  # embedded SQLite, no server
    trials = pd.read_csv(run / "trials.csv")
    assert list(trials["trial"]) == [0, 1, 2] and trials["counted"].all()
    scales = trials["param.loss.scale"]
    assert scales.between(0.5, 2.0).all() and scales.nunique() == 3  # the plugin's range, drawn
    assert "param.lr_g" not in trials and "param.lr_d" in trials  # --lr-g fixed it; lr_d is searched
    assert trials["param.d_steps"].isin([1, 2, 5]).all()  # the built-in training step's declared choices
    for _, trial in trials.iterrows():  # each trial is a normal cell: own folder, row and fingerprint
        cell = run / "trials" / trial["cell_id"]
        config = json.loads((cell / "config.json").read_text())
        assert config["loss_options"]["scale"] == pytest.approx(trial["param.loss.scale"])
        row = json.loads((cell / "metrics.json").read_text())
        assert row["trial"] == trial["trial"] and row["fingerprint"]
        assert row["hq_fraction"] == pytest.approx(trial["score"])
    best = pd.read_csv(run / "best" / "results.csv")  # the best settings, re-run on the fresh seed
    assert list(best["seed"]) == [1] and best["variant"].tolist() == ["scaled"]
    summary = pd.read_csv(run / "sweep_summary.csv")
    assert summary.loc[0, "best_trial_score"] == trials["score"].max()
    curve = pd.read_csv(run / "expected_best.csv")
    assert list(curve["k"]) == [1, 2, 3] and curve["expected_best"].iloc[-1] == pytest.approx(trials["score"].max())
    assert (run / "expected_best.png").is_file()
    assert "E[best of 3]" in out and "fresh seeds" in out

    code, out, err = run_cli(capsys, "table", str(run))  # ganbench table reads a sweep folder
    assert code == 0, err
    assert "scaled" in out and "equal-budget comparison" in out
    code, out, err = run_cli(capsys, "report", str(run))  # and so does the report: table and plot
    assert code == 0, err
    report = (run / "report.md").read_text()
    assert "## Equal-budget comparison (sweep)" in report and "E\\[best of 3\\]" in report
    assert (run / "report_assets" / "sweep_expected_best.png").is_file()


def test_a_killed_trial_is_rerun_and_the_trial_count_continues(tmp_path, capsys):
    args = ("sweep", "-p", "dcgan", *TINY, "--results-dir", str(tmp_path), "--out", "r")
    code, _, err = run_cli(capsys, *args, "--trials", "2")
    assert code == 0, err
    # simulate a process killed mid-trial: a RUNNING trial recorded by a pid that no longer exists
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    storage = studies.open_storage(studies.default_storage(tmp_path / "r"))
    study = optuna.load_study(study_name="dcgan@ring8", storage=storage)
    trial = study.ask(studies.distributions({"lr_g": FloatRange(1e-5, 1e-2, log=True)}))
    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("pid", int(dead.stdout))
    code, out, err = run_cli(capsys, *args, "--trials", "4")
    assert code == 0, err
    assert "trial(s) 2 were interrupted" in out
    trials = pd.read_csv(tmp_path / "r" / "trials.csv")
    assert list(trials["trial"]) == [0, 1, 2, 3, 4]
    assert trials.set_index("trial").loc[2, "status"] == "interrupted" and trials["counted"].sum() == 4
    retry = trials.set_index("trial").loc[3]  # the interrupted point runs again as the next trial
    assert retry["param.lr_g"] == pytest.approx(trial.params["lr_g"])
    assert os.path.isdir(tmp_path / "r" / "trials" / "dcgan-ring8-s0-t0004")


def test_a_study_made_under_another_protocol_is_refused(tmp_path, capsys):
    args = ("sweep", "-p", "dcgan", *TINY, "--trials", "1", "--results-dir", str(tmp_path), "--out", "p")
    assert run_cli(capsys, *args)[0] == 0
    code, _, err = run_cli(capsys, *args[:-6], "--steps", "8", *args[-6:])
    assert_user_error(code, err, "another protocol", "steps 6 -> 8")


def test_space_file_overrides_and_bad_spaces_are_one_line(tmp_path, capsys):
    base = ("sweep", "-p", "minibatch", *TINY, "--trials", "1", "--results-dir", str(tmp_path))
    good = tmp_path / "good.toml"
    good.write_text(
        "replace = true\n[params]\nlr_g = { low = 1e-4, high = 1e-3, log = true }\n"
        '[variants.minibatch.params]\n"discriminator.kernels" = { choices = [7] }\n'
    )
    code, _, err = run_cli(capsys, *base, "--out", "g", "--space", str(good))
    assert code == 0, err
    trials = pd.read_csv(tmp_path / "g" / "trials.csv")
    assert sorted(c for c in trials if c.startswith("param.")) == ["param.discriminator.kernels", "param.lr_g"]
    assert trials.loc[0, "param.discriminator.kernels"] == 7
    for text, needles in [
        ("[params]\nlr_g = { low = 1e-3, high = 1e-4 }\n", ("lr_g", "inverted")),
        ("[params]\nbeta1 = { low = 0.5, high = 0.5 }\n", ("beta1", "empty")),
        ("[params]\nd_steps = { choices = [] }\n", ("d_steps", "empty")),
        ('[params]\n"generator.widht" = { low = 1, high = 4 }\n', ("unknown option 'generator.widht'", "valid:")),
        ("[params]\nbeta1 = { low = 0.5, high = 1.5 }\n", ("beta1", "[0, 1)")),
        ("[variants.nope.params]\nlr_g = false\n", ("variants.nope",)),
    ]:
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        code, _, err = run_cli(capsys, *base, "--out", "b", "--space", str(bad))
        assert_user_error(code, err, *needles)


def test_unreachable_storage_and_bad_options_are_one_line(tmp_path, capsys):
    base = ("sweep", "-p", "dcgan", *TINY, "--trials", "1", "--results-dir", str(tmp_path), "--out", "u")
    code, _, err = run_cli(capsys, *base, "--storage", f"sqlite:///{tmp_path}/missing/dir/x.db")
    assert_user_error(code, err, "--storage", "cannot open")
    code, _, err = run_cli(capsys, *base, "--storage", "postgresql://user:secret@127.0.0.1:1/db")
    line = assert_user_error(code, err, "--storage", "cannot open")
    assert "secret" not in line
    assert_user_error(*run_cli(capsys, *base, "--metric", "nope")[::2], "unknown --metric 'nope'", "hq_fraction")
    assert_user_error(*run_cli(capsys, *base, "--sampler", "grid")[::2], "--sampler", "random, tpe")
    assert_user_error(*run_cli(capsys, *base, "--reeval-seeds", "0")[::2], "--reeval-seeds", "fresh")
    assert_user_error(*run_cli(capsys, *base, "--trials", "0")[::2], "--trials")


def test_failed_trials_are_counted_with_the_worst_score(tmp_path, capsys):
    space = tmp_path / "zero.toml"
    space.write_text('replace = true\n[params]\n"discriminator.kernels" = { choices = [0] }\n')  # the layer refuses 0
    code, out, err = run_cli(capsys, "sweep", "-p", "minibatch", *TINY, "--trials", "2", "--space", str(space),
                             "--results-dir", str(tmp_path), "--out", "f")  # fmt: skip
    assert code == 1 and "not ok: minibatch on ring8: none of its 2 trials finished" in err, err  # like `run`
    trials = pd.read_csv(tmp_path / "f" / "trials.csv")
    assert list(trials["state"]) == ["fail", "fail"] and trials["counted"].all()  # never dropped
    assert (trials["status"] == "failed").all() and trials["error"].str.contains("kernels").all()
    curve = pd.read_csv(tmp_path / "f" / "expected_best.csv")
    assert list(curve["expected_best"]) == [0.0, 0.0]  # hq_fraction's worst valid value
    summary = pd.read_csv(tmp_path / "f" / "sweep_summary.csv")
    assert summary.loc[0, "n_failed"] == 2 and "nothing to re-evaluate" in out


def test_a_sweep_is_not_ok_when_a_study_never_finished_or_a_best_rerun_failed():
    """Exit 1 like `run`: a study whose every trial failed, or a best setting that failed on a fresh seed.
    A diverged trial among finished ones is a result of the search (the budget curves count it)."""
    from ganbench.cli.sweep import sweep_failures

    summary = pd.DataFrame(
        {"variant": ["dcgan", "wgan"], "dataset": "ring8", "n_trials": [4, 3], "n_failed": [1, 3]}
    )  # fmt: skip
    best = pd.DataFrame({"variant": "dcgan", "dataset": "ring8", "seed": [1, 2], "status": ["ok", "diverged"]})
    assert sweep_failures(summary, best) == [
        "wgan on ring8: none of its 3 trials finished",
        "best setting of dcgan on ring8, seed 2: diverged",
    ]
    assert sweep_failures(summary.iloc[:1], best.iloc[:1]) == []
    assert sweep_failures(pd.DataFrame(), None) == []
