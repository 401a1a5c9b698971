"""Behaviour of NeuralNetRegressor: output shapes, target scaling, updates."""

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

from sknn import NeuralNetRegressor


def small_reg(**kwargs):
    params = {
        "hidden_layer_sizes": (32,),
        "max_iter": 30,
        "learning_rate": 1e-2,
        "random_state": 0,
    }
    params.update(kwargs)
    return NeuralNetRegressor(**params)


def test_1d_target_gives_1d_predictions(regression_data):
    X, y = regression_data
    reg = small_reg(max_iter=5).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (len(X),)
    assert pred.dtype == np.float64
    assert reg.n_outputs_ == 1


def test_column_target_of_width_one(regression_data):
    X, y = regression_data
    reg = small_reg(max_iter=5).fit(X, y.reshape(-1, 1))
    assert reg.n_outputs_ == 1
    assert reg.predict(X).shape == (len(X),)


def test_multi_output_target():
    X, Y = make_regression(n_samples=200, n_features=8, n_targets=3, noise=1.0, random_state=0)
    # outputs on very different scales
    Y = Y * np.array([1.0, 100.0, 0.01])
    reg = small_reg().fit(X, Y)
    assert reg.n_outputs_ == 3
    pred = reg.predict(X)
    assert pred.shape == (len(X), 3)
    for j in range(3):
        assert r2_score(Y[:, j], pred[:, j]) > 0.8


def test_target_standardization_makes_scale_irrelevant(regression_data):
    X, y = regression_data
    params = {"early_stopping": False}
    plain = small_reg(**params).fit(X, y)
    scaled = small_reg(**params).fit(X, y * 1e6 + 3e7)
    r2_plain = plain.score(X, y)
    r2_scaled = scaled.score(X, y * 1e6 + 3e7)
    assert r2_plain > 0.9
    assert r2_scaled > 0.9
    assert abs(r2_plain - r2_scaled) < 1e-3
    np.testing.assert_allclose(
        (scaled.predict(X) - 3e7) / 1e6, plain.predict(X), rtol=1e-3, atol=1e-2
    )


def test_constant_target(regression_data):
    X, _ = regression_data
    y = np.full(len(X), 7.5)
    reg = small_reg(max_iter=20).fit(X, y)
    pred = reg.predict(X)
    # a zero target spread must not turn into a division by zero
    assert np.all(np.isfinite(pred))
    np.testing.assert_allclose(pred, 7.5, atol=0.5)


def test_partial_fit_updates_and_improves(regression_data):
    X, y = regression_data
    reg = small_reg(learning_rate=3e-3)
    reg.partial_fit(X, y)
    assert reg.n_iter_ == 1
    first = reg.predict(X)
    for _ in range(9):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 10
    assert len(reg.history_) == 10
    assert not np.allclose(reg.predict(X), first)
    loss = reg.loss_curve_
    assert loss[-1] < loss[0]
    # later calls must keep learning, not only the first one
    assert loss[-1] < loss[1] - 1e-3
    assert reg.score(X, y) > r2_score(y, first)


def test_partial_fit_wrong_number_of_targets_raises(regression_data):
    X, y = regression_data
    reg = small_reg().partial_fit(X, y)
    with pytest.raises(ValueError, match="target"):
        reg.partial_fit(X, np.column_stack([y, y]))


def test_reasonable_r2_on_make_regression():
    X, y = make_regression(
        n_samples=400, n_features=10, n_informative=8, noise=10.0, random_state=0
    )
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    reg = small_reg(max_iter=30).fit(X_tr, y_tr)
    assert reg.score(X_te, y_te) > 0.85
