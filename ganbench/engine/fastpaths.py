"""Opt-in fast paths for the training loop: channels_last, mixed precision, torch.compile.

Each is a :class:`~ganbench.engine.config.TrainConfig` field (``channels_last``,
``amp``, ``compile``) and a ``ganbench run`` flag. All are off by default, and
with all off :func:`prepare` hands back the plain callables and a no-op
context, so the default loop runs exactly the operations it always ran (same
numbers, same determinism). ``benchmarks/test_training_speed.py`` measures each
one against the default in the same process.

* ``channels_last``: models and real batches in NHWC, the layout oneDNN (CPU)
  and cuDNN tensor cores prefer for convolutions. Only 4-D tensors change.
* ``amp``: forward passes and losses under ``torch.autocast``. ``bf16`` works on
  CPU and CUDA (no loss scaling needed: bf16 has fp32's exponent range);
  ``fp16`` is CUDA only and uses one ``GradScaler`` per optimiser.
* ``compile``: ``torch.compile`` on the generator's forward and on the loss's
  ``discriminator_loss``/``generator_loss`` (which trace through D), so the
  graph for each update is fused by Inductor. The modules themselves are not
  replaced: state dicts, checkpoints and sampling stay eager and unchanged. A
  compile failure stops the run with a one-line error; there is no silent
  fallback to eager.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from ganbench.engine.build import Models
from ganbench.engine.config import AMP_CHOICES
from ganbench.errors import UserError

_AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class FastPathError(UserError):
    """A fast path that cannot run here (wrong device, no compiler, compile failure)."""


def enabled_names(cfg: Any) -> list[str]:
    """The fast paths ``cfg`` turns on, e.g. ``["channels_last", "amp=bf16"]`` (empty: the default path)."""
    names = []
    if getattr(cfg, "channels_last", False):
        names.append("channels_last")
    if getattr(cfg, "amp", "off") != "off":
        names.append(f"amp={cfg.amp}")
    if getattr(cfg, "compile", False):
        names.append("compile")
    return names


def check_amp(amp: str, device: torch.device) -> None:
    """``amp`` must be a known choice that the device supports."""
    if amp not in AMP_CHOICES:
        raise FastPathError(f"unknown --amp {amp!r}; valid choices: {', '.join(AMP_CHOICES)}")
    if amp == "fp16" and device.type != "cuda":
        raise FastPathError(f"--amp fp16 needs a CUDA device (this run uses {device}); valid here: off, bf16")
    if amp == "bf16" and device.type not in ("cpu", "cuda"):
        raise FastPathError(f"--amp bf16 is supported on cpu and cuda, not {device.type}; valid here: off")


def cxx_compiler() -> str | None:
    """The C++ compiler Inductor will use on CPU (``$CXX``, else g++/c++/clang++ on PATH), or None."""
    candidates = [os.environ["CXX"]] if os.environ.get("CXX") else ["g++", "c++", "clang++"]
    for name in candidates:
        path = shutil.which(name)
        if path:
            return path
    return None


def check_compile(device: torch.device) -> None:
    if device.type == "cpu" and cxx_compiler() is None:
        raise FastPathError(
            "--compile on cpu needs a C++ compiler (g++, c++ or clang++ on PATH, or $CXX); install one or drop it"
        )
    if device.type == "mps":
        raise FastPathError("--compile is not supported on mps here; valid devices for it: cpu, cuda")


def _compile_error(exc: BaseException) -> bool:
    """Whether ``exc`` comes from Dynamo/Inductor (a compile failure), not from the model itself."""
    module = type(exc).__module__ or ""
    return module.startswith(("torch._dynamo", "torch._inductor")) or isinstance(
        exc, torch._dynamo.exc.TorchDynamoException
    )


def _compiled(fn: Callable[..., Any], what: str, device: torch.device) -> Callable[..., Any]:
    """``torch.compile(fn)`` whose compile errors become one-line :class:`FastPathError`."""
    compiled = torch.compile(fn)

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return compiled(*args, **kwargs)
        except Exception as exc:
            if not _compile_error(exc):
                raise
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            raise FastPathError(
                f"--compile failed for {what} on {device}: {type(exc).__name__}: {first}; run without --compile"
            ) from exc

    return call


@dataclass
class StepFunctions:
    """What the training loop calls; with no fast path these are the models' own methods."""

    generator: Callable[[torch.Tensor], torch.Tensor]
    discriminator_loss: Callable[..., Any]
    generator_loss: Callable[..., Any]
    amp_dtype: torch.dtype | None = None
    device_type: str = "cpu"
    channels_last: bool = False
    scalers: dict[str, Any] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.amp_dtype)

    def batches(self, batches: Iterator[Any]) -> Iterator[Any]:
        """Real batches (bare, or ``(x, labels)`` pairs) in the fast paths' memory format."""
        if not self.channels_last:
            return batches

        def nhwc(b: torch.Tensor) -> torch.Tensor:
            return b.contiguous(memory_format=torch.channels_last) if b.dim() == 4 else b

        return ((nhwc(b[0]), *b[1:]) if isinstance(b, tuple) else nhwc(b) for b in batches)

    def update(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, which: str) -> None:
        """``loss.backward(); optimizer.step()``, through a GradScaler when fp16 needs one."""
        scaler = self.scalers.get(which)
        if scaler is None:
            loss.backward()
            optimizer.step()
            return
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()


def prepare(models: Models, cfg: Any, device: torch.device) -> StepFunctions:
    """Apply ``cfg``'s fast paths to ``models`` (in place for channels_last) and return the step callables."""
    device = torch.device(device)
    amp = getattr(cfg, "amp", "off")
    check_amp(amp, device)
    G, loss = models.generator, models.loss
    fns = StepFunctions(G, loss.discriminator_loss, loss.generator_loss, device_type=device.type)
    fns.names = enabled_names(cfg)
    if getattr(cfg, "channels_last", False):
        for module in models.modules().values():
            module.to(memory_format=torch.channels_last)  # parameters keep their identity: optimisers stay valid
        fns.channels_last = True
    if amp != "off":
        fns.amp_dtype = _AMP_DTYPES[amp]
        if amp == "fp16":
            fns.scalers = {"d": torch.amp.GradScaler("cuda"), "g": torch.amp.GradScaler("cuda")}
    if getattr(cfg, "compile", False):
        check_compile(device)
        fns.generator = _compiled(G, "the generator", device)
        fns.discriminator_loss = _compiled(loss.discriminator_loss, "the discriminator loss", device)
        fns.generator_loss = _compiled(loss.generator_loss, "the generator loss", device)
    return fns


FAST_PATH_KEYS = ("channels_last", "amp", "compile")
"""The TrainConfig fields (and ``ganbench run`` options) that select fast paths."""


def check_fast_paths(options: Any, device: torch.device) -> None:
    """Fail before planning when a requested fast path cannot run on ``device`` (one-line errors)."""
    check_amp(options.get("amp") or "off", torch.device(device))
    if options.get("compile"):
        check_compile(torch.device(device))
