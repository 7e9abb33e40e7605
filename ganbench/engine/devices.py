"""Device auto-selection: CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from ganbench.errors import UserError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(name: str = "auto") -> torch.device:
    """Turn ``auto``/``cpu``/``cuda[:N]``/``mps`` into a device that exists here."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    base = name.split(":", 1)[0]
    if base not in DEVICE_CHOICES:
        raise UserError(f"unknown device {name!r}; valid choices: {', '.join(DEVICE_CHOICES)} (cuda:N allowed)")
    if base == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device {name!r} requested but CUDA is not available here; valid choices: auto, cpu")
    if base == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UserError(f"device {name!r} requested but Apple MPS is not available here; valid choices: auto, cpu")
    return torch.device(name)


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels so a timer measures work done, not work queued."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_mb(device: torch.device) -> float:
    """CUDA max allocated on GPU; the process's peak RSS on CPU (a high-water mark for the whole process)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


@contextmanager
def cpu_threads_for(device: torch.device, kind: str) -> Iterator[None]:
    """One intra-op thread while training the tiny MLPs of 2D data on the CPU.

    Their matrices (64×256) are far too small to split across threads; with
    more threads each step pays synchronisation, and on a busy machine the
    spinning threads made a step up to 10× slower (measured on 2 cores).
    Image models keep torch's default. The previous setting is restored.
    """
    if device.type != "cpu" or kind != "points":
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
