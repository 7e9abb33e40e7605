"""evaluate_samples end to end on the embedded datasets: 2D mixtures, digits, stacked digits."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from ganbench.builtins.toydata.digits import make_digits, make_stacked_digits
from ganbench.builtins.toydata.mixtures import RING8, make_mixture, sample_mixture
from ganbench.data.base import DatasetOptions
from ganbench.errors import IncompatibleError
from ganbench.metrics import inception
from ganbench.metrics.evaluate import evaluate_samples
from ganbench.metrics.inception import InceptionWeightsMissingError
from ganbench.metrics.suite import METRIC_COLUMNS

LAYOUT_METRIC_COLUMNS = {
    "fid", "fid_extractor", "fid_layer", "fid_n_fake", "fid_n_real", "fid_split", "fid_note", "real_stats_key",
    "fid_weights", "fid_weights_sha256",
    "kid_mean", "kid_std", "kid_subset_size", "kid_subsets", "precision", "recall", "density", "coverage",
    "prdc_k_pr", "prdc_k_dc", "modes", "modes_total", "hq_fraction", "kl_modes", "ndb", "ndb_k", "ndb_js", "eval_s",
}  # fmt: skip  # (code_accuracy, gen_img_s, peak_mem_mb are filled by the runner)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("real-stats")


def _options(tmp: Path, seed: int = 0) -> DatasetOptions:
    return DatasetOptions(root=tmp, seed=seed)


def test_columns_are_the_layouts() -> None:
    assert set(METRIC_COLUMNS) == LAYOUT_METRIC_COLUMNS


def test_ring8_good_vs_collapsed(cache_dir: Path) -> None:
    ds = make_mixture(RING8)(_options(cache_dir))
    good, _ = sample_mixture(RING8, 500, torch.Generator().manual_seed(5))
    row = evaluate_samples(good, ds, device="cpu", n_real=1000, cache_dir=cache_dir)
    assert set(row) == LAYOUT_METRIC_COLUMNS - {"fid_weights", "fid_weights_sha256"}  # raw features: no weights
    assert (row["fid_extractor"], row["fid_layer"], row["fid_split"]) == ("raw", "coords", "test")
    assert (row["fid_n_fake"], row["fid_n_real"]) == (500, 1000) and row["fid_note"] is None
    assert row["real_stats_key"].startswith("ring8-test-rna-raw-coords-wnone-n1000-")
    assert row["modes"] == 8 and row["modes_total"] == 8 and row["hq_fraction"] > 0.95
    assert row["fid"] < 0.01 and row["precision"] > 0.9 and row["recall"] > 0.9 and row["ndb_k"] < 0.3
    # the protocol of KID and PRDC is in the row: subset size min(1000, N_fake, N_real), and k
    assert (row["kid_subset_size"], row["kid_subsets"], row["prdc_k_pr"], row["prdc_k_dc"]) == (500, 100, 3, 5)

    noise = torch.randn(500, 2, generator=torch.Generator().manual_seed(1))
    collapsed = torch.tensor(RING8.centres[0]) + RING8.std * noise
    bad = evaluate_samples(collapsed, ds, device="cpu", n_real=1000, cache_dir=cache_dir)
    assert bad["modes"] == 1 and bad["kl_modes"] == pytest.approx(math.log(8), rel=1e-6)
    assert bad["fid"] > 100 * row["fid"] and bad["recall"] < 0.2 and bad["kid_mean"] > 10 * abs(row["kid_mean"])
    assert bad["real_stats_key"] == row["real_stats_key"]


def test_identical_samples_have_defined_values(cache_dir: Path) -> None:
    """Degenerate output (docs/metrics.md): every metric defined, none NaN; no HQ sample -> kl_modes = log K."""
    ds = make_mixture(RING8)(_options(cache_dir))
    row = evaluate_samples(torch.zeros(500, 2), ds, device="cpu", n_real=1000, cache_dir=cache_dir)
    numbers = {k: v for k, v in row.items() if isinstance(v, float)}
    assert not [k for k, v in numbers.items() if math.isnan(v)]
    assert (row["modes"], row["hq_fraction"]) == (0, 0.0) and row["kl_modes"] == pytest.approx(math.log(8))
    from ganbench.metrics.cache import select_real

    real = ds.tensors("test")[0][select_real(ds, "test", 1000)].double()
    closed_form = float(real.mean(0).pow(2).sum() + torch.cov(real.T).trace())  # Σ_fake = 0
    assert row["fid"] == pytest.approx(closed_form, rel=1e-3)
    assert row["recall"] == 0.0 and row["precision"] == 0.0


def test_digits_real_vs_single_class(cache_dir: Path) -> None:
    ds = make_digits(_options(cache_dir))
    x, y = ds.tensors("train")
    real = evaluate_samples(x, ds, device="cpu", cache_dir=cache_dir)
    assert (real["fid_extractor"], real["fid_layer"], real["fid_split"]) == ("ganbench-digits", "penultimate", "test")
    assert real["fid_n_real"] == 360 and real["modes"] == 10 and real["kl_modes"] < 0.01
    zeros = x[y == 0]
    same_n = x[torch.randperm(len(y), generator=torch.Generator().manual_seed(0))[: len(zeros)]]
    real_same_n = evaluate_samples(same_n, ds, device="cpu", cache_dir=cache_dir)
    single = evaluate_samples(zeros, ds, device="cpu", cache_dir=cache_dir)
    print(f"digits FID: train {real['fid']:.2f}, train subset {real_same_n['fid']:.2f}, zeros {single['fid']:.2f}")
    assert real["fid"] < 5.0 and real_same_n["fid"] < 25.0
    assert single["fid"] > 10 * real_same_n["fid"]
    assert single["modes"] == 1 and single["coverage"] < 0.2 and real["coverage"] > 0.9


def test_stacked_digits_count_triples(cache_dir: Path) -> None:
    ds = make_stacked_digits(_options(cache_dir))
    x, _ = ds.tensors("train")
    row = evaluate_samples(x[:600], ds, device="cpu", n_real=600, cache_dir=cache_dir)
    assert row["modes_total"] == 1000 and row["modes"] > 400  # 600 draws of 1000 uniform triples: ~451 expected
    one = evaluate_samples(x[:1].expand(300, -1, -1, -1), ds, device="cpu", n_real=600, cache_dir=cache_dir)
    assert one["modes"] == 1 and one["fid"] > 10 * row["fid"]


def test_missing_inception_keeps_other_metrics_unless_strict(cache_dir, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.delenv(inception.ENV_WEIGHTS, raising=False)
    monkeypatch.setattr(inception, "_download", lambda url, dest: (_ for _ in ()).throw(OSError("offline")))
    ds = make_digits(_options(cache_dir))
    x, _ = ds.tensors("train")
    row = evaluate_samples(x[:200], ds, device="cpu", cache_dir=cache_dir, extractor="inception-v3-compat")
    assert math.isnan(row["fid"]) and math.isnan(row["kid_mean"]) and math.isnan(row["precision"])
    assert row["fid_extractor"] == "inception-v3-compat" and inception.INCEPTION_FILENAME in row["fid_note"]
    assert row["modes"] == 10  # the digit classifier still labels the samples
    with pytest.raises(InceptionWeightsMissingError):
        evaluate_samples(x[:200], ds, device="cpu", cache_dir=cache_dir, extractor="inception-v3-compat", strict=True)


def test_wrong_sample_shape_is_a_user_error(cache_dir: Path) -> None:
    ds = make_mixture(RING8)(_options(cache_dir))
    with pytest.raises(IncompatibleError, match=r"\(N, 2\)"):
        evaluate_samples(torch.zeros(10, 3), ds, device="cpu", cache_dir=cache_dir)
