"""InfoGAN's structured latent codes: layout, sampling and decoding.

A code vector is ``[one_hot(c_1), ..., one_hot(c_k), u]``: one one-hot block
per categorical code (uniform over its categories) followed by the
continuous codes ``u ~ Uniform(-1, 1)`` (Chen et al. 2016, MNIST setup).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class CodeLayout:
    categorical: tuple[int, ...]
    """Number of categories of each categorical code."""
    n_continuous: int

    @property
    def code_dim(self) -> int:
        return sum(self.categorical) + self.n_continuous

    def sample(self, n: int, device: torch.device | str) -> torch.Tensor:
        categories = (
            torch.stack([torch.randint(k, (n,), device=device) for k in self.categorical], dim=1)
            if self.categorical
            else torch.empty(n, 0, dtype=torch.long, device=device)
        )
        continuous = torch.rand(n, self.n_continuous, device=device) * 2 - 1
        return self.make(categories, continuous)

    def make(self, categories: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
        """Assemble codes from category ids ``(N, n_cat)`` and continuous values ``(N, n_cont)``."""
        n = categories.shape[0]
        if categories.shape != (n, len(self.categorical)):
            raise ValueError(f"categories must have shape (N, {len(self.categorical)}), got {tuple(categories.shape)}")
        if continuous.shape != (n, self.n_continuous):
            raise ValueError(f"continuous must have shape (N, {self.n_continuous}), got {tuple(continuous.shape)}")
        blocks = [F.one_hot(categories[:, i].long(), k).to(continuous.dtype) for i, k in enumerate(self.categorical)]
        return torch.cat([*blocks, continuous], dim=1)

    def split(self, codes: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Inverse of :meth:`make`: category ids per categorical code and the continuous block."""
        ids: list[torch.Tensor] = []
        start = 0
        for k in self.categorical:
            ids.append(codes[:, start : start + k].argmax(dim=1))
            start += k
        return ids, codes[:, start : start + self.n_continuous]
