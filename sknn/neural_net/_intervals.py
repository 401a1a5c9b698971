"""Prediction intervals, calibrated by split conformal prediction on the validation rows.

After a fit that held out validation rows, the regressor keeps one
conformity score per validation row and output (in the targets' units):

- with two quantiles or more (``loss="quantile"``), how far the target lies
  outside the band of the lowest and highest quantile,
  ``max(low - y, y - high)`` (conformalized quantile regression, Romano,
  Patterson and Candes, 2019); the band is then widened, or narrowed where
  the quantiles were too cautious, by the scores' conformal quantile;
- otherwise the absolute residual ``|y - prediction|`` (split conformal): the
  interval is the prediction plus and minus the residuals' conformal quantile.

The conformal quantile of ``n`` scores at coverage ``c`` is the
``ceil((n + 1) c)``-th smallest: on rows exchangeable with the validation
rows, the interval covers the target with probability at least ``c``. The
validation rows also chose the best epoch, which makes the scores slightly
optimistic; coverage measured on held-out data is in the benchmark.
"""

from __future__ import annotations

import math
import warnings

import numpy as np


def conformity_scores(pred: np.ndarray, y: np.ndarray, band: bool) -> np.ndarray:
    """Scores of ``(n, n_outputs)`` targets against their predictions.

    ``pred`` is ``(n, n_outputs)``, or ``(n, n_outputs, n_levels)`` with
    ``band`` (the outermost levels bound the band).
    """
    if band:
        low, high = pred.min(axis=-1), pred.max(axis=-1)
        return np.maximum(low - y, y - high)
    point = pred[..., 0] if pred.ndim == 3 else pred
    return np.abs(y - point)


def conformal_quantile(scores: np.ndarray, coverage: float) -> np.ndarray:
    """Each output's ``ceil((n + 1) coverage)``-th smallest score; inf beyond ``n``."""
    n = len(scores)
    rank = math.ceil((n + 1) * coverage)
    if rank > n:
        warnings.warn(
            f"{n} validation rows are too few for a {coverage:g} conformal interval "
            f"(it needs at least {math.ceil(coverage / (1 - coverage))}): the interval is "
            "infinite. Lower coverage, or hold out more rows (validation_fraction).",
            UserWarning,
            stacklevel=3,
        )
        return np.full(scores.shape[1], np.inf)
    return np.sort(scores, axis=0)[rank - 1]


def check_coverage(coverage) -> float:
    if not (isinstance(coverage, (int, float, np.floating)) and 0 < coverage < 1):
        raise ValueError(
            f"coverage must be a number strictly between 0 and 1 (0.9 for a 90% interval), "
            f"got {coverage!r}."
        )
    return float(coverage)


def interval(
    pred: np.ndarray,
    scores: np.ndarray | None,
    coverage: float,
    *,
    band: bool,
    positive: bool,
) -> np.ndarray:
    """``(n, n_outputs, 2)`` lower and upper bounds around ``pred`` (see the module).

    ``scores`` None: the band of the quantiles as they are (only with
    ``band``; the caller has warned). ``positive``: bounds below 0 are
    raised to 0, where every target is 0 or more.
    """
    if band:
        low, high = pred.min(axis=-1), pred.max(axis=-1)
    else:
        low = high = pred[..., 0] if pred.ndim == 3 else pred
    if scores is not None:
        margin = conformal_quantile(scores, coverage)
        low, high = low - margin, high + margin
    if positive:
        low = np.maximum(low, 0.0)
    return np.stack([low, high], axis=-1)
