"""Quantiles of a tensor's column where it lives, as numpy's ``method="inverted_cdf"``.

The inverted-CDF quantile is a value of the data (the smallest whose share of
the weight reaches the level), so integer weights act as repeated rows. These
functions give numpy's answers, weighted or not, for a column on any device:
the column is never copied to the host, only the few quantiles are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch


def inverted_cdf_quantiles(
    x: torch.Tensor, levels: Sequence[float] | np.ndarray, weight: torch.Tensor | None = None
) -> np.ndarray:
    """numpy's ``np.quantile(x, levels, weights=weight, method="inverted_cdf")``.

    Parameters
    ----------
    x : tensor of shape (n,)
        Values, NaN-free, at least one.
    levels : sequence or ndarray of float
        Levels in [0, 1].
    weight : tensor of shape (n,), default=None
        Non-negative weights, with a positive sum, on ``x``'s device; None (or
        all equal) counts every value once.

    Returns
    -------
    quantiles : ndarray of shape (len(levels),), dtype=float64
    """
    n = x.shape[0]
    x = x.to(torch.float64)
    if weight is None or bool((weight == weight[0]).all()):
        # the (ceil(n q))-th smallest value: a few selections on the CPU, else one sort
        ranks = [min(max(math.ceil(n * q) - 1, 0), n - 1) for q in levels]
        if x.device.type == "cpu" and len(ranks) <= 3:
            return torch.stack([x.kthvalue(r + 1).values for r in ranks]).numpy()
        ordered = x.sort().values
        return ordered[torch.tensor(ranks, device=x.device)].cpu().numpy()
    ordered, order = torch.sort(x, stable=True)
    cdf = weight.to(torch.float64)[order].cumsum(0)
    cdf /= cdf[-1].clone()
    if bool(cdf[0] == 0):  # leading zero weights: level 0 takes the first weighted value
        cdf[cdf == 0] = -1
    wanted = torch.tensor(list(levels), dtype=torch.float64, device=x.device)
    index = torch.searchsorted(cdf, wanted, side="left").clamp(max=n - 1)
    return ordered[index].cpu().numpy()
