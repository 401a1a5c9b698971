"""Scores computed on tensors, for validation during training."""

from __future__ import annotations

import torch

from sknn.training.trainer import weighted_mean


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
    return weighted_mean(correct.to(out.dtype), weight).item()
