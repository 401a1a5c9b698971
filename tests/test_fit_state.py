"""A fit that raises leaves the fitted model as it was (issue 31, kind 2).

Whatever stops a fit part-way (a refused value, a user's callback, a
divergence before any good epoch, non-finite weights), the estimator is the
previous fitted model, untouched: same predictions, same attributes. A first
fit that raises leaves an unfitted estimator, not half of one.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError

from sknn import (
    MLPClassifier,
    MLPRegressor,
    NeuralNetClassifier,
    NeuralNetRegressor,
    TabularEncoder,
)
from sknn.training import Callback

X, y = make_classification(160, 5, random_state=0)
FRAME = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]).assign(
    city=pd.Categorical(np.where(y, "north", "south"))
)


class FailsInEpoch(Callback):
    """Raises in the middle of the given epoch (after some of its steps)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, epoch):
        self.current = epoch

    def on_batch_end(self, info):
        if self.current >= self.epoch and info["batch"] >= 2:
            raise RuntimeError("a callback failed")


def with_inf(frame):
    broken = frame.copy()
    broken.iloc[3, 0] = np.inf
    return broken


def state(est):
    """What a user sees of a fitted flagship model."""
    return (
        est.predict_proba(FRAME) if hasattr(est, "predict_proba") else est.predict(FRAME),
        est.n_iter_,
        list(est.history_.column("train_loss")),
        est.n_features_in_,
        [p.detach().numpy().copy() for p in est.module_.parameters()],
    )


def assert_same(before, after):
    np.testing.assert_array_equal(before[0], after[0])
    assert before[1:-1] == after[1:-1]
    for got, expected in zip(after[-1], before[-1], strict=True):
        np.testing.assert_array_equal(got, expected)


FLAGSHIPS = [NeuralNetClassifier, NeuralNetRegressor]


def fitted(cls, **params):
    target = y if cls is NeuralNetClassifier else y + X[:, 0]
    est = cls(max_iter=3, batch_size=32, random_state=0, **params).fit(FRAME, target)
    return est, target


@pytest.mark.parametrize("cls", FLAGSHIPS)
def test_a_refused_refit_keeps_the_previous_model(cls):
    est, target = fitted(cls)
    before = state(est)
    with pytest.raises(ValueError, match="inf"):
        est.fit(with_inf(FRAME), target)
    assert_same(before, state(est))
    with pytest.raises(ValueError):  # one label short
        est.fit(FRAME, target[:-1])
    assert_same(before, state(est))


@pytest.mark.parametrize("warm_start", [False, True])
@pytest.mark.parametrize("cls", FLAGSHIPS)
def test_a_callback_that_raises_mid_fit_keeps_the_previous_model(cls, warm_start):
    est, target = fitted(cls)
    before = state(est)
    est.set_params(callbacks=[FailsInEpoch(2)], warm_start=warm_start)
    with pytest.raises(RuntimeError, match="a callback failed"):
        est.fit(FRAME, target)
    assert_same(before, state(est))
    # and the model trains on from exactly where it was
    est.set_params(callbacks=None, warm_start=True)
    est.fit(FRAME, target)
    assert est.n_iter_ == before[1] + 3


@pytest.mark.parametrize("cls", FLAGSHIPS)
def test_a_partial_fit_that_raises_keeps_the_previous_model(cls):
    est, target = fitted(cls)
    est.set_params(early_stopping=False)
    kwargs = {"classes": np.unique(y)} if cls is NeuralNetClassifier else {}
    est.partial_fit(FRAME, target, **kwargs)
    before = state(est)
    est.set_params(callbacks=[FailsInEpoch(1)])
    with pytest.raises(RuntimeError, match="a callback failed"):
        est.partial_fit(FRAME, target)
    assert_same(before, state(est))


@pytest.mark.parametrize("cls", FLAGSHIPS)
def test_a_first_fit_that_raises_leaves_an_unfitted_estimator(cls):
    target = y if cls is NeuralNetClassifier else y + X[:, 0]
    est = cls(max_iter=3, callbacks=[FailsInEpoch(1)])
    with pytest.raises(RuntimeError, match="a callback failed"):
        est.fit(FRAME, target)
    assert not [name for name in vars(est) if name.endswith("_") and not name.startswith("_")]
    with pytest.raises(NotFittedError):
        est.predict(FRAME)


def test_an_encoder_refit_that_is_refused_keeps_the_fitted_encoder():
    encoder = TabularEncoder().fit(FRAME)
    before = encoder.transform(FRAME)
    names = list(encoder.get_feature_names_out())
    with pytest.raises(ValueError, match="inf"):
        encoder.fit(with_inf(FRAME))
    with pytest.raises(ValueError, match="inf"):
        encoder.fit_transform(with_inf(FRAME))
    np.testing.assert_array_equal(encoder.transform(FRAME), before)
    assert list(encoder.get_feature_names_out()) == names


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_a_drop_in_refit_that_raises_keeps_the_previous_model(cls):
    target = y if cls is MLPClassifier else y + X[:, 0]
    est = cls(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, target)
    before = (est.predict(X), [c.copy() for c in est.coefs_], list(est.loss_curve_), est.n_iter_)
    # a warm start on values near float64's limit: scikit-learn's non-finite-weights error
    est.set_params(warm_start=True, max_iter=5)
    huge = np.finfo(np.float64).max * np.random.RandomState(0).uniform(size=X.shape)
    with pytest.raises(ValueError, match="non-finite"), np.errstate(all="ignore"):
        est.fit(huge, target)
    np.testing.assert_array_equal(est.predict(X), before[0])
    for got, expected in zip(est.coefs_, before[1], strict=True):
        np.testing.assert_array_equal(got, expected)
    assert est.loss_curve_ == before[2] and est.n_iter_ == before[3]
    with pytest.raises(ValueError, match="inf"):
        est.fit(np.where(X > 1, np.inf, X), target)
    np.testing.assert_array_equal(est.predict(X), before[0])
