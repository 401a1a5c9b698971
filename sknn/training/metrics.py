"""Scores computed on tensors, for validation during training."""

from __future__ import annotations

import torch

from sknn.training.data import weighted_mean
from sknn.training.device import exact_float


def r2_score(pred: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None) -> float:
    """Coefficient of determination, averaged over outputs, as scikit-learn's ``r2_score``.

    ``pred`` and ``y`` have shape ``(n_samples, n_outputs)``. An output whose
    targets are constant scores 1 when predicted exactly, else 0.
    """
    w = torch.ones(len(y), dtype=y.dtype, device=y.device) if weight is None else weight
    w = (w / w.sum()).to(y.dtype)[:, None]
    mean = (w * y).sum(dim=0)
    ss_res = (w * (y - pred).square()).sum(dim=0)
    ss_tot = (w * (y - mean).square()).sum(dim=0)
    constant = torch.where(ss_res == 0, 1.0, 0.0).to(y.dtype)
    r2 = torch.where(ss_tot > 0, 1 - ss_res / ss_tot.clamp_min(torch.finfo(y.dtype).tiny), constant)
    return r2.mean().item()


def accuracy(
    out: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None, *, by_threshold: bool
) -> float:
    """(Weighted) share of rows whose predicted label is right.

    ``by_threshold``: one logit per label, positive means 1, and a row is right
    when every label is (subset accuracy; ``y`` holds 0/1); otherwise the
    largest logit is the class and ``y`` holds class indices.
    """
    if by_threshold:
        correct = ((out > 0) == (y > 0.5)).all(dim=1)
    else:
        correct = out.argmax(dim=1) == y
    # counted in float64 where the device has it: 4 right of 5 is 0.8, not float32's
    # 0.800000011920929
    exact = exact_float(out.device)
    return weighted_mean(correct.to(exact), None if weight is None else weight.to(exact)).item()


def d2_pinball(
    pred: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None, levels: list[float]
) -> float:
    """Share of the pinball loss explained, averaged over outputs and quantile levels.

    As scikit-learn's ``d2_pinball_score``: 1 minus the pinball loss of
    ``pred`` over that of the targets' own (weighted) quantile. ``pred`` is
    ``(n_samples, n_outputs * len(levels))``, each output's quantiles side by
    side; ``y`` is ``(n_samples, n_outputs)``.
    """
    w = torch.ones(len(y), dtype=y.dtype, device=y.device) if weight is None else weight
    w = (w / w.sum()).to(y.dtype)
    tau = torch.as_tensor(levels, dtype=y.dtype, device=y.device)
    # each output's weighted quantiles (the inverse of its weighted CDF)
    order = y.argsort(dim=0)
    cdf = w[order].cumsum(dim=0)  # (n, n_outputs)
    rank = torch.searchsorted(cdf.T.contiguous(), tau.expand(y.shape[1], -1).contiguous())
    rank = rank.clamp_max(len(y) - 1)
    baseline = y.gather(0, order).T.gather(1, rank).reshape(1, -1)  # (1, n_outputs * n_q)
    target = y.repeat_interleave(len(levels), dim=1)
    tau_all = tau.repeat(y.shape[1])

    def loss(p):
        residual = target - p
        return (w[:, None] * torch.maximum(tau_all * residual, (tau_all - 1) * residual)).sum(0)

    own, base = loss(pred), loss(baseline)
    d2 = torch.where(base > 0, 1 - own / base.clamp_min(torch.finfo(y.dtype).tiny), 0.0)
    return d2.mean().item()
