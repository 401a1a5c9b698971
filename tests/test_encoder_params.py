"""encoder__* parameters reach the TabularEncoder like module__* reach the module."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError
from torch import nn

from sknn import NeuralNetClassifier, NeuralNetRegressor, TabularEncoder


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=120) * 50,
            "city": rng.choice(["a", "b", "c", "d", "e"], 120),  # 5 levels
        }
    )
    return df, (df["x"] > 0).astype(int)


def test_encoder_parameters_reach_the_encoder(table):
    df, y = table
    default = NeuralNetClassifier(max_iter=2, random_state=0).fit(df, y)
    assert default.encoder_.cardinalities_ == []  # 5 levels: one-hot
    clf = NeuralNetClassifier(
        encoder__max_onehot_cardinality=3, encoder__clip_numeric=False, max_iter=2, random_state=0
    ).fit(df, y)
    assert clf.encoder_.max_onehot_cardinality == 3
    assert clf.encoder_.clip_numeric is False
    assert len(clf.encoder_.cardinalities_) == 1  # now embedded
    assert clf.get_params()["encoder__max_onehot_cardinality"] == 3
    assert clone(clf).get_params()["encoder__clip_numeric"] is False


def test_grid_search_reaches_encoder_parameters(table):
    df, y = table
    search = GridSearchCV(
        NeuralNetRegressor(max_iter=2, random_state=0),
        {"encoder__clip_numeric": [True, False]},
        cv=2,
    ).fit(df, df["x"])
    assert [p["encoder__clip_numeric"] for p in search.cv_results_["params"]] == [True, False]
    assert (
        search.best_estimator_.encoder_.clip_numeric == search.best_params_["encoder__clip_numeric"]
    )


def test_categorical_features_stays_the_public_parameter(table):
    df, y = table
    clf = NeuralNetClassifier(encoder__categorical_features=["city"], max_iter=2)
    with pytest.raises(ValueError, match="set categorical_features instead"):
        clf.fit(df, y)


def test_a_misspelt_encoder_parameter_gets_a_hint(table):
    df, y = table
    clf = NeuralNetClassifier(encoder__max_onehot_cardinalty=3, max_iter=2)
    with pytest.raises(ValueError, match="did you mean 'max_onehot_cardinality'"):
        clf.fit(df, y)


def test_encoder_parameters_do_not_apply_to_a_custom_module():
    X = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    y = X[:, 0] > 0
    clf = NeuralNetClassifier(
        module=nn.Linear, module__in_features=3, module__out_features=2, encoder__clip_numeric=False
    )
    with pytest.raises(ValueError, match="custom module takes X as given"):
        clf.fit(X, y)


@pytest.mark.parametrize(
    "params, name",
    [
        ({"encoder__clip_numeric": "no"}, "encoder__clip_numeric"),
        ({"encoder__max_onehot_cardinality": -5}, "encoder__max_onehot_cardinality"),
        ({"encoder__max_onehot_cardinality": "many"}, "encoder__max_onehot_cardinality"),
    ],
)
def test_a_bad_encoder_value_is_refused_by_its_routed_name(params, name):
    # the estimator's fit skips nested validation; "no" was once read as clip_numeric=True
    X = np.random.default_rng(0).standard_normal((60, 3))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(InvalidParameterError, match=rf"'{name}' parameter of NeuralNetClassifier"):
        NeuralNetClassifier(max_iter=2, **params).fit(X, y)


def test_the_encoder_refuses_negative_sample_weight_as_the_estimators_do():
    X = pd.DataFrame({"a": np.arange(10.0), "b": list("xyxyxyxyxy")})
    for weight in (-np.ones(10), np.r_[np.ones(9), -1.0]):
        with pytest.raises(ValueError, match="[Nn]egative"):
            TabularEncoder().fit(X, sample_weight=weight)
