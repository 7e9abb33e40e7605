"""KID: ganbench's torch implementation against torch-fidelity's ``kid_features_to_metric`` on the same features.

Against torch-fidelity run in float64 (features upcast, so both sides compute
the same estimator on the same subsets in float64) the tolerance is 1e-9
relative, a thousand times tighter than the 1e-6 asked for: the two differ
only in summation order. Against torch-fidelity on the float32 features (what
the suite used to call) the difference is torch-fidelity's own float32
round-off; :func:`_float32_error_bound` bounds it (derivation in its docstring).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch_fidelity.metric_kid import KEY_METRIC_KID_MEAN, KEY_METRIC_KID_STD, kid_features_to_metric

from ganbench.metrics import evaluate
from ganbench.metrics import kid as kid_mod
from ganbench.metrics.cache import RealStatsCache, real_stats
from ganbench.metrics.features import get_extractor
from ganbench.metrics.fid import kid_from_features
from ganbench.metrics.kid import KidParams, effective_subset_size, kernel_sums, kid, kid_cache_key, subset_indices
from tests.metrics.test_cache import _points, _raw

RTOL_F64 = 1e-9


def _features(n: int, d: int, seed: int, shift: float = 0.0, low: float = -1.0) -> torch.Tensor:
    """Mixed-sign features (the hard case for the cube: bases of both signs) as float32."""
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, d, generator=g, dtype=torch.float64) * 3 + low + shift).float()


def _torch_fidelity(f1: torch.Tensor, f2: torch.Tensor, params: KidParams) -> tuple[float, float]:
    size = effective_subset_size(params, len(f1), len(f2))
    out = kid_features_to_metric(
        f1,
        f2,
        kid_subsets=params.subsets,
        kid_subset_size=size,
        rng_seed=params.seed,
        kid_kernel="poly",
        kid_kernel_poly_degree=params.degree,
        kid_kernel_poly_gamma=params.gamma,
        kid_kernel_poly_coef0=params.coef0,
        verbose=False,
    )
    return out[KEY_METRIC_KID_MEAN], out[KEY_METRIC_KID_STD]


CASES = [
    # (n1, n2, d, params): kernel blocks; the feature-map route (d = 2); small N where the subset size shrinks.
    pytest.param(700, 800, 48, KidParams(subsets=3, subset_size=500), id="blocks-d48"),
    pytest.param(1500, 1800, 2, KidParams(subsets=8, subset_size=800), id="feature-map-d2"),
    pytest.param(300, 500, 6, KidParams(subsets=10), id="small-n-subset-300"),
    pytest.param(400, 320, 16, KidParams(subsets=3), id="small-n-blocks-subset-320"),
    pytest.param(400, 350, 16, KidParams(subsets=5, degree=2, gamma=0.3, coef0=0.5), id="degree2-gamma-coef0"),
    pytest.param(200, 260, 3, KidParams(subsets=6, subset_size=150, degree=4, coef0=-0.5), id="degree4-negative-c"),
]


@pytest.mark.parametrize(("n1", "n2", "d", "params"), CASES)
def test_equals_torch_fidelity_in_float64(n1: int, n2: int, d: int, params: KidParams) -> None:
    f1, f2 = _features(n1, d, 1), _features(n2, d, 2, shift=0.2)
    want_mean, want_std = _torch_fidelity(f1.double(), f2.double(), params)
    got = kid(f1.double(), f2.double(), params)  # float64 features: float64 throughout
    assert got["kid_mean"] == pytest.approx(want_mean, rel=RTOL_F64)
    assert got["kid_std"] == pytest.approx(want_std, rel=RTOL_F64)
    assert got["kid_subset_size"] == min(params.subset_size, n1, n2)
    assert got["kid_subsets"] == params.subsets


def test_same_distribution_near_zero_equals_torch_fidelity() -> None:
    # KID ~ 0: relative agreement is meaningless there, so compare against the kernel scale (~ (1 + E x·y / d)^3).
    f1, f2 = _features(900, 8, 3), _features(900, 8, 4)
    params = KidParams(subsets=5, subset_size=400)
    want_mean, _ = _torch_fidelity(f1.double(), f2.double(), params)
    got = kid(f1.double(), f2.double(), params)["kid_mean"]
    assert abs(got) < 1e-2
    assert got == pytest.approx(want_mean, abs=1e-12)


@pytest.mark.parametrize(("n1", "n2", "d", "params"), CASES[:3])
def test_within_float32_bound_of_torch_fidelity_on_float32_features(n1: int, n2: int, d: int, params) -> None:
    f1, f2 = _features(n1, d, 1), _features(n2, d, 2, shift=0.2)
    tf32_mean, _ = _torch_fidelity(f1, f2, params)
    ours = kid(f1, f2, params)["kid_mean"]  # float32 features: float32 products, float64 powers and sums
    exact = kid(f1.double(), f2.double(), params)["kid_mean"]
    tf_bound, our_bound = _float32_error_bound(f1, f2, params), _float32_products_bound(f1, f2, params)
    assert abs(ours - exact) <= our_bound  # our float32 products against float64 throughout
    assert abs(ours - tf32_mean) <= tf_bound + our_bound  # both sides' round-off, each bounded
    # worst-case first-order bounds (~1e-3 relative here; the measured errors are ~1e-7 on both sides)
    assert tf_bound + our_bound < 2e-3 * abs(ours)  # tight enough to mean something


def _magnitude_estimator(f1: torch.Tensor, f2: torch.Tensor, params: KidParams) -> torch.Tensor:
    """Per subset, the MMD² estimator on |x|, |y|, |γ|, |c| with weights 1, 1, +2: what every error bound scales."""
    n1, n2, d = f1.shape[0], f2.shape[0], f1.shape[1]
    size = effective_subset_size(params, n1, n2)
    abs_params = KidParams(
        params.subsets, params.subset_size, params.seed, params.degree, abs(params.resolved_gamma(d)), abs(params.coef0)
    )
    i1, i2 = (torch.from_numpy(i) for i in subset_indices(n1, n2, params.subsets, size, params.seed))
    s11, s22, s12 = kernel_sums(f1.double().abs(), f2.double().abs(), i1, i2, abs_params)
    return (s11 + s22) / (size * (size - 1)) + 2.0 * s12 / (size * size)


def _float32_products_bound(f1: torch.Tensor, f2: torch.Tensor, params: KidParams) -> float:
    """First-order bound on |ganbench on float32 features − exact| for the KID mean.

    Only the fused product ``c + γ x·y`` is float32 (d roundings in the dot product, 2 for the scaling and
    the shift): the kernel argument is off by ≤ (d + 2)·u·(γ|x|·|y| + |c|), and the float64 power
    multiplies a relative error by p. Powers and sums in float64 add terms of order 2⁻⁵³, far below.
    The feature-map route (low d) is float64 throughout, so this bound is generous there.
    """
    d = f1.shape[1]
    return float(params.degree * (d + 2) * 2.0**-24 * _magnitude_estimator(f1, f2, params).max())


def _float32_error_bound(f1: torch.Tensor, f2: torch.Tensor, params: KidParams) -> float:
    """First-order bound on |torch-fidelity in float32 − exact| for the KID mean.

    In float32 (unit round-off u = 2⁻²⁴) torch-fidelity forms x·y with a matrix
    product (error ≤ d·u·Σ|x_k||y_k|), scales and adds c (2 more roundings) and
    cubes (2 more): the kernel value's error is ≤ (p·(d + 2) + 2)·u·(γ|x|·|y| + |c|)^p
    to first order (the derivative of t^p is p·t^(p-1), and |γ x·y + c| ≤ γ|x|·|y| + |c|).
    Each sum of m² values then adds ≤ log2(m²)·u of the sum of magnitudes (NumPy's
    pairwise summation). So every subset's MMD² is off by at most that factor
    times the same estimator on the magnitudes (the three sums with weights 1, 1, +2),
    which ganbench's code computes exactly when given |x|, |y|, |γ| and |c|. The mean's
    error is at most the largest subset's.
    """
    d = f1.shape[1]
    size = effective_subset_size(params, f1.shape[0], f2.shape[0])
    factor = (params.degree * (d + 2) + 2 + math.log2(size * size)) * 2.0**-24
    return float(factor * _magnitude_estimator(f1, f2, params).max())


def test_kernel_blocks_and_feature_map_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    f1, f2 = _features(400, 3, 5).double(), _features(450, 3, 6, shift=0.1).double()
    params = KidParams(subsets=4, subset_size=300)
    fm = kid(f1, f2, params)
    monkeypatch.setattr(kid_mod, "FEATURE_MAP_MAX_DIM", 0)
    blocks = kid(f1, f2, params)
    assert blocks["kid_mean"] == pytest.approx(fm["kid_mean"], rel=1e-11)
    torch.testing.assert_close(blocks["sums22"], fm["sums22"], rtol=1e-12, atol=0)


def test_cached_real_sums_give_the_same_value() -> None:
    f1, f2 = _features(600, 10, 7), _features(700, 10, 8, shift=0.3)
    params = KidParams(subsets=6, subset_size=300)
    first = kid(f1, f2, params)
    again = kid(f1, f2, params, sums22=first["sums22"])
    assert again["kid_mean"] == first["kid_mean"] and again["kid_std"] == first["kid_std"]
    with pytest.raises(ValueError, match="expected \\(6,\\)"):
        kid(f1, f2, params, sums22=torch.zeros(5))


def test_cache_key_names_every_parameter() -> None:
    base = KidParams()
    variants = [
        KidParams(subsets=50),
        KidParams(subset_size=500),
        KidParams(seed=1),
        KidParams(degree=2),
        KidParams(gamma=0.5),
        KidParams(coef0=0.0),
    ]
    keys = {kid_cache_key(p, 10_000, 10_000, 192) for p in [base, *variants]}
    keys |= {kid_cache_key(base, 9_999, 10_000, 192), kid_cache_key(base, 10_000, 10_000, 64)}
    keys.add(kid_cache_key(base, 10_000, 10_000, 192, torch.float64))  # float64 products: other sums
    assert len(keys) == len(variants) + 4
    assert kid_cache_key(KidParams(gamma=1 / 192), 10_000, 10_000, 192) == kid_cache_key(base, 10_000, 10_000, 192)


def test_subset_draws_depend_on_both_sizes() -> None:
    # Why the key holds n1: the real subsets drawn after a generated subset of another size differ.
    _, real_a = subset_indices(1000, 2000, 3, 100, 2020)
    _, real_b = subset_indices(1100, 2000, 3, 100, 2020)
    assert not np.array_equal(real_a, real_b)


def test_kid_from_features_reports_protocol_and_handles_tiny_sets() -> None:
    f1, f2 = _features(300, 4, 9), _features(250, 4, 10)
    out = kid_from_features(f1, f2, subsets=3)
    assert set(out) == {"kid_mean", "kid_std", "kid_subset_size", "kid_subsets"}
    assert out["kid_subset_size"] == 250 and out["kid_subsets"] == 3
    tiny = kid_from_features(f1[:1], f2)
    assert math.isnan(tiny["kid_mean"]) and tiny["kid_subset_size"] == 1
    with pytest.raises(ValueError, match="same d"):
        kid(f1, f2[:, :3])
    with pytest.raises(ValueError, match="subsets must be a positive integer"):
        KidParams(subsets=0)


def test_suite_caches_real_sums_and_skips_them_on_the_second_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed: list[bool] = []
    original = kid_mod.kernel_sums

    def counting(x, y, idx1, idx2, params, sums22=None):  # type: ignore[no-untyped-def]
        computed.append(sums22 is None)
        return original(x, y, idx1, idx2, params, sums22)

    monkeypatch.setattr(kid_mod, "kernel_sums", counting)
    ds = _points()
    fake = torch.randn(300, 2) * 2
    a = evaluate.evaluate_samples(fake, ds, device="cpu", n_real=400, cache_dir=tmp_path)
    b = evaluate.evaluate_samples(fake, ds, device="cpu", n_real=400, cache_dir=tmp_path)
    assert computed == [True, False]  # real-real sums on the first evaluation only
    assert a["kid_mean"] == b["kid_mean"] and a["kid_std"] == b["kid_std"]
    real = real_stats(ds, _raw(), split="test", n_real=400, cache_dir=tmp_path)
    key = kid_cache_key(KidParams(), 300, 400, 2)
    assert list(real.kid_sums) == [key]
    assert RealStatsCache(tmp_path).load(real.key).kid_sums[key].dtype == torch.float64  # written to the file
    want, _ = _torch_fidelity(get_extractor("raw")(fake).double(), real.features.double(), KidParams())
    assert a["kid_mean"] == pytest.approx(want, rel=RTOL_F64)
    # Another generated count draws other subsets: a second entry, the first kept.
    evaluate.evaluate_samples(fake[:250], ds, device="cpu", n_real=400, cache_dir=tmp_path)
    assert computed[-1] is True
    assert len(RealStatsCache(tmp_path).load(real.key).kid_sums) == 2
