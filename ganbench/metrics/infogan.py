"""InfoGAN categorical-code accuracy (Chen et al. 2016; docs/metrics.md).

The categorical code is learned without labels, so category k need not mean
digit k: the best one-to-one matching of categories to labels (Hungarian
algorithm on the contingency table) is found first, and accuracy is the share
of samples the matching gets right. This is a best case over matchings, so
random predictions score slightly above 1/K on finite samples.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from ganbench.errors import UserError


def categorical_code_accuracy(
    predicted: torch.Tensor | np.ndarray,
    labels: torch.Tensor | np.ndarray,
    num_categories: int,
) -> float:
    """Accuracy of ``predicted`` categories against ``labels`` under the best one-to-one matching.

    ``predicted`` is ``(N,)`` category indices (argmax of Q), or ``(N, K)``
    logits/probabilities whose argmax is taken. ``labels`` is ``(N,)`` class
    indices. Builds C[k, label], solves ``linear_sum_assignment(C, maximize=True)``
    and returns matched / N. The table is rectangular if labels have more or
    fewer classes than ``num_categories``; unmatched rows/columns count as errors.
    """
    if isinstance(num_categories, bool) or not isinstance(num_categories, int) or num_categories < 1:
        raise UserError(f"num_categories must be a positive integer, got {num_categories!r}")
    pred = torch.as_tensor(np.asarray(predicted) if not isinstance(predicted, torch.Tensor) else predicted)
    lab = torch.as_tensor(np.asarray(labels) if not isinstance(labels, torch.Tensor) else labels)
    pred, lab = pred.detach().cpu(), lab.detach().cpu()
    if pred.dim() == 2:
        if pred.shape[1] != num_categories:
            raise ValueError(f"predicted logits have {pred.shape[1]} columns, expected num_categories={num_categories}")
        pred = pred.argmax(dim=1)
    if pred.dim() != 1 or lab.dim() != 1 or pred.shape[0] != lab.shape[0]:
        raise ValueError(f"predicted (N,) and labels (N,) must match, got {tuple(pred.shape)} and {tuple(lab.shape)}")
    if pred.dtype.is_floating_point or lab.dtype.is_floating_point:
        raise ValueError("predicted and labels must be integer indices (or predicted as (N, K) logits)")
    n = lab.shape[0]
    if n == 0:
        raise ValueError("cannot compute accuracy of zero samples")
    pred, lab = pred.long(), lab.long()
    if int(pred.min()) < 0 or int(pred.max()) >= num_categories:
        raise ValueError(f"predicted categories must lie in [0, {num_categories - 1}]")
    if int(lab.min()) < 0:
        raise ValueError("labels must be non-negative class indices")
    num_labels = max(num_categories, int(lab.max()) + 1)
    table = torch.zeros(num_categories, num_labels, dtype=torch.long)
    table.index_put_((pred, lab), torch.ones(n, dtype=torch.long), accumulate=True)
    table_np = table.numpy()
    rows, cols = linear_sum_assignment(table_np, maximize=True)
    return float(table_np[rows, cols].sum()) / n
