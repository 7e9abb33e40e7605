"""An exponential moving average of the generator's weights (``ganbench run --ema DECAY``).

Averaging G's weights over training (Yazıcı et al. 2019, "The Unusual
Effectiveness of Averaging in GAN Training"; Karras et al. 2018) gives a
generator that is usually better than the last raw one. After each generator
update (once per step of the loop) the average moves towards the raw weights::

    ema = d * ema + (1 - d) * raw,   d = min(decay, (1 + t) / (10 + t))

where ``t`` counts the updates since ``ema_start``. Before ``ema_start`` the
average is a copy of the raw weights (StudioGAN's ``ema_start``); the
``(1 + t) / (10 + t)`` ramp (TensorFlow's ``ExponentialMovingAverage`` with
``num_updates``) keeps the early average from being dominated by the weights
it started from, which matters for short runs (0.999 ** 300 is still 0.74).

Buffers (batch-norm running mean and variance, spectral-norm vectors) are
*copied* from the raw G at every update, as StudioGAN does: a running mean of
averaged weights is not the average of running means, and the raw G's statistics
are the ones measured on the activations the network produced most recently.
The EMA generator is evaluated in eval mode, i.e. with those copied statistics.

The update is two fused ``torch._foreach`` calls on the device: no host sync,
and the decay is computed on the host from the step number.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ganbench.engine.config import DEFAULT_EMA_START, check_ema


def effective_decay(decay: float, start: int, step: int) -> float:
    """The decay used by the update after generator update ``step`` (0-based): 0 before ``start``."""
    if step < start:
        return 0.0
    t = step - start
    return min(decay, (1 + t) / (10 + t))


class EmaGenerator:
    """Holds the averaged copy of a generator and updates it in place after each generator update."""

    def __init__(self, generator: nn.Module, decay: float, start: int = DEFAULT_EMA_START) -> None:
        check_ema(decay, start)
        self.decay, self.start = float(decay), int(start)
        self.module = copy.deepcopy(generator).eval()
        self.module.requires_grad_(False)
        self._raw_params = list(generator.parameters())
        self._ema_params = list(self.module.parameters())
        self._raw_buffers = list(generator.buffers())
        self._ema_buffers = list(self.module.buffers())

    @torch.no_grad()
    def update(self, step: int) -> None:
        """After generator update ``step`` (0-based): move the average, copy the buffers."""
        d = effective_decay(self.decay, self.start, step)
        if d == 0.0:
            torch._foreach_copy_(self._ema_params, self._raw_params)
        else:
            torch._foreach_lerp_(self._ema_params, self._raw_params, 1.0 - d)
        if self._ema_buffers:
            torch._foreach_copy_(self._ema_buffers, self._raw_buffers)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.module.load_state_dict(state)
