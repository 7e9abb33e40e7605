"""Factories: option checking and the size plan for the SNGAN ResNet at 16, 32 or 64 px."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping

from ganbench.plugin import BuildContext, DataSpec, IncompatibleError

from .resnet import ConditionalResNetGenerator, ResNetDiscriminator, ResNetGenerator

SIDES: dict[int, tuple[int, int]] = {16: (2, 1), 32: (3, 2), 64: (4, 3)}
"""side -> (generator up-samplings from 4x4, discriminator down-samplings to 8x8). 32 px is the paper's CIFAR-10 net."""


def _check_options(component: str, unknown: Mapping[str, object], valid: Iterable[str]) -> None:
    if unknown:
        bad = sorted(unknown)[0]
        raise IncompatibleError(f"unknown option {bad!r} for {component}; valid options: {', '.join(sorted(valid))}")


def _positive_int(component: str, option: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise IncompatibleError(f"{component}: option {option}={value!r} must be a positive integer")
    return int(value)


def _plan(component: str, spec: DataSpec) -> tuple[int, int, int]:
    """``(channels, up-samplings, down-samplings)`` for a square image spec, or a one-line IncompatibleError."""
    if spec.kind != "image":
        raise IncompatibleError(f"{component} works on image data only, but dataset {spec.name!r} is {spec.kind} data")
    channels, height, width = spec.shape
    if height != width or height not in SIDES:
        sizes = ", ".join(str(s) for s in sorted(SIDES))
        raise IncompatibleError(
            f"{component} cannot handle {height}x{width} images of {spec.name!r}; supported square sizes: {sizes} "
            "(pass --resolution to resize)"
        )
    up, down = SIDES[height]
    return channels, up, down


def resnet_generator(
    ctx: BuildContext, *, noise_dim: int = 128, width: int = 256, **unknown: object
) -> ResNetGenerator:
    """SNGAN ResNet generator: 128-d noise, residual up-sampling blocks of ``width`` channels."""
    name = "generator 'sngan-resnet'"
    _check_options(name, unknown, ("noise_dim", "width"))
    channels, up, _ = _plan(name, ctx.spec)
    noise_dim = _positive_int(name, "noise_dim", noise_dim)
    width = _positive_int(name, "width", width)
    return ResNetGenerator(noise_dim + ctx.code_dim, noise_dim, channels, up, width)


def resnet_discriminator(ctx: BuildContext, *, width: int = 128, **unknown: object) -> ResNetDiscriminator:
    """SNGAN ResNet discriminator: spectral norm everywhere, ``width`` channels, global sum pooling."""
    name = "discriminator 'sngan-resnet'"
    _check_options(name, unknown, ("width",))
    channels, _, down = _plan(name, ctx.spec)
    return ResNetDiscriminator(channels, down, _positive_int(name, "width", width))


def conditional_resnet_generator(
    ctx: BuildContext, *, noise_dim: int = 128, width: int = 256, **unknown: object
) -> ConditionalResNetGenerator:
    """SNGAN ResNet generator with conditional batch norm (per-class γ, β) in its residual blocks."""
    name = "generator 'sngan-resnet-cbn'"
    _check_options(name, unknown, ("noise_dim", "width"))
    channels, up, _ = _plan(name, ctx.spec)
    if not ctx.spec.num_classes:
        raise IncompatibleError(f"{name} is conditional, but dataset {ctx.spec.name!r} has no class labels")
    noise_dim = _positive_int(name, "noise_dim", noise_dim)
    width = _positive_int(name, "width", width)
    return ConditionalResNetGenerator(noise_dim + ctx.code_dim, noise_dim, channels, up, width, ctx.spec.num_classes)
