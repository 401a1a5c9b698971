"""NeuralNetRegressor(loss=...): squared error, absolute error, Huber (issue 33, first part)."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from torch import nn

from sknn import NeuralNetRegressor

RNG = np.random.default_rng(0)
X = RNG.normal(size=(600, 3))
LINE = 2.0 * X[:, 0]
OUTLIER = RNG.random(600) < 0.1
Y = LINE + 0.1 * RNG.normal(size=600) + np.where(OUTLIER, 30.0, 0.0)  # 10% wild targets

SMALL = {"max_iter": 60, "early_stopping": False, "random_state": 0, "n_ensemble": 2}


def inlier_error(est) -> float:
    """How far the predictions sit from the line the inliers follow."""
    return float(np.median(np.abs(est.predict(X)[~OUTLIER] - LINE[~OUTLIER])))


def test_absolute_error_and_huber_are_pulled_less_by_wild_targets():
    errors = {
        loss: inlier_error(NeuralNetRegressor(loss=loss, **SMALL).fit(X, Y))
        for loss in ("squared_error", "absolute_error", "huber")
    }
    # squared error shifts every prediction toward the outliers' mean (about +3)
    assert errors["squared_error"] > 1.5, errors
    assert errors["absolute_error"] < 0.5 * errors["squared_error"], errors
    assert errors["huber"] < 0.2 * errors["squared_error"], errors


def test_absolute_error_predicts_the_median_of_a_skewed_target():
    y = RNG.exponential(size=600)  # mean 1, median log(2)
    flat = np.zeros((600, 1))
    mean_fit = NeuralNetRegressor(**SMALL).fit(flat, y).predict(flat[:1])[0]
    median_fit = NeuralNetRegressor(loss="absolute_error", **SMALL).fit(flat, y).predict(flat[:1])
    assert abs(mean_fit - y.mean()) < 0.1
    assert abs(median_fit[0] - np.median(y)) < 0.1


def test_huber_delta_is_in_the_targets_units():
    wide = NeuralNetRegressor(loss="huber", huber_delta=1e6, **SMALL).fit(X, Y)
    plain = NeuralNetRegressor(**SMALL).fit(X, Y)
    # a delta far beyond every residual is the squared error (halved: the same minimizer),
    # trained on targets scaled by their MAD, not their standard deviation (Huber's robust
    # encoding): 3.48 against 3.13 on the inliers
    assert abs(inlier_error(wide) - inlier_error(plain)) < 0.5
    tight = NeuralNetRegressor(loss="huber", huber_delta=0.5, **SMALL).fit(X, Y)
    assert inlier_error(tight) < 0.5 * inlier_error(plain)


def test_the_loss_is_what_early_stopping_watches_and_score_stays_r2():
    est = NeuralNetRegressor(loss="absolute_error", max_iter=30, random_state=0).fit(X, Y)
    valid = [row["valid_loss"] for row in est.history_]
    assert est.best_epoch_ is not None and all(v is not None for v in valid)
    best = [r["valid_loss"] for r in est.history_ if r["epoch"] == est.best_epoch_][0]
    assert best == min(valid)
    from sklearn.metrics import r2_score

    assert est.score(X, Y) == pytest.approx(r2_score(Y, est.predict(X)))


def test_multi_output_targets_get_a_delta_each():
    Y2 = np.column_stack([Y, 100 * Y])
    est = NeuralNetRegressor(loss="huber", **SMALL).fit(X, Y2)
    assert est.predict(X).shape == (600, 2)
    assert clone(est).get_params()["loss"] == "huber"


def test_bad_losses_are_refused_before_training():
    with pytest.raises(InvalidParameterError, match="loss"):
        NeuralNetRegressor(loss="quantile_typo").fit(X, Y)
    with pytest.raises(InvalidParameterError, match="huber_delta"):
        NeuralNetRegressor(loss="huber", huber_delta=-1.0).fit(X, Y)
    with pytest.raises(ValueError, match="pass one"):
        NeuralNetRegressor(loss="absolute_error", criterion=nn.L1Loss, max_iter=1).fit(X, Y)


@pytest.mark.parametrize(
    "params", [{"loss": "huber"}, {"loss": "absolute_error"}, {"loss": "quantile", "quantile": 0.5}]
)
def test_the_robust_losses_shrug_off_a_few_wild_targets(params):
    # five data-entry errors of 1e6 among 1,500 targets grew their standard deviation
    # 36,000-fold; targets scaled by it were one value to the network: R^2 on clean rows
    # fell from 0.98 to -19,744 (Huber), -5.98 (absolute error), -146 (the median)
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(1)
    features = rng.normal(size=(2000, 4))
    target = features[:, 0] + np.sin(2 * features[:, 1]) + 0.1 * rng.normal(size=2000)
    dirty = target[:1500].copy()
    dirty[:5] = 1e6
    est = NeuralNetRegressor(random_state=0, max_iter=40, **params).fit(features[:1500], dirty)
    assert r2_score(target[1500:], est.predict(features[1500:])) > 0.9


@pytest.mark.parametrize(("offset", "spread"), [(1e18, 1e5), (1.0, 1e-13)])
def test_a_target_whose_spread_is_tiny_beside_its_size_is_still_learnt(offset, spread):
    # a spread under 1e-12 of the mean was taken for a constant target (scale 1): R^2 0.34
    # for 1e18 + 1e5 * s, -3.7e20 for 1 + 1e-13 * s
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(9)
    features = rng.normal(size=(1000, 3))
    signal = features[:, 0] + np.sin(2 * features[:, 1])
    est = NeuralNetRegressor(random_state=0, max_iter=40).fit(features, offset + spread * signal)
    assert r2_score(signal, (est.predict(features) - offset) / spread) > 0.9
    constant = NeuralNetRegressor(random_state=0, max_iter=5).fit(features, np.full(1000, 1e-6))
    np.testing.assert_allclose(constant.predict(features), 1e-6, rtol=0.05)


def test_targets_near_1e160_are_learnt_as_the_same_targets_scaled():
    # their squares overflowed: an infinite scale, predictions inf (or "Input contains
    # infinity" though y held none)
    rng = np.random.default_rng(0)
    features = rng.normal(size=(300, 3))
    y = features[:, 0] + 3
    huge = NeuralNetRegressor(max_iter=3, random_state=0).fit(features, y * 1e160)
    plain = NeuralNetRegressor(max_iter=3, random_state=0).fit(features, y)
    np.testing.assert_allclose(huge.predict(features) / 1e160, plain.predict(features), rtol=1e-9)
