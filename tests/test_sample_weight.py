"""sample_weight: equivalences with repeated / dropped rows, validation, effects."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from sknn import NeuralNetClassifier, NeuralNetRegressor

# full-batch, deterministic training: the only difference between a weighted
# fit and its row-repeated twin is float32 summation order
FULL_BATCH = {
    "hidden_layer_sizes": (16,),
    "batch_size": 1000,
    "shuffle": False,
    "early_stopping": False,
    "max_iter": 30,
    "tol": 0.0,
    "learning_rate": 1e-2,
    "random_state": 0,
}


@pytest.fixture
def tiny_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(15, 5))
    y_clf = np.array([0, 1, 2] * 5)
    y_reg = X @ rng.normal(size=5) + 0.1 * rng.normal(size=15)
    return X, y_clf, y_reg


def _outputs(est, X):
    if isinstance(est, NeuralNetClassifier):
        return est.predict_proba(X)
    return est.predict(X)


@pytest.mark.parametrize("estimator_cls", [NeuralNetClassifier, NeuralNetRegressor])
def test_integer_weights_equal_repeated_rows(tiny_data, estimator_cls):
    X, y_clf, y_reg = tiny_data
    y = y_clf if estimator_cls is NeuralNetClassifier else y_reg
    weights = np.random.RandomState(1).randint(1, 4, size=len(X))
    assert len(np.unique(weights)) > 1

    weighted = estimator_cls(**FULL_BATCH).fit(X, y, sample_weight=weights)
    X_rep, y_rep = np.repeat(X, weights, axis=0), np.repeat(y, weights, axis=0)
    repeated = estimator_cls(**FULL_BATCH).fit(X_rep, y_rep)

    np.testing.assert_allclose(_outputs(weighted, X), _outputs(repeated, X), rtol=1e-4, atol=1e-5)
    if estimator_cls is NeuralNetClassifier:
        np.testing.assert_array_equal(weighted.predict(X), repeated.predict(X))
    # the weights are not ignored: an unweighted fit differs
    unweighted = estimator_cls(**FULL_BATCH).fit(X, y)
    assert not np.allclose(_outputs(unweighted, X), _outputs(weighted, X), atol=1e-4)


@pytest.mark.parametrize("estimator_cls", [NeuralNetClassifier, NeuralNetRegressor])
def test_zero_weights_equal_dropped_rows(tiny_data, estimator_cls):
    X, y_clf, y_reg = tiny_data
    y = y_clf if estimator_cls is NeuralNetClassifier else y_reg
    weights = np.ones(len(X))
    weights[[1, 4, 8, 13]] = 0
    keep = weights > 0

    weighted = estimator_cls(**FULL_BATCH).fit(X, y, sample_weight=weights)
    dropped = estimator_cls(**FULL_BATCH).fit(X[keep], y[keep])

    np.testing.assert_allclose(_outputs(weighted, X), _outputs(dropped, X), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("estimator_cls", [NeuralNetClassifier, NeuralNetRegressor])
def test_uniform_weights_equal_no_weights(tiny_data, estimator_cls):
    X, y_clf, y_reg = tiny_data
    y = y_clf if estimator_cls is NeuralNetClassifier else y_reg
    plain = estimator_cls(**FULL_BATCH).fit(X, y)
    uniform = estimator_cls(**FULL_BATCH).fit(X, y, sample_weight=np.full(len(X), 3.5))
    np.testing.assert_allclose(_outputs(plain, X), _outputs(uniform, X), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("estimator_cls", [NeuralNetClassifier, NeuralNetRegressor])
def test_weight_scale_does_not_matter(tiny_data, estimator_cls):
    X, y_clf, y_reg = tiny_data
    y = y_clf if estimator_cls is NeuralNetClassifier else y_reg
    w = np.random.RandomState(2).uniform(0.5, 2.0, size=len(X))
    a = estimator_cls(**FULL_BATCH).fit(X, y, sample_weight=w)
    b = estimator_cls(**FULL_BATCH).fit(X, y, sample_weight=w * 1000.0)
    np.testing.assert_allclose(_outputs(a, X), _outputs(b, X), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("estimator_cls", [NeuralNetClassifier, NeuralNetRegressor])
def test_invalid_sample_weights_raise(tiny_data, estimator_cls):
    X, y_clf, y_reg = tiny_data
    y = y_clf if estimator_cls is NeuralNetClassifier else y_reg
    est = estimator_cls(**FULL_BATCH)

    negative = np.ones(len(X))
    negative[3] = -1.0
    with pytest.raises(ValueError, match="[Nn]egative"):
        est.fit(X, y, sample_weight=negative)

    with pytest.raises(ValueError, match=r"sample_weight|shape|length|\d+"):
        est.fit(X, y, sample_weight=np.ones(len(X) - 1))

    with pytest.raises(ValueError, match="(?i)sample.weight|zero"):
        est.fit(X, y, sample_weight=np.zeros(len(X)))

    nan_weights = np.ones(len(X))
    nan_weights[0] = np.nan
    with pytest.raises(ValueError):
        est.fit(X, y, sample_weight=nan_weights)

    assert not hasattr(est, "module_")


def test_sample_weight_affects_validation_score():
    X, y = make_classification(n_samples=400, n_features=8, random_state=0)
    w = np.random.RandomState(0).uniform(0.1, 5.0, size=len(X))
    params = {
        "hidden_layer_sizes": (16,),
        "max_iter": 5,
        "early_stopping": True,
        "random_state": 0,
    }
    plain = NeuralNetClassifier(**params).fit(X, y)
    weighted = NeuralNetClassifier(**params).fit(X, y, sample_weight=w)
    assert plain.best_validation_score_ is not None
    assert weighted.best_validation_score_ is not None
    assert plain.history_.column("valid_loss") != weighted.history_.column("valid_loss")
    assert plain.best_validation_score_ != weighted.best_validation_score_


def test_sample_weight_with_partial_fit(tiny_data):
    X, y_clf, _ = tiny_data
    weights = np.random.RandomState(1).randint(1, 4, size=len(X))
    params = dict(FULL_BATCH, lr_schedule="constant")
    weighted = NeuralNetClassifier(**params)
    repeated = NeuralNetClassifier(**params)
    X_rep, y_rep = np.repeat(X, weights, axis=0), np.repeat(y_clf, weights)
    for _ in range(3):
        weighted.partial_fit(X, y_clf, classes=[0, 1, 2], sample_weight=weights)
        repeated.partial_fit(X_rep, y_rep, classes=[0, 1, 2])
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-4, atol=1e-5
    )
