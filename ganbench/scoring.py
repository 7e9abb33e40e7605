"""Samples that did not come from a ganbench run: load them so the metric suite can score them.

Accepted inputs, all converted to the target dataset's conventions (shape,
channels, values in [-1, 1] for images):

* a folder of images (read through the registered ``folder`` dataset, resized
  and center-cropped to the dataset's resolution);
* a ``.npy`` or ``.pt`` tensor file: ``(N, C, H, W)`` or ``(N, H, W, C)``
  images, uint8 in [0, 255] or float in [0, 1] or [-1, 1]; or ``(N, D)`` points;
* a saved ganbench generator (``generator.pt`` from a run folder), which is
  rebuilt from its recorded recipe and sampled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ganbench.components import Recipe
from ganbench.data.base import DatasetOptions, DataSpec
from ganbench.data.loaders import all_samples
from ganbench.engine.build import Models, build_models
from ganbench.engine.sampling import generate
from ganbench.errors import UserError
from ganbench.registry import PluginRegistry
from ganbench.safeload import load_tensors

GENERATOR_FORMAT = "ganbench-generator/1"
TENSOR_SUFFIXES = (".npy", ".pt", ".pth")


def load_samples(
    path: Path, spec: DataSpec, registry: PluginRegistry, *, n: int, device: torch.device, seed: int = 0
) -> torch.Tensor:
    """Samples from ``path`` shaped like ``spec`` (at most ``n``)."""
    if not path.exists():
        raise UserError(
            f"samples path {str(path)!r} does not exist; give a folder of images, a .npy/.pt file or a generator.pt"
        )
    if path.is_dir():
        samples = _folder_samples(path, spec, registry, n, seed)
    elif path.suffix in TENSOR_SUFFIXES:
        obj = _load_file(path)
        if isinstance(obj, dict) and obj.get("format") == GENERATOR_FORMAT:
            check_generator_file(obj, path)
            samples = sample_generator(obj, spec, registry, n=n, device=device, seed=seed).cpu()
            check_scorable(samples, f"samples drawn from the generator in {path}", hint=" (are its weights finite?)")
            return samples
        samples = _as_samples(obj, spec, path)
    else:
        raise UserError(
            f"cannot read samples from {str(path)!r}; valid inputs: a folder of images, .npy, .pt, generator.pt"
        )
    if len(samples) > n:
        samples = samples[:n]
    check_scorable(samples, str(path))
    return samples


MIN_SAMPLES = 2
"""FID needs a covariance, which needs two samples."""


def check_scorable(samples: torch.Tensor, source: str, *, hint: str = "") -> None:
    """Enough samples, all finite: NaN or inf would only surface as a linear-algebra error inside FID."""
    if len(samples) < MIN_SAMPLES:
        raise UserError(
            f"{source} holds {len(samples)} sample(s) (shape {tuple(samples.shape)}); scoring needs at least "
            f"{MIN_SAMPLES}"
        )
    finite = torch.isfinite(samples.reshape(len(samples), -1)).all(dim=1)
    bad = int((~finite).sum())
    if bad:
        raise UserError(f"{source}: {bad} of {len(samples)} samples hold NaN or infinite values{hint}; cannot score")


_GENERATOR_FIELDS = {
    "generator": str,
    "discriminator": str,
    "loss": str,
    "state_dict": dict,
    "loss_state_dict": dict,
    "generator_options": dict,
    "discriminator_options": dict,
    "loss_options": dict,
}
_REQUIRED_FIELDS = ("generator", "discriminator", "loss", "state_dict")


def check_generator_file(obj: dict[str, Any], path: Path) -> None:
    """A ``ganbench-generator/1`` file has the recipe and the weights, each of the right type."""
    expected = f"a {GENERATOR_FORMAT} file as ganbench run writes it"
    for key in _REQUIRED_FIELDS:
        if key not in obj:
            raise UserError(f"{path}: generator file lacks {key!r}; expected {expected}")
    for key, kind in _GENERATOR_FIELDS.items():
        if key in obj and not isinstance(obj[key], kind):
            raise UserError(
                f"{path}: {key!r} must be {'a string' if kind is str else 'a dict'}, "
                f"got {type(obj[key]).__name__}; expected {expected}"
            )
    if "ema_state_dict" in obj and not isinstance(obj["ema_state_dict"], dict):
        raise UserError(f"{path}: 'ema_state_dict' must be a dict, got {type(obj['ema_state_dict']).__name__}")
    for key in ("state_dict", "loss_state_dict", "ema_state_dict"):
        values = obj.get(key, {})
        if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in values.items()):
            raise UserError(f"{path}: {key!r} must map parameter names to tensors; expected {expected}")


ACCEPTED = "accepted: uint8 images in [0, 255], float images in [0, 1] or [-1, 1], or real-valued points"
"""What ``score`` takes from a tensor file; every refusal ends with it."""
IMAGE_RANGE_SLACK = 1e-3
"""How far float images may stray outside [-1, 1] (rounding, a resize's overshoot) before they are refused."""


def _load_file(path: Path) -> Any:
    if path.suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise UserError(f"{path}: not a plain numeric .npy array ({exc})") from None
        if array.dtype.kind not in "uif":  # strings, bytes, bool, complex, dates, records: torch cannot take them
            kind = _KINDS.get(array.dtype.kind, "not numbers")
            raise UserError(f"{path}: samples of dtype {array.dtype} ({kind}); {ACCEPTED}")
        return torch.from_numpy(array)
    return load_tensors(path, what="samples file")


_KINDS = {"U": "text", "S": "bytes", "b": "booleans", "c": "complex numbers", "M": "dates", "m": "durations",
          "V": "records", "O": "Python objects"}  # fmt: skip


def check_sample_values(x: torch.Tensor, path: Path, *, images: bool) -> torch.Tensor:
    """Real numbers, and images in a documented range; never a silent conversion (a complex tensor's
    imaginary part dropped, [0, 255] floats clamped to a white image)."""
    if x.is_complex() or x.dtype == torch.bool:
        kind = "complex numbers" if x.is_complex() else "booleans"
        raise UserError(f"{path}: samples of dtype {str(x.dtype).removeprefix('torch.')} ({kind}); {ACCEPTED}")
    if not images or x.dtype == torch.uint8:
        return x
    lo, hi = float(x.min()), float(x.max())
    if not x.is_floating_point():  # integer images: the uint8 range, or refused
        if lo < 0 or hi > 255:
            raise UserError(f"{path}: integer images span [{lo:g}, {hi:g}], outside [0, 255]; {ACCEPTED}")
        return x.to(torch.uint8)  # exact: every value fits
    if lo < -1 - IMAGE_RANGE_SLACK or hi > 1 + IMAGE_RANGE_SLACK:
        hint = " (for [0, 255] floats divide by 255 or save as uint8)" if hi <= 255 + IMAGE_RANGE_SLACK else ""
        raise UserError(f"{path}: float images span [{lo:.4g}, {hi:.4g}]; {ACCEPTED}{hint}")
    return x


def _as_samples(obj: Any, spec: DataSpec, path: Path) -> torch.Tensor:
    if isinstance(obj, dict):
        tensors = [v for v in obj.values() if isinstance(v, torch.Tensor)]
        if len(tensors) != 1:
            raise UserError(f"{path}: a .pt file must hold one tensor (or a dict with exactly one)")
        obj = tensors[0]
    if not isinstance(obj, torch.Tensor):
        raise UserError(f"{path}: expected a tensor, found {type(obj).__name__}")
    if obj.dim() == 0:
        raise UserError(f"{path}: expected samples (N, ...), found a single number")
    x = check_sample_values(obj, path, images=spec.kind != "points")
    check_scorable(x, str(path))
    if spec.kind == "points":
        if x.dim() != 2 or x.shape[1] != spec.shape[0]:
            raise UserError(
                f"{path}: shape {tuple(x.shape)} does not match {spec.name} points of shape (N, {spec.shape[0]})"
            )
        return x.float()
    if x.dim() == 3:
        x = x.unsqueeze(1)
    if x.dim() != 4:
        raise UserError(f"{path}: expected images (N, C, H, W) or (N, H, W, C), got shape {tuple(x.shape)}")
    if x.shape[1] not in (1, 3, 4) and x.shape[-1] in (1, 3, 4):
        x = x.permute(0, 3, 1, 2)
    return to_spec(x, spec)


def to_spec(x: torch.Tensor, spec: DataSpec) -> torch.Tensor:
    """Images of any range/size/channels → ``spec``'s shape with values in [-1, 1]."""
    if x.dtype == torch.uint8:
        x = x.float() / 127.5 - 1
    else:
        x = x.float()
        if x.min() >= 0:  # [0, 1] floats
            x = x * 2 - 1
    channels, side = spec.shape[0], spec.shape[-1]
    if x.shape[1] == 4:
        x = x[:, :3]
    if x.shape[1] != channels:
        if channels == 1:
            x = x.mean(dim=1, keepdim=True)
        elif x.shape[1] == 1:
            x = x.expand(-1, channels, -1, -1)
        else:
            raise UserError(f"samples have {x.shape[1]} channels; {spec.name} needs {channels}")
    if x.shape[-2:] != (side, side):
        x = F.interpolate(x, size=(side, side), mode="bilinear", antialias=True, align_corners=False)
    return x.clamp(-1, 1).contiguous()


def _folder_samples(path: Path, spec: DataSpec, registry: PluginRegistry, n: int, seed: int) -> torch.Tensor:
    if spec.kind != "image":
        raise UserError(f"a folder of images cannot be scored against {spec.name}, which holds {spec.kind} data")
    entry, _ = registry.dataset(f"folder:{path}")
    folder = entry.factory(DatasetOptions(root=path, resolution=spec.shape[-1], argument=str(path)))
    count = len(folder.split(folder.splits[0]))
    return to_spec(all_samples(folder, folder.splits[0], min(n, count), seed=seed), spec)


def rebuild_generator(
    checkpoint: dict[str, Any], spec: DataSpec, registry: PluginRegistry, *, ema: bool = False
) -> Models:
    """The models a run saved, rebuilt through the registry and loaded with its weights (``ema``: the averaged ones)."""
    recipe = Recipe(
        checkpoint["generator"],
        checkpoint["discriminator"],
        checkpoint["loss"],
        checkpoint.get("generator_options", {}),
        checkpoint.get("discriminator_options", {}),
        checkpoint.get("loss_options", {}),
    )
    models = build_models(registry, recipe, spec)
    try:
        models.generator.load_state_dict(checkpoint["ema_state_dict" if ema else "state_dict"])
        models.loss.load_state_dict(checkpoint.get("loss_state_dict", {}))
    except RuntimeError as exc:
        raise UserError(f"saved generator does not fit dataset {spec.name}: {str(exc).splitlines()[0]}") from None
    return models


def sample_generator(
    checkpoint: dict[str, Any], spec: DataSpec, registry: PluginRegistry, *, n: int, device: torch.device, seed: int
) -> torch.Tensor:
    models = rebuild_generator(checkpoint, spec, registry)
    models.generator.to(device)
    models.loss.to(device)
    return generate(models, n, device, seed=seed).images
