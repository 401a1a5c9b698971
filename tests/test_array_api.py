"""Torch tensors and other Array API arrays in and out (scikit-learn's array_api_dispatch).

scikit-learn's own Array API checks run over the four estimators in
tests/test_common.py (their tags declare ``array_api_support``); these tests
add what those checks leave out: equal answers to the numpy path, the
refusals, persistence and model selection under dispatch.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.utils._array_api import move_estimator_to

from sknn import (
    MLPClassifier,
    MLPRegressor,
    NeuralNetClassifier,
    NeuralNetRegressor,
    TabularEncoder,
)

xps = pytest.importorskip("array_api_strict")

ESTIMATORS = [NeuralNetClassifier, NeuralNetRegressor, MLPClassifier, MLPRegressor]


def dispatch():
    return sklearn.config_context(array_api_dispatch=True)


def _data(n=240):
    X, y = make_classification(n_samples=n, n_features=8, n_informative=5, random_state=0)
    return X, y


def _small(cls, **params):
    params = {"max_iter": 15, "random_state": 0, **params}
    if cls in (MLPClassifier, MLPRegressor):
        params.setdefault("hidden_layer_sizes", (16,))
    return cls(**params)


def _as(namespace, a, dtype):
    if namespace == "torch":
        return torch.as_tensor(a, dtype=dtype if a.dtype.kind == "f" else None)
    return xps.asarray(a.astype(dtype) if a.dtype.kind == "f" else a)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "namespace, dtype",
    [("torch", torch.float32), ("torch", torch.float64), ("array_api_strict", np.float64)],
)
def test_answers_equal_the_numpy_path_in_the_input_namespace(cls, namespace, dtype):
    X, y = _data()
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    X = X.astype(np_dtype)
    weights = np.linspace(0.5, 1.5, len(y))
    reference = _small(cls).fit(X, y, sample_weight=weights)
    X_xp, y_xp = _as(namespace, X, dtype), _as(namespace, y, dtype)
    with dispatch():
        model = _small(cls).fit(X_xp, y_xp, sample_weight=_as(namespace, weights, dtype))
        methods = ["predict", "predict_proba", "predict_log_proba"]
        answers = {m: getattr(model, m)(X_xp) for m in methods if hasattr(model, m)}
        score = model.score(X_xp, y_xp)
    for method, answer in answers.items():
        expected = getattr(reference, method)(X)
        if namespace == "torch":
            assert isinstance(answer, torch.Tensor), method
            answer = answer.numpy()
        else:
            assert type(answer).__module__.startswith("array_api_strict"), method
            answer = np.asarray(answer)
        assert answer.dtype == expected.dtype, method
        # float32 weights round differently from the reference's float64 ones
        tolerance = {"rtol": 1e-5, "atol": 1e-6} if np_dtype == np.float32 else {"rtol": 1e-7}
        np.testing.assert_allclose(answer, expected, **tolerance, err_msg=method)
    assert isinstance(score, float)
    assert score == pytest.approx(reference.score(X, y), abs=1e-6)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_tensor_that_requires_grad_is_refused_naming_detach(cls):
    X, y = _data(60)
    X_grad = torch.tensor(X, requires_grad=True)
    for context in (dispatch, sklearn.config_context):
        with context():
            with pytest.raises(TypeError, match=r"X\.detach\(\)"):
                _small(cls).fit(X_grad, y)
            with pytest.raises(TypeError, match=r"sample_weight\.detach\(\)"):
                _small(cls).fit(X, y, sample_weight=torch.ones(len(y), requires_grad=True))
    model = _small(cls).fit(X, y)
    with pytest.raises(TypeError, match=r"X\.detach\(\)"):
        model.predict(X_grad)
    np.testing.assert_array_equal(model.predict(X_grad.detach()), model.predict(X))


def test_a_tensor_off_the_cpu_without_dispatch_names_both_ways_on():
    X = torch.empty((10, 3), device="meta")  # a device numpy cannot read, like CUDA
    with pytest.raises(TypeError, match=r"array_api_dispatch=True.*X\.cpu\(\)"):
        NeuralNetClassifier().fit(X, np.arange(10) % 2)


def test_without_dispatch_cpu_tensors_work_and_answer_numpy():
    X, y = _data(100)
    model = _small(NeuralNetClassifier).fit(torch.as_tensor(X), torch.as_tensor(y))
    assert isinstance(model.predict_proba(torch.as_tensor(X)), np.ndarray)
    np.testing.assert_array_equal(
        model.predict(torch.as_tensor(X)), _small(NeuralNetClassifier).fit(X, y).predict(X)
    )


@pytest.mark.parametrize("cls", [NeuralNetRegressor, MLPClassifier])
def test_another_namespace_at_predict_is_refused_until_the_model_moves(cls):
    X, y = _data(100)
    with dispatch():
        model = _small(cls).fit(torch.as_tensor(X), torch.as_tensor(y))
        with pytest.raises(
            ValueError, match=rf"{cls.__name__}\.predict\(\) must use the same namespace"
        ):
            model.predict(X)
        with pytest.raises(ValueError, match="move_estimator_to"):
            model.predict(pd.DataFrame(X))
        on_numpy = move_estimator_to(model, np, "cpu")
        np.testing.assert_array_equal(on_numpy.predict(X), model.predict(torch.as_tensor(X)))


def test_a_numpy_fit_under_dispatch_answers_numpy_and_takes_dataframes():
    X, y = _data(100)
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    frame["kind"] = pd.Categorical(np.where(y, "a", "b"))
    with dispatch():
        model = _small(NeuralNetClassifier).fit(frame, y)
        assert isinstance(model.predict_proba(frame), np.ndarray)
        with pytest.raises(ValueError, match="same namespace"):
            model.predict(torch.as_tensor(X))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_model_fitted_on_tensors_pickles_as_numpy(cls):
    X, y = _data(100)
    with dispatch():
        model = _small(cls).fit(torch.as_tensor(X), torch.as_tensor(y))
        expected = model.predict(torch.as_tensor(X)).numpy()
    state = model.__getstate__()
    assert not any(isinstance(value, torch.Tensor) for value in state.values())
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict(X), expected)  # a numpy-fitted model now


def test_a_model_fitted_on_tensors_saves_with_skops():
    sio = pytest.importorskip("skops.io")
    X, y = _data(100)
    with dispatch():
        model = _small(NeuralNetRegressor).fit(torch.as_tensor(X), torch.as_tensor(y))
        expected = model.predict(torch.as_tensor(X)).numpy()
    dumped = sio.dumps(model)
    loaded = sio.loads(dumped, trusted=sio.get_untrusted_types(data=dumped))
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=1e-6)


def test_model_selection_under_dispatch_on_tensors():
    X, y = _data(200)
    X_t, y_t = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)
    with dispatch():
        scores = cross_val_score(_small(NeuralNetClassifier), X_t, y_t, cv=3)
        search = GridSearchCV(_small(MLPClassifier), {"alpha": [1e-4, 1e-2]}, cv=3)
        search.fit(X_t, y_t)
        assert isinstance(search.predict(X_t), torch.Tensor)
    expected = cross_val_score(_small(NeuralNetClassifier), X.astype(np.float32), y, cv=3)
    np.testing.assert_allclose(scores, expected, atol=1e-12)
    assert search.best_score_ > 0.7


def test_predict_interval_and_a_module_of_ones_own_answer_in_torch():
    X, y = _data(200)
    X_t = torch.as_tensor(X, dtype=torch.float32)
    with dispatch():
        regressor = _small(NeuralNetRegressor).fit(X_t, torch.as_tensor(y, dtype=torch.float32))
        bounds = regressor.predict_interval(X_t)
        own = _small(NeuralNetClassifier, module=torch.nn.Linear, module__in_features=8, max_iter=5)
        own.set_params(module__out_features=2)
        own.fit(X_t, torch.as_tensor(y))
        proba = own.predict_proba(X_t)
    assert isinstance(bounds, torch.Tensor) and bounds.shape == (200, 2)
    assert isinstance(proba, torch.Tensor) and proba.shape == (200, 2)


def test_string_labels_stay_numpy_beside_tensor_features():
    X, y = _data(100)
    labels = np.where(y == 1, "yes", "no")
    with dispatch():
        model = _small(MLPClassifier).fit(torch.as_tensor(X), labels)
        assert isinstance(model.predict_proba(torch.as_tensor(X)), torch.Tensor)
        predicted = model.predict(torch.as_tensor(X))
    assert isinstance(predicted, np.ndarray) and set(predicted) <= {"yes", "no"}


def test_tabular_encoder_encodes_tensors_into_tensors():
    X, _ = _data(100)
    X[::7, 2] = np.nan  # a missing indicator joins the output
    reference = TabularEncoder().fit(X)
    X_t = torch.as_tensor(X)
    with dispatch():
        encoder = TabularEncoder().fit(X_t)
        encoded = encoder.transform(X_t)
        fitted_and_encoded = TabularEncoder().fit_transform(X_t)
    assert isinstance(encoded, torch.Tensor) and isinstance(fitted_and_encoded, torch.Tensor)
    assert isinstance(encoder.categorical_features_, torch.Tensor)
    np.testing.assert_array_equal(encoded.numpy(), reference.transform(X))
    np.testing.assert_array_equal(fitted_and_encoded.numpy(), reference.transform(X))
    loaded = pickle.loads(pickle.dumps(encoder))
    assert isinstance(loaded.categorical_features_, np.ndarray)
    np.testing.assert_array_equal(loaded.transform(X), reference.transform(X))


def test_a_strict_namespace_fit_continues_answers_and_exports():
    # array-api-strict refuses numpy's implicit conversion, as CUDA tensors do:
    # every method must read the fitted arrays it holds through the host
    X, _ = _data(300)
    y = X[:, 0] * 3 + X[:, 1] ** 2
    X_s, y_s = xps.asarray(X), xps.asarray(y)
    with dispatch():
        model = _small(NeuralNetRegressor, loss="quantile", quantile=[0.1, 0.5, 0.9])
        model.fit(X_s, y_s)
        assert type(model.conformity_scores_).__module__.startswith("array_api_strict")
        bounds = model.predict_interval(X_s)
        model.partial_fit(X_s, y_s)
        with pytest.warns(UserWarning, match="already trained on"):  # partial_fit's rows
            model.set_params(warm_start=True).fit(X_s, y_s)
        predicted = np.asarray(xps.asarray(model.predict(X_s), device=xps.Device("CPU_DEVICE")))
        assert model.score(X_s, y_s) > 0
    assert bounds.shape == (300, 2)
    onnx = pytest.importorskip("sknn.onnx")
    ort = pytest.importorskip("onnxruntime")
    graph = onnx.to_onnx(model)
    (variable, *_) = ort.InferenceSession(graph.SerializeToString()).run(
        None, onnx.input_feed(X, model=graph)
    )
    np.testing.assert_allclose(variable.reshape(predicted.shape), predicted, atol=1e-3)


class _Hostless(torch.Tensor):
    """A tensor that refuses to be read into numpy at the table's size or more: what a
    tensor on a GPU costs (a copy to the host) made visible on the CPU."""

    limit = 0

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in {"numpy", "__array__", "__dlpack__", "tolist"}:
            if args[0].numel() >= cls.limit:
                raise AssertionError(f"a {tuple(args[0].shape)} tensor was read by {name}")
        return super().__torch_function__(func, types, args, kwargs or {})


def _hostless(X):
    _Hostless.limit = X.size
    return torch.as_tensor(X).as_subclass(_Hostless)


@pytest.mark.parametrize("cls", [NeuralNetClassifier, NeuralNetRegressor])
def test_a_numeric_tensor_is_encoded_trained_and_predicted_without_reaching_numpy(cls):
    X, y = _data(600)
    X[::9, 3] = np.nan  # a missing indicator joins the encoding
    y = y if cls is NeuralNetClassifier else X[:, 0] + X[:, 1] ** 2
    weights = np.linspace(0.5, 1.5, len(y))
    X_t, y_t = _hostless(X), torch.as_tensor(y)
    with dispatch():
        model = _small(cls).fit(X_t, y_t, sample_weight=torch.as_tensor(weights))
        predicted = model.predict(X_t)
        score = model.score(X_t, y_t)
        model.partial_fit(X_t, y_t)
        with pytest.warns(UserWarning, match="already trained on"):  # partial_fit's rows
            model.set_params(warm_start=True).fit(X_t, y_t)
    reference = _small(cls).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(predicted.numpy(), reference.predict(X), rtol=1e-7)
    assert score == pytest.approx(reference.score(X, y), abs=1e-9)


@pytest.mark.parametrize("clip", [True, False])
@pytest.mark.parametrize("n_rows", [40, 500])
def test_the_tensor_encoding_equals_numpys_to_the_last_bit(clip, n_rows):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_rows, 5)) * [1, 10, 1e3, 0.01, 1]
    X[:, 4] = rng.integers(0, 3, n_rows)  # ties, and a quartile range that can be 0
    X[::5, 1] = np.nan
    X[:, 3] = 7.0  # constant: scale 1
    weights = rng.integers(0, 4, n_rows).astype(float)
    # under 64 rows the clip's bounds read the few rows on the host
    tensor = _hostless if n_rows >= 64 else torch.as_tensor
    for w in (None, weights):
        reference = TabularEncoder(clip_numeric=clip).fit(X, sample_weight=w)
        with dispatch():
            encoder = TabularEncoder(clip_numeric=clip).fit(tensor(X), sample_weight=w)
            encoded = encoder.transform(tensor(X))
        np.testing.assert_array_equal(encoded.numpy(), reference.transform(X))
    with dispatch():  # integer tensors too
        ints = TabularEncoder().fit_transform(torch.as_tensor(X[:, 4:].astype(np.int64)))
    np.testing.assert_array_equal(ints.numpy(), TabularEncoder().fit_transform(X[:, 4:]))


def test_tensor_encoding_refuses_what_the_host_path_refuses():
    X, y = _data(100)
    X[5, 2] = np.inf
    with dispatch():
        with pytest.raises(ValueError, match=r"Columns \['x2'\] contain inf"):
            _small(NeuralNetRegressor).fit(torch.as_tensor(X), torch.as_tensor(y))
        with pytest.raises(ValueError, match="0 sample"):
            TabularEncoder().fit(torch.empty((0, 3)))
        model = _small(NeuralNetRegressor).fit(torch.as_tensor(X[:, :2]), torch.as_tensor(y))
        with pytest.raises(ValueError, match="2 features"):
            model.predict(torch.as_tensor(X[:, :3]))
        big = torch.as_tensor(X[:, :2] * 1e300)
        with pytest.raises(ValueError, match="too large for float32"):
            TabularEncoder(clip_numeric=False).fit(torch.as_tensor(X[:, :2])).transform(big)


def test_a_tensor_with_named_categorical_columns_takes_the_host_path():
    X, y = _data(200)
    X[:, 0] = np.arange(200) % 3
    with dispatch():
        model = _small(NeuralNetClassifier, categorical_features=[0])
        proba = model.fit(torch.as_tensor(X), torch.as_tensor(y)).predict_proba(torch.as_tensor(X))
    assert isinstance(proba, torch.Tensor)
    reference = _small(NeuralNetClassifier, categorical_features=[0]).fit(X, y)
    np.testing.assert_allclose(proba.numpy(), reference.predict_proba(X), rtol=1e-7)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("dispatched", [False, True])
def test_bfloat16_tensors_are_read_as_float32(cls, dispatched):
    # numpy has no bfloat16: torch raised "Unsupported dtype in DLTensor" on the host path
    X, y = _data()
    bf16 = torch.as_tensor(X, dtype=torch.bfloat16)
    with sklearn.config_context(array_api_dispatch=dispatched):
        est = _small(cls, max_iter=3).fit(bf16, torch.as_tensor(y))
        answer = est.predict(bf16)
    exact = _small(cls, max_iter=3).fit(bf16.float().numpy(), y)
    np.testing.assert_allclose(np.asarray(answer, dtype=float), exact.predict(bf16.float().numpy()))


def test_a_dict_of_inputs_under_dispatch_is_answered_in_numpy():
    # predict and score raised "dict is not a supported array type"
    from torch import nn

    class TwoParts(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(8, 2)

        def forward(self, left, right):
            return self.layer(torch.cat([left, right], dim=1))

    X, y = _data()
    inputs = {"left": torch.as_tensor(X[:, :4]), "right": torch.as_tensor(X[:, 4:])}
    with dispatch():
        clf = NeuralNetClassifier(module=TwoParts, max_iter=3, random_state=0).fit(inputs, y)
        assert isinstance(clf.predict(inputs), np.ndarray)
        assert 0 <= clf.score(inputs, y) <= 1


@pytest.mark.parametrize("cls", [NeuralNetClassifier, MLPClassifier])
def test_classes_live_where_the_probabilities_do(cls):
    # classes_ stayed numpy beside torch probabilities: cross_val_predict's
    # predict_proba and log_loss(labels=classes_) failed on "Multiple namespaces"
    from sklearn.metrics import log_loss
    from sklearn.model_selection import cross_val_predict

    X, y = _data()
    X_t, y_t = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)
    with dispatch():
        est = _small(cls, max_iter=3).fit(X_t, y_t)
        assert isinstance(est.classes_, torch.Tensor)
        proba = cross_val_predict(_small(cls, max_iter=3), X_t, y_t, cv=2, method="predict_proba")
        assert isinstance(proba, torch.Tensor) and proba.shape == (len(y), 2)
        assert log_loss(y_t, est.predict_proba(X_t), labels=est.classes_) > 0
    assert isinstance(pickle.loads(pickle.dumps(est)).classes_, np.ndarray)
