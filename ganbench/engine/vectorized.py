"""Train S seeds of one cell as one batched model (``ganbench run --seeds 0-7 --vectorize-seeds``).

Small models (the 2D MLPs) leave most of a device idle: each step is a chain
of tiny kernels. Here the S seeds' parameters and buffers are stacked along a
new leading dimension (``torch.func.stack_module_state``) and every forward
runs under ``torch.func.vmap`` over ``functional_call``, so one kernel does the
work of S. Each seed still gets exactly its sequential run's inputs:

* its models are built after ``seed_everything(seed)``, as in a cell;
* its real batches come from its own ``batch_stream(seed=seed)``;
* its latents are drawn from its own copy of the global RNG state, which is
  swapped in for the draw (so plugins' ``sample_codes`` need no generator);
* Adam is element-wise, so one Adam over stacked tensors is S independent Adams;
  the summed loss gives each seed's parameters the gradient of its own loss.

What differs from S sequential runs is float round-off only (batched matrix
products sum in another order). The step mirrors the built-in training steps:
``alternating`` (D takes ``d_steps`` updates with G fixed, then G one update through
the updated D, on the fake batch of the last D step) and ``simultaneous`` (the last
D update and the G update both from the parameters before either). A loss's named terms are logged per seed, as
:func:`ganbench.engine.trainer.train` logs them. A seed whose loss turns non-finite is marked
diverged at that step; the other seeds go on (the seeds never interact).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from ganbench.engine.build import Models
from ganbench.engine.config import TrainConfig
from ganbench.engine.devices import synchronize
from ganbench.engine.seeding import rng_state, set_rng_state
from ganbench.engine.terms import TermBuffer, scalar_terms
from ganbench.engine.trainer import TrainResult, sample_latent
from ganbench.errors import UserError

Tensors = dict[str, torch.Tensor]
LossParts = tuple[torch.Tensor, Tensors]
"""A loss's total and its named terms (scalars), as the vmapped loss functions return them."""
ADAM_KERNEL = {"fused": True}
"""One fused kernel per parameter (CPU and CUDA): the same update as the per-tensor loop up to round-off;
with S seeds stacked the optimiser step is a large share of a small model's step."""


def check_vectorizable(models: Models, cfg: TrainConfig) -> None:
    """Refuse, in one line, what the batched loop does not reproduce exactly."""
    loss = models.recipe.loss
    if any(True for _ in models.loss.parameters()) or int(getattr(models.loss, "code_dim", 0)):
        raise UserError(
            f"--vectorize-seeds needs a loss without its own modules or latent codes; loss {loss!r} has them "
            "(run the seeds one by one instead)"
        )
    fast = [name for name in ("channels_last", "compile") if getattr(cfg, name)] + (["amp"] if cfg.amp != "off" else [])
    if fast:
        raise UserError(f"--vectorize-seeds cannot be combined with the fast path(s) {', '.join(fast)}")
    # training seams: this loop has its own Adam and its own alternating and simultaneous steps, and passes no labels
    seams = [
        f"{k}={getattr(cfg, k)}"
        for k, default in _SEAM_DEFAULTS.items()
        if getattr(cfg, k) != default and not (k == "training_step" and getattr(cfg, k) in VECTORIZED_STEPS)
    ]
    seams += [f"{name}_options" for name in _SEAM_DEFAULTS if getattr(cfg, f"{name}_options")]
    if seams:
        raise UserError(
            f"--vectorize-seeds trains with Adam and the {' or '.join(VECTORIZED_STEPS)} step only; "
            f"drop {', '.join(seams)}"
        )
    conditional = [part for part, m in models.modules().items() if getattr(m, "conditional", False)]
    if conditional:
        raise UserError(f"--vectorize-seeds cannot train a conditional {' or '.join(conditional)}")


VECTORIZED_STEPS = ("alternating", "simultaneous")
"""The built-in training steps this loop reproduces (a plugin's step runs the seeds one by one)."""
_SEAM_DEFAULTS = {
    "optimizer_g": "adam",
    "optimizer_d": "adam",
    "schedule_g": "constant",
    "schedule_d": "constant",
    "training_step": "alternating",
}


def _real(batch: object) -> torch.Tensor:
    """The real samples of a ``batch_stream`` item (``(x, labels)``), or a bare batch."""
    return batch[0] if isinstance(batch, tuple) else batch  # type: ignore[return-value]


class _Method(nn.Module):
    """Exposes one method of ``inner`` as ``forward``, so ``functional_call`` can call ``features``/``classify``."""

    def __init__(self, inner: nn.Module, method: str) -> None:
        super().__init__()
        self.inner = inner
        self.method = method

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        return getattr(self.inner, self.method)(*args)


class _SeedDiscriminator:
    """What a loss sees inside ``vmap``: one seed's discriminator, called through its (batched) state."""

    def __init__(self, calls: dict[str, _Method], state: Tensors) -> None:
        self._calls = calls
        self._state = {f"inner.{key}": value for key, value in state.items()}

    def _call(self, method: str, x: torch.Tensor) -> torch.Tensor:
        return functional_call(self._calls[method], self._state, (x,))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self._call("forward", x)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self._call("features", x)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self._call("classify", features)

    def __getattr__(self, name: str) -> object:  # feature_dim, batch_multiple, ...
        return getattr(self._calls["forward"].inner, name)


@dataclass
class SeedStack:
    """S same-shaped modules as stacked parameters (trainable leaves) and buffers."""

    template: nn.Module
    params: Tensors
    buffers: Tensors

    @classmethod
    def of(cls, modules: Sequence[nn.Module]) -> SeedStack:
        params, buffers = stack_module_state(list(modules))
        template = copy.deepcopy(modules[0]).to("meta")
        return cls(template, params, buffers)

    def state(self, *, trainable: bool = True) -> Tensors:
        params = self.params if trainable else {k: v.detach() for k, v in self.params.items()}
        return {**params, **self.buffers}

    def unstack_into(self, modules: Sequence[nn.Module]) -> None:
        """Copy each seed's slice back into its own module (for evaluation and the saved generator)."""
        with torch.no_grad():
            for s, module in enumerate(modules):
                named = {**dict(module.named_parameters()), **dict(module.named_buffers())}
                for key, stacked in {**self.params, **self.buffers}.items():
                    named[key].copy_(stacked[s])


@dataclass
class VectorizedResult:
    results: list[TrainResult]
    """One per seed, like a sequential cell's."""
    batched_img_s: float = math.nan
    """All seeds' generator samples per second together, after warm-up."""
    histories: list[list[dict[str, float]]] = field(default_factory=list)


class _SeedRng:
    """Per-seed copies of the global RNG state, swapped in around each seed's latent draw."""

    def __init__(self, states: Sequence[dict]) -> None:
        self.states = list(states)

    def draw(self, s: int, fn: Callable[[], torch.Tensor]) -> torch.Tensor:
        set_rng_state(self.states[s])
        out = fn()
        self.states[s] = rng_state()
        return out


def train_vectorized(
    seed_models: Sequence[Models],
    rng_states: Sequence[dict],
    streams: Sequence[Iterator[torch.Tensor]],
    cfg: TrainConfig,
    device: torch.device,
    *,
    on_log: Callable[[int, list[dict[str, float]], float], None] | None = None,
) -> VectorizedResult:
    """Train ``len(seed_models)`` seeds for ``cfg.steps`` generator updates as one batched model.

    ``rng_states[s]`` is the global RNG state seed s's sequential run would have
    right after building its models; ``streams[s]`` its real batches.
    ``on_log(step, per_seed_losses, batched_img_s)`` is called every ``log_every`` steps.
    """
    S = len(seed_models)
    check_vectorizable(seed_models[0], cfg)
    for models in seed_models:
        for module in models.modules().values():
            module.train()
    G = SeedStack.of([m.generator for m in seed_models])
    D = SeedStack.of([m.discriminator for m in seed_models])
    loss = seed_models[0].loss
    d_calls = {name: _Method(D.template, name) for name in ("forward", "features", "classify")}
    betas = (cfg.beta1, cfg.beta2)
    opt_g = torch.optim.Adam(G.params.values(), lr=cfg.lr_g, betas=betas, **ADAM_KERNEL)
    opt_d = torch.optim.Adam(D.params.values(), lr=cfg.lr_d, betas=betas, **ADAM_KERNEL)
    rng = _SeedRng(rng_states)
    saved = rng_state()
    simultaneous = cfg.training_step == "simultaneous"

    def generate(g_state: Tensors, latent: torch.Tensor) -> torch.Tensor:
        return functional_call(G.template, g_state, (latent,))

    def d_loss(d_state: Tensors, real: torch.Tensor, fake: torch.Tensor, codes: torch.Tensor) -> LossParts:
        out = loss.discriminator_loss(_SeedDiscriminator(d_calls, d_state), real, fake, codes)
        return out.total, scalar_terms(out.terms)

    def g_loss(d_state: Tensors, fake: torch.Tensor, codes: torch.Tensor) -> LossParts:
        out = loss.generator_loss(_SeedDiscriminator(d_calls, d_state), fake, codes)
        return out.total, scalar_terms(out.terms)

    v_generate, v_d_loss, v_g_loss = vmap(generate), vmap(d_loss), vmap(g_loss)
    template_models = seed_models[0]

    buffer = torch.zeros(cfg.log_every, S, 2, device=device)
    seed_terms = [TermBuffer(cfg.log_every, device) for _ in range(S)]  # each seed's loss terms, as train() logs
    histories: list[list[dict[str, float]]] = [[] for _ in range(S)]
    results = [TrainResult(status="ok", steps_done=0) for _ in range(S)]
    warmup_end, timer_start, measured_from = cfg.warmup, None, 0
    wall_start = time.perf_counter()
    last_log_time, last_log_step = wall_start, 0
    step = 0
    try:
        while step < cfg.steps:
            if step == warmup_end:
                synchronize(device)
                timer_start, measured_from = time.perf_counter(), step
            for i in range(cfg.d_steps):
                real = torch.stack([_real(next(stream)) for stream in streams])
                n = real.shape[1]
                latent = torch.stack(
                    [rng.draw(s, lambda n=n: sample_latent(template_models, n, device)[0]) for s in range(S)]
                )
                codes = latent[..., template_models.generator.noise_dim :]
                with torch.set_grad_enabled(i == cfg.d_steps - 1):
                    fake = v_generate(G.state(), latent)
                d_out, d_terms = v_d_loss(D.state(), real, fake.detach(), codes)
                if simultaneous and i == cfg.d_steps - 1:
                    break  # D's last update is taken below, from the parameters G's loss sees
                opt_d.zero_grad(set_to_none=True)
                d_out.sum().backward()
                opt_d.step()
            g_out, g_terms = v_g_loss(D.state(trainable=False), fake, codes)
            opt_g.zero_grad(set_to_none=True)
            g_out.sum().backward()
            opt_g.step()
            if simultaneous:  # D's graph holds no G parameter: its gradient is still the step's starting one
                opt_d.zero_grad(set_to_none=True)
                d_out.sum().backward()
                opt_d.step()
            buffer[step % cfg.log_every, :, 0] = d_out.detach()
            buffer[step % cfg.log_every, :, 1] = g_out.detach()
            if d_terms or g_terms:
                for s, terms in enumerate(seed_terms):
                    terms.record(step % cfg.log_every, "d", {k: v[s] for k, v in d_terms.items()})
                    terms.record(step % cfg.log_every, "g", {k: v[s] for k, v in g_terms.items()})
            step += 1
            if step % cfg.log_every == 0 or step == cfg.steps:
                n = (step - 1) % cfg.log_every + 1
                values = buffer[:n].cpu()  # the one host sync per logging interval (and one per seed with terms)
                term_means = [terms.means(terms.values[:n].cpu()) if terms.columns else {} for terms in seed_terms]
                for terms in seed_terms:
                    terms.clear()
                _record(values, term_means, step, results, histories)
                now = time.perf_counter()
                img_s = (step - last_log_step) * cfg.batch_size * S / max(now - last_log_time, 1e-9)
                last_log_time, last_log_step = now, step
                if on_log is not None:
                    on_log(step, [h[-1] if h else {} for h in histories], img_s)
                if all(r.status == "diverged" for r in results):
                    break
        synchronize(device)
    finally:
        set_rng_state(saved)
    end = time.perf_counter()
    G.unstack_into([m.generator for m in seed_models])
    D.unstack_into([m.discriminator for m in seed_models])
    batched = (
        (step - measured_from) * cfg.batch_size * S / (end - timer_start)
        if timer_start is not None and step > measured_from
        else math.nan
    )
    for result, history in zip(results, histories, strict=True):
        if result.status == "ok":
            result.steps_done = step
        result.history = history
        result.wall_s = end - wall_start
        result.train_s = result.wall_s  # no callbacks run inside the batched loop
        result.train_img_s = batched / S
    return VectorizedResult(results, batched, histories)


def _record(
    values: torch.Tensor,
    term_means: list[dict[str, float]],
    step: int,
    results: list[TrainResult],
    histories: list[list[dict[str, float]]],
) -> None:
    """Per-seed history rows and divergence, from one logging interval's ``(n, S, 2)`` losses and each seed's
    loss-term means (:mod:`ganbench.engine.terms`)."""
    n = values.shape[0]
    for s, result in enumerate(results):
        if result.status != "ok":
            continue
        seed_values = values[:, s]
        finite = torch.isfinite(seed_values).all(dim=1)
        if not bool(finite.all()):
            bad = int((~finite).nonzero()[0, 0])
            result.status, result.diverged_step = "diverged", step - n + bad + 1
            result.steps_done = result.diverged_step
            continue
        d_mean, g_mean = seed_values.mean(dim=0).tolist()
        histories[s].append({"step": step, "d_loss": d_mean, "g_loss": g_mean, **term_means[s]})
        result.d_loss, result.g_loss = seed_values[-1].tolist()
