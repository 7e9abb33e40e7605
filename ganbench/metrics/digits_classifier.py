"""The shipped digit classifier: FID features for digit datasets and labels for mode counting.

InceptionV3 weights cannot be downloaded everywhere, and Inception features of
tiny grey digits say little anyway. ganbench therefore ships a small CNN
trained on scikit-learn's bundled 8×8 digits (``scripts/train_digit_classifier.py``
reproduces ``weights/digits_cnn.pt``). It is used two ways:

* as the ``ganbench-digits`` feature extractor (penultimate layer; the built-in
  ``metrics`` plugin registers :class:`FeatureExtractorGanbenchDigits` into
  torch-fidelity like any of its own extractors);
* as the labeller for mode counting (``classify``), one label per channel so
  stacked digits get a triple.

Inputs follow the dataset conventions (float ``(N, C, H, W)`` in ``[-1, 1]``),
any resolution: each channel is resized to :data:`INPUT_SIZE` first, so the
same weights serve 8×8, 16×16, 28×28 or 32×32 digits.
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.helpers import vassert

from ganbench.metrics.names import DIGITS_EXTRACTOR

EXTRACTOR_NAME = DIGITS_EXTRACTOR
INPUT_SIZE = 16
"""Side the classifier works at; every input channel is resized to it."""
FEATURE_DIM = 64
"""Width of the penultimate layer (the FID features, per channel)."""
NUM_CLASSES = 10
WEIGHTS_PATH = Path(__file__).parent / "weights" / "digits_cnn.pt"
INFO_PATH = Path(__file__).parent / "weights" / "digits_cnn.json"
SPLIT_SEED = 0
HELD_OUT_FRACTION = 0.2


class DigitCNN(nn.Module):
    """Two conv blocks and two linear layers: ~38k parameters, ~150 kB of weights."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * (INPUT_SIZE // 4) ** 2, FEATURE_DIM)
        self.fc2 = nn.Linear(FEATURE_DIM, NUM_CLASSES)
        self.dropout = nn.Dropout(0.3)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations of ``(N, 1, INPUT_SIZE, INPUT_SIZE)`` inputs in [-1, 1].

        Pooling comes before the ReLU: ``max(relu(a)) == relu(max(a))`` exactly (ReLU is
        monotonic), and the ReLU then touches a quarter of the values. Channels-last
        activations are what oneDNN's convolution and pooling kernels prefer on CPU;
        the values are identical either way (``flatten`` reads them in NCHW order).
        """
        x = x.contiguous(memory_format=torch.channels_last)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        return F.relu(self.fc1(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.dropout(self.features(x)))


def to_classifier_input(images: torch.Tensor) -> torch.Tensor:
    """``(N, C, H, W)`` digits -> ``(N*C, 1, INPUT_SIZE, INPUT_SIZE)`` float in [-1, 1].

    uint8 input (torch-fidelity's convention, 0..255) is rescaled; each channel
    becomes its own digit. Downsampling is antialiased so a 32×32 digit looks
    like the 16×16 ones the network was trained on.
    """
    if images.dim() == 3:
        images = images.unsqueeze(1)
    if images.dtype == torch.uint8:
        images = images.float() / 127.5 - 1.0
    n, c, h, w = images.shape
    x = images.float().reshape(n * c, 1, h, w)
    if (h, w) != (INPUT_SIZE, INPUT_SIZE):
        size = (INPUT_SIZE, INPUT_SIZE)
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=h > INPUT_SIZE)
    return x.clamp(-1.0, 1.0)


def load_sklearn_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 1,797 bundled 8×8 digits as ``(N, 1, 8, 8)`` floats in [-1, 1] and labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.from_numpy(bunch.images.astype(np.float32) / 8.0 - 1.0).unsqueeze(1)  # pixel values are 0..16
    return x, torch.from_numpy(bunch.target.astype(np.int64))


def sklearn_digits_split() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """The fixed train/held-out split the shipped classifier was trained and scored on.

    Stratified, seeded (``SPLIT_SEED``), ``HELD_OUT_FRACTION`` held out; both the
    training script and the tests use this one function so they cannot drift.
    """
    from sklearn.model_selection import train_test_split

    x, y = load_sklearn_digits()
    idx_train, idx_held = train_test_split(
        np.arange(len(y)), test_size=HELD_OUT_FRACTION, random_state=SPLIT_SEED, stratify=y.numpy()
    )
    idx_train, idx_held = torch.from_numpy(np.sort(idx_train)), torch.from_numpy(np.sort(idx_held))
    return {"train": (x[idx_train], y[idx_train]), "held_out": (x[idx_held], y[idx_held])}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def weights_info() -> dict[str, object]:
    """The json written next to the weights: held-out accuracy, sha256, training setup."""
    return json.loads(INFO_PATH.read_text())


class DigitClassifier:
    """The loaded CNN on one device, with batched ``features``/``logits``/``classify``."""

    def __init__(self, device: torch.device | str = "cpu", weights_path: Path = WEIGHTS_PATH) -> None:
        self.device = torch.device(device)
        self.net = DigitCNN()
        self.net.load_state_dict(torch.load(weights_path, map_location="cpu", weights_only=True))
        self.net.to(self.device).eval().requires_grad_(False)
        self.weights_sha256 = file_sha256(weights_path)

    def _run(self, images: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """One CNN pass giving both penultimate features ``(N, C*64)`` and logits ``(N, C, 10)``.

        The channels of a stacked image go through the network as one batch of
        ``N*C`` digits; inference mode skips autograd bookkeeping. The results
        are concatenated outside inference mode so callers get ordinary tensors.
        """
        n, c = images.shape[0], (images.shape[1] if images.dim() == 4 else 1)
        feats, logits = [], []
        with torch.inference_mode():
            for start in range(0, n, batch_size):
                x = to_classifier_input(images[start : start + batch_size].to(self.device))
                f = self.net.features(x)
                feats.append(f.reshape(-1, c * FEATURE_DIM).cpu())
                logits.append(self.net.fc2(f).reshape(-1, c, NUM_CLASSES).cpu())
        if not feats:
            return torch.empty(0, c * FEATURE_DIM), torch.empty(0, c, NUM_CLASSES)
        return torch.cat(feats), torch.cat(logits)

    def features(self, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        """Penultimate features ``(N, C*64)``: channels of a stacked image are concatenated."""
        return self._run(images, batch_size)[0]

    def logits(self, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        """Class logits ``(N, C, 10)``, one row per channel."""
        return self._run(images, batch_size)[1]

    def classify(self, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        """Digit labels: ``(N,)`` for one channel, ``(N, C)`` (one per channel) for stacked digits."""
        return _labels(self.logits(images, batch_size))

    def features_and_labels(self, images: torch.Tensor, batch_size: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`features` and :meth:`classify` from a single pass (the metric suite needs both)."""
        feats, logits = self._run(images, batch_size)
        return feats, _labels(logits)


def _labels(logits: torch.Tensor) -> torch.Tensor:
    labels = logits.argmax(-1)
    return labels[:, 0] if labels.shape[1] == 1 else labels


_lock = threading.Lock()


@lru_cache(maxsize=4)
def _cached(device: str) -> DigitClassifier:
    return DigitClassifier(device)


def load_digit_classifier(device: torch.device | str = "cpu") -> DigitClassifier:
    """The shipped classifier on ``device`` (loaded once per device per process)."""
    with _lock:
        return _cached(str(torch.device(device)))


def classify(images: torch.Tensor, device: torch.device | str = "cpu") -> torch.Tensor:
    """Label digits with the shipped classifier; ``(N,)``, or ``(N, C)`` per channel for stacked digits."""
    return load_digit_classifier(device).classify(images)


class FeatureExtractorGanbenchDigits(FeatureExtractorBase):
    """torch-fidelity adapter so ``calculate_metrics(feature_extractor="ganbench-digits")`` works.

    Accepts torch-fidelity's uint8 images as well as ganbench's float [-1, 1]
    ones. Features: ``"penultimate"`` (``(N, C*64)``) and ``"logits"`` (``(N, C*10)``).
    torch-fidelity feeds RGB, so a grey digit read from disk arrives as three
    identical channels and yields three concatenated copies of its features;
    numbers are comparable only under one input convention.
    """

    def __init__(
        self, name: str, features_list: list[str], feature_extractor_weights_path: str | None = None, **kwargs: object
    ) -> None:
        super().__init__(name, features_list)
        self.net = DigitCNN()
        path = Path(feature_extractor_weights_path) if feature_extractor_weights_path else WEIGHTS_PATH
        self.net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        vassert(torch.is_tensor(x) and x.dim() == 4, f"Input is not BxCxHxW: {tuple(x.shape)}")
        n, c = x.shape[:2]
        f = self.net.features(to_classifier_input(x))
        out = {
            "penultimate": f.reshape(n, c * FEATURE_DIM),
            "logits": self.net.fc2(f).reshape(n, c * NUM_CLASSES),
        }
        return tuple(out[name] for name in self.features_list)

    @staticmethod
    def get_provided_features_list() -> tuple[str, ...]:
        return ("penultimate", "logits")

    @staticmethod
    def get_default_feature_layer_for_metric(metric: str) -> str:
        return {"isc": "logits", "fid": "penultimate", "kid": "penultimate", "prc": "penultimate"}[metric]

    @staticmethod
    def can_be_compiled() -> bool:
        return False

    @staticmethod
    def get_dummy_input_for_compile() -> torch.Tensor:
        return torch.zeros(1, 1, INPUT_SIZE, INPUT_SIZE, dtype=torch.uint8)
