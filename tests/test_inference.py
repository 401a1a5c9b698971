"""The float64 inference copies used for small CPU predictions."""

import numpy as np
import pandas as pd
import pytest
import torch

from sknn import NeuralNetClassifier, NeuralNetRegressor
from sknn._inference import inference_copy


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "a": rng.normal(size=300),
            "many": rng.choice(list("abcdefghijklmnop"), 300),  # embedded (> 8 levels)
            "few": rng.choice(["x", "y"], 300),  # one-hot
        }
    )
    return df, (df["a"] > 0).astype(int)


@pytest.mark.parametrize("activation", ["relu", "gelu", "silu", "selu", "tanh", "logistic"])
def test_numpy_copy_equals_the_torch_network(table, activation):
    df, y = table
    clf = NeuralNetClassifier((16, 16), activation=activation, max_iter=3, random_state=0)
    clf.fit(df, y)
    copied = inference_copy(clf.module_, clf._fit_count)
    assert copied.numpy is not None
    X = clf.encoder_.transform(df).astype(np.float64)
    with torch.inference_mode():
        expected = clf.module_.double()(torch.from_numpy(X)).numpy()
    clf.module_.float()
    np.testing.assert_allclose(copied.numpy(X), expected, rtol=1e-12, atol=1e-12)


def test_small_and_large_predictions_agree(table):
    df, y = table
    big = pd.concat([df] * 20, ignore_index=True)  # > 4096 rows: the float32 path
    clf = NeuralNetClassifier((16,), max_iter=3, random_state=0).fit(df, y)
    np.testing.assert_allclose(
        clf.predict_proba(big)[: len(df)], clf.predict_proba(df), rtol=1e-5, atol=1e-6
    )


def test_copy_follows_further_training(table):
    df, y = table
    reg = NeuralNetRegressor((8,), max_iter=2, random_state=0).fit(df, y)
    before = reg.predict(df[:5])
    reg.partial_fit(df, y)
    assert not np.allclose(reg.predict(df[:5]), before)
    after_fit = reg.predict(df[:5])
    with torch.no_grad():  # an in-place change by the user is seen too
        next(reg.module_.parameters()).add_(1.0)
    assert not np.allclose(reg.predict(df[:5]), after_fit)


@pytest.mark.parametrize(
    "params",
    [
        {"numeric_embedding": "periodic"},
        {"numeric_embedding": None, "n_ensemble": 3},
        {"numeric_embedding": "periodic", "n_ensemble": 4},
    ],
)
@pytest.mark.parametrize("target", ["binary", "multilabel", "regression"])
def test_numpy_copy_of_embeddings_and_ensembles(table, params, target):
    df, y = table
    if target == "regression":
        est = NeuralNetRegressor((16, 16), max_iter=3, random_state=0, **params)
    else:
        est = NeuralNetClassifier((16, 16), max_iter=3, random_state=0, **params)
        if target == "multilabel":
            y = np.column_stack([y, 1 - y, df["few"] == "x"]).astype(int)
    est.fit(df, y)
    copied = inference_copy(est.module_, est._fit_count)
    assert copied.numpy is not None
    X = est.encoder_.transform(df).astype(np.float64)
    with torch.inference_mode():
        expected = est.module_.double().eval()(torch.from_numpy(X)).numpy()
    est.module_.float()
    np.testing.assert_allclose(copied.numpy(X), expected, rtol=1e-10, atol=1e-10)
