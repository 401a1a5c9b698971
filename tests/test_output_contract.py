"""The output contract for a user's module: every accepted shape trains right, every
wrong width, or output that mixes rows, is a ValueError naming the shapes, at fit and at
predict."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.metrics import r2_score
from torch import nn

from sknn import NeuralNetClassifier, NeuralNetRegressor


class Linear(nn.Module):
    """A linear model whose output is reshaped to one of the accepted (or wrong) shapes."""

    def __init__(self, n_features_in: int, width: int, shape: str = "2d", members: int = 1):
        super().__init__()
        self.shape, self.members, self.width = shape, members, width
        self.linear = nn.Linear(n_features_in, members * width)

    def forward(self, x):
        out = self.linear(x)
        if self.shape == "pooled" or (self.shape == "pooled beyond 2 rows" and len(x) > 2):
            return out.mean(0, keepdim=True)  # one row for the batch
        if self.shape == "members first":
            return out.view(len(x), self.members, self.width).transpose(0, 1)
        if self.shape == "1d":
            return out[:, 0]
        if self.shape == "3d":
            return out.view(len(x), self.members, self.width)
        return out


def _linear_data(n_targets: int):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5)).astype(np.float32)
    coef = rng.normal(size=(5, n_targets))
    y = X @ coef + 3.0
    return X, (y[:, 0] if n_targets == 1 else y)


def _regressor(**module_params):
    return NeuralNetRegressor(
        module=Linear,
        **{f"module__{k}": v for k, v in module_params.items()},
        learning_rate=0.02,
        max_iter=150,
        early_stopping=False,
        random_state=0,
    )


@pytest.mark.parametrize(
    ("n_targets", "shape", "members"),
    [(1, "1d", 1), (1, "2d", 1), (1, "3d", 3), (2, "2d", 1), (2, "3d", 4)],
    ids=["(n,)", "(n, 1)", "(n, k, 1)", "(n, 2)", "(n, k, 2)"],
)
def test_every_accepted_regression_shape_trains_right(n_targets, shape, members):
    X, y = _linear_data(n_targets)
    reg = _regressor(width=n_targets, shape=shape, members=members).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == y.shape
    assert r2_score(y, pred) > 0.9


@pytest.mark.parametrize(("n_targets", "width"), [(1, 2), (2, 1), (2, 3)])
def test_a_wrong_regression_width_is_refused_at_fit(n_targets, width):
    X, y = _linear_data(n_targets)
    with pytest.raises(ValueError, match=rf"returned outputs of shape \(2, {width}\)"):
        _regressor(width=width).fit(X, y)


@pytest.mark.parametrize(
    ("n_classes", "shape", "width", "members"),
    [
        (2, "1d", 1, 1),
        (2, "2d", 1, 1),
        (2, "2d", 2, 1),
        (2, "3d", 1, 3),
        (3, "2d", 3, 1),
        (3, "3d", 3, 2),
    ],
    ids=[
        "binary (n,)",
        "binary (n, 1)",
        "binary (n, 2)",
        "binary (n, k, 1)",
        "(n, 3)",
        "(n, k, 3)",
    ],
)
def test_every_accepted_classification_shape_trains_right(n_classes, shape, width, members):
    # labels from a linear teacher: a linear model can get nearly all of them
    X, _ = _linear_data(1)
    scores = X @ np.random.default_rng(1).normal(size=(5, n_classes))
    y = scores.argmax(axis=1)
    clf = NeuralNetClassifier(
        module=Linear,
        module__width=width,
        module__shape=shape,
        module__members=members,
        learning_rate=0.02,
        max_iter=60,
        random_state=0,
    ).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) > 0.9


def test_multilabel_needs_one_logit_per_label():
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    Y = np.column_stack([y, 1 - y, X[:, 0] > 0]).astype(int)
    params = {"module": Linear, "max_iter": 30, "random_state": 0}
    clf = NeuralNetClassifier(module__width=3, **params).fit(X.astype(np.float32), Y)
    assert clf.predict_proba(X).shape == (200, 3)
    with pytest.raises(ValueError, match=r"one logit per label \(3 labels\)"):
        NeuralNetClassifier(module__width=2, **params).fit(X.astype(np.float32), Y)


@pytest.mark.parametrize("width", [2, 4, 10])
def test_a_wrong_classification_width_is_refused_at_fit(width):
    X, y = make_classification(
        n_samples=200, n_features=5, n_informative=3, n_redundant=0, n_classes=3, random_state=0
    )
    clf = NeuralNetClassifier(module=Linear, module__width=width, max_iter=2)
    with pytest.raises(ValueError, match=r"one logit per class \(3 classes\)") as error:
        clf.fit(X.astype(np.float32), y)
    assert f"(2, {width})" in str(error.value)  # the shape the module returned
    assert "(n, 3)" in str(error.value)  # and the one the task needs


def test_a_changed_output_shape_is_refused_at_predict():
    X, y = _linear_data(1)
    reg = _regressor(width=1).fit(X, y)
    with torch.no_grad():  # the user swaps the last layer for a wider one
        reg.module_.linear = nn.Linear(5, 3)
        reg.module_.width = 3
    with pytest.raises(ValueError, match=r"returned outputs of shape \(400, 3\)"):
        reg.predict(X)


@pytest.mark.parametrize("shape", ["pooled", "members first", "pooled beyond 2 rows"])
@pytest.mark.parametrize("task", ["regression", "classification"])
def test_outputs_that_mix_the_rows_are_refused_at_fit(task, shape):
    # torch broadcast a pooled regression output against the targets with only a warning,
    # and the fitted model predicted one value for five rows
    X, y = _linear_data(1)
    params = {"shape": shape, "members": 1 if shape.endswith("rows") else 2, "width": 1}
    if task == "regression":
        est = _regressor(**params)
    else:
        est = NeuralNetClassifier(
            module=Linear, max_iter=2, **{f"module__{k}": v for k, v in params.items()}
        )
    # the probe of 2 rows, or (for what only a larger batch shows) the first batch
    with pytest.raises(ValueError, match=r"shape \(.*\) for \d+ rows of input; its first"):
        est.fit(X, y if task == "regression" else y > 3)


def test_outputs_that_mix_the_rows_are_refused_at_predict():
    X, y = _linear_data(1)
    reg = _regressor(width=1).fit(X, y)
    reg.module_.shape = "pooled"
    with pytest.raises(ValueError, match=r"shape \(1, 1\) for 5 rows of input"):
        reg.predict(X[:5])
