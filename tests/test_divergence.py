"""A loss that explodes and stays finite stops the fit, restores the best weights, warns.

The explosion is made deterministic with a user optimizer (``optimizer=`` a
torch optimizer class) whose ``OVERSHOOT_STEP``-th step multiplies every
weight by 30 and which stands still afterwards: the loss jumps by orders of
magnitude without ever overflowing, the case a NaN check misses.
"""

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes

from sknn import NeuralNetClassifier, NeuralNetRegressor

OVERSHOOT_STEP = 40  # in the 4th epoch of these fits (about 13 steps an epoch)


class OvershootingSGD(torch.optim.SGD):
    """SGD whose one step overshoots wildly, then stops moving."""

    def step(self, closure=None):
        self.steps = getattr(self, "steps", 0) + 1
        if self.steps < OVERSHOOT_STEP:
            return super().step(closure)
        if self.steps == OVERSHOOT_STEP:
            with torch.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        p.mul_(30.0)
        return None


CASES = [
    (NeuralNetRegressor, load_diabetes),
    (NeuralNetClassifier, load_breast_cancer),
]


def fit(cls, X, y, **params):
    common = {
        "hidden_layer_sizes": (32, 32),
        "n_ensemble": 2,
        "learning_rate": 0.05,
        "lr_schedule": "constant",
        "random_state": 0,
    }
    return cls(**{**common, **params}).fit(X, y)


def output(est, X):
    return est.predict_proba(X) if hasattr(est, "classes_") else est.predict(X)


@pytest.mark.parametrize("early_stopping", ["auto", False])
@pytest.mark.parametrize("cls, load", CASES)
def test_a_finite_explosion_warns_and_restores_the_best_weights(cls, load, early_stopping):
    X, y = load(return_X_y=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = fit(cls, X, y, optimizer=OvershootingSGD, max_iter=30, early_stopping=early_stopping)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1, messages
    assert "exploded" in messages[0] and "learning_rate" in messages[0]
    losses = est.history_.column("train_loss")
    assert np.isfinite(losses).all(), "the explosion must stay finite for this test"
    assert max(losses) > 100 * min(losses)
    assert est.n_iter_ < 30, "the fit must stop at the explosion"
    assert est.best_epoch_ < est.n_iter_
    # loss_curve_ keeps every epoch trained, the exploded one last, as documented
    assert est.loss_curve_ == losses and len(losses) == est.n_iter_
    assert losses[-1] > 100 * losses[est.best_epoch_ - 1]

    # the restored model is the one trained up to the best epoch, exactly
    reference = fit(
        cls,
        X,
        y,
        optimizer=torch.optim.SGD,
        max_iter=est.best_epoch_,
        early_stopping=early_stopping,
    )
    np.testing.assert_allclose(output(est, X), output(reference, X), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls, load", CASES)
def test_an_explosion_in_the_first_epoch_raises_naming_learning_rate(cls, load):
    X, y = load(return_X_y=True)
    # AdamW at learning_rate=10 keeps the loss finite (~1e20) but useless
    with pytest.raises(ValueError, match="exploded.*learning_rate"):
        fit(cls, X, y, learning_rate=10.0, max_iter=5)


def test_a_loss_that_only_bounces_after_overfitting_is_not_divergence():
    # a training loss falling towards zero may rise many times over its best
    # value without being anywhere near its value before training
    X, y = load_breast_cancer(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est = fit(NeuralNetClassifier, X, y, max_iter=60, early_stopping=False, learning_rate=0.01)
    assert est.n_iter_ > 10


@pytest.mark.parametrize("size", [1e-39, 1e-45])
def test_a_feature_below_float32s_normal_range_is_no_divergence(size):
    # its bin edges met or lay too close for float32 to invert: every input became
    # NaN and the fit failed in its first epoch, blaming learning_rate
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=400) * size, rng.normal(size=400)])
    y = X[:, 1] + 0.1 * rng.normal(size=400)
    model = NeuralNetRegressor(random_state=0, max_iter=10).fit(X, y)
    assert model.score(X, y) > 0.8
    assert np.isfinite(model.predict(X)).all()
