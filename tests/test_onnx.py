"""sknn.onnx.to_onnx: one ONNX graph from raw numeric features to the estimator's answer."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, make_regression

from sknn import NeuralNetClassifier, NeuralNetRegressor

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
from sknn.onnx import to_onnx  # noqa: E402


def with_gaps(X):
    X = np.array(X, dtype=np.float64)
    X[::7, 1] = np.nan  # imputed, with a missing indicator
    return X


def run(model, X):
    session = ort.InferenceSession(model.SerializeToString())
    return session.run(None, {"X": np.asarray(X, dtype=np.float32)})[0]


@pytest.mark.parametrize("load", [load_breast_cancer, load_iris], ids=["binary", "multiclass"])
@pytest.mark.parametrize("n_ensemble", [8, 1])
def test_classifier_graph_gives_predict_proba(load, n_ensemble):
    X, y = load(return_X_y=True)
    X = with_gaps(X)
    est = NeuralNetClassifier(max_iter=3, n_ensemble=n_ensemble, random_state=0).fit(X, y)
    model = to_onnx(est, X[:5])
    onnx.checker.check_model(model)
    assert model.opset_import[0].version >= 18
    proba = run(model, X)
    np.testing.assert_allclose(proba, est.predict_proba(X), atol=1e-5)
    meta = {p.key: p.value for p in model.metadata_props}
    np.testing.assert_array_equal(json.loads(meta["classes"]), est.classes_)
    session = ort.InferenceSession(model.SerializeToString())
    label = session.run(["label"], {"X": X.astype(np.float32)})[0]
    np.testing.assert_array_equal(label, est.predict(X))


def test_string_classes_come_out_as_labels():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    est = NeuralNetClassifier(max_iter=3, random_state=0).fit(X, names)
    session = ort.InferenceSession(to_onnx(est).SerializeToString())
    label = session.run(["label"], {"X": X.astype(np.float32)})[0]
    np.testing.assert_array_equal(label, est.predict(X))


def test_regressor_graph_gives_predict_in_target_units():
    X, y = load_diabetes(return_X_y=True)
    X = with_gaps(X)
    est = NeuralNetRegressor(max_iter=3, random_state=0).fit(X, y)
    pred = run(to_onnx(est), X)
    np.testing.assert_allclose(pred.ravel(), est.predict(X), rtol=1e-5, atol=1e-3)


def test_multi_output_regressor_and_any_batch_size():
    X, y = make_regression(n_samples=200, n_features=6, n_targets=3, random_state=0)
    est = NeuralNetRegressor(max_iter=3, random_state=0).fit(X, y)
    model = to_onnx(est, X[:2])
    for rows in (1, 7, 200):  # the batch axis is dynamic
        pred = run(model, X[:rows])
        assert pred.shape == (rows, 3)
        np.testing.assert_allclose(pred, est.predict(X[:rows]), rtol=1e-4, atol=1e-3)


def test_a_dataframe_gives_one_input_per_column_typed_by_it():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X["mean radius"] = X["mean radius"].where(X.index % 9 != 0)  # NaN where missing
    X["count"] = (X["mean area"] // 100).astype("int64")
    X["big"] = X["mean area"] > 700
    est = NeuralNetClassifier(max_iter=2, random_state=0).fit(X, y)
    model = to_onnx(est, X.head())
    session = ort.InferenceSession(model.SerializeToString())
    inputs = {i.name: i.type for i in session.get_inputs()}
    assert list(inputs) == list(X.columns)
    assert inputs["count"] == "tensor(int64)" and inputs["mean radius"] == "tensor(float)"
    assert inputs["big"] == "tensor(bool)"
    dtype = {"i": np.int64, "b": np.bool_}
    feeds = {c: X[[c]].to_numpy(dtype.get(X[c].dtype.kind, np.float32)) for c in X.columns}
    proba = session.run(None, feeds)[0]
    np.testing.assert_allclose(proba, est.predict_proba(X), atol=1e-5)
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["feature_names"]) == list(X.columns)


def test_categorical_columns_are_refused_by_name():
    X = pd.DataFrame({"num": np.arange(40.0), "color": pd.Categorical(["red", "blue"] * 20)})
    y = np.arange(40) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = NeuralNetClassifier(max_iter=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="numeric columns only.*color"):
        to_onnx(est)
