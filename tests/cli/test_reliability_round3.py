"""Issue 21's hostile-user cases, each run through the CLI as a user would (in this process unless only a real
process shows it: SIGTERM and the entry point's exit status).

Bad input is one ``ganbench: error:`` line and exit 2; a run's status follows :mod:`ganbench.exitcodes`.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from ganbench import exitcodes
from ganbench.cli import main
from ganbench.runner.suite_config import MAX_SEEDS
from tests.distributions import make_distribution

TINY = ("--dataset", "ring8", "--steps", "4", "--batch-size", "16", "--log-every", "2", "--no-eval", "-q")
GANBENCH = [sys.executable, "-m", "ganbench"]


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def assert_user_error(code: int, err: str, *needles: str) -> str:
    assert code == exitcodes.USER_ERROR, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganbench: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# -- 2: samples passed to score --------------------------------------------------------------------------------
def _images(tmp_path: Path, array: np.ndarray, name: str = "s.npy") -> str:
    np.save(tmp_path / name, array)
    return str(tmp_path / name)


@pytest.mark.parametrize(
    ("array", "needles"),
    [
        (np.array([["a", "b"]] * 10), ["dtype <U1 (text)", "accepted: uint8 images in [0, 255]"]),
        (np.ones((10, 2), dtype=np.complex64) * (1 + 2j), ["dtype complex64 (complex numbers)", "accepted:"]),
        (np.ones((10, 2), dtype=bool), ["dtype bool (booleans)"]),
    ],
)
def test_score_refuses_non_numeric_samples(tmp_path, capsys, array, needles):
    code, _, err = run_cli(capsys, "score", _images(tmp_path, array), "--dataset", "ring8")
    assert_user_error(code, err, "s.npy", *needles)


def test_score_refuses_a_complex_torch_tensor(tmp_path, capsys):
    torch.save(torch.ones(10, 2, dtype=torch.complex64), tmp_path / "s.pt")
    code, _, err = run_cli(capsys, "score", str(tmp_path / "s.pt"), "--dataset", "ring8")
    assert_user_error(code, err, "s.pt", "complex64 (complex numbers)")


def test_score_refuses_0_255_float_images_instead_of_clamping(tmp_path, capsys):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(50, 1, 16, 16)).astype(np.float32)  # the most common export
    code, _, err = run_cli(capsys, "score", _images(tmp_path, images), "--dataset", "digits")
    assert_user_error(code, err, "s.npy", "float images span [0, 255]", "divide by 255 or save as uint8")


def test_score_refuses_integer_images_outside_uint8(tmp_path, capsys):
    images = np.full((50, 1, 16, 16), 300, dtype=np.int64)
    code, _, err = run_cli(capsys, "score", _images(tmp_path, images), "--dataset", "digits")
    assert_user_error(code, err, "integer images span [300, 300], outside [0, 255]")


def test_score_accepts_documented_ranges_alike(tmp_path, capsys):
    """uint8 [0, 255], int64 [0, 255], float [0, 1] and float [-1, 1] of the same pictures score the same."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(40, 1, 16, 16))
    fids = []
    for name, array in (
        ("u8", pixels.astype(np.uint8)),
        ("i64", pixels.astype(np.int64)),
        ("f01", (pixels / 255).astype(np.float32)),
        ("f11", (pixels / 127.5 - 1).astype(np.float32)),
    ):
        out = tmp_path / f"{name}.json"
        path = _images(tmp_path, array, f"{name}.npy")
        code, _, err = run_cli(capsys, "score", path, "--dataset", "digits", "--metrics", "fid", "--out", str(out))
        assert code == 0, err
        fids.append(json.loads(out.read_text())["fid"])
    assert np.allclose(fids, fids[0], rtol=1e-4), fids


# -- 3: files and folders ----------------------------------------------------------------------------------------
def test_suite_file_that_is_not_utf8(tmp_path, capsys):
    (tmp_path / "s.toml").write_bytes(b'name = "\xff\xfe"\n')
    code, _, err = run_cli(capsys, "run", "--config", str(tmp_path / "s.toml"), "--results-dir", str(tmp_path / "r"))
    assert_user_error(code, err, "s.toml is not UTF-8 text (byte 8 is 0xff)")
    assert not (tmp_path / "r").exists()


def test_report_and_table_on_a_table_without_rows(tmp_path, capsys):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "results.csv").write_text("variant,dataset,seed,status,fid\n")
    for command in (["report", str(folder)], ["table", str(folder)]):
        code, _, err = run_cli(capsys, *command)
        assert_user_error(code, err, "results.csv", "has no rows")
    assert not (folder / "report.html").exists()


def test_text_in_a_metric_column_is_named_not_dropped(tmp_path, capsys):
    folder = tmp_path / "edited"
    folder.mkdir()
    rows = {"variant": ["a", "b"], "dataset": ["ring8"] * 2, "seed": [0, 0], "status": ["ok"] * 2}
    frame = pd.DataFrame({**rows, "fid": ["1.5", "about 3"]})
    frame.to_csv(folder / "results.csv", index=False)
    for command in (["report", str(folder)], ["table", str(folder)], ["compare", str(folder), str(folder)]):
        code, _, err = run_cli(capsys, *command)
        assert_user_error(code, err, "metric column 'fid' must hold numbers, but row 2 holds 'about 3'")


def test_inception_weights_that_is_a_folder(tmp_path, capsys):
    weights = tmp_path / "weights"
    weights.mkdir()
    results = tmp_path / "r"
    code, _, err = run_cli(capsys, "run", "--plugins", "dcgan", *TINY, "--inception-weights", str(weights),
                           "--results-dir", str(results))  # fmt: skip
    assert_user_error(code, err, f"--inception-weights '{weights}' is a folder; give the weights file itself")
    assert not results.exists()
    np.save(tmp_path / "p.npy", np.zeros((10, 2), dtype=np.float32))
    code, _, err = run_cli(capsys, "score", str(tmp_path / "p.npy"), "--dataset", "ring8", "--inception-weights",
                           str(weights))  # fmt: skip
    assert_user_error(code, err, "is a folder")


# -- 4: --out stays inside the results folder ----------------------------------------------------------------------
@pytest.mark.parametrize("out", ["../escaped", "a/../../escaped", "ABSOLUTE"])
def test_out_cannot_leave_the_results_folder(tmp_path, capsys, out):
    results = tmp_path / "results"
    out = str(tmp_path / "escaped") if out == "ABSOLUTE" else out
    code, _, err = run_cli(capsys, "run", "--plugins", "dcgan", *TINY, "--results-dir", str(results), "--out", out)
    assert_user_error(code, err, f"--out {out!r} must be a folder name inside {results}")
    assert not (tmp_path / "escaped").exists() and not results.exists()


def test_out_from_a_suite_file_cannot_leave_the_results_folder(tmp_path, capsys):
    (tmp_path / "s.toml").write_text('variants = ["dcgan"]\nsteps = 4\nout = "../escaped"\n')
    results = tmp_path / "results"
    code, _, err = run_cli(capsys, "run", "--config", str(tmp_path / "s.toml"), "--results-dir", str(results))
    assert_user_error(code, err, "--out '../escaped' must be a folder name inside")
    assert not (tmp_path / "escaped").exists()


def test_out_may_name_a_subfolder(tmp_path, capsys):
    results = tmp_path / "results"
    code, _, err = run_cli(capsys, "run", "--plugins", "dcgan", *TINY, "--results-dir", str(results), "--out", "a/b")
    assert code == 0, err
    assert (results / "a" / "b" / "results.csv").is_file()


# -- 5: ranges -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--seeds", "0-100000000"], f"seeds '0-100000000' name 100,000,001 seeds; at most {MAX_SEEDS:,} are allowed"),
        (["--seeds", "0-600,601-1200"], "name 1,201 seeds"),
        (["--steps", "100000000000000"], "--steps must be at most 10,000,000, got 100,000,000,000,000"),
        (["--batch-size", "100000000000"], "--batch-size must be at most 65,536, got 100,000,000,000"),
    ],
)
def test_huge_ranges_are_refused_before_any_folder(tmp_path, capsys, args, needle):
    results = tmp_path / "r"
    code, _, err = run_cli(capsys, "run", "--plugins", "dcgan", "--dataset", "ring8", *args, "--results-dir",
                           str(results))  # fmt: skip
    assert_user_error(code, err, needle)
    assert not results.exists()


def test_huge_seed_range_in_a_suite_file(tmp_path, capsys):
    (tmp_path / "s.toml").write_text('variants = ["dcgan"]\nseeds = "0-100000000"\n')
    code, _, err = run_cli(capsys, "run", "--config", str(tmp_path / "s.toml"), "--results-dir", str(tmp_path / "r"))
    assert_user_error(code, err, "name 100,000,001 seeds")


# -- 6 and 7: timeouts and exit codes --------------------------------------------------------------------------------
FAULTS = '''
import torch
from ganbench.plugin import Generator, Recipe, Variant, hookimpl


class Faulty(Generator):
    """The built-in MLP generator, broken in one way while training (never while being probed in eval mode)."""

    def __init__(self, inner, fault):
        super().__init__()
        self.inner, self.fault = inner, fault
        self.noise_dim, self.latent_dim = inner.noise_dim, inner.latent_dim

    def forward(self, z):
        x = self.inner(z)
        if self.fault == "wide":
            return torch.cat([x, x], dim=1)
        if self.training and self.fault == "raise":
            raise RuntimeError("boom")
        if self.training and self.fault == "nan":
            return x * float("nan")
        return x


def factory(fault):
    return lambda ctx, **options: Faulty(ctx.build_generator("mlp", **options), fault)


@hookimpl
def ganbench_register(registrar):
    for fault in ("wide", "raise", "nan"):
        registrar.add_generator(f"faulty-{fault}", factory(fault), description=fault, data_kinds=("points",))
        registrar.add_variant(Variant(name=f"faulty-{fault}", description=fault,
                                      recipes={"points": Recipe(f"faulty-{fault}", "mlp", "nonsaturating")}))
'''


@pytest.fixture
def faults(tmp_path, monkeypatch):
    """A plugin distribution whose variants fail (``faulty-raise``), diverge (``faulty-nan``) or break the
    generator's shape contract (``faulty-wide``), installed on sys.path for this test."""
    site = make_distribution(tmp_path / "site", "gb-faults", "gb_faults", FAULTS)
    monkeypatch.syspath_prepend(str(site))


def test_any_cell_not_ok_makes_run_exit_1(tmp_path, capsys, faults):
    code, _, err = run_cli(capsys, "run", "--plugins", "dcgan,faulty-raise,faulty-nan", *TINY, "--results-dir",
                           str(tmp_path), "--out", "r")  # fmt: skip
    table = pd.read_csv(tmp_path / "r" / "results.csv")
    assert dict(zip(table["variant"], table["status"], strict=True)) == {
        "dcgan": "ok", "faulty-raise": "failed", "faulty-nan": "diverged"
    }  # fmt: skip
    assert code == exitcodes.CELLS_NOT_OK, err


def test_all_cells_ok_exits_0(tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", "--plugins", "dcgan", *TINY, "--results-dir", str(tmp_path))
    assert code == exitcodes.OK, err


def test_generator_breaking_its_shape_is_a_contract_error(tmp_path, capsys, faults):
    code, _, err = run_cli(capsys, "run", "--plugins", "faulty-wide", *TINY, "--results-dir", str(tmp_path / "r"))
    assert_user_error(
        code, err, "generator 'faulty-wide' (plugin", "gb-faults", "breaks its contract",
        "shape (2, 4)", "dataset 'ring8' needs (2, 2)",
    )  # fmt: skip
    assert not (tmp_path / "r").exists()


def test_cell_timeout_records_timeout_and_the_run_goes_on(tmp_path, capsys):
    args = ["--plugins", "dcgan", "--dataset", "ring8", "--seeds", "0,1", "--steps", "1000000", "--no-eval", "-q"]
    started = time.monotonic()
    code, _, err = run_cli(capsys, "run", *args, "--cell-timeout", "1", "--results-dir", str(tmp_path), "--out", "t")
    assert time.monotonic() - started < 120  # two cells of a million steps each would take hours
    assert code == exitcodes.CELLS_NOT_OK, err
    rows = pd.read_csv(tmp_path / "t" / "results.csv")
    assert list(rows["status"]) == ["timeout", "timeout"]  # the second cell ran after the first timed out
    assert set(rows["error"]) == {"stopped after --cell-timeout 1 s"}
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None) and signal.getitimer(signal.ITIMER_REAL)[0] == 0


def test_cell_timeout_from_a_suite_and_a_cell_within_it(tmp_path, capsys):
    (tmp_path / "s.toml").write_text('variants = ["dcgan"]\nsteps = 4\nbatch_size = 16\ncell_timeout = 600\n')
    code, _, err = run_cli(capsys, "run", "--config", str(tmp_path / "s.toml"), "--no-eval", "--results-dir",
                           str(tmp_path), "--out", "t")  # fmt: skip
    assert code == exitcodes.OK, err
    assert list(pd.read_csv(tmp_path / "t" / "results.csv")["status"]) == ["ok"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--cell-timeout", "0"], "--cell-timeout must be a positive number of seconds, got 0.0"),
        (["--cell-timeout", "nan"], "--cell-timeout must be a positive number of seconds"),
        (["--cell-timeout", "5", "--vectorize-seeds"], "--cell-timeout cannot stop one seed of --vectorize-seeds"),
        (["--cell-timeout", "5", "--nproc", "2"], "--cell-timeout is not supported with --nproc"),
    ],
)
def test_cell_timeout_values(tmp_path, capsys, args, needle):
    code, _, err = run_cli(capsys, "run", "--plugins", "dcgan", *TINY, *args, "--results-dir", str(tmp_path / "r"))
    assert_user_error(code, err, needle)
    assert not (tmp_path / "r").exists()


def _default_signals() -> None:
    """A background job of a non-interactive shell may inherit signals ignored; the child must see them."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.mark.slow
def test_sigterm_records_running_cells_interrupted_and_exits_143(tmp_path):
    """A real process: the scheduler's SIGTERM stops the run like Ctrl-C, with one line and exit status 143."""
    args = ["--plugins", "dcgan", "--dataset", "ring8", "--seeds", "0,1", "--steps", "200", "--batch-size", "32"]
    proc = subprocess.Popen(
        [*GANBENCH, "run", *args, "--no-eval", "-q", "--results-dir", str(tmp_path), "--out", "t"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_signals,
    )  # fmt: skip
    second = tmp_path / "t" / "dcgan-ring8-s1" / "config.json"
    deadline = time.monotonic() + 300
    while not second.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the second cell never started"
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == exitcodes.SIGTERM == 143, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines() == [
        "ganbench: terminated (SIGTERM); cells that were running are recorded as interrupted"
    ]
    table = pd.read_csv(tmp_path / "t" / "results.csv")
    assert dict(zip(table["seed"], table["status"], strict=True)) == {0: "ok", 1: "interrupted"}
    assert table.loc[table["seed"] == 1, "error"].item() == "terminated (SIGTERM)"


def test_entry_point_exit_status_of_a_user_error(tmp_path):
    """The real process status, not only what main() passes to sys.exit."""
    proc = subprocess.run([*GANBENCH, "run", "--plugins", "nope", "--results-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == exitcodes.USER_ERROR, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
