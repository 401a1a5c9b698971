"""sknn.onnx.to_onnx: one ONNX graph from raw features to the estimator's answer."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, make_regression

from sknn import NeuralNetClassifier, NeuralNetRegressor

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
from sknn.onnx import input_feed, to_onnx  # noqa: E402


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


@pytest.mark.parametrize(
    "as_labels",
    [lambda y: y.astype(bool), lambda y: y + 2.0, lambda y: (3 * y).astype(np.float32)],
    ids=["bool", "float64", "float32"],
)
def test_bool_and_float_classes_come_out_in_predicts_dtype(as_labels):
    X, y = load_breast_cancer(return_X_y=True)
    y = as_labels(y)
    est = NeuralNetClassifier(max_iter=2, random_state=0).fit(X, y)
    session = ort.InferenceSession(to_onnx(est).SerializeToString())
    label = session.run(["label"], {"X": X.astype(np.float32)})[0]
    assert label.dtype == est.predict(X).dtype == y.dtype
    np.testing.assert_array_equal(label, est.predict(X))
    skl2onnx = pytest.importorskip("skl2onnx", reason="the onnx extra is not installed")
    from skl2onnx.common.data_types import FloatTensorType

    # in a skl2onnx pipeline, skl2onnx's convention (its ZipMap takes int64 labels)
    types = [("X", FloatTensorType([None, X.shape[1]]))]
    for options in ({"zipmap": False}, None):
        model = skl2onnx.to_onnx(est, initial_types=types, options=options)
        out = ort.InferenceSession(model.SerializeToString()).run(None, {"X": X.astype(np.float32)})
        assert out[0].dtype == np.int64
        np.testing.assert_array_equal(out[0], est.predict(X))


def test_quantile_levels_alike_to_six_digits_get_outputs_of_their_own():
    X, y = make_regression(n_samples=200, n_features=3, random_state=0)
    est = NeuralNetRegressor(loss="quantile", quantile=[0.5, 0.5000001], max_iter=2).fit(X, y)
    model = to_onnx(est)
    names = [o.name for o in model.graph.output]
    assert names == ["variable", "quantile_0.5", "quantile_0.5000001"]  # one was quantile_0.6
    out = run(model, X)  # the first output, "variable"
    np.testing.assert_allclose(out, est.predict(X), atol=1e-4 * np.abs(y).max())


def test_regressor_graph_gives_predict_in_target_units():
    X, y = load_diabetes(return_X_y=True)
    X = with_gaps(X)
    est = NeuralNetRegressor(max_iter=3, random_state=0).fit(X, y)
    pred = run(to_onnx(est), X)
    np.testing.assert_allclose(pred.ravel(), est.predict(X), rtol=1e-5, atol=1e-3)


def test_a_micro_table_clips_each_column_with_its_own_bound():
    # under 64 rows every column has its bound (1.5 times its fitted reach, 10 to 30)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    X[:, 0] = np.exp(2 * X[:, 0])  # heavy-tailed: a bound above 10
    X[0, 2] = np.nan
    y = X[:, 0] + X[:, 1]
    est = NeuralNetRegressor(max_iter=3, random_state=0).fit(X, y)
    bounds = est.encoder_.clip_bound_
    assert bounds[0] > 10 and bounds[1] == 10
    X_new = np.vstack([X, [[1e4, 50.0, -50.0]]])  # beyond every bound
    pred = run(to_onnx(est), X_new)
    np.testing.assert_allclose(pred.ravel(), est.predict(X_new), rtol=1e-5, atol=1e-4)


def test_multi_output_regressor_and_any_batch_size():
    X, y = make_regression(n_samples=200, n_features=6, n_targets=3, random_state=0)
    est = NeuralNetRegressor(max_iter=3, random_state=0).fit(X, y)
    model = to_onnx(est, X[:2])
    for rows in (1, 7, 200):  # the batch axis is dynamic
        pred = run(model, X[:rows])
        assert pred.shape == (rows, 3)
        np.testing.assert_allclose(pred, est.predict(X[:rows]), rtol=1e-4, atol=1e-3)


def test_a_dataframe_gives_one_float_input_per_numeric_or_boolean_column():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X["mean radius"] = X["mean radius"].where(X.index % 9 != 0)  # NaN where missing
    X["count"] = (X["mean area"] // 100).astype("int64")
    X["big"] = X["mean area"] > 700
    est = NeuralNetClassifier(max_iter=2, random_state=0).fit(X, y)
    model = to_onnx(est, X.head())
    session = ort.InferenceSession(model.SerializeToString())
    inputs = {i.name: i.type for i in session.get_inputs()}
    assert list(inputs) == list(X.columns)
    assert set(inputs.values()) == {"tensor(float)"}  # integers and booleans too
    feeds = {c: X[[c]].to_numpy(np.float32) for c in X.columns}  # as a service builds them
    proba = session.run(None, feeds)[0]
    np.testing.assert_allclose(proba, est.predict_proba(X), atol=1e-5)
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["feature_names"]) == list(X.columns)


def mixed_table(n=300, seed=0):
    """Floats with NaN, integers, booleans, a one-hot and an embedded category with gaps."""
    rng = np.random.default_rng(seed)
    city = rng.choice([f"city{i:02d}" for i in range(20)], n).astype(object)
    city[::11] = None
    X = pd.DataFrame(
        {
            "income": np.where(rng.random(n) < 0.1, np.nan, rng.lognormal(3, 1, n)),
            "age": rng.integers(18, 90, n),
            "member": rng.random(n) < 0.3,
            "color": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
            "city": city,
        }
    )
    signal = (
        np.nan_to_num(np.log(X["income"]))
        + X["age"] / 30
        + X["member"]
        + (X["color"] == "red")
        + X["city"].isin(["city01", "city02", "city03"])
    )
    return X, signal.to_numpy(float)


def unseen_rows(X):
    """Rows with categories never seen at fit, and missing categories."""
    new = X.head(6).copy()
    new["city"] = ["elsewhere", None, "city01", "nowhere", None, "city05"]
    new["color"] = pd.Categorical(["purple", "red", None, "blue", "green", "red"])
    return pd.concat([X, new], ignore_index=True)


def answer(model, X):
    session = ort.InferenceSession(model.SerializeToString())
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, input_feed(X)), strict=True))


def mixed_target(task, signal):
    if task == "binary":
        return np.where(signal > np.median(signal), "yes", "no")
    if task == "multiclass":
        return np.digitize(signal, np.quantile(signal, [0.33, 0.66]))
    if task == "multilabel":
        high = [signal > np.median(signal), signal > np.quantile(signal, 0.8)]
        return np.column_stack(high).astype(int)
    if task == "regression":
        return 1000 * signal
    return np.column_stack([1000 * signal, -signal])


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_classifier_on_a_mixed_table_matches_predict(task):
    X, signal = mixed_table()
    y = (
        mixed_target(task, signal).astype(int)
        if task == "multilabel"
        else mixed_target(task, signal)
    )
    est = NeuralNetClassifier(max_iter=3, random_state=0).fit(X, y)
    X_new = unseen_rows(X)
    out = answer(to_onnx(est, X.head()), X_new)
    np.testing.assert_allclose(out["probabilities"], est.predict_proba(X_new), atol=1e-4)
    np.testing.assert_array_equal(out["label"], est.predict(X_new))


@pytest.mark.parametrize("task", ["regression", "multi-output regression"])
def test_regressor_on_a_mixed_table_matches_predict(task):
    X, signal = mixed_table()
    y = mixed_target(task, signal)
    est = NeuralNetRegressor(max_iter=3, random_state=0).fit(X, y)
    X_new = unseen_rows(X)
    pred = answer(to_onnx(est, X.head()), X_new)["variable"]
    expected = est.predict(X_new).reshape(len(X_new), -1)
    assert pred.shape == expected.shape
    scale = np.std(y, axis=0).reshape(1, -1)
    assert (np.abs(pred - expected) <= 1e-4 * scale).all()


def test_input_types_follow_the_encoding_with_or_without_a_sample():
    X, signal = mixed_table()
    est = NeuralNetRegressor(max_iter=1, random_state=0).fit(X, signal)
    for model in (to_onnx(est, X.head()), to_onnx(est), to_onnx(est, X.astype({"age": float}))):
        session = ort.InferenceSession(model.SerializeToString())
        types = {i.name: i.type for i in session.get_inputs()}
        assert types == {
            "income": "tensor(float)",
            "age": "tensor(float)",
            "member": "tensor(float)",
            "color": "tensor(string)",
            "city": "tensor(string)",
        }
        pred = answer(model, X)["variable"]
        np.testing.assert_allclose(pred.ravel(), est.predict(X), atol=1e-4 * np.std(signal))


def test_embedded_categories_on_an_array_with_categorical_features():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=400), rng.integers(0, 30, 400).astype(float)])
    X[::13, 1] = np.nan
    y = X[:, 0] + (np.nan_to_num(X[:, 1]) % 3)
    est = NeuralNetRegressor(max_iter=2, categorical_features=[1], random_state=0).fit(X, y)
    X_new = np.vstack([X, [[0.5, 99.0], [0.1, np.nan]]])  # an unseen and a missing category
    pred = answer(to_onnx(est, X[:4]), X_new)["variable"]
    np.testing.assert_allclose(pred.ravel(), est.predict(X_new), atol=1e-4 * np.std(y))


def test_empty_string_category_is_refused_by_name():
    X = pd.DataFrame({"num": np.arange(40.0), "code": ["", "a", "b", "c"] * 10})
    est = NeuralNetClassifier(max_iter=1, random_state=0).fit(X, np.arange(40) % 2)
    with pytest.raises(ValueError, match="'code'.*empty string"):
        to_onnx(est, X.head())


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_drop_in_classifier(task):
    from sknn import MLPClassifier

    X, signal = mixed_table()
    X = X[["income", "age"]].fillna(0).to_numpy() / 100
    y = (
        mixed_target(task, signal).astype(int)
        if task == "multilabel"
        else mixed_target(task, signal)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in a few iterations
        est = MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=20, random_state=0).fit(X, y)
    out = answer(to_onnx(est), X)
    np.testing.assert_allclose(out["probabilities"], est.predict_proba(X), atol=1e-4)
    np.testing.assert_array_equal(out["label"], est.predict(X))


@pytest.mark.parametrize("n_targets", [1, 2])
def test_drop_in_regressor(n_targets):
    from sknn import MLPRegressor

    X, y = make_regression(n_samples=200, n_features=5, n_targets=n_targets, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPRegressor(activation="tanh", max_iter=50, random_state=0).fit(X, y)
    pred = answer(to_onnx(est), X)["variable"]
    expected = est.predict(X).reshape(len(X), -1)
    assert (np.abs(pred - expected) <= 1e-4 * np.std(y, axis=0).reshape(1, -1)).all()


class TwoLayer(torch.nn.Module):
    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(n_features_in, 16), torch.nn.ReLU(), torch.nn.Linear(16, n_outputs)
        )

    def forward(self, x):
        return self.layers(x)


def test_a_user_module_with_sknns_output_link():
    X, y = load_iris(return_X_y=True)
    est = NeuralNetClassifier(module=TwoLayer, max_iter=3, random_state=0).fit(X, y)
    out = answer(to_onnx(est, X[:3]), X)
    np.testing.assert_allclose(out["probabilities"], est.predict_proba(X), atol=1e-4)
    np.testing.assert_array_equal(out["label"], est.predict(X))
    with pytest.raises(ValueError, match="X_sample"):
        to_onnx(est)


class DataDependent(TwoLayer):
    def forward(self, x):
        if x.sum() > 0:  # a branch on the data: not traceable
            return self.layers(x)
        return -self.layers(x)


def test_a_user_module_regressor():
    X, y = load_diabetes(return_X_y=True)
    est = NeuralNetRegressor(module=TwoLayer, max_iter=1, random_state=0).fit(X, y)
    pred = answer(to_onnx(est, X[:3]), X)["variable"]
    np.testing.assert_allclose(pred.ravel(), est.predict(X), atol=1e-4 * np.std(y))


def test_an_untraceable_user_module_gets_an_error_naming_the_cause():
    X, y = load_diabetes(return_X_y=True)
    est = NeuralNetRegressor(module=DataDependent, max_iter=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="reads a tensor.*test_onnx.py.*traceable"):
        to_onnx(est, X[:3])


def test_skl2onnx_converts_a_column_transformer_ending_in_sknn():
    skl2onnx = pytest.importorskip("skl2onnx", reason="the onnx extra is not installed")
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from sknn.onnx import initial_types

    X, signal = mixed_table()
    X = X.assign(city=X["city"].fillna("none").astype(object), color=X["color"].astype(object))
    y = mixed_target("multiclass", signal)
    numbers = make_pipeline(SimpleImputer(), StandardScaler())
    columns = make_column_transformer(
        (numbers, ["income", "age"]),
        (OneHotEncoder(handle_unknown="ignore"), ["color", "city"]),
        ("passthrough", ["member"]),
    )
    pipe = make_pipeline(columns, NeuralNetClassifier(max_iter=2, random_state=0)).fit(X, y)
    model = skl2onnx.to_onnx(pipe, initial_types=initial_types(X), options={"zipmap": False})
    out = answer(model, X)
    np.testing.assert_allclose(out["probabilities"], pipe.predict_proba(X), atol=1e-4)
    np.testing.assert_array_equal(out["label"], pipe.predict(X))
    # skl2onnx's default ZipMap (a dict of probabilities per row) works too
    zipped = answer(skl2onnx.to_onnx(pipe, initial_types=initial_types(X)), X)
    assert zipped["output_probability"][0].keys() == set(pipe.classes_)


def test_skl2onnx_converts_sknn_regressors_in_a_pipeline():
    skl2onnx = pytest.importorskip("skl2onnx", reason="the onnx extra is not installed")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sknn import MLPRegressor

    X, y = make_regression(n_samples=200, n_features=5, n_targets=2, random_state=0)
    X = X.astype(np.float32)
    for est in (NeuralNetRegressor(max_iter=2, random_state=0), MLPRegressor(max_iter=5)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the drop-in does not converge in 5 iterations
            pipe = make_pipeline(StandardScaler(), est).fit(X, y)
        pred = answer(skl2onnx.to_onnx(pipe, X[:3]), X)["variable"]
        assert (np.abs(pred - pipe.predict(X)) <= 1e-4 * np.std(y, axis=0)).all()


def test_skl2onnx_converts_tabular_encoder_before_a_scikit_learn_model():
    skl2onnx = pytest.importorskip("skl2onnx", reason="the onnx extra is not installed")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from sknn.onnx import initial_types
    from sknn.preprocessing import TabularEncoder

    X, signal = mixed_table()
    y = mixed_target("binary", signal)
    pipe = make_pipeline(TabularEncoder(), LogisticRegression(max_iter=1000)).fit(X, y)
    model = skl2onnx.to_onnx(pipe, initial_types=initial_types(X), options={"zipmap": False})
    X_new = unseen_rows(X)
    out = answer(model, X_new)
    np.testing.assert_allclose(out["probabilities"], pipe.predict_proba(X_new), atol=1e-4)
    np.testing.assert_array_equal(out["label"], pipe.predict(X_new))
    # the encoder alone, through to_onnx, gives its transform
    encoder = pipe[0]
    encoded = answer(to_onnx(encoder, X.head()), X_new)["variable"]
    np.testing.assert_allclose(encoded, encoder.transform(X_new), atol=1e-5)


def test_without_the_extra_the_import_error_names_it():
    import subprocess
    import sys

    code = "import sys; sys.modules['onnx'] = None; import sknn.onnx"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode != 0
    assert 'pip install "sknn[onnx]"' in run.stderr


def test_piecewise_linear_embeddings_export():
    X, y = load_diabetes(return_X_y=True)
    est = NeuralNetRegressor(numeric_embedding="piecewise", max_iter=3, random_state=0).fit(X, y)
    pred = run(to_onnx(est, X[:5]), X)
    np.testing.assert_allclose(pred.ravel(), est.predict(X), atol=1e-4 * np.std(y))
