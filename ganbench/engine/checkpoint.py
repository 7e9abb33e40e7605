"""Training checkpoints: everything needed to continue a cell bit for bit.

A checkpoint holds the weights of G, D and the loss's own modules, both
optimisers and their learning-rate schedules, the EMA generator's weights
(``--ema``), the step, the loss history, every RNG state the training loop
draws from, and how many real batches the data stream has served. It holds
only tensors and plain containers, so it loads with ``torch.load(...,
weights_only=True)``; a file that needs arbitrary unpickling is refused, since
unpickling executes code from the file.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganbench.engine.build import Models
from ganbench.engine.ema import EmaGenerator
from ganbench.engine.seeding import rng_state, set_rng_state
from ganbench.engine.trainer import TrainState
from ganbench.errors import UserError
from ganbench.results import atomic
from ganbench.safeload import load_tensors

CHECKPOINT_FILE = "checkpoint.pt"
FORMAT = "ganbench-checkpoint/1"


class CheckpointError(UserError):
    """A checkpoint that cannot be used: unsafe, corrupt, or from another configuration."""


class CountingStream:
    """Wraps the real-batch iterator and counts what the trainer consumed (the data stream's position)."""

    def __init__(self, batches: Iterator[torch.Tensor], consumed: int = 0) -> None:
        self._batches = batches
        self.consumed = consumed

    def __iter__(self) -> CountingStream:
        return self

    def __next__(self) -> torch.Tensor:
        batch = next(self._batches)
        self.consumed += 1
        return batch


def capture_rng() -> dict[str, Any]:
    """Torch (CPU and CUDA), Python and NumPy global RNG states, as tensors and plain lists."""
    state = rng_state()
    version, internal, gauss = random.getstate()
    state["python"] = {"version": version, "state": list(internal), "gauss": gauss}
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state["numpy"] = {
        "kind": str(kind),
        "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
        "pos": int(pos),
        "has_gauss": int(has_gauss),
        "cached": float(cached),
    }
    return state


def restore_rng(state: dict[str, Any]) -> None:
    set_rng_state(state)
    if "python" in state:
        py = state["python"]
        random.setstate((py["version"], tuple(py["state"]), py["gauss"]))
    if "numpy" in state:
        npst = state["numpy"]
        keys = npst["keys"].numpy().astype(np.uint32)
        np.random.set_state((npst["kind"], keys, npst["pos"], npst["has_gauss"], npst["cached"]))


def _cpu(state_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: v.detach().cpu() if isinstance(v, torch.Tensor) else v for k, v in state_dict.items()}


def save_checkpoint(
    path: Path,
    *,
    models: Models,
    optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    state: TrainState,
    batches_consumed: int,
    identity: dict[str, Any],
    schedules: tuple[Any, Any] = (None, None),
    ema: EmaGenerator | None = None,
) -> None:
    """Write ``path`` atomically: a crash while saving leaves the previous checkpoint intact.

    ``identity`` (cell id, training configuration, recipe) is stored so that a
    checkpoint from another configuration is never silently continued.
    """
    opt_g, opt_d = optimizers
    payload = {
        "format": FORMAT,
        "identity": identity,
        "step": int(state.step),
        "history": [dict(h) for h in state.history],
        "last_losses": [float(state.d_loss), float(state.g_loss)],
        "batches_consumed": int(batches_consumed),
        "generator": _cpu(models.generator.state_dict()),
        "discriminator": _cpu(models.discriminator.state_dict()),
        "loss": _cpu(models.loss.state_dict()),
        "opt_g": opt_g.state_dict(),
        "opt_d": opt_d.state_dict(),
        "schedules": [s.state_dict() if s is not None else None for s in schedules],
        "ema": _cpu(ema.state_dict()) if ema is not None else None,
        "rng": capture_rng(),
        "torch_version": str(torch.__version__),
    }
    atomic.save_torch(path, payload)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``; anything needing arbitrary unpickling is refused."""
    payload = load_tensors(path, what="checkpoint", error=CheckpointError)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(f"{path} is not a ganbench training checkpoint (format {found!r}, expected {FORMAT!r})")
    return payload


def check_identity(payload: dict[str, Any], identity: dict[str, Any], path: Path) -> None:
    """Refuse to continue a checkpoint written for a different cell or configuration."""
    saved = payload.get("identity", {})
    differing = sorted(k for k in set(saved) | set(identity) if saved.get(k) != identity.get(k))
    if differing:
        raise CheckpointError(
            f"checkpoint {path} was written for a different configuration ({', '.join(differing)} differ); "
            "delete it to start this cell afresh"
        )


def restore_checkpoint(
    payload: dict[str, Any],
    models: Models,
    optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    schedules: tuple[Any, Any] = (None, None),
    ema: EmaGenerator | None = None,
) -> TrainState:
    """Load weights and optimiser states into the (already built, already placed) models; restore the RNGs last.

    The RNG restore comes last because building models draws from the global
    generator; the returned state continues the training loop.
    """
    models.generator.load_state_dict(payload["generator"])
    models.discriminator.load_state_dict(payload["discriminator"])
    models.loss.load_state_dict(payload["loss"])
    optimizers[0].load_state_dict(payload["opt_g"])
    optimizers[1].load_state_dict(payload["opt_d"])  # after the schedules were made: they set initial_lr
    for schedule, saved in zip(schedules, payload.get("schedules", [None, None]), strict=True):
        if (schedule is None) != (saved is None):
            raise CheckpointError("checkpoint's learning-rate schedules do not match this configuration's")
        if schedule is not None:
            schedule.load_state_dict(saved)
    saved_ema = payload.get("ema")
    if (ema is None) != (saved_ema is None):
        raise CheckpointError("checkpoint's EMA generator does not match this configuration's --ema")
    if ema is not None:
        ema.load_state_dict(saved_ema)
    restore_rng(payload["rng"])
    d_loss, g_loss = payload.get("last_losses", [float("nan"), float("nan")])
    return TrainState(step=int(payload["step"]), history=list(payload["history"]), d_loss=d_loss, g_loss=g_loss)
