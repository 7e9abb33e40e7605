"""Option checking and the DCGAN size plan shared by this plugin's factories."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping

from torch import nn

from ganbench.plugin import DataSpec, IncompatibleError

# side -> (side of the smallest feature map, number of stride-2 blocks).
# 64 px is exactly pytorch/examples dcgan (4 -> 8 -> 16 -> 32 -> 64); smaller sizes
# drop blocks from the wide end; 28 px starts at 7x7 like the MNIST DCGAN/InfoGAN nets.
DCGAN_PLAN: dict[int, tuple[int, int]] = {16: (4, 2), 28: (7, 2), 32: (4, 3), 64: (4, 4)}


def check_options(component: str, unknown: Mapping[str, object], valid: Iterable[str]) -> None:
    """Reject option keys a factory does not know, naming the first bad one and the valid ones."""
    if unknown:
        bad = sorted(unknown)[0]
        choices = ", ".join(sorted(valid)) or "(none)"
        raise IncompatibleError(f"unknown option {bad!r} for {component}; valid options: {choices}")


def positive_int(component: str, option: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise IncompatibleError(f"{component}: option {option}={value!r} must be a positive integer")
    return int(value)


def require_kind(component: str, spec: DataSpec, kind: str, alternative: str) -> None:
    if spec.kind != kind:
        raise IncompatibleError(
            f"{component} works on {kind} data only, but dataset {spec.name!r} is {spec.kind} data; use {alternative}"
        )


def dcgan_plan(component: str, spec: DataSpec) -> tuple[int, int, int]:
    """``(channels, start side, number of stride-2 blocks)`` for an image spec, or IncompatibleError."""
    require_kind(component, spec, "image", "an mlp component for points")
    channels, height, width = spec.shape
    if height != width or height not in DCGAN_PLAN:
        sizes = ", ".join(str(s) for s in sorted(DCGAN_PLAN))
        raise IncompatibleError(
            f"{component} cannot handle {height}x{width} images of {spec.name!r}; supported square sizes: {sizes} "
            "(pass --resolution to resize)"
        )
    start, blocks = DCGAN_PLAN[height]
    return channels, start, blocks


def dcgan_weights_init(module: nn.Module) -> None:
    """DCGAN initialisation (Radford et al. 2015; pytorch/examples ``weights_init``)."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
