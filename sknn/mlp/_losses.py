"""scikit-learn's MLP losses and validation scores, on torch logits.

Each loss takes the network's raw outputs (before the output activation), the
targets as scikit-learn encodes them (binarized labels, or values) and optional
sample weights, and returns the weighted mean that scikit-learn's
``LOSS_FUNCTIONS`` compute from the activated outputs; the output activation is
folded into the loss for numerical stability.

The value and the gradient are scikit-learn's even where its two disagree:
its gradient is always ``activated output - y`` (times the row's weight), so
with several outputs the squared error steps by the sum over outputs while it
reports their mean, and the log-losses report probabilities clipped to
``[eps, 1 - eps]`` while stepping by the unclipped ones. Without this, SGD on
three targets trained at a third of scikit-learn's rate, and one confidently
wrong row reported a loss of 962 for scikit-learn's 0.96.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from sklearn.metrics import r2_score

from sknn.training import metrics

# Unweighted batches take one fused op each: on small networks the number of
# ops per step, not their arithmetic, sets the speed.


def _total(weight: torch.Tensor) -> torch.Tensor:
    """The batch's total weight; a batch weighing nothing raises as numpy's average does in
    scikit-learn's losses (sknn's fit went on, or failed on "float division by zero")."""
    total = weight.sum()
    if not total:
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    return total


def _reported_as(loss: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """``value`` exactly, with the gradient of ``loss``."""
    return loss - loss.detach() + value.detach()


class _ClippedLogLoss(torch.autograd.Function):
    """A log-loss from logits, its value from probabilities clipped at the dtype's eps
    and its gradient scikit-learn's unclipped ``probability - y`` (per row weight).

    One function rather than the loss plus a clipped copy of it: on a digits
    batch the copy cost 40% more per step than the fused loss; this costs the same.
    """

    @staticmethod
    def forward(ctx, out, y, weight, softmax: bool):
        # scikit-learn's arithmetic: the probabilities, clipped, then their logs (the
        # exact log-sigmoid differs where 1 - p loses digits: 1.6e-3 at a logit of 35,
        # and L-BFGS's line search, which reads the value, took another path)
        eps = torch.finfo(out.dtype).eps
        p = torch.softmax(out, dim=1) if softmax else torch.sigmoid(out)
        clipped = p.clamp(eps, 1 - eps)
        # the targets are 0/1: xlogy(y, p) + xlogy(1 - y, 1 - p) is the log of one of them
        picked = clipped if softmax else torch.where(y > 0, clipped, 1 - clipped)
        per_output = torch.special.xlogy(y, picked) if softmax else picked.log()
        ctx.save_for_backward(p, y, weight)
        ctx.softmax = softmax
        if weight is None:
            return -per_output.mean(dim=0).sum()
        total = ctx.total = _total(weight)  # per output, then summed, as numpy's average
        return -((weight[:, None] * per_output).sum(dim=0) / total).sum()

    @staticmethod
    def backward(ctx, grad):
        p, y, weight = ctx.saved_tensors
        delta = p - y
        if weight is None:
            return delta * (grad / len(y)), None, None, None
        scale = weight / ctx.total  # never 0: the forward pass refused that
        return delta * (grad * scale)[:, None], None, None, None


def squared_error(out, y, weight):
    """Half the squared error, averaged over samples and outputs (identity output);
    with several outputs, the gradient of their sum (see the module)."""
    if out.shape[1] == 1:
        if weight is None:
            return 0.5 * F.mse_loss(out, y)
        return 0.5 * ((out - y).square()[:, 0] * weight).sum() / _total(weight)
    summed = 0.5 * (out - y).square().sum(dim=1)
    loss = summed.mean() if weight is None else (summed * weight).sum() / _total(weight)
    return _reported_as(loss, loss.detach() / out.shape[1])


def poisson(out, y, weight):
    """Half the Poisson deviance, summed over outputs (exponential output)."""
    per_sample = (torch.special.xlogy(y, y) - y * out - y + torch.exp(out)).sum(dim=1)
    return per_sample.mean() if weight is None else (per_sample * weight).sum() / _total(weight)


def log_loss(out, y, weight):
    """Cross-entropy of the softmax against one-hot targets (multiclass), reported
    with the probabilities clipped at eps (see the module)."""
    return _ClippedLogLoss.apply(out, y, weight, True)


def binary_log_loss(out, y, weight):
    """Logistic loss summed over the outputs (binary and multilabel), reported with
    the probabilities clipped at eps (see the module)."""
    return _ClippedLogLoss.apply(out, y, weight, False)


# by scikit-learn's output activation
LOSS_FUNCTIONS = {
    "identity": squared_error,
    "exp": poisson,
    "softmax": log_loss,
    "logistic": binary_log_loss,
}


def accuracy(out_activation: str, n_classes: int = 2):
    """Accuracy of the labels ``predict`` would give (subset accuracy for multilabel).

    With one class, ``predict`` gives it whatever the outputs: 1.0, as scikit-learn
    scores it (the outputs against the binarized targets ranged from 0 to 1, and
    early stopping stopped elsewhere).
    """

    def score(out, y, weight) -> float:
        if n_classes == 1:
            return 1.0
        if out_activation == "softmax":  # one-hot targets
            return _finite_or_nan(
                out, lambda: metrics.accuracy(out, y.argmax(dim=1), weight, by_threshold=False)
            )
        # one logistic unit per label: a probability above 0.5 is a 1
        return _finite_or_nan(out, lambda: metrics.accuracy(out, y, weight, by_threshold=True))

    return score


def r2(out_activation: str):
    """R^2 of the predictions, from raw outputs (exponentiated for Poisson), by
    scikit-learn's own ``r2_score``: on a constant target its float64 sums decide
    between a score of 0 and one near -1e30 (as its mean lands on the constant or
    not), and early stopping with them."""

    def score(out, y, weight) -> float:
        pred = torch.exp(out) if out_activation == "exp" else out

        def r2_of_numpy() -> float:
            w = None if weight is None else weight.cpu().numpy()
            return float(r2_score(y.cpu().numpy(), pred.detach().cpu().numpy(), sample_weight=w))

        return _finite_or_nan(pred, r2_of_numpy)

    return score


def _finite_or_nan(pred: torch.Tensor, score) -> float:
    # scikit-learn scores a model whose predictions overflowed as NaN
    return score() if bool(torch.isfinite(pred).all()) else float("nan")
