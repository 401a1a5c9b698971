"""What each ``loss=`` of the regressor means: its targets, their encoding, its torch loss.

Two families. The losses of a location (``"squared_error"``, ``"absolute_error"``,
``"huber"``, ``"quantile"``) train on standardized targets with an identity
link: the mean, median, quantiles are equivariant under a shift and a
positive scale, so standardizing changes nothing but the conditioning. The
deviances of counts and positive amounts (``"poisson"``, ``"gamma"``,
``"tweedie"``) predict ``exp(output)`` (a log link: predictions are positive)
and train on the targets divided by their weighted mean: scaling a target
scales a Tweedie deviance by a constant, so the minimizer is the same, and
the network starts from the mean (output 0).
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import torch
from sklearn.metrics import d2_pinball_score
from sklearn.utils import check_consistent_length

from sknn.neural_net._targets import standardization, unless_equal, usable_scale
from sknn.training.losses import absolute_error, huber, pinball, tweedie

LOG_LINK = ("poisson", "gamma", "tweedie")
LOCATION = ("squared_error", "absolute_error", "huber", "quantile")


# loss="tweedie" with power=None: a compound Poisson-Gamma, LightGBM's default
DEFAULT_POWER = 1.5


def variance_power(loss: str, power: float | None) -> float:
    """The Tweedie power of a log-link loss: 1 Poisson, 2 Gamma, else ``power``."""
    if loss == "tweedie":
        return DEFAULT_POWER if power is None else float(power)
    return {"poisson": 1.0, "gamma": 2.0}[loss]


def quantile_levels(quantile) -> tuple[np.ndarray, bool]:
    """The levels asked for, in the order given, and whether several were asked for.

    A number gives one level and predictions without a quantile axis (as
    HistGradientBoostingRegressor's ``quantile``); a sequence, even of one,
    gives a quantile axis in its order. None is the median.
    """
    if quantile is None:
        return np.array([0.5]), False
    several = not isinstance(quantile, Real)
    try:
        if isinstance(quantile, (set, frozenset, dict)):
            raise TypeError("no order")  # the quantile axis follows the order given
        levels = np.atleast_1d(np.asarray(quantile, dtype=np.float64))
    except (TypeError, ValueError):
        levels = np.empty((0, 0))
    if levels.ndim != 1 or levels.size == 0:
        raise ValueError(
            f"quantile must be a number in (0, 1) or a non-empty list of them, got {quantile!r}."
        )
    outside = [float(q) for q in levels if not 0 < q < 1]
    if outside:
        raise ValueError(
            f"quantile levels must lie strictly between 0 and 1, got {outside}; a 90% "
            "interval, for instance, is quantile=[0.05, 0.95]."
        )
    if len(np.unique(levels)) != len(levels):
        raise ValueError(f"quantile lists a level twice: {levels.tolist()}; give each once.")
    return levels, several


# the parameters that only one loss reads, and the loss that reads each
_OWN_PARAMETER = {"huber_delta": ("huber",), "quantile": ("quantile",), "power": ("tweedie",)}


def check_loss_params(est) -> None:
    """Refuse a parameter given for a loss other than the one chosen (it would be ignored)."""
    for name, losses in _OWN_PARAMETER.items():
        if isinstance(getattr(est, name), bool):  # an int to Python: power 1, delta 1
            raise TypeError(f"{name}={getattr(est, name)!r}; give a number, or None.")
        if getattr(est, name) is not None and est.loss not in losses:
            raise ValueError(
                f"{name}={getattr(est, name)!r} is read only with loss={losses[0]!r}, but "
                f"loss={est.loss!r}; pass loss={losses[0]!r}, or leave {name}=None."
            )
    if est.criterion is not None and est.loss != "squared_error":
        raise ValueError(
            f"loss={est.loss!r} and a criterion both say what to minimize; pass one: "
            "loss= for the built-in losses, or criterion= with loss='squared_error'."
        )
    if est.loss == "quantile":
        quantile_levels(est.quantile)


def check_targets(
    loss: str, power: float | None, y: np.ndarray, weight: np.ndarray, whole: bool = True
) -> None:
    """Refuse targets a log-link loss cannot model, naming the fix (before any training).

    ``whole=False``: ``y`` is one partition of the targets; its mean is not checked.
    """
    if loss not in LOG_LINK:
        return
    p = variance_power(loss, power)
    what = {"poisson": "counts", "gamma": "positive amounts"}.get(loss, "amounts")
    if p >= 2 and np.any(y <= 0):
        raise ValueError(
            f"loss={loss!r} (power {p:g}) models {what} and needs every target above 0; y "
            f"has {int(np.sum(y <= 0))} values at or below 0. Use loss='tweedie' with "
            "power below 2 for targets with zeros, or loss='squared_error' for any sign."
        )
    if np.any(y < 0):
        raise ValueError(
            f"loss={loss!r} models {what} and needs targets of 0 or more; y has "
            f"{int(np.sum(y < 0))} negative values. Use loss='squared_error' or 'huber' for "
            "targets of any sign."
        )
    if not whole:
        return
    means = np.average(y, axis=0, weights=weight)
    if np.any(means <= 0):
        raise ValueError(
            f"loss={loss!r} predicts exp(output) times the targets' mean, but a target "
            "column is 0 on every (weighted) row; there is nothing to fit."
        )


def log_link_scale(y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Each target column's weighted mean: a log-link loss trains on ``y / mean``."""
    return np.average(y, axis=0, weights=weight)


def target_encoding(loss: str, y: np.ndarray, weight) -> tuple[np.ndarray, np.ndarray]:
    """The centre and scale each target column is encoded by, ``(y - centre) / scale``.

    A log link: 0 and the weighted mean. Squared error: the weighted mean and
    standard deviation. The robust losses (absolute error, Huber, quantiles):
    the weighted median and 1.4826 MAD, which a few outliers do not move: with
    five targets of 1e6 among 2,250 the standard deviation grew 36,000-fold,
    the rest of the targets became one value to the network, and R^2 on clean
    rows fell from 0.98 to -19,744 (Huber). The standard deviation where the
    MAD is 0 (more than half the targets equal).
    """
    if loss in LOG_LINK:
        return np.zeros(y.shape[1]), log_link_scale(y, weight)
    mean, scale = standardization(y, weight)
    if loss == "squared_error":
        return mean, scale
    centre = _median(y, weight)
    mad = 1.4826 * _median(np.abs(y - centre), weight)
    return centre, usable_scale(np.where(mad > 0, mad, scale), centre)


def _median(values: np.ndarray, weight) -> np.ndarray:
    """Each column's median, weighted by ``weight`` (None or all equal: plain)."""
    distinct = unless_equal(weight)
    if distinct is None:
        return np.median(values, axis=0)
    weights = np.broadcast_to(distinct[:, None], values.shape)
    return np.quantile(values, 0.5, axis=0, method="inverted_cdf", weights=weights)


def robust_huber_delta(y: np.ndarray, scale: np.ndarray, weight=None) -> np.ndarray:
    """Huber's 1.345 robust standard deviations (1.4826 MAD) per target, in units of ``scale``.

    The medians are weighted by ``weight`` (None: equal weights), so rows of
    weight 0 do not move the default; the standard deviation itself where
    the MAD is 0.
    """
    mad = 1.4826 * _median(np.abs(y - _median(y, weight)), weight)
    return 1.345 * np.where(mad > 0, mad, scale) / scale


def quantiles_score(y, pred: np.ndarray, levels: np.ndarray, sample_weight=None) -> float:
    """scikit-learn's ``d2_pinball_score`` of each level and output, averaged.

    ``pred`` is ``predict``'s answer for a list of quantiles: ``(n, n_levels)``
    or ``(n, n_outputs, n_levels)``; for one level as a number (no quantile
    axis), ``(n,)`` or ``(n, n_outputs)``.
    """
    y2 = np.asarray(y, dtype=np.float64)
    y2 = y2.reshape(y2.shape[0], -1)
    if pred.ndim == 1 or (pred.ndim == 2 and len(levels) == 1 and pred.shape[1] > 1):
        pred = pred.reshape(len(pred), -1, 1)  # one level, without its axis
    check_consistent_length(y2, pred)
    n_outputs = 1 if pred.ndim == 2 else pred.shape[1]
    if y2.shape[1] != n_outputs:
        raise ValueError(
            f"y has {y2.shape[1]} target columns but the model predicts {n_outputs} "
            "(each with its quantiles)."
        )
    pred = pred.reshape(len(y2), n_outputs, -1)
    return float(
        np.mean(
            [
                d2_pinball_score(y2[:, o], pred[:, o, j], sample_weight=sample_weight, alpha=q)
                for o in range(y2.shape[1])
                for j, q in enumerate(levels)
            ]
        )
    )


def training_loss(est):
    """The regressor's ``loss`` as a torch loss on its encoded targets."""
    loss = est.loss
    if loss == "absolute_error":
        return absolute_error()
    if loss == "huber":
        # a model saved before huber existed has no robust default: 1.345 sd
        default = getattr(est, "_huber_default", 1.345)
        own = est.huber_delta
        delta = default if own is None else own / est._y_scale
        return huber(np.broadcast_to(delta, (est.n_outputs_,)).tolist())
    if loss == "quantile":  # the outputs are sorted: the j-th smallest level is column j
        return pinball(np.sort(quantile_levels(est.quantile)[0]).tolist(), est.n_outputs_)
    if loss in LOG_LINK:
        return tweedie(variance_power(loss, est.power))
    return None  # the task's own: squared error


def tol_scale(est, encoded: np.ndarray, weight) -> float:
    """What ``tol`` is relative to: the loss of predicting the mean of the encoded targets.

    1 where the encoding scales the targets (their standard deviation or MAD); for a log
    link, trained on ``y / mean``, the deviance of predicting 1, which follows the targets'
    spread: prices with a coefficient of variation of 0.01 have a deviance of 1e-4 at the
    mean, and an absolute ``tol`` of 1e-4 stopped their fit after 7 epochs (R^2 0.81,
    against 0.98 relative to it; 0.999 by squared error).
    """
    if est.loss not in LOG_LINK:
        return 1.0
    w = None if weight is None else torch.as_tensor(weight / np.mean(weight))
    y = torch.as_tensor(encoded, dtype=torch.float64)
    return float(training_loss(est)(torch.zeros_like(y), y, w))


# the regressor's documentation of its own parameters and of those the losses change
PARAMETER_DOCS = {
    "tol": """\
tol : float, default=1e-4
    Minimum improvement of the monitored loss, on the encoded targets (standardized
    for squared error, centred on the median and scaled by the MAD for the robust
    losses); for a log-link loss, relative to the deviance of predicting the mean
    of ``y``, so that it means the same for targets of any spread.""",
    "early_stopping": """\
early_stopping : bool or "auto", default="auto"
    Hold out ``validation_fraction`` of the data, stop after
    ``n_iter_no_change`` epochs without a validation-loss improvement of
    ``tol``, and restore the best epoch's weights. ``"auto"`` does so
    whenever the validation set would have at least 10 rows. The held-out
    rows also calibrate :meth:`predict_interval`. On tables of 64 to
    20,000 rows ``"auto"`` cross-fits instead of holding rows out (except with
    ``loss="quantile"``, whose conformalized band is calibrated on held-out
    rows, periodic embeddings, a callable ``criterion``, ``data_parallel``, or
    ``n_ensemble`` not a multiple of 4): the rows fall into 4 folds, the
    members into 4 groups with embeddings and hidden layers of their own;
    group ``g`` trains on the
    rows outside fold ``g``, and each row is validated, and calibrates the
    intervals, on the group that never trained on it (one group's
    out-of-fold error: intervals for the average of all four, which
    predictions are, err on the wide side).""",
    "module": """\
module : torch.nn.Module class, factory or instance, default=None
    Your own network instead of the built-in tabular MLP, returning one
    value per target in encoded units (standardized targets; for a log-link
    loss the log of the target over its mean; with a list of quantiles, one
    value per target and level): ``(n,)`` or ``(n, 1)`` for one value,
    ``(n, width)``, or ``(n, k, ...)`` of those for a k-member ensemble; any
    other shape is a ``ValueError`` at the first batch of ``fit`` and at
    prediction. See :class:`NeuralNetClassifier` for how it is built and fed.""",
    "criterion": """\
criterion : torch loss class or callable, default=None
    A loss of your own (a torch loss class, built with ``reduction="none"``
    and ``criterion__*``, or a callable); it compares outputs with the
    standardized targets. Only with ``loss="squared_error"``.""",
    "loss": """\
loss : {"squared_error", "absolute_error", "huber", "quantile", "poisson", \
        "gamma", "tweedie"}, default="squared_error"
    What training minimizes (and early stopping watches, on the validation
    rows). On standardized targets: the squared error (the mean's loss);
    the absolute error (the median's: a heavy-tailed target pulls less);
    Huber's loss, quadratic within ``huber_delta`` and linear beyond; the
    pinball loss of the quantile(s) ``quantile``. With a log link
    (predictions ``exp(output)``, always positive) on targets divided by
    their mean: half the Poisson deviance (counts, 0 or more), the Gamma
    deviance (positive amounts) or the Tweedie deviance of ``power``
    (amounts with exact zeros). A target outside the loss's range is a
    ``ValueError`` before training. ``score`` stays R^2, as scikit-learn's,
    except with ``loss="quantile"``, scored by D^2 pinball (see :meth:`score`):
    a search over ``loss`` that includes quantiles compares two measures
    (the median's D^2 pinball runs below R^2 for the same fit), so give it
    one, e.g. ``scoring="neg_mean_absolute_error"``.""",
    "huber_delta": """\
huber_delta : float > 0 or None, default=None
    With ``loss="huber"``: where the loss turns from quadratic to linear, in
    the targets' own units (the same value for every output). ``None``:
    Huber's 1.345 robust standard deviations of each target (1.4826 times
    its median absolute deviation, weighted by ``sample_weight``), which a
    few wild targets do not inflate.""",
    "quantile": """\
quantile : float in (0, 1), list of them, or None, default=None
    With ``loss="quantile"``: the level(s) predicted. A number (None: 0.5)
    gives predictions shaped as ``y``, as HistGradientBoostingRegressor's
    ``quantile``; a list gives every level in one fit, on a last axis of
    ``predict`` in the list's order, and never crossing (each row's values
    are sorted, in training too). Two levels or more make
    :meth:`predict_interval` a conformalized quantile band. That last axis
    is not ``y``'s shape: scikit-learn's wrappers that combine predictions
    as ``y`` (``VotingRegressor``, ``MultiOutputRegressor``,
    ``RegressorChain``, ``TransformedTargetRegressor``) misread it, and
    ``VotingRegressor`` averages it silently over the rows: give them one
    level a model (a number). :meth:`score` is D^2 pinball either way.""",
    "power": """\
power : float >= 1 or None, default=None
    With ``loss="tweedie"``: the variance power, ``Var(y) = phi mu^power``;
    between 1 (Poisson) and 2 (Gamma) a compound Poisson-Gamma for amounts
    with exact zeros. ``None``: 1.5. Targets must be 0 or more (above 0 from
    power 2).""",
}
