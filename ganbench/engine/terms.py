"""Loss terms (``LossOutput.terms``) logged per step next to ``d_loss`` and ``g_loss``.

Each term becomes a ``history.csv`` column and a TensorBoard scalar (``loss/<column>``). The
column is the term's name with its side's prefix: a discriminator term ``r1`` is ``d_r1``, a
generator term ``info`` is ``g_info``; a name that already carries its side's prefix (``d_real``)
is kept as it is, so the two sides can never collide. A term that would be named like a loss
column (``d_loss``) gets ``_term`` appended.

Terms stay on the device like the losses: the training loop writes them into a buffer that is
read out together with the losses, once per ``log_every`` steps (no extra host sync). A term
present on only some steps of an interval (a lazy penalty) is averaged over the steps it was
returned on; an interval without it leaves its cell empty.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch

LOSS_COLUMNS = ("step", "d_loss", "g_loss")
"""The columns every history row has; term columns follow them."""


def term_column(side: str, name: str) -> str:
    """The history column of the term ``name`` returned by ``side`` (``"d"`` or ``"g"``)."""
    prefix = f"{side}_"
    column = name if name.startswith(prefix) else prefix + name
    return f"{column}_term" if column in LOSS_COLUMNS else column


class TermBuffer:
    """One logging interval's loss terms, ``(rows, columns)`` on the device; NaN where a step had no value."""

    def __init__(self, rows: int, device: torch.device) -> None:
        self.rows, self.device = rows, device
        self.columns: dict[str, int] = {}
        self.values = torch.full((rows, 0), math.nan, device=device)

    def record(self, row: int, side: str, terms: Mapping[str, torch.Tensor | float]) -> None:
        """Write one step's ``terms`` of ``side`` into ``row`` (tensors stay on the device)."""
        for name, value in terms.items():
            column = self._index(term_column(side, name))
            if isinstance(value, torch.Tensor):
                value = value.detach().float().mean()  # a scalar by contract; a mean keeps a stray vector loggable
            self.values[row, column] = value

    def _index(self, column: str) -> int:
        if column not in self.columns:
            self.columns[column] = len(self.columns)
            extra = torch.full((self.rows, 1), math.nan, device=self.device)
            self.values = torch.cat((self.values, extra), dim=1)
        return self.columns[column]

    def clear(self) -> None:
        """Forget the interval that was just read out (its rows are about to be written again)."""
        self.values.fill_(math.nan)

    def means(self, values: torch.Tensor) -> dict[str, float]:
        """Per-column means of an interval read out to the host, skipping the steps without the term."""
        out: dict[str, float] = {}
        for column, index in self.columns.items():
            present = values[:, index][~torch.isnan(values[:, index])]
            if present.numel():
                out[column] = float(present.double().mean())
        return out


def scalar_terms(terms: Mapping[str, torch.Tensor | float]) -> dict[str, torch.Tensor]:
    """``terms`` as detached float32 scalars (a float becomes a tensor), so a vmapped loss can return them."""
    return {name: torch.as_tensor(value).detach().float().mean() for name, value in terms.items()}


def history_columns(history: list[Mapping[str, float]]) -> list[str]:
    """``step, d_loss, g_loss`` then every term column, in the order the terms first appeared."""
    fields = list(LOSS_COLUMNS)
    for row in history:
        fields += [key for key in row if key not in fields]
    return fields
