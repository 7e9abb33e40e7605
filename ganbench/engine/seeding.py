"""Seeding and RNG state capture, so that one seed on one device gives one result."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

from ganbench.errors import UserError

MAX_SEED = 2**63 - 1
"""Seeds are 0 .. 2**63 - 1: what torch's generator takes and a results table's int64 column holds."""


def check_seed(seed: object, option: str = "--seeds") -> int:
    """``seed`` as an int in 0 .. :data:`MAX_SEED`, or a one-line :class:`UserError`."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise UserError(f"{option}: seed {seed!r} is out of range; seeds are integers from 0 to {MAX_SEED}")
    return seed


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


def rng_state() -> dict[str, Any]:
    """All RNG states as plain tensors/lists (loadable with ``weights_only=True``)."""
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
