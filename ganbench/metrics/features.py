"""Feature extractors FID, KID, PRDC and NDB are computed on, by name.

A :class:`FeatureExtractor` turns samples in the dataset conventions (images
float ``(N, C, H, W)`` in ``[-1, 1]``, points ``(N, D)``) into ``(N, F)`` float32
features on the CPU, in bounded batches. Each one carries the facts a results
row must name: extractor, layer and a hash of its weights (part of the
real-statistics cache key, so changing weights never reuses stale features).

Built in:

* ``inception-v3-compat`` - torch-fidelity's TF-ported InceptionV3, pool3 (``2048``);
  the standard for comparability with published FID.
* ``ganbench-digits`` - the shipped digit CNN's penultimate layer (per channel,
  concatenated), also usable from torch-fidelity (:mod:`.digits_classifier`).
* ``raw`` - the samples themselves (2D mixtures: FID on the coordinates).

The factories below are registered by the built-in ``metrics`` plugin
(``plugins/metrics``) through ``Registrar.add_feature_extractor``,
the same way a third-party extractor is; :func:`get_extractor` looks names up
in the plugin registry.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from ganbench.errors import IncompatibleError, UserError
from ganbench.factories import call_with_options
from ganbench.metrics import digits_classifier
from ganbench.metrics.extractor import DEFAULT_BATCH_SIZE, FeatureExtractor
from ganbench.metrics.inception import inception_provenance, inception_state_dict, resolve_inception_weights
from ganbench.registry import PluginRegistry, get_registry, publish_to_torch_fidelity
from ganbench.safeload import reserialised

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FeatureExtractor",
    "call_extractor_factory",
    "extractor_names",
    "get_extractor",
    "to_uint8_rgb",
    "weights_hash",
]


ExtractorFactory = Callable[..., FeatureExtractor]
"""``factory(*, device, batch_size, **options)``, registered with ``Registrar.add_feature_extractor``.

It gets the Inception weights file only if it asks for it, by naming an ``inception_weights`` parameter.
(A factory of the first extractor API, ``factory(*, device, weights, batch_size)`` with ``weights``
required, still gets the Inception weights as ``weights``.)"""

FIXED_ARGUMENTS = ("device", "batch_size", "inception_weights")
"""What ganbench passes itself; every other keyword-only parameter of a factory is an option."""


def extractor_names() -> tuple[str, ...]:
    """Every registered extractor (through the plugin registry, like any other component)."""
    return tuple(get_registry().names("extractor"))


def get_extractor(
    name: str,
    *,
    device: torch.device | str = "cpu",
    inception_weights: Path | str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    registry: PluginRegistry | None = None,
    options: Mapping[str, Any] | None = None,
) -> FeatureExtractor:
    """Build the registered extractor ``name`` on ``device`` with its ``options`` (``--extractor-opt``);
    unknown names list the valid ones, unknown options the valid options."""
    entry = (registry or get_registry()).extractor(name)
    return call_extractor_factory(
        entry.factory,
        device=torch.device(device),
        batch_size=batch_size,
        inception_weights=inception_weights,
        options=options or {},
        what=f"extractor {name!r}",
    )


def call_extractor_factory(
    factory: ExtractorFactory,
    *,
    device: torch.device,
    batch_size: int,
    inception_weights: Path | str | None,
    options: Mapping[str, Any],
    what: str = "extractor",
) -> FeatureExtractor:
    """Call ``factory`` with its options; the Inception weights reach it only if it names ``inception_weights``
    (or, the first extractor API, a required ``weights``). The options are recorded on the result, so they
    key the real-feature cache and reach the results row (``fid_extractor_options``)."""
    params = inspect.signature(factory).parameters
    fixed: dict[str, Any] = {"device": device, "batch_size": batch_size}
    if "inception_weights" in params:
        fixed["inception_weights"] = inception_weights
    elif "weights" in params and params["weights"].default is inspect.Parameter.empty and "weights" not in options:
        fixed["weights"] = inception_weights  # the first extractor API: weights meant the Inception weights
    shown = ", ".join(f"{k}={v!r}" for k, v in options.items())
    extractor = call_with_options(what + (f" ({shown})" if shown else ""), factory, (), options, fixed=fixed)
    if not isinstance(extractor, FeatureExtractor):
        raise UserError(f"{what} returned {type(extractor).__name__}, not a FeatureExtractor")
    extractor.options = dict(options)
    return extractor


@lru_cache(maxsize=8)
def _sha256_memo(path: str, size: int, mtime_ns: int) -> str:
    return digits_classifier.file_sha256(Path(path))


def weights_hash(path: Path) -> str:
    """Short sha256 of a weights file, memoised on (path, size, mtime): Inception is 91 MB."""
    st = os.stat(path)
    return _sha256_memo(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)[:16]


def to_uint8_rgb(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] float images to torch-fidelity's uint8 RGB; grey images are repeated to 3 channels."""
    if x.dim() != 4 or x.shape[1] not in (1, 3):
        raise IncompatibleError(
            f"inception-v3-compat needs images with 1 or 3 channels, got shape {tuple(x.shape)}; "
            f"valid extractors for other data: {', '.join(extractor_names())}"
        )
    x = ((x.float() + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8)
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


@lru_cache(maxsize=2)
def _torch_fidelity_model(name: str, layer: str, weights: str | None, device: str) -> torch.nn.Module:
    """A torch-fidelity extractor, built once per process (Inception takes a second to load).

    torch-fidelity unpickles a weights path with ``weights_only=False``; it gets
    the state dict read safely here instead, re-saved into memory.
    """
    from torch_fidelity.utils import create_feature_extractor  # with torchvision: only when a model is built

    publish_to_torch_fidelity()  # plugins' torch-fidelity extractors (ganbench-digits) under their names
    kwargs = {"feature_extractor_weights_path": reserialised(inception_state_dict(weights))} if weights else {}
    model = create_feature_extractor(name, [layer], cuda=False, verbose=False, **kwargs).to(device)
    if name == "inception-v3-compat":
        # NHWC convolutions: ~1.5x faster on the CPU, features equal to float32 round-off
        # (benchmarks/inception_speed.py measures both)
        model = model.to(memory_format=torch.channels_last)
    return model


def inception_extractor(
    *, device: torch.device, inception_weights: Path | str | None, batch_size: int
) -> FeatureExtractor:
    weights = resolve_inception_weights(inception_weights)
    model = _torch_fidelity_model("inception-v3-compat", "2048", str(weights), str(device))
    provenance = inception_provenance(weights)
    return FeatureExtractor(
        "inception-v3-compat",
        "2048",
        provenance["fid_weights_sha256"][:16],
        lambda x: model(to_uint8_rgb(x))[0],
        device,
        min(batch_size, 64),  # 299×299 activations: keep memory bounded
        provenance=provenance,
    )


def digits_extractor(*, device: torch.device, batch_size: int) -> FeatureExtractor:
    model = _torch_fidelity_model(digits_classifier.EXTRACTOR_NAME, "penultimate", None, str(device))

    def fn(x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise IncompatibleError(f"ganbench-digits needs (N, C, H, W) images, got shape {tuple(x.shape)}")
        return model(x)[0]

    return FeatureExtractor(
        digits_classifier.EXTRACTOR_NAME,
        "penultimate",
        weights_hash(digits_classifier.WEIGHTS_PATH),
        fn,
        device,
        batch_size,
    )


def raw_extractor(*, device: torch.device, batch_size: int) -> FeatureExtractor:
    return FeatureExtractor("raw", "coords", "none", lambda x: x.flatten(1).float(), device, max(batch_size, 8192))
