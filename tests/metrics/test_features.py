"""Feature extractors: Inception weight lookup (missing / local file), the shipped digit CNN, raw."""

from __future__ import annotations

import json
import math
from pathlib import Path
from unittest import mock

import pytest
import torch
import torch.nn.functional as F
import torch_fidelity.feature_extractor_inceptionv3 as tf_inception
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY
from torch_fidelity.utils import create_feature_extractor

from ganbench.data.base import DataSpec, TensorGanDataset
from ganbench.errors import UnknownNameError, UserError
from ganbench.metrics import digits_classifier as dc
from ganbench.metrics import inception
from ganbench.metrics.evaluate import evaluate_samples
from ganbench.metrics.features import get_extractor, weights_hash
from ganbench.metrics.inception import InceptionWeightsMissingError, resolve_inception_weights
from ganbench.registry import get_registry


@pytest.fixture
def no_inception(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty torch hub cache, no env override, and no network."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv(inception.ENV_WEIGHTS, raising=False)

    def offline(url: str, dest: Path) -> None:
        raise OSError("offline")

    monkeypatch.setattr(inception, "_download", offline)
    return tmp_path / "torch" / "hub" / "checkpoints" / inception.INCEPTION_FILENAME


def test_missing_inception_weights_is_one_line_user_error(no_inception: Path) -> None:
    assert inception.inception_cache_path() == no_inception
    for download in (True, False):
        with pytest.raises(InceptionWeightsMissingError) as info:
            resolve_inception_weights(download=download)
        msg = str(info.value)
        assert isinstance(info.value, UserError) and "\n" not in msg
        assert inception.INCEPTION_FILENAME in msg and str(no_inception) in msg and inception.INCEPTION_URL in msg
    with pytest.raises(InceptionWeightsMissingError, match="inception-v3-compat"):
        get_extractor("inception-v3-compat")


def test_explicit_inception_path_must_exist(no_inception: Path, tmp_path: Path) -> None:
    with pytest.raises(InceptionWeightsMissingError, match=r"nope\.pth"):
        resolve_inception_weights(tmp_path / "nope.pth")


def test_inception_weights_found_in_torch_hub_cache_and_env(no_inception: Path, monkeypatch, tmp_path: Path) -> None:
    no_inception.parent.mkdir(parents=True)
    no_inception.write_bytes(b"x")
    assert resolve_inception_weights(download=False) == no_inception
    other = tmp_path / "mine.pth"
    other.write_bytes(b"y")
    monkeypatch.setenv(inception.ENV_WEIGHTS, str(other))
    assert resolve_inception_weights() == other


@pytest.fixture(scope="module")
def random_inception_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """torch-fidelity's own InceptionV3 class, randomly initialised, saved the way it loads weights.

    Numbers computed with it are meaningless; the point is that the real
    loading and extraction code path runs. Convs get He init so activations
    neither vanish (denormals are very slow on CPU) nor explode.
    """
    path = tmp_path_factory.mktemp("inception") / "random-inception.pth"
    with (
        mock.patch.object(tf_inception, "load_state_dict_from_url", lambda *a, **k: {}),
        mock.patch.object(tf_inception.FeatureExtractorInceptionV3, "load_state_dict", lambda self, *a, **k: None),
    ):
        torch.manual_seed(0)
        model = tf_inception.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    torch.save(model.state_dict(), path)
    return path


def test_inception_from_local_file(random_inception_weights: Path, no_inception, monkeypatch) -> None:
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1  # grey: repeated to RGB
    for how in ("argument", "env"):
        if how == "env":
            monkeypatch.setenv(inception.ENV_WEIGHTS, str(random_inception_weights))
        explicit = random_inception_weights if how == "argument" else None
        fx = get_extractor("inception-v3-compat", inception_weights=explicit)
        assert (fx.name, fx.layer) == ("inception-v3-compat", "2048")
        assert fx.weights_hash == weights_hash(random_inception_weights)
    feats = fx(x)
    assert feats.shape == (2, 2048) and bool(feats.isfinite().all()) and float(feats.std()) > 0


@pytest.mark.slow  # a 2048-D eigendecomposition (torch-fidelity's FID) takes tens of seconds on a busy 2-core CPU
def test_inception_from_local_file_through_the_suite(random_inception_weights: Path, no_inception, tmp_path) -> None:
    g = torch.Generator().manual_seed(0)
    spec = DataSpec(name="tiny-rgb", kind="image", shape=(3, 8, 8))  # default extractor: inception-v3-compat
    real = torch.rand(4, 3, 8, 8, generator=g) * 2 - 1
    dataset = TensorGanDataset(spec, {"train": (real, torch.full((4,), -1))})
    fake = torch.rand(2, 3, 8, 8, generator=g) * 2 - 1
    row = evaluate_samples(fake, dataset, device="cpu", cache_dir=tmp_path, inception_weights=random_inception_weights)
    assert row["fid_extractor"] == "inception-v3-compat" and row["fid_layer"] == "2048"
    assert row["fid_n_fake"] == 2 and row["fid_n_real"] == 4 and row["fid_split"] == "train"
    assert math.isfinite(row["fid"]) and row["fid"] >= 0
    assert "singular" in row["fid_note"]  # 2 samples in 2048-D: the row says so
    assert weights_hash(random_inception_weights)[:8] in row["real_stats_key"]


def test_unknown_extractor_lists_choices() -> None:
    with pytest.raises(UnknownNameError, match=r"ganbench-digits.*inception-v3-compat.*raw"):
        get_extractor("vgg99")


def test_raw_extractor_is_identity_in_batches() -> None:
    fx = get_extractor("raw", batch_size=8)
    fx.batch_size = 7
    x = torch.randn(20, 2)
    assert torch.equal(fx(x), x) and fx.calls == 3 and fx.layer == "coords"


def test_shipped_weights_small_plain_and_match_json() -> None:
    info = dc.weights_info()
    assert dc.WEIGHTS_PATH.stat().st_size < 1_000_000
    assert dc.file_sha256(dc.WEIGHTS_PATH) == info["sha256"]
    state = torch.load(dc.WEIGHTS_PATH, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    assert json.loads(dc.INFO_PATH.read_text())["held_out_accuracy"] >= 0.95


def test_held_out_accuracy_matches_record_at_every_resolution() -> None:
    x, y = dc.sklearn_digits_split()["held_out"]
    clf = dc.load_digit_classifier("cpu")
    acc = float((clf.classify(x) == y).float().mean())
    assert acc == pytest.approx(dc.weights_info()["held_out_accuracy"], abs=1e-4)
    for side in (16, 28, 32):  # the datasets resize bilinearly; the classifier resizes back
        up = F.interpolate((x + 1) / 2, size=(side, side), mode="bilinear", align_corners=False).clamp(0, 1) * 2 - 1
        assert float((clf.classify(up) == y).float().mean()) > 0.97


def test_stacked_digits_are_labelled_per_channel() -> None:
    x, _ = dc.sklearn_digits_split()["train"]
    picks = torch.tensor([[0, 1, 2], [5, 6, 7], [10, 11, 12]])
    stacked = x[picks, 0]  # (3, 3, 8, 8): three digits per image
    labels = dc.classify(stacked)
    assert labels.shape == (3, 3) and torch.equal(labels, dc.classify(x[picks.flatten()]).reshape(3, 3))
    feats = get_extractor("ganbench-digits")(stacked)
    assert feats.shape == (3, 3 * dc.FEATURE_DIM)


def test_digits_extractor_is_registered_in_torch_fidelity() -> None:
    get_registry()  # the built-in metrics plugin registers it into torch-fidelity when the plugins load
    assert FEATURE_EXTRACTORS_REGISTRY["ganbench-digits"] is dc.FeatureExtractorGanbenchDigits
    model = create_feature_extractor("ganbench-digits", ["penultimate", "logits"], cuda=False, verbose=False)
    x, y = dc.sklearn_digits_split()["held_out"]
    as_uint8 = ((x[:50] + 1) * 127.5).round().to(torch.uint8)  # torch-fidelity's input convention
    feats, logits = model(as_uint8)
    assert feats.shape == (50, dc.FEATURE_DIM) and logits.shape == (50, 10)
    assert float((logits.argmax(1) == y[:50]).float().mean()) > 0.9


def test_digit_cnn_fast_layout_matches_the_plain_network_exactly() -> None:
    """Pool-then-ReLU in channels-last equals ReLU-then-pool in NCHW bit for bit (ReLU is monotonic)."""
    net = dc.load_digit_classifier("cpu").net
    x = dc.to_classifier_input(torch.rand(64, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1)
    with torch.no_grad():
        h = F.max_pool2d(F.relu(net.conv1(x)), 2)
        h = F.max_pool2d(F.relu(net.conv2(h)), 2)
        plain = F.relu(net.fc1(h.flatten(1)))
        assert torch.equal(net.features(x), plain)


def test_one_pass_gives_the_extractor_features_and_the_labels() -> None:
    x = torch.rand(300, 3, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1
    clf = dc.load_digit_classifier("cpu")
    feats, labels = clf.features_and_labels(x, batch_size=128)
    assert not feats.is_inference() and feats.shape == (300, 3 * dc.FEATURE_DIM)
    torch.testing.assert_close(feats, get_extractor("ganbench-digits")(x), rtol=1e-5, atol=1e-5)
    assert torch.equal(labels, clf.classify(x))
