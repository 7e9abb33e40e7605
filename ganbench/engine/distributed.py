"""Data-parallel training of one cell over several processes (``DistributedDataParallel``).

Every rank runs the same cell with the same seed. What makes the ranks differ,
and the run match a one-process run of the same *global* batch:

* **Data**: all ranks draw the same seeded epoch order; rank ``r`` loads rows
  ``[r·b, (r+1)·b)`` of each global batch (``b`` = global batch / world size).
* **Latents**: each rank draws the global batch's latents from the cell's
  seeded stream and keeps its own rows, so ranks see different latents and
  their union is exactly the one-process batch (drawing ``world × b`` normals
  costs nothing next to a forward pass).
* **Gradients**: G is wrapped in DDP; D and the loss's own modules (InfoGAN's
  Q head shares D's body) are wrapped together, with the loss's
  ``discriminator_loss`` as the wrapped forward, so all of D's calls in one D
  step are one DDP forward and one backward: D's and Q's gradients are
  averaged once per D step. The G step calls the plain D with its parameters
  frozen (as in the single-process loop); only G's reducer fires, averaging
  G's gradients. Gradient averaging over ranks equals the mean over the global
  batch for per-sample losses, so the learning rate keeps its meaning.
* **BatchNorm**: per-rank batch statistics, as DDP does (``broadcast_buffers``
  re-sends rank 0's running statistics at each forward, so the sampler uses
  rank 0's); ``sync_bn`` converts to ``torch.nn.SyncBatchNorm`` (CUDA only in
  torch) for global-batch statistics.

Each cell gets its own process group (a fresh ``PrefixStore`` on the launch's
store) that is destroyed when the cell ends, whatever happens: a rank that
fails records its one-line error in the store and leaves the group, its peers'
next collective fails at once (gloo) or at the group timeout (NCCL), and rank 0
reports the first error for the cell. The next cell starts a new group.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ganbench.components import LossOutput
from ganbench.engine.build import Models
from ganbench.engine.fastpaths import StepFunctions
from ganbench.engine.seeding import rng_state, set_rng_state
from ganbench.engine.trainer import sample_latent
from ganbench.errors import UserError

TIMEOUT_ENV = "GANBENCH_DIST_TIMEOUT"
"""Seconds a collective may wait for a peer before the cell fails (default 1800, torch's gloo default)."""
DEFAULT_TIMEOUT_S = 1800.0
PEER_ERROR_WAIT_S = 2.0
"""How long rank 0 waits for a peer's error line after its own collective failed."""


class DistributedSetupError(UserError):
    """A data-parallel launch that cannot work as given (bad environment, device, batch)."""


@dataclass(frozen=True)
class World:
    """This process's place in a ``torchrun``-style launch (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``)."""

    rank: int
    world_size: int
    local_rank: int = 0

    @property
    def is_writer(self) -> bool:
        """Rank 0 writes results, checkpoints and pictures, and evaluates."""
        return self.rank == 0


def world_from_env(environ: Mapping[str, str] | None = None) -> World | None:
    """The launch this process belongs to, or None when it runs alone (no ``WORLD_SIZE``, or 1)."""
    env = os.environ if environ is None else environ
    if "WORLD_SIZE" not in env:
        return None
    try:
        size, rank, local = int(env["WORLD_SIZE"]), int(env.get("RANK", "0")), int(env.get("LOCAL_RANK", "0"))
    except ValueError:
        raise DistributedSetupError(
            "WORLD_SIZE, RANK and LOCAL_RANK must be integers (set by torchrun), got "
            f"{env.get('WORLD_SIZE')!r}, {env.get('RANK')!r}, {env.get('LOCAL_RANK')!r}"
        ) from None
    if size <= 1:
        return None
    if not 0 <= rank < size:
        raise DistributedSetupError(f"RANK {rank} is outside WORLD_SIZE {size}")
    return World(rank, size, local)


def timeout() -> dt.timedelta:
    raw = os.environ.get(TIMEOUT_ENV)
    try:
        seconds = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        raise DistributedSetupError(f"{TIMEOUT_ENV} must be a number of seconds, got {raw!r}") from None
    return dt.timedelta(seconds=seconds)


def rank_device(device: torch.device, world: World) -> torch.device:
    """The device this rank trains on: ``cuda:LOCAL_RANK`` for CUDA (one GPU per process), else ``device``."""
    if device.type == "cuda":
        if device.index is not None:
            raise DistributedSetupError(
                f"--device {device} names one GPU, but each of the {world.world_size} processes needs its own; "
                "use --device cuda (rank r uses cuda:LOCAL_RANK)"
            )
        if world.local_rank >= torch.cuda.device_count():
            raise DistributedSetupError(
                f"LOCAL_RANK {world.local_rank} has no GPU: this machine has {torch.cuda.device_count()}; "
                "start at most that many processes per node"
            )
        torch.cuda.set_device(world.local_rank)
        return torch.device("cuda", world.local_rank)
    if device.type != "cpu":
        raise DistributedSetupError(f"data-parallel training runs on cpu (gloo) or cuda (NCCL), not {device.type}")
    return device


def backend_for(device: torch.device) -> str:
    return "nccl" if device.type == "cuda" else "gloo"


def check_batch(batch_size: int, world_size: int) -> int:
    """The per-rank batch of a global ``batch_size``; it must split evenly."""
    if batch_size % world_size:
        lower = batch_size - batch_size % world_size
        raise DistributedSetupError(
            f"--batch-size {batch_size} (the global batch) must be divisible by the {world_size} processes; "
            f"use {lower} or {lower + world_size}"
        )
    return batch_size // world_size


def check_sync_bn(sync_bn: bool, device: torch.device) -> None:
    if sync_bn and device.type != "cuda":
        raise DistributedSetupError(
            f"--sync-bn needs CUDA (torch's SyncBatchNorm runs on GPUs only; this run uses {device.type}); "
            "drop it to keep per-rank BatchNorm statistics"
        )


class Rendezvous:
    """The launch's key-value store (``env://``: ``MASTER_ADDR``/``MASTER_PORT``), joined once per process."""

    def __init__(self, world: World) -> None:
        self.world = world
        store, _, _ = next(dist.rendezvous("env://", world.rank, world.world_size, timeout=timeout()))
        self.store = store

    @contextlib.contextmanager
    def cell_group(self, key: str, device: torch.device, *, sync_bn: bool = False) -> Iterator[CellGroup]:
        """A process group for one cell, always destroyed on the way out (no rank is left waiting)."""
        store = dist.PrefixStore(f"ganbench/{key}/", self.store)
        try:
            dist.init_process_group(
                backend_for(device),
                store=store,
                rank=self.world.rank,
                world_size=self.world.world_size,
                timeout=timeout(),
                device_id=device if device.type == "cuda" else None,
            )
        except RuntimeError as exc:  # (DistError too) a peer that never came (timeout), a bad address
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            raise DistributedSetupError(
                f"rank {self.world.rank} could not join the process group of cell {key}: {first}"
            ) from None
        try:
            yield CellGroup(self.world, device, store, sync_bn)
        finally:
            dist.destroy_process_group()


@dataclass
class CellGroup:
    """What a cell's code needs from the group: the trainer seam, the data part, failure reporting."""

    world: World
    device: torch.device
    store: Any
    sync_bn: bool = False

    @property
    def is_writer(self) -> bool:
        return self.world.is_writer

    @property
    def part(self) -> tuple[int, int]:
        """This rank's share of every global batch, for ``batch_stream(part=...)``."""
        return self.world.rank, self.world.world_size

    def steps(self) -> DataParallelSteps:
        return DataParallelSteps(self.world, self.device, sync_bn=self.sync_bn)

    def failed(self, error: str) -> str:
        """Record this rank's one-line ``error``; return the cell's error (the earliest any rank recorded)."""
        try:
            self.store.set(f"error/{self.world.rank}", f"{time.time():.6f}|{error}")
            deadline = time.monotonic() + PEER_ERROR_WAIT_S
            while True:
                errors = self._errors()
                if len(errors) > 1 or time.monotonic() > deadline or not self.is_writer:
                    break
                time.sleep(0.05)  # rank 0's collective usually fails because a peer failed: let its line arrive
        except RuntimeError:  # the store itself is gone (the launch is ending): this rank's own line
            return error
        _, rank, line = min(errors)
        return error if rank == self.world.rank or line == error else f"rank {rank}: {line}"

    def _errors(self) -> list[tuple[float, int, str]]:
        found = []
        for rank in range(self.world.world_size):
            key = f"error/{rank}"
            if self.store.check([key]):
                stamp, _, line = self.store.get(key).decode().partition("|")
                found.append((float(stamp), rank, line))
        return found


class _CriticEntry(nn.Module):
    """D and the loss's modules as one DDP module whose forward is the whole D objective."""

    def __init__(self, discriminator: nn.Module, loss: nn.Module, objective: Any) -> None:
        super().__init__()
        self.discriminator, self.loss = discriminator, loss
        self._objective = objective

    def forward(
        self, real: torch.Tensor, fake: torch.Tensor, codes: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        out = self._objective(self.discriminator, real, fake, codes)
        return out.total, dict(out.terms)  # plain containers: DDP looks for tensors in its output


def _leaves_parameters_unused(entry: _CriticEntry, real: torch.Tensor, fake: torch.Tensor, codes: torch.Tensor) -> bool:
    """Whether the D objective leaves a trainable parameter without a gradient (then DDP must look for them).

    The minibatch discriminator, for one, keeps its body's own head unused.
    Probed once on a copy (modules and RNG untouched, so training is not
    perturbed); DDP's ``find_unused_parameters`` costs a graph walk per step,
    so it is only turned on when needed.
    """
    probe = copy.deepcopy(entry)
    state = rng_state()
    try:
        total, _ = probe(real, fake, codes)
        params = [p for p in probe.parameters() if p.requires_grad]
        grads = torch.autograd.grad(total, params, allow_unused=True)
    finally:
        set_rng_state(state)
    return any(g is None for g in grads)


class DataParallelSteps:
    """The trainer's seam under DDP: wrapped step functions, this rank's latents, losses averaged over ranks."""

    def __init__(self, world: World, device: torch.device, *, sync_bn: bool = False) -> None:
        self.world, self.device, self.sync_bn = world, device, sync_bn
        self.modules: list[nn.Module] = []

    def wrap(self, models: Models, fast: StepFunctions) -> StepFunctions:
        if "compile" in fast.names:
            raise DistributedSetupError("--compile is not supported with data-parallel training yet; drop one of them")
        if self.sync_bn:
            for module in models.modules().values():
                nn.SyncBatchNorm.convert_sync_batchnorm(module)  # in place; parameters keep their identity
        ids = [self.device.index] if self.device.type == "cuda" else None
        generator = DistributedDataParallel(models.generator, device_ids=ids)  # G uses all its parameters
        entry = _CriticEntry(models.discriminator, models.loss, fast.discriminator_loss)
        self.modules = [models.generator, models.discriminator, models.loss]
        critic: list[DistributedDataParallel] = []

        def discriminator_loss(D: nn.Module, real: torch.Tensor, fake: torch.Tensor, codes: torch.Tensor) -> Any:
            if not critic:  # built at the first D step, where the probe has real inputs
                unused = self._any_rank(_leaves_parameters_unused(entry, real, fake, codes))
                critic.append(DistributedDataParallel(entry, device_ids=ids, find_unused_parameters=unused))
            total, terms = critic[0](real, fake, codes)
            return LossOutput(total, terms)

        return dataclasses.replace(fast, generator=generator, discriminator_loss=discriminator_loss)

    def _any_rank(self, flag: bool) -> bool:
        value = torch.tensor([float(flag)], device=self.device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def sample_latent(self, models: Models, n: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """This rank's rows of the global batch's latents (drawn identically on every rank)."""
        latent, codes = sample_latent(models, n * self.world.world_size, device)
        rows = slice(self.world.rank * n, (self.world.rank + 1) * n)
        return latent[rows], codes[rows]

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """The mean over ranks (the global batch's loss); a NaN on any rank reaches all, so all stop together."""
        total = values.clone()
        dist.all_reduce(total)
        return total / self.world.world_size

    def replicas_in_sync(self) -> bool:
        """Whether every rank holds bit-identical parameters (what averaged gradients guarantee)."""
        params = [p.detach().reshape(-1).float() for m in self.modules for p in m.parameters()]
        if not params:
            return True
        flat = torch.cat(params)
        low, high = flat.clone(), flat.clone()
        dist.all_reduce(low, op=dist.ReduceOp.MIN)
        dist.all_reduce(high, op=dist.ReduceOp.MAX)
        return bool(torch.equal(low, high))
