"""Real-statistics cache: reuse across evaluations, keys, atomic writes, corrupt files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ganbench.data.base import DataSpec, TensorGanDataset
from ganbench.metrics import cache as cache_mod
from ganbench.metrics import evaluate, suite
from ganbench.metrics.cache import RealStatsCache, default_cache_dir, real_stats, select_real
from ganbench.metrics.features import get_extractor
from ganbench.metrics.fid import feature_statistics
from ganbench.metrics.prdc import prdc


def _points(seed: int = 0, n: int = 600, name: str = "blob") -> TensorGanDataset:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)
    spec = DataSpec(name=name, kind="points", shape=(2,), fid_extractor="raw", fid_split="test")
    return TensorGanDataset(spec, {"train": (x, torch.full((n,), -1)), "test": (x * 2, torch.full((n,), -1))})


def _raw(batch_size: int = 100):
    fx = get_extractor("raw")
    fx.batch_size = batch_size
    return fx


def test_second_evaluation_reuses_cached_features(tmp_path: Path) -> None:
    ds = _points()
    fx1 = _raw()
    first = real_stats(ds, fx1, split="test", n_real=500, cache_dir=tmp_path)
    assert fx1.calls == 5  # 500 samples in batches of 100
    fx2 = _raw()
    second = real_stats(ds, fx2, split="test", n_real=500, cache_dir=tmp_path)
    assert fx2.calls == 0
    assert second.key == first.key and torch.equal(second.features, first.features)
    np.testing.assert_array_equal(second.stats["sigma"], first.stats["sigma"])
    # torch-fidelity's statistics of the cached features
    np.testing.assert_allclose(second.stats["mu"], feature_statistics(first.features)["mu"])
    assert [p.name for p in tmp_path.iterdir()] == [f"{first.key}.pt"]  # no temp files left behind


def test_suite_reuses_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = cache_mod._extract_real
    monkeypatch.setattr(cache_mod, "_extract_real", lambda *a, **k: calls.append(1) or original(*a, **k))
    ds, fake = _points(), torch.randn(300, 2) * 2
    a = evaluate.evaluate_samples(fake, ds, device="cpu", n_real=400, cache_dir=tmp_path)
    b = evaluate.evaluate_samples(fake, ds, device="cpu", n_real=400, cache_dir=tmp_path)
    assert len(calls) == 1
    assert a["real_stats_key"] == b["real_stats_key"] and a["fid"] == b["fid"] and a["ndb"] == b["ndb"]


def test_key_changes_with_protocol_and_data(tmp_path: Path) -> None:
    base = real_stats(_points(), _raw(), split="test", n_real=500, cache_dir=tmp_path).key
    assert "blob-test-rna-raw-coords-wnone-n500-d" in str(base)
    fewer = real_stats(_points(), _raw(), split="test", n_real=400, cache_dir=tmp_path).key
    other_split = real_stats(_points(), _raw(), split="train", n_real=500, cache_dir=tmp_path).key
    other_seed = real_stats(_points(seed=1), _raw(), split="test", n_real=500, cache_dir=tmp_path).key
    assert len({str(base), str(fewer), str(other_split), str(other_seed)}) == 4
    assert other_seed.dataset == base.dataset and other_seed.data_hash != base.data_hash


def test_subset_is_seeded_and_all_when_n_exceeds_split() -> None:
    ds = _points(n=100)
    assert torch.equal(select_real(ds, "test", None), torch.arange(100))
    assert torch.equal(select_real(ds, "test", 1000), torch.arange(100))
    a, b = select_real(ds, "test", 30), select_real(ds, "test", 30)
    assert torch.equal(a, b) and len(a.unique()) == 30 and not torch.equal(a, torch.arange(30))


def test_corrupt_cache_file_is_recomputed(tmp_path: Path) -> None:
    ds = _points()
    key = real_stats(ds, _raw(), split="test", n_real=500, cache_dir=tmp_path).key
    path = RealStatsCache(tmp_path).path(key)
    path.write_bytes(b"torn write")
    fx = _raw()
    again = real_stats(ds, fx, split="test", n_real=500, cache_dir=tmp_path)
    assert fx.calls == 5 and again.features.shape == (500, 2)
    assert RealStatsCache(tmp_path).load(key) is not None  # rewritten


def test_ndb_state_round_trips_through_weights_only_load(tmp_path: Path) -> None:
    ds = _points()
    real = real_stats(ds, _raw(), split="test", n_real=500, cache_dir=tmp_path, ndb_fit=suite.ndb_fit)
    loaded = RealStatsCache(tmp_path).load(real.key)
    assert loaded is not None and loaded.ndb_state is not None
    assert torch.equal(loaded.ndb_state["centres"], real.ndb_state["centres"])


def test_default_cache_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GANBENCH_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "real-stats"
    monkeypatch.delenv("GANBENCH_CACHE")
    assert default_cache_dir() == Path.home() / ".cache" / "ganbench" / "real-stats"


def test_prdc_real_radii_are_cached_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = suite.real_knn_radii
    monkeypatch.setattr(suite, "real_knn_radii", lambda *a, **k: calls.append(1) or original(*a, **k))
    ds, fake = _points(), torch.randn(300, 2) * 2
    a = evaluate.evaluate_samples(fake, ds, device="cpu", n_real=400, cache_dir=tmp_path)
    b = evaluate.evaluate_samples(fake, ds, device="cpu", n_real=400, cache_dir=tmp_path)
    assert len(calls) == 1  # computed on the miss only
    real = real_stats(ds, _raw(), split="test", n_real=400, cache_dir=tmp_path)
    assert sorted(real.prdc_radii) == [3, 5] and real.prdc_radii[5].dtype == torch.float64
    torch.testing.assert_close(real.prdc_radii[3], original(real.features)[3], rtol=0, atol=0)
    uncached = prdc(real.features, get_extractor("raw")(fake))
    assert {m: a[m] for m in uncached} == uncached and {m: b[m] for m in uncached} == uncached


def test_file_without_prdc_radii_gets_them_added(tmp_path: Path) -> None:
    ds = _points()
    real = real_stats(ds, _raw(), split="test", n_real=500, cache_dir=tmp_path)  # no prdc_fit: none stored
    assert real.prdc_radii is None
    again = real_stats(ds, _raw(), split="test", n_real=500, cache_dir=tmp_path, prdc_fit=suite.prdc_fit)
    assert sorted(again.prdc_radii) == [3, 5]
    assert sorted(RealStatsCache(tmp_path).load(again.key).prdc_radii) == [3, 5]  # written back
