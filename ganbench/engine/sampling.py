"""Drawing samples from a trained generator, and timing it."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from ganbench.engine.build import Models
from ganbench.engine.devices import synchronize
from ganbench.engine.steps import sample_labels
from ganbench.engine.trainer import sample_latent


@dataclass
class Samples:
    images: torch.Tensor
    """``(N, *shape)`` on the CPU."""
    codes: torch.Tensor
    """The structured codes each sample was generated from (``(N, 0)`` when none)."""
    gen_img_s: float
    """Generation throughput after one warm-up batch (NaN with a single batch)."""
    labels: torch.Tensor | None = None
    """The class labels a conditional generator was given (class-balanced); None otherwise."""


@torch.no_grad()
def generate(
    models: Models, n: int, device: torch.device, *, batch_size: int = 500, seed: int | None = None
) -> Samples:
    """``n`` samples in eval mode (batch-norm running statistics), batch by batch to bound memory."""
    if seed is not None:
        torch.manual_seed(seed)
    G = models.generator
    was_training = G.training
    G.eval()
    images, codes, labels = [], [], []
    timed_images, start = 0, None
    balanced = sample_labels(models, n, device)  # balanced over all n, not per batch
    try:
        for first in range(0, n, batch_size):
            m = min(batch_size, n - first)
            latent, code = sample_latent(models, m, device)
            label = None if balanced is None else balanced[first : first + m]
            fake = G(latent) if label is None else G(latent, label)
            images.append(fake.float().cpu())  # .cpu() syncs, so the timer sees finished work
            if label is not None:
                labels.append(label.cpu())
            codes.append(code.cpu())
            if start is None:
                synchronize(device)
                start = time.perf_counter()
            else:
                timed_images += m
    finally:
        G.train(was_training)
    elapsed = time.perf_counter() - start if start is not None else 0.0
    gen_img_s = timed_images / elapsed if timed_images and elapsed > 0 else math.nan
    return Samples(torch.cat(images), torch.cat(codes), gen_img_s, torch.cat(labels) if labels else None)


PROBE_SAMPLES = 2
"""Samples drawn once per recipe at planning time to check the generator's output shape."""


def generator_output_problem(models: Models) -> str | None:
    """What is wrong with the shape of ``G(z)``, or None: samples must be ``(N, *DataSpec.shape)``.

    Checked when a run is planned, so a generator that breaks the contract is named with both shapes
    instead of surfacing as a matrix-multiply error inside the discriminator. The probe draws from a
    forked RNG (the cells' random streams are unchanged); a generator that raises is left to fail its
    cells with its own error.
    """
    expected = (PROBE_SAMPLES, *models.spec.shape)
    with torch.random.fork_rng(devices=[]):
        try:
            got = tuple(generate(models, PROBE_SAMPLES, torch.device("cpu")).images.shape)
        except Exception:
            return None
    if got == expected:
        return None
    return (
        f"returns samples of shape {got} for a batch of {PROBE_SAMPLES}, but dataset {models.spec.name!r} needs "
        f"{expected} (N, *DataSpec.shape)"
    )
