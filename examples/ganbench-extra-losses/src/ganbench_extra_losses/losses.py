"""Two adversarial objectives beyond the original GAN's (the hinge loss is built into ganbench).

Both work on the discriminator's raw output ``D(x)`` of shape ``(N,)`` (a score
for least squares, a critic value for WGAN-GP); neither applies a sigmoid.
"""

from __future__ import annotations

import numbers

import torch
from ganbench.plugin import BuildContext, Discriminator, GANLoss, IncompatibleError, LossOutput
from torch import nn

GP_WEIGHT = 10.0
"""λ of Gulrajani et al. (2017), used for all their experiments."""


def gradient_penalty(
    critic: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    weight: float = GP_WEIGHT,
    eps: torch.Tensor | None = None,
) -> torch.Tensor:
    """``weight · E[(‖∇ D(x̂)‖₂ - 1)²]`` at ``x̂ = ε·real + (1 - ε)·fake``, ``ε ~ U[0, 1]`` per sample.

    The gradient is taken with ``create_graph=True`` so that the penalty
    itself can be differentiated with respect to the critic's weights (the
    point of the penalty). ``eps`` (shape ``(N,)``) may be given for tests.
    """
    n = real.shape[0]
    if eps is None:
        eps = torch.rand(n, device=real.device, dtype=real.dtype)
    eps = eps.view(n, *([1] * (real.dim() - 1)))
    mixed = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(mixed)
    (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    # sqrt(· + tiny) rather than .norm(): the norm's gradient is NaN at an exactly zero gradient.
    norms = torch.sqrt(grad.flatten(1).pow(2).sum(dim=1) + 1e-12)
    return weight * (norms - 1).pow(2).mean()


def _uses_batch_norm(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


class WassersteinGPLoss(GANLoss):
    """WGAN-GP (Gulrajani et al. 2017): the critic maximises ``E[D(x)] - E[D(G(z))]``, penalised to be 1-Lipschitz.

    The penalty is per sample, so the critic must not use batch norm (it
    couples the samples of a batch); the paper suggests layer norm instead.
    A batch-norm discriminator is refused on first use with a one-line error.
    """

    def __init__(self, gp_weight: float) -> None:
        super().__init__()
        self.gp_weight = gp_weight
        self._checked: set[int] = set()

    def _check_critic(self, discriminator: Discriminator) -> None:
        if id(discriminator) in self._checked:
            return
        if _uses_batch_norm(discriminator):
            raise IncompatibleError(
                f"loss 'wgan-gp' needs a critic without batch norm, got {type(discriminator).__name__}; "
                "use discriminator critic-dcgan (images) or critic-mlp (points)"
            )
        self._checked.add(id(discriminator))

    def discriminator_loss(
        self, discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor, codes: torch.Tensor
    ) -> LossOutput:
        self._check_critic(discriminator)
        d_real = discriminator(real).mean()
        d_fake = discriminator(fake).mean()
        gp = gradient_penalty(discriminator, real, fake, weight=self.gp_weight)
        return LossOutput(d_fake - d_real + gp, {"wasserstein": (d_real - d_fake).detach(), "gp": gp.detach()})

    def generator_loss(self, discriminator: Discriminator, fake: torch.Tensor, codes: torch.Tensor) -> LossOutput:
        return LossOutput(-discriminator(fake).mean())


class LeastSquaresLoss(GANLoss):
    """LSGAN (Mao et al. 2017, eq. 2): D: ``½E[(D(x) - b)²] + ½E[(D(G(z)) - a)²]``, G: ``½E[(D(G(z)) - c)²]``.

    The default ``a, b, c = 0, 1, 1`` is the paper's 0-1 coding; ``-1, 1, 0``
    is its other recommended choice (b - c = 1, b - a = 2).
    """

    def __init__(self, a: float, b: float, c: float) -> None:
        super().__init__()
        self.a, self.b, self.c = a, b, c

    def discriminator_loss(
        self, discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor, codes: torch.Tensor
    ) -> LossOutput:
        d_real = 0.5 * (discriminator(real) - self.b).pow(2).mean()
        d_fake = 0.5 * (discriminator(fake) - self.a).pow(2).mean()
        return LossOutput(d_real + d_fake, {"d_real": d_real.detach(), "d_fake": d_fake.detach()})

    def generator_loss(self, discriminator: Discriminator, fake: torch.Tensor, codes: torch.Tensor) -> LossOutput:
        return LossOutput(0.5 * (discriminator(fake) - self.c).pow(2).mean())


def _number(loss: str, option: str, value: object, *, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or (minimum is not None and value < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise IncompatibleError(f"loss {loss!r}: option {option}={value!r} must be a number{bound}")
    return float(value)


def wgan_gp_loss(ctx: BuildContext, *, gp_weight: float = GP_WEIGHT) -> WassersteinGPLoss:
    return WassersteinGPLoss(_number("wgan-gp", "gp_weight", gp_weight, minimum=0.0))


def least_squares_loss(ctx: BuildContext, *, a: float = 0.0, b: float = 1.0, c: float = 1.0) -> LeastSquaresLoss:
    a, b, c = (_number("lsgan", k, v) for k, v in (("a", a), ("b", b), ("c", c)))
    if a == b:
        raise IncompatibleError(f"loss 'lsgan': options a and b must differ (fake and real targets), got a=b={a}")
    return LeastSquaresLoss(a, b, c)
