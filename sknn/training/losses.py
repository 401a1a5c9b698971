"""Task losses and the ensemble contract: train every member, predict with their average.

Every network output is handled in one shape, ``(batch, k, n_outputs)``: ``k``
ensemble members (``k = 1`` for a single network), as TabM does. Training
minimizes the mean of the members' losses (:func:`members_loss`); prediction
averages the members' probabilities, or their values for regression
(:func:`combine`). Losses take ``(outputs, targets, weight)`` and return the
(weighted) mean over samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from sknn.training.data import weighted_mean

LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]

# how members combine, by the task's output: mean probability, mean value, or
# the log of the mean value for outputs that are log-means (log-link losses)
KINDS = ("softmax", "binary", "multilabel", "regression", "log_regression")


def cross_entropy(label_smoothing: float = 0.0) -> LossFn:
    """Softmax cross-entropy against class indices, optionally label-smoothed."""

    def loss(out, y, weight):
        if weight is None:
            return F.cross_entropy(out, y, label_smoothing=label_smoothing)
        per_sample = F.cross_entropy(out, y, reduction="none", label_smoothing=label_smoothing)
        return weighted_mean(per_sample, weight)

    return loss


def logistic(label_smoothing: float = 0.0) -> LossFn:
    """Sigmoid cross-entropy against 0/1 targets, averaged over the outputs.

    For multilabel targets and binary targets with one logit; label smoothing
    moves each target ``label_smoothing / 2`` towards the other label.
    """

    def loss(out, y, weight):
        if label_smoothing:
            y = y * (1 - label_smoothing) + label_smoothing / 2
        if weight is None:
            return F.binary_cross_entropy_with_logits(out, y)
        per_output = F.binary_cross_entropy_with_logits(out, y, reduction="none")
        return weighted_mean(per_output.mean(dim=1), weight)

    return loss


def squared_error() -> LossFn:
    """Mean squared error, averaged over the outputs."""

    def loss(out, y, weight):
        if weight is None:
            return F.mse_loss(out, y)
        return weighted_mean((out - y).square().mean(dim=1), weight)

    return loss


def absolute_error() -> LossFn:
    """Mean absolute error, averaged over the outputs: its minimizer is the median."""

    def loss(out, y, weight):
        return weighted_mean((out - y).abs().mean(dim=1), weight)

    return loss


def huber(delta: Sequence[float]) -> LossFn:
    """Huber's loss, averaged over the outputs: quadratic within ``delta[j]`` of
    output ``j``'s target and linear beyond, so a few wild targets pull less."""

    def loss(out, y, weight):
        d = torch.as_tensor(delta, dtype=out.dtype, device=out.device)
        r = (out - y).abs()
        per_output = torch.where(r <= d, 0.5 * r * r, d * (r - 0.5 * d))
        return weighted_mean(per_output.mean(dim=1), weight)

    return loss


def poisson() -> LossFn:
    """Half the Poisson deviance of ``exp(out)`` (a log link), averaged over the outputs.

    Zero at a perfect fit: ``y log(y / mu) - y + mu`` with ``mu = exp(out)``.
    """

    def loss(out, y, weight):
        per_output = out.exp() - y + torch.xlogy(y, y) - y * out
        return weighted_mean(per_output.mean(dim=1), weight)

    return loss


def gamma() -> LossFn:
    """Half the Gamma deviance of ``exp(out)`` (a log link), for positive targets."""

    def loss(out, y, weight):
        per_output = out - y.log() + y * (-out).exp() - 1
        return weighted_mean(per_output.mean(dim=1), weight)

    return loss


def tweedie(power: float) -> LossFn:
    """Half the Tweedie deviance of ``exp(out)`` with variance ``mu ** power``.

    ``power`` 1 is the Poisson deviance, 2 the Gamma deviance, between them a
    compound Poisson-Gamma (counts of positive amounts, many of them zero).
    """
    if power == 1:
        return poisson()
    if power == 2:
        return gamma()
    p = float(power)

    def loss(out, y, weight):
        y_term = y.clamp_min(0) ** (2 - p) / ((1 - p) * (2 - p))
        per_output = y_term - y * ((1 - p) * out).exp() / (1 - p) + ((2 - p) * out).exp() / (2 - p)
        return weighted_mean(per_output.mean(dim=1), weight)

    return loss


def pinball(levels: Sequence[float], n_outputs: int) -> LossFn:
    """The pinball (quantile) loss of several quantiles of each output.

    Outputs are ``(batch, n_outputs * len(levels))``, each output's quantiles
    side by side in the order of ``levels``; targets ``(batch, n_outputs)``.
    The loss is averaged over outputs and levels.
    """

    def loss(out, y, weight):
        tau = torch.as_tensor(levels, dtype=out.dtype, device=out.device).repeat(n_outputs)
        residual = y.repeat_interleave(len(levels), dim=1) - out
        per_output = torch.maximum(tau * residual, (tau - 1) * residual)
        return weighted_mean(per_output.mean(dim=1), weight)

    return loss


def ordered_quantiles(out: torch.Tensor, n_quantiles: int) -> torch.Tensor:
    """Each output's ``n_quantiles`` values sorted ascending: quantiles never cross.

    ``out`` is ``(..., n_outputs * n_quantiles)``; sorting is a permutation, so
    gradients flow to the value each rank came from.
    """
    if n_quantiles == 1:
        return out
    grouped = out.unflatten(-1, (-1, n_quantiles))
    return grouped.sort(dim=-1).values.flatten(-2)


def task_loss(kind: str, label_smoothing: float = 0.0) -> LossFn:
    """The loss of a task kind (see :data:`KINDS`) on one member's outputs."""
    if kind == "softmax":
        return cross_entropy(label_smoothing)
    if kind in ("binary", "multilabel"):
        return logistic(label_smoothing)
    return squared_error()


def members_loss(loss: LossFn) -> LossFn:
    """Train every member of ``(batch, k, n)`` outputs: the mean of their losses.

    The ``k * batch`` rows are scored at once, each member against the same
    targets, and the same weights or, given ``(batch, k)`` weights, its own
    (a cross-fitted member trains on some rows only: 0 on the others).
    """

    def each_member(out, y, weight):
        k = out.shape[1]
        if k == 1:
            return loss(
                out[:, 0], y, weight if weight is None or weight.dim() == 1 else weight[:, 0]
            )
        out = out.flatten(0, 1)
        y = y.repeat_interleave(k, dim=0)
        if weight is not None:  # per row, or (batch, k) per row and member
            weight = weight.flatten() if weight.dim() == 2 else weight.repeat_interleave(k)
        return loss(out, y, weight)

    return each_member


def combine(out: torch.Tensor, kind: str, members: torch.Tensor | None = None) -> torch.Tensor:
    """Combine ``(batch, k, n)`` member outputs into one ``(batch, n)`` output.

    ``"softmax"``: the log of the members' mean probability (still valid
    logits); ``"binary"``/``"multilabel"``: the logit of the mean sigmoid
    probability; ``"regression"``: the mean value; ``"log_regression"``: the
    log of the mean of ``exp(out)`` (members predicting log-means).
    ``members``, a ``(batch, k)`` mask, combines each row's selected members
    only (each row needs one).
    """
    k = out.shape[1]
    log_mask: torch.Tensor | float
    log_k: torch.Tensor | float
    if members is not None:
        count = members.sum(dim=1, keepdim=True).to(out.dtype)  # (batch, 1)
        if kind == "regression":
            return (out * members.unsqueeze(2)).sum(dim=1) / count
        # the log of a mean over the selected members: the others count as -inf
        log_mask = torch.where(members, 0.0, -math.inf).to(out.dtype).unsqueeze(2)
        log_k = count.log()
    elif k == 1:
        return out[:, 0]
    else:
        if kind == "regression":
            return out.mean(dim=1)
        log_mask, log_k = 0.0, math.log(k)
    if kind == "log_regression":
        return torch.logsumexp(out + log_mask, dim=1) - log_k
    if kind == "softmax":
        return torch.logsumexp(torch.log_softmax(out, dim=-1) + log_mask, dim=1) - log_k
    log_p = torch.logsumexp(F.logsigmoid(out) + log_mask, dim=1) - log_k
    log_not_p = torch.logsumexp(F.logsigmoid(-out) + log_mask, dim=1) - log_k
    return log_p - log_not_p


def out_of_fold(
    out: torch.Tensor, kind: str, weight: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The combined output and each row's weight; ``(batch, k)`` weights select members.

    A cross-fitted fit validates each row on the members that never trained on
    it: its weights are the row's weight for those members and 0 for the others.
    """
    if weight is None or weight.dim() == 1:
        return combine(out, kind), weight
    members = weight > 0
    rows = weight.sum(dim=1) / members.sum(dim=1).clamp_min(1)
    members |= ~members.any(dim=1, keepdim=True)  # a row of weight 0: any finite output
    return combine(out, kind, members), rows


def combined_loss(loss: LossFn, kind: str) -> LossFn:
    """``loss`` of the combined prediction: how the ensemble as a whole scores.

    With ``(batch, k)`` weights, each row's prediction combines the members
    its weights select (see :func:`out_of_fold`).
    """

    def ensemble(out, y, weight):
        combined, rows = out_of_fold(out, kind, weight)
        return loss(combined, y, rows)

    return ensemble
