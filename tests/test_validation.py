"""Input and parameter validation: clear errors, raised before any training."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sknn import MLPClassifier, NeuralNetClassifier, NeuralNetRegressor
from sknn.training import Callback, EarlyStopping, ProgressBar

ESTIMATORS = pytest.mark.parametrize("estimator_cls", [NeuralNetClassifier, NeuralNetRegressor])


class MustNotTrain(Callback):
    """Fails the test if training ever starts."""

    def on_train_begin(self, info):
        raise AssertionError("training started although the input was invalid")

    def on_epoch_end(self, record):
        raise AssertionError("an epoch ran although the input was invalid")


def make(estimator_cls, **kwargs):
    params = {
        "hidden_layer_sizes": (8,),
        "max_iter": 2,
        "random_state": 0,
        "callbacks": [MustNotTrain()],
    }
    params.update(kwargs)
    return estimator_cls(**params)


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 4))
    y = np.array([0, 1] * 20)
    return X, y


@ESTIMATORS
def test_nan_in_X_is_imputed_with_an_indicator(estimator_cls, data):
    X, y = data
    X = X.copy()
    X[3, 2] = np.nan
    est = make(estimator_cls, callbacks=None).fit(X, y)
    assert "missing__x2" in est.encoder_.get_feature_names_out()
    assert np.all(np.isfinite(np.asarray(est.predict(X), dtype=float)))


@ESTIMATORS
def test_inf_in_X_raises(estimator_cls, data):
    X, y = data
    X = X.copy()
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="(?i)inf"):
        make(estimator_cls).fit(X, y)


@ESTIMATORS
def test_huge_values_in_X_are_clipped(estimator_cls, data):
    X, y = data
    X = X.copy()
    X[0, 0] = 1e300  # finite in float64, inf in float32: robust scaling + smooth clip
    est = make(estimator_cls, callbacks=None).fit(X, y)
    assert np.all(np.isfinite(np.asarray(est.predict(X), dtype=float)))


def test_one_wild_value_in_a_micro_table_does_not_derail_the_fit():
    # under 64 rows each column's clip bound follows its fitted reach, at most 30:
    # a typing error a million scales out trains as a bounded value (a bound without
    # the ceiling made this fit diverge), and a linear trend is still learned
    rng = np.random.RandomState(0)
    X, X_test = rng.normal(size=(40, 3)), rng.normal(size=(200, 3))
    coef = np.array([1.0, 2.0, -1.0])
    y = X @ coef + 0.3 * rng.normal(size=40)
    X[0, 0] = 1e6
    est = NeuralNetRegressor(random_state=0).fit(X, y)
    assert est.encoder_.clip_bound_[0] == 30
    assert est.score(X_test, X_test @ coef) > 0.9


@ESTIMATORS
def test_nan_in_X_at_predict_is_imputed(estimator_cls, data):
    X, y = data
    est = make(estimator_cls, callbacks=None).fit(X, y)
    X_bad = X.copy()
    X_bad[1, 1] = np.nan
    assert np.all(np.isfinite(np.asarray(est.predict(X_bad), dtype=float)))


def test_nan_in_y_raises(data):
    X, _ = data
    y = np.linspace(0, 1, len(X))
    y[5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        make(NeuralNetRegressor).fit(X, y)


@ESTIMATORS
def test_wrong_number_of_features_at_predict(estimator_cls, data):
    X, y = data
    est = make(estimator_cls, callbacks=None).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :3])
    if estimator_cls is NeuralNetClassifier:
        with pytest.raises(ValueError, match="features"):
            est.predict_proba(np.hstack([X, X]))


@ESTIMATORS
def test_wrong_number_of_features_at_partial_fit(estimator_cls, data):
    X, y = data
    est = make(estimator_cls, callbacks=None).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :3], y)


@ESTIMATORS
def test_empty_X_raises(estimator_cls):
    with pytest.raises(ValueError, match="(?i)0 sample|empty"):
        make(estimator_cls).fit(np.empty((0, 4)), np.empty(0))


@ESTIMATORS
def test_mismatched_lengths_raise(estimator_cls, data):
    X, y = data
    with pytest.raises(ValueError, match="(?i)inconsistent|samples"):
        make(estimator_cls).fit(X, y[:-1])


@ESTIMATORS
def test_y_none_raises(estimator_cls, data):
    X, _ = data
    with pytest.raises(ValueError, match="y"):
        make(estimator_cls).fit(X, None)


def test_single_class_raises(data):
    X, _ = data
    with pytest.raises(ValueError, match="class"):
        make(NeuralNetClassifier).fit(X, np.zeros(len(X), dtype=int))


def test_continuous_y_for_classifier_raises(data):
    X, _ = data
    y = np.linspace(0.0, 1.0, len(X))
    with pytest.raises(ValueError, match="Unknown label type"):
        make(NeuralNetClassifier).fit(X, y)


@ESTIMATORS
@pytest.mark.parametrize(
    "param, value",
    [
        ("learning_rate", -1.0),
        ("learning_rate", 0.0),
        ("batch_size", 0),
        ("batch_size", "big"),
        ("activation", "foo"),
        ("early_stopping", "yes"),
        ("hidden_layer_sizes", (0,)),
        ("hidden_layer_sizes", (8, -3)),
        ("optimizer", "lion"),
        ("lr_schedule", "linear"),
        ("max_iter", 0),
        ("dropout", 1.0),
        ("validation_fraction", 0.0),
        ("validation_fraction", 1.0),
        ("n_iter_no_change", 0),
        ("tol", -1e-3),
        ("weight_decay", -0.1),
    ],
)
def test_invalid_parameters_raise_naming_the_parameter(estimator_cls, param, value, data):
    X, y = data
    est = make(estimator_cls, **{param: value})
    with pytest.raises(ValueError, match=param) as excinfo:
        est.fit(X, y)
    assert isinstance(excinfo.value, ValueError)
    assert not hasattr(est, "module_")


def test_invalid_parameter_is_sklearn_error(data):
    X, y = data
    with pytest.raises(InvalidParameterError, match="optimizer"):
        make(NeuralNetClassifier, optimizer="lion").fit(X, y)


def test_invalid_class_weight_raises(data):
    X, y = data
    with pytest.raises(ValueError, match="class_weight"):
        make(NeuralNetClassifier, class_weight="auto").fit(X, y)


@ESTIMATORS
def test_predict_before_fit_raises_not_fitted(estimator_cls, data):
    X, _ = data
    est = make(estimator_cls)
    with pytest.raises(NotFittedError):
        est.predict(X)
    if estimator_cls is NeuralNetClassifier:
        with pytest.raises(NotFittedError):
            est.predict_proba(X)
        with pytest.raises(NotFittedError):
            est.predict_log_proba(X)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@ESTIMATORS
def test_cuda_device_without_cuda_raises(estimator_cls, data):
    X, y = data
    est = make(estimator_cls, device="cuda")
    with pytest.raises(ValueError, match="CUDA"):
        est.fit(X, y)
    assert not hasattr(est, "module_")


@ESTIMATORS
def test_unknown_device_raises(estimator_cls, data):
    X, y = data
    with pytest.raises(ValueError, match="device"):
        make(estimator_cls, device="tpu9").fit(X, y)


def test_early_stopping_with_too_few_samples_raises():
    X = np.arange(4.0).reshape(2, 2)
    y = np.array([0, 1])
    with pytest.raises(ValueError, match="early_stopping"):
        make(NeuralNetClassifier, early_stopping=True, validation_fraction=0.9).fit(X, y)


def test_multilabel_with_class_weight_raises(data):
    X, y = data
    Y = np.column_stack([y, 1 - y, y])
    with pytest.raises(ValueError, match="class_weight"):
        make(NeuralNetClassifier, class_weight="balanced").fit(X, Y)


def test_partial_fit_multilabel_wrong_width_raises(data):
    X, y = data
    Y = np.column_stack([y, 1 - y, y])
    clf = make(NeuralNetClassifier, callbacks=None).partial_fit(X, Y)
    with pytest.raises(ValueError, match="multilabel"):
        clf.partial_fit(X, Y[:, :2])


def _unservable_devices():
    devices = [torch.device("cuda", 99), "cuda:99", "meta"]
    mps = getattr(torch.backends, "mps", None)
    if mps is None or not mps.is_available():
        devices.append("mps")
    return devices


@pytest.mark.parametrize("device", _unservable_devices(), ids=str)
@pytest.mark.parametrize("estimator_cls", [NeuralNetClassifier, MLPClassifier])
def test_a_device_this_machine_cannot_serve_is_named_with_the_available_ones(
    estimator_cls, device, data
):
    X, y = data
    est = estimator_cls(device=device, max_iter=2)
    with pytest.raises(ValueError, match=r"was requested but .*available here: 'cpu'"):
        est.fit(X, y)
    assert not hasattr(est, "coefs_") and not hasattr(est, "module_")


def test_a_torch_device_object_is_accepted(data):
    X, y = data
    est = NeuralNetClassifier(device=torch.device("cpu"), max_iter=2, random_state=0).fit(X, y)
    assert est.device_ == torch.device("cpu")


@pytest.mark.parametrize("estimator_cls", [NeuralNetClassifier, MLPClassifier])
def test_partial_fit_refuses_other_classes_on_a_later_call(estimator_cls, data):
    X, y = data
    est = estimator_cls(max_iter=2)
    est.partial_fit(X, y, classes=np.unique(y))
    est.partial_fit(X, y, classes=np.unique(y))  # the same classes again: fine
    est.partial_fit(X, y)
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X, y, classes=np.append(np.unique(y), 99))
    assert len(est.classes_) == len(np.unique(y))


@pytest.mark.parametrize(
    ("callbacks", "message"),
    [
        ([object()], r"callbacks\[0\] is a builtins.object, not an sknn.training.Callback"),
        (Callback(), "must be an instance of 'list'"),
        # a class, not an instance: it passed the check and failed in the trainer with
        # "type object 'type' has no attribute 'on_batch_begin'"
        ([ProgressBar], r"class ProgressBar, not a callback.*callbacks=\[ProgressBar\(\)\]"),
        # the public EarlyStopping is the estimator's own: the message named no parameter
        ([EarlyStopping(3, 0.0)], r"EarlyStopping.*early_stopping=True, n_iter_no_change"),
    ],
)
def test_callbacks_that_are_not_sknn_callbacks_are_refused_before_training(
    callbacks, message, data
):
    X, y = data
    est = NeuralNetClassifier(callbacks=callbacks, max_iter=2)
    with pytest.raises(TypeError, match=message):
        est.fit(X, y)
    assert not hasattr(est, "module_")


def test_scikit_learns_progress_bar_as_an_sknn_callback_is_refused_by_name(data):
    callback = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9")
    X, y = data
    est = NeuralNetClassifier(callbacks=[callback.ProgressBar()], max_iter=2)
    with pytest.raises(TypeError, match=r"ProgressBar.*sklearn.callback.*set_callbacks\(...\)"):
        est.fit(X, y)


def test_a_pandas_y_in_another_order_than_x_is_told_with_the_fix():
    # X shuffled against y: paired by position (as scikit-learn pairs them), the model
    # scored 0.42 where a constant scores 0.5, without a word
    import warnings

    import pandas as pd

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = pd.Series(np.where(X["a"] > 0, "yes", "no"))
    shuffled = X.sample(frac=1, random_state=0)
    with pytest.warns(UserWarning, match=r"y's index holds X's labels in another order.*"
                      r"y = y\.loc\[X\.index\]"):  # fmt: skip
        NeuralNetClassifier(max_iter=1, random_state=0).fit(shuffled, y)
    with warnings.catch_warnings():  # other labels (X's index reset): nothing to tell
        warnings.simplefilter("error")
        NeuralNetClassifier(max_iter=1, random_state=0).fit(shuffled.reset_index(drop=True), y)
        NeuralNetClassifier(max_iter=1, random_state=0).fit(X, y)
