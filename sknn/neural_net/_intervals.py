"""Prediction intervals, calibrated by split conformal prediction on the validation rows.

After a fit that held out validation rows, the regressor keeps one
conformity score per validation row and output (in the targets' units):

- with two quantiles or more (``loss="quantile"``), how far the target lies
  outside the band of the lowest and highest quantile,
  ``max(low - y, y - high)`` (conformalized quantile regression, Romano,
  Patterson and Candes, 2019); the band is then widened, or narrowed where
  the quantiles were too cautious, by the scores' conformal quantile;
- otherwise the absolute residual ``|y - prediction|`` (split conformal): the
  interval is the prediction plus and minus the residuals' conformal quantile;
- for a log-link loss, that residual in units of the loss's standard deviation
  ``prediction ** (power / 2)`` (1 for Poisson, 2 for Gamma, Tweedie's
  ``power``): counts spread as their mean's square root, amounts as their
  mean, and one width for all covered small counts always and large ones
  rarely (Poisson, predicted means of 10 or more: 0.37 at coverage 0.9).

The conformal quantile of ``n`` scores at coverage ``c`` is the
``ceil((n + 1) c)``-th smallest: on rows exchangeable with the validation
rows, the interval covers the target with probability at least ``c``. Rows
weigh their ``sample_weight`` (see :func:`conformal_quantile`). The
validation rows also chose the best epoch, which makes the scores slightly
optimistic; coverage measured on held-out data is in the benchmark.
"""

from __future__ import annotations

import math
import warnings
from numbers import Real

import numpy as np

from sknn.neural_net._plan import validation_output
from sknn.neural_net._regression_losses import variance_power
from sknn.neural_net._targets import unless_equal
from sknn.preprocessing._user_warnings import warn_user
from sknn.training.data import predict_in_chunks


def calibrate(est, valid) -> None:
    """Set ``est``'s conformity scores and weights from its validation rows ``valid``.

    Parameters
    ----------
    est : NeuralNetRegressor
        The fitted regressor (its network and target encoding set).
    valid : TrainingData
        The validation rows, targets encoded as the network learnt them.
    """
    outputs = predict_in_chunks(est.module_, valid.X).double()
    combined, weight = validation_output(est, outputs, valid.weight)
    pred = est._output_link().values_tensor(combined)
    y = valid.y.double().numpy() * est._y_scale + est._y_mean
    est._conformity_power = variance_power(est.loss, est.power) if est._log_link else 0.0
    est.conformity_scores_ = conformity_scores(
        pred.numpy(), y, band=est._n_quantiles > 1, power=est._conformity_power
    )
    est.conformity_weights_ = unless_equal(weight)


def conformity_scores(
    pred: np.ndarray, y: np.ndarray, band: bool, power: float = 0.0
) -> np.ndarray:
    """Scores of ``(n, n_outputs)`` targets against their predictions.

    ``pred`` is ``(n, n_outputs)``, or ``(n, n_outputs, n_levels)`` with
    ``band`` (the outermost levels bound the band); ``power``: a log-link
    loss's variance power, the residuals in units of ``pred ** (power / 2)``.
    """
    if band:
        low, high = pred.min(axis=-1), pred.max(axis=-1)
        return np.maximum(low - y, y - high)
    point = pred[..., 0] if pred.ndim == 3 else pred
    return np.abs(y - point) / _spread(point, power)


def _spread(point: np.ndarray, power: float) -> np.ndarray | float:
    """The standard deviation's shape ``point ** (power / 2)`` (1 for power 0)."""
    if not power:
        return 1.0
    return np.maximum(point, np.finfo(np.float64).tiny) ** (power / 2)


def conformal_quantile(
    scores: np.ndarray, coverage: float, weights: np.ndarray | None = None
) -> np.ndarray:
    """Each output's conformal quantile of ``scores`` at ``coverage``; inf beyond them.

    Unweighted, the ``ceil((n + 1) coverage)``-th smallest. With row weights,
    the rows of weight 0 drop out and the others count as their weight over
    the mean weight (a new row counting as one): the smallest score whose
    rows up to it weigh ``coverage * (n + 1)``, which is the unweighted rule
    when the weights are equal.
    """
    if weights is not None:
        kept = weights > 0
        scores, weights = scores[kept], weights[kept] / weights[kept].mean()
    n = len(scores)
    needed = coverage * (n + 1) * (1 - 1e-12)  # (n + 1) * coverage, rounding error aside
    if n == 0 or needed > n:
        warnings.warn(
            f"{n} validation rows are too few for a {coverage:g} conformal interval "
            f"(it needs at least {math.ceil(coverage / (1 - coverage))}): the interval is "
            "infinite. Lower coverage, or hold out more rows (validation_fraction).",
            UserWarning,
            stacklevel=3,
        )
        return np.full(scores.shape[1], np.inf)
    if weights is None:
        return np.sort(scores, axis=0)[math.ceil(needed) - 1]
    order = np.argsort(scores, axis=0, kind="stable")
    weight_up_to = np.cumsum(weights[order], axis=0)
    weight_up_to[-1] = n  # the whole weight, exactly
    rank = np.argmax(weight_up_to >= needed, axis=0)
    return np.take_along_axis(scores, order, axis=0)[rank, np.arange(scores.shape[1])]


def uncalibrated(band: bool, coverage: float, levels) -> None:
    """Refuse an interval nothing calibrates; warn of a band taken as the quantiles say.

    Without validation rows only a band of quantiles has a width, and only at
    its own span: another ``coverage`` is refused rather than ignored.
    """
    if not band:
        raise ValueError(
            "predict_interval calibrates the interval on the validation rows of the last "
            "fit, and it held out none. Fit with early_stopping=True (or 'auto' on 64 "
            "rows or more), or train quantiles: loss='quantile', quantile=[0.05, 0.95]."
        )
    span = float(np.ptp(np.asarray(levels)))
    if not math.isclose(coverage, span):
        raise ValueError(
            f"coverage={coverage:g} needs the band calibrated on validation rows, and the "
            f"last fit held out none: uncalibrated, the band of quantiles {min(levels):g} "
            f"and {max(levels):g} can only claim {span:g}. Fit with early_stopping=True, "
            "or leave coverage out."
        )
    warn_user(
        "The fit held out no validation rows, so the quantile band is not "
        "calibrated: it covers what the quantiles say, which on new data is often "
        "less. Fit with early_stopping=True to calibrate it."
    )


def check_coverage(coverage) -> float:
    """``coverage`` as a float in (0, 1): any real number (a Fraction, a 0-d array), no bool."""
    value = coverage.item() if isinstance(coverage, np.ndarray) and coverage.ndim == 0 else coverage
    number = float(value) if isinstance(value, Real) and not isinstance(value, bool) else None
    if number is None or not 0 < number < 1:
        raise ValueError(
            f"coverage must be a number strictly between 0 and 1 (0.9 for a 90% interval), "
            f"got {coverage!r}."
        )
    return number


def interval(
    pred: np.ndarray,
    scores: np.ndarray | None,
    coverage: float,
    *,
    band: bool,
    positive: bool,
    weights: np.ndarray | None = None,
    power: float = 0.0,
) -> np.ndarray:
    """``(n, n_outputs, 2)`` lower and upper bounds around ``pred`` (see the module).

    ``scores`` None: the band of the quantiles as they are (only with
    ``band``; the caller has warned); ``weights``: the scores' row weights;
    ``power``: the scores' units, as :func:`conformity_scores` took them.
    A band narrowed by more than its width shrinks to its midpoint, never
    past it (a lower bound above the upper one would cover nothing).
    ``positive``: bounds below 0 are raised to 0, where every target is 0
    or more.
    """
    if band:
        low, high = pred.min(axis=-1), pred.max(axis=-1)
    else:
        low = high = pred[..., 0] if pred.ndim == 3 else pred
    if scores is not None:
        margin = conformal_quantile(scores, coverage, weights) * _spread(low, power)
        middle = (low + high) / 2
        low, high = np.minimum(low - margin, middle), np.maximum(high + margin, middle)
    if positive:
        low = np.maximum(low, 0.0)
    return np.stack([low, high], axis=-1)
