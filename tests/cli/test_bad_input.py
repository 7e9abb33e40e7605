"""Bad input as a careful user (or an attacker) types it: one line, exit 2, never a traceback.

Every call goes through :func:`ganbench.cli.main` in this process, so an
exception that escapes it (a traceback for the user) fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from ganbench.cli import main
from ganbench.data.base import DatasetOptions
from ganbench.registry import get_registry
from ganbench.results.table import read_rows, rows_to_frame
from tests.inprocess import assert_user_error, run_cli

TINY = ("--plugins", "dcgan", "--dataset", "ring8", "--steps", "4", "--batch-size", "16", "--log-every", "2")


@pytest.fixture
def ring_points(tmp_path) -> np.ndarray:
    data = get_registry().dataset("ring8")[0].factory(DatasetOptions(root=tmp_path))
    return data.tensors("train")[0][:500].numpy()


# -- item 3: scores of NaN/inf or empty samples --------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_score_non_finite_points(tmp_path, capsys, ring_points, bad):
    points = ring_points.copy()
    points[3, 1] = bad
    np.save(tmp_path / "p.npy", points)
    code, _, err = run_cli(capsys, "score", str(tmp_path / "p.npy"), "--dataset", "ring8")
    assert_user_error(code, err, "p.npy", "1 of 500 samples hold NaN or infinite values")


def test_score_non_finite_images(tmp_path, capsys):
    images = np.random.default_rng(0).random((20, 1, 8, 8), dtype=np.float32)
    images[0, 0, 0, 0] = np.nan
    torch.save(torch.from_numpy(images), tmp_path / "x.pt")
    code, _, err = run_cli(capsys, "score", str(tmp_path / "x.pt"), "--dataset", "digits")
    assert_user_error(code, err, "x.pt", "NaN or infinite")


@pytest.mark.parametrize("shape", [(0, 2), (1, 2)])
def test_score_empty_or_single_sample(tmp_path, capsys, shape):
    np.save(tmp_path / "e.npy", np.zeros(shape, dtype=np.float32))
    code, _, err = run_cli(capsys, "score", str(tmp_path / "e.npy"), "--dataset", "ring8")
    assert_user_error(code, err, "e.npy", f"holds {shape[0]} sample(s)", "at least 2")


@pytest.fixture(scope="module")
def generator_file(tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("results")
    with pytest.raises(SystemExit) as info:
        main(["run", *TINY, "--no-eval", "--results-dir", str(results), "--out", "g", "--quiet"])
    assert info.value.code == 0
    return results / "g" / "dcgan-ring8-s0" / "generator.pt"


def test_score_generator_with_nan_weights(tmp_path, capsys, generator_file):
    saved = torch.load(generator_file, weights_only=True)
    saved["state_dict"] = {k: torch.full_like(v, float("nan")) for k, v in saved["state_dict"].items()}
    torch.save(saved, tmp_path / "nan.pt")
    code, _, err = run_cli(capsys, "score", str(tmp_path / "nan.pt"), "--dataset", "ring8", "--n", "50")
    assert_user_error(code, err, "nan.pt", "NaN or infinite", "weights")


# -- item 5: malformed generator files ---------------------------------------------------------
@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda g: g.pop("state_dict"), "lacks 'state_dict'"),
        (lambda g: g.update(generator_options=[1, 2]), "'generator_options' must be a dict, got list"),
        (lambda g: g.update(generator=3), "'generator' must be a string"),
        (lambda g: g.update(state_dict={"w": 1.0}), "'state_dict' must map parameter names to tensors"),
        (lambda g: g.update(generator_options={"hidden": "abc"}), "option hidden='abc' must be a positive integer"),
    ],
)
def test_score_malformed_generator_file(tmp_path, capsys, generator_file, edit, needle):
    saved = torch.load(generator_file, weights_only=True)
    edit(saved)
    torch.save(saved, tmp_path / "g.pt")
    code, _, err = run_cli(capsys, "score", str(tmp_path / "g.pt"), "--dataset", "ring8", "--n", "50")
    assert_user_error(code, err, needle)


# -- item 4: seeds beyond 64 bits, and a folder they already poisoned --------------------------
@pytest.mark.parametrize("seeds", ["99999999999999999999", "-1", "0,9223372036854775808"])
def test_seed_out_of_range_is_rejected_up_front(tmp_path, capsys, seeds):
    code, _, err = run_cli(capsys, "run", *TINY, "--seeds", seeds, "--results-dir", str(tmp_path))
    assert_user_error(code, err, "--seeds", "out of range", "9223372036854775807")
    assert not any(tmp_path.iterdir())


def test_score_seed_out_of_range(tmp_path, capsys, ring_points):
    np.save(tmp_path / "p.npy", ring_points)
    code, _, err = run_cli(capsys, "score", str(tmp_path / "p.npy"), "--dataset", "ring8", "--seed", "2" * 20)
    assert_user_error(code, err, "--seed", "out of range")


def test_a_row_parquet_cannot_type_does_not_poison_the_folder(tmp_path, capsys, caplog):
    """A results folder holding a row with a >64-bit seed (written by an older ganbench) still takes new cells."""
    poisoned = tmp_path / "r" / "dcgan-ring8-s99999999999999999999"
    poisoned.mkdir(parents=True)
    row = {"variant": "dcgan", "dataset": "ring8", "seed": 99999999999999999999, "status": "ok", "extra": [1, "a"]}
    (poisoned / "metrics.json").write_text(json.dumps(row))
    (tmp_path / "r" / "junk-cell").mkdir()
    (tmp_path / "r" / "junk-cell" / "metrics.json").write_text("{not json")
    code, _, err = run_cli(capsys, "run", *TINY, "--no-eval", "--results-dir", str(tmp_path), "--out", "r", "-q")
    assert code == 0, err
    table = pd.read_parquet(tmp_path / "r" / "results.parquet")
    assert len(table) == 2 and set(table["status"]) == {"ok"}
    assert "99999999999999999999" in set(table["seed"].astype(str))
    warned = [r.getMessage() for r in caplog.records if "junk-cell" in r.getMessage()]
    assert len(warned) == 1 and "left" in warned[0]  # the unreadable row is named once, not fatal


# -- item 6: output locations --------------------------------------------------------------------
@pytest.fixture
def read_only_dir(tmp_path):
    """A read-only tmpfs (root ignores permission bits, so a chmod would not do)."""
    path = tmp_path / "ro"
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        os.chmod(path, 0o555)
        if os.access(path, os.W_OK):
            pytest.skip("cannot make a read-only folder here (not root for mount, root for chmod)")
    yield path
    if mounted.returncode == 0:
        subprocess.run(["umount", str(path)], check=True)


def test_run_out_names_an_existing_file(tmp_path, capsys):
    (tmp_path / "taken").write_text("x")
    code, _, err = run_cli(capsys, "run", *TINY, "--results-dir", str(tmp_path), "--out", "taken")
    assert_user_error(code, err, "--out", "taken", "is a file, not a folder")


def test_run_results_dir_is_a_file(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    code, _, err = run_cli(capsys, "run", *TINY, "--results-dir", str(tmp_path / "file"))
    assert_user_error(code, err, "--results-dir", "is a file, not a folder")


def test_run_into_read_only_folder(read_only_dir, capsys):
    code, _, err = run_cli(capsys, "run", *TINY, "--results-dir", str(read_only_dir / "results"))
    assert_user_error(code, err, "--results-dir", "not writable")


def test_report_out_read_only(tmp_path, read_only_dir, capsys):
    cell = tmp_path / "r" / "c"
    cell.mkdir(parents=True)
    (cell / "metrics.json").write_text(json.dumps({"variant": "dcgan", "dataset": "ring8", "seed": 0}))
    code, _, err = run_cli(capsys, "report", str(tmp_path / "r"), "--out", str(read_only_dir / "rep"))
    assert_user_error(code, err, "--out", "not writable")


def test_new_plugin_dest_read_only(read_only_dir, capsys):
    code, _, err = run_cli(capsys, "new-plugin", "my-gan", "--dest", str(read_only_dir))
    assert_user_error(code, err, "--dest", "not writable")


def test_score_out_is_a_folder(tmp_path, capsys, ring_points):
    np.save(tmp_path / "p.npy", ring_points)
    code, _, err = run_cli(capsys, "score", str(tmp_path / "p.npy"), "--dataset", "ring8", "--out", str(tmp_path))
    assert_user_error(code, err, "--out", "is a folder; give a file name")


def test_an_os_error_no_check_foresaw_is_one_line(tmp_path, capsys, ring_points, monkeypatch):
    """The last net: a write failing for a reason nothing checked up front (here: EROFS) is still one line."""
    import errno

    from ganbench.results import atomic

    def read_only(path, obj):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(atomic, "write_json", read_only)
    np.save(tmp_path / "p.npy", ring_points)
    out = tmp_path / "s.json"
    code, _, err = run_cli(capsys, "score", str(tmp_path / "p.npy"), "--dataset", "ring8", "--out", str(out))
    assert_user_error(code, err, f"{out}: Read-only file system")


# -- item 8: run.json edited into nonsense --------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("train_overrides", "steps"), "abc", "steps must be an integer, got 'abc'"),
        (("train_overrides", "beta1"), 2.0, "--beta1 must be a number in [0, 1)"),
        (("seeds",), ["x"], "seeds must be a list of integers"),
        (("evaluation", "n_samples"), "many", "eval_samples must be an integer"),
        (("composition",), [1], "composition must be an object"),
        (("variants",), 7, "variants must be a list of names"),
    ],
)
def test_resume_validates_run_json(tmp_path, capsys, path, value, needle):
    code, _, err = run_cli(capsys, "run", *TINY, "--no-eval", "--results-dir", str(tmp_path), "--out", "r", "-q")
    assert code == 0, err
    run_file = tmp_path / "r" / "run.json"
    run = json.loads(run_file.read_text())
    for invocation in run["invocations"]:
        target = invocation["config"]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    run_file.write_text(json.dumps(run))
    code, _, err = run_cli(capsys, "run", "--resume", str(tmp_path / "r"))
    assert_user_error(code, err, "run.json", needle)


# -- item 9: counts that mean nothing -------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--eval-samples", "-1"], "--eval-samples must be an integer of at least 2, got -1"),
        (["--eval-samples", "0"], "--eval-samples must be an integer of at least 2, got 0"),
        (["--eval-every", "-5"], "--eval-every must be an integer of at least 1, got -5"),
        (["--eval-every", "0"], "--eval-every must be an integer of at least 1, got 0"),
        (["--extractor", "nope"], "unknown feature extractor 'nope'; valid choices:"),
    ],
)
def test_run_rejects_eval_counts(tmp_path, capsys, args, needle):
    code, _, err = run_cli(capsys, "run", *TINY, *args, "--results-dir", str(tmp_path))
    assert_user_error(code, err, needle)
    assert not any(tmp_path.iterdir()), "nothing may train"


@pytest.mark.parametrize("n", ["0", "-5", "1"])
def test_score_rejects_sample_counts(tmp_path, capsys, ring_points, n):
    np.save(tmp_path / "p.npy", ring_points)
    code, _, err = run_cli(capsys, "score", str(tmp_path / "p.npy"), "--dataset", "ring8", "--n", n)
    assert_user_error(code, err, f"--n must be at least 2 (FID needs a covariance), got {n}")


# -- item 10: GANBENCH_LOAD_PLUGINS naming nothing installed ---------------------------------------
def test_load_plugins_naming_no_distribution_warns_once(capsys, monkeypatch):
    monkeypatch.setenv("GANBENCH_LOAD_PLUGINS", "does-not-exist")
    code, _, err = run_cli(capsys, "plugins", "--json")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.strip()]
    assert len(warnings) == 1 and warnings[0].startswith("ganbench: warning: "), err
    assert "'does-not-exist'" in warnings[0] and "no installed distribution" in warnings[0]


def test_load_plugins_naming_no_distribution_is_fatal_under_strict(capsys, monkeypatch):
    monkeypatch.setenv("GANBENCH_LOAD_PLUGINS", "does-not-exist")
    code, _, err = run_cli(capsys, "--strict", "plugins")
    assert_user_error(code, err, "'does-not-exist'", "no installed distribution")


# -- item 11: optimiser values torch would reject inside every cell --------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--beta1", "2"], "--beta1 must be a number in [0, 1), got 2.0"),
        (["--beta1", "-0.5"], "--beta1 must be a number in [0, 1)"),
        (["--lr-g", "inf"], "--lr-g must be a positive, finite number"),
        (["--lr-d", "nan"], "--lr-d must be a positive, finite number"),
        (["--gen-opt", "hidden=100000000000"], "generator 'mlp' rejected its options {'hidden': 100000000000}"),
    ],
)
def test_run_rejects_values_before_training(tmp_path, capsys, args, needle):
    code, _, err = run_cli(capsys, "run", *TINY, *args, "--results-dir", str(tmp_path))
    assert_user_error(code, err, needle)
    assert not any(tmp_path.iterdir())


def test_table_reads_null_and_bare_nan_alike(tmp_path):
    for name, text in (("a", '{"variant": "v", "dataset": "d", "seed": 0, "fid": NaN}'),
                       ("b", '{"variant": "v", "dataset": "d", "seed": 1, "fid": null}'),
                       ("c", '{"variant": "v", "dataset": "d", "seed": 2, "fid": 1.5}')):  # fmt: skip
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(text)
    frame = rows_to_frame(read_rows(tmp_path))
    assert frame["fid"].isna().tolist() == [True, True, False]
