"""scikit-learn's MLP losses and validation scores, on torch logits.

Each loss takes the network's raw outputs (before the output activation), the
targets as scikit-learn encodes them (binarized labels, or values) and optional
sample weights, and returns the weighted mean that scikit-learn's
``LOSS_FUNCTIONS`` compute from the activated outputs; the output activation is
folded into the loss for numerical stability.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from sknn.training import metrics
from sknn.training.data import weighted_mean

# Unweighted batches take one fused op each: on small networks the number of
# ops per step, not their arithmetic, sets the speed.


def squared_error(out, y, weight):
    """Half the squared error, averaged over samples and outputs (identity output)."""
    if weight is None:
        return 0.5 * F.mse_loss(out, y)
    return 0.5 * weighted_mean((out - y).square().mean(dim=1), weight)


def poisson(out, y, weight):
    """Half the Poisson deviance, summed over outputs (exponential output)."""
    per_sample = torch.special.xlogy(y, y) - y * out - y + torch.exp(out)
    return weighted_mean(per_sample.sum(dim=1), weight)


def log_loss(out, y, weight):
    """Cross-entropy of the softmax against one-hot targets (multiclass)."""
    if weight is None:
        return F.cross_entropy(out, y)
    return weighted_mean(F.cross_entropy(out, y, reduction="none"), weight)


def binary_log_loss(out, y, weight):
    """Logistic loss summed over the outputs (binary and multilabel)."""
    if weight is None:
        return F.binary_cross_entropy_with_logits(out, y) * out.shape[1]
    per_output = F.binary_cross_entropy_with_logits(out, y, reduction="none")
    return weighted_mean(per_output.sum(dim=1), weight)


# by scikit-learn's output activation
LOSS_FUNCTIONS = {
    "identity": squared_error,
    "exp": poisson,
    "softmax": log_loss,
    "logistic": binary_log_loss,
}


def accuracy(out_activation: str):
    """Accuracy of the labels ``predict`` would give (subset accuracy for multilabel)."""

    def score(out, y, weight) -> float:
        if out_activation == "softmax":  # one-hot targets
            return _finite_or_nan(
                out, lambda: metrics.accuracy(out, y.argmax(dim=1), weight, by_threshold=False)
            )
        # one logistic unit per label: a probability above 0.5 is a 1
        return _finite_or_nan(out, lambda: metrics.accuracy(out, y, weight, by_threshold=True))

    return score


def r2(out_activation: str):
    """R^2 of the predictions, from raw outputs (exponentiated for Poisson)."""

    def score(out, y, weight) -> float:
        pred = torch.exp(out) if out_activation == "exp" else out
        return _finite_or_nan(pred, lambda: metrics.r2_score(pred, y, weight))

    return score


def _finite_or_nan(pred: torch.Tensor, score) -> float:
    # scikit-learn scores a model whose predictions overflowed as NaN
    return score() if bool(torch.isfinite(pred).all()) else float("nan")
