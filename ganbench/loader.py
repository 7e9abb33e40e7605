"""``ganbench.load_generator``: a generator saved by ``ganbench run`` as a module that maps latents to samples.

``<run>/<cell>/generator.pt`` holds the generator's recipe and weights (and,
with ``--ema``, the averaged weights) as plain data. It is read with
``weights_only=True`` (:mod:`ganbench.safeload`) and rebuilt through the
plugin registry (:func:`ganbench.scoring.rebuild_generator`), so loading it
runs no code from the file; the components' plugins must be installed.

Example::

    import torch, ganbench

    G = ganbench.load_generator("results/run/dcgan-digits-s0/generator.pt", ema=True)
    z = G.sample_latent(16)                 # (16, G.latent_dim): noise, then the loss's codes
    images = G(z)                           # (16, 1, 28, 28) in [-1, 1]
    labels = torch.full((16,), 3)           # conditional generators only:
    threes = G(z, labels)                   #   G.num_classes classes
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganbench.data.base import DataSpec
from ganbench.engine.build import Models, is_conditional
from ganbench.errors import UserError
from ganbench.registry import PluginRegistry
from ganbench.safeload import load_tensors


class LoadedGenerator(nn.Module):
    """A trained generator in eval mode: ``G(latent)`` or, when ``conditional``, ``G(latent, labels)``."""

    def __init__(self, models: Models, *, ema: bool, source: Path) -> None:
        super().__init__()
        self.generator = models.generator.eval()
        self.loss = models.loss.eval()  # only for ``sample_codes`` (InfoGAN-style structured codes)
        self.spec: DataSpec = models.spec
        self.ema, self.source = ema, source
        self.conditional = is_conditional(models.generator)
        self.num_classes: int | None = int(models.spec.num_classes or 0) if self.conditional else None
        self.noise_dim = int(models.generator.noise_dim)
        self.code_dim = int(getattr(models.loss, "code_dim", 0))
        self.latent_dim = self.noise_dim + self.code_dim
        self.requires_grad_(False)

    def sample_latent(self, n: int, device: torch.device | str | None = None) -> torch.Tensor:
        """``(n, latent_dim)``: standard normal noise followed by the loss's codes (as in training)."""
        device = torch.device(device) if device is not None else next(self.generator.parameters()).device
        noise = torch.randn(n, self.noise_dim, device=device)
        return torch.cat([noise, self.loss.sample_codes(n, device)], dim=1)

    def forward(self, latent: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.conditional:
            if labels is None:
                raise ValueError(f"this generator is conditional: give labels in [0, {self.num_classes})")
            return self.generator(latent, labels)
        if labels is not None:
            raise ValueError("this generator is unconditional: it takes no labels")
        return self.generator(latent)


def read_generator_file(path: Path | str) -> dict[str, Any]:
    """The plain-data contents of a ``generator.pt`` (weights-only); one-line errors for anything else."""
    from ganbench.scoring import GENERATOR_FORMAT, check_generator_file

    path = Path(path)
    if not path.exists():
        raise UserError(f"generator file {str(path)!r} does not exist; give a <run>/<cell>/generator.pt")
    if path.is_dir():
        raise UserError(f"{path} is a folder; give a <run>/<cell>/generator.pt file")
    obj = load_tensors(path, what="generator file")
    if not isinstance(obj, dict) or obj.get("format") != GENERATOR_FORMAT:
        found = obj.get("format") if isinstance(obj, dict) else type(obj).__name__
        raise UserError(
            f"{path} is not a ganbench generator (format {found!r}, expected {GENERATOR_FORMAT!r}); "
            "give the generator.pt of a ganbench run cell"
        )
    check_generator_file(obj, path)
    return obj


def recorded_spec(checkpoint: dict[str, Any], registry: PluginRegistry, path: Path) -> DataSpec:
    """The data description saved with the generator; older files name only the dataset, which is loaded."""
    dataset = str(checkpoint.get("dataset") or "")
    shape, kind = checkpoint.get("data_shape"), checkpoint.get("data_kind")
    if isinstance(shape, list) and kind in ("image", "points"):
        classes = checkpoint.get("num_classes")
        return DataSpec(name=dataset or "unknown", kind=kind, shape=tuple(int(s) for s in shape), num_classes=classes)
    if not dataset:
        raise UserError(f"{path}: generator file records neither its data shape nor its dataset")
    from ganbench.data.paths import resolve_data_root
    from ganbench.runner.plan import DataConfig, load_dataset

    return load_dataset(registry, dataset, DataConfig(root=resolve_data_root(None))).spec


def load_generator(
    path: Path | str,
    *,
    ema: bool = False,
    device: torch.device | str = "cpu",
    registry: PluginRegistry | None = None,
) -> LoadedGenerator:
    """The generator saved in ``path`` (a run cell's ``generator.pt``), in eval mode on ``device``.

    ``ema=True`` loads the exponential-moving-average weights of a cell trained with ``--ema``.
    Raises :class:`ganbench.errors.UserError` (one line) for a missing, unsafe or non-generator file.
    """
    from ganbench.registry import get_registry
    from ganbench.scoring import rebuild_generator

    path = Path(path)
    checkpoint = read_generator_file(path)
    if ema and not isinstance(checkpoint.get("ema_state_dict"), dict):
        raise UserError(f"{path} holds no EMA weights (its cell was trained without --ema); drop --ema")
    registry = registry or get_registry()
    spec = recorded_spec(checkpoint, registry, path)
    models = rebuild_generator(checkpoint, spec, registry, ema=ema)
    return LoadedGenerator(models, ema=ema, source=path).to(device)
