"""sknn estimators inside scikit-learn's tooling, and persistence."""

import copy
import pickle

import joblib
import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import BaggingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import NeuralNetClassifier, NeuralNetRegressor


def small_clf(**kwargs):
    params = {
        "hidden_layer_sizes": (32,),
        "max_iter": 15,
        "learning_rate": 1e-2,
        "random_state": 0,
    }
    params.update(kwargs)
    return NeuralNetClassifier(**params)


def small_reg(**kwargs):
    params = {
        "hidden_layer_sizes": (32,),
        "max_iter": 30,
        "learning_rate": 1e-2,
        "random_state": 0,
    }
    params.update(kwargs)
    return NeuralNetRegressor(**params)


def test_pipeline_with_scaler(binary_data):
    X, y = binary_data
    X = X * 100 + 50
    pipe = Pipeline([("scale", StandardScaler()), ("clf", small_clf())]).fit(X, y)
    assert pipe.score(X, y) > 0.85
    assert pipe.predict_proba(X).shape == (len(X), 2)
    assert pipe.named_steps["clf"].n_iter_ >= 1


def test_a_global_pandas_output_leaves_the_networks_own_input_alone(binary_data):
    # set_config(transform_output="pandas") made every fresh fit fail (KeyError in the
    # network's input): the encoder inside returned a DataFrame
    X, y = binary_data
    plain = small_clf(max_iter=3).fit(X, y).predict_proba(X)
    with sklearn.config_context(transform_output="pandas"):
        est = small_clf(max_iter=3).fit(X, y)
        np.testing.assert_array_equal(est.predict_proba(X), plain)
        small_clf().partial_fit(X, y, classes=[0, 1])
        small_reg(max_iter=2).fit(X, X[:, 0])
        assert hasattr(est.encoder_.transform(X), "columns")  # the encoder alone obeys it


def test_grid_search_in_parallel(binary_data):
    X, y = binary_data
    grid = {"learning_rate": [1e-3, 1e-2]}
    parallel = GridSearchCV(small_clf(), grid, cv=2, n_jobs=2).fit(X, y)
    assert len(parallel.cv_results_["params"]) == 2
    assert parallel.best_params_["learning_rate"] in grid["learning_rate"]
    assert np.all(np.isfinite(parallel.cv_results_["mean_test_score"]))
    assert parallel.best_estimator_.predict(X).shape == (len(X),)
    # seeded estimators: running in worker processes changes nothing
    serial = GridSearchCV(small_clf(), grid, cv=2, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )


def test_cross_val_score(multiclass_data):
    X, y = multiclass_data
    scores = cross_val_score(small_clf(), X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.mean() > 0.8


def test_clone_gives_unfitted_copy_with_same_params(binary_data):
    X, y = binary_data
    clf = small_clf(dropout=0.1, class_weight="balanced", hidden_layer_sizes=(8, 4))
    clf.fit(X, y)
    cloned = clone(clf)
    assert cloned is not clf
    assert cloned.get_params() == clf.get_params()
    assert not hasattr(cloned, "module_")
    assert not hasattr(cloned, "history_")
    with pytest.raises(NotFittedError):
        cloned.predict(X)
    # clones are independent: fitting one leaves the other untouched
    before = clf.predict_proba(X)
    cloned.set_params(max_iter=2).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    assert clf.max_iter == 15


def test_calibrated_classifier(binary_data):
    X, y = binary_data
    calibrated = CalibratedClassifierCV(small_clf(), cv=2).fit(X, y)
    proba = calibrated.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert calibrated.score(X, y) > 0.8


def test_transformed_target_regressor(regression_data):
    X, y = regression_data
    model = TransformedTargetRegressor(regressor=small_reg(), transformer=StandardScaler()).fit(
        X, y * 1000.0
    )
    pred = model.predict(X)
    assert pred.shape == (len(X),)
    assert model.score(X, y * 1000.0) > 0.9


def test_bagging_classifier(binary_data):
    X, y = binary_data
    bag = BaggingClassifier(small_clf(), n_estimators=2, random_state=0).fit(X, y)
    assert len(bag.estimators_) == 2
    assert bag.predict_proba(X).shape == (len(X), 2)
    assert bag.score(X, y) > 0.8


def _outputs(est, X):
    if isinstance(est, NeuralNetClassifier):
        return est.predict_proba(X)
    return est.predict(X)


def _round_trip(est, via, tmp_path):
    if via == "pickle":
        return pickle.loads(pickle.dumps(est))
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    return joblib.load(path)


ESTIMATORS = pytest.mark.parametrize("estimator", [small_clf(), small_reg()], ids=["clf", "reg"])
VIA = pytest.mark.parametrize("via", ["pickle", "joblib"])


@ESTIMATORS
@VIA
def test_persistence_round_trip(estimator, via, binary_data, tmp_path):
    X, y = binary_data
    est = clone(estimator).fit(X, y)
    restored = _round_trip(est, via, tmp_path)

    assert np.array_equal(restored.predict(X), est.predict(X))
    assert np.array_equal(_outputs(restored, X), _outputs(est, X))
    if isinstance(est, NeuralNetClassifier):
        assert np.array_equal(restored.predict_log_proba(X), est.predict_log_proba(X))
        np.testing.assert_array_equal(restored.classes_, est.classes_)
    assert restored.history_ == est.history_
    assert restored.n_iter_ == est.n_iter_
    assert restored.device_ == torch.device("cpu")
    assert restored.get_params() == est.get_params()


@ESTIMATORS
@VIA
def test_partial_fit_after_unpickling(estimator, via, binary_data, tmp_path):
    """Weights, optimizer state and random state all survive: both copies
    continue identically. (No predict before partial_fit here, so the check
    does not depend on any prediction caching.)"""
    X, y = binary_data
    est = clone(estimator).set_params(lr_schedule="constant").fit(X, y)
    untouched = _round_trip(est, via, tmp_path)
    restored = _round_trip(est, via, tmp_path)

    est.partial_fit(X, y)
    restored.partial_fit(X, y)
    assert restored.n_iter_ == est.n_iter_ == untouched.n_iter_ + 1
    # ("seconds" differs between the two runs, the losses must not)
    assert restored.history_.column("train_loss") == est.history_.column("train_loss")
    assert np.array_equal(_outputs(restored, X), _outputs(est, X))
    assert not np.allclose(_outputs(restored, X), _outputs(untouched, X))


def test_pickled_optimizer_state_is_kept(binary_data):
    X, y = binary_data
    clf = small_clf(max_iter=3, optimizer="adam").fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    original = clf.optimizer_.state_dict()["state"]
    loaded = restored.optimizer_.state_dict()["state"]
    assert original.keys() == loaded.keys() and len(loaded) > 0
    for key in original:
        for name, value in original[key].items():
            torch.testing.assert_close(loaded[key][name], value)
    # the restored optimizer drives the restored module's parameters
    restored_params = {id(p) for p in restored.module_.parameters()}
    opt_params = {id(p) for g in restored.optimizer_.param_groups for p in g["params"]}
    assert opt_params == restored_params


def test_deepcopy_is_independent(binary_data):
    X, y = binary_data
    clf = small_clf(max_iter=3).fit(X, y)
    twin = copy.deepcopy(clf)
    np.testing.assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))
    before = clf.predict_proba(X)
    twin.set_params(lr_schedule="constant").partial_fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_pickled_unfitted_estimator(binary_data):
    X, y = binary_data
    restored = pickle.loads(pickle.dumps(small_clf(max_iter=2)))
    assert not hasattr(restored, "module_")
    restored.fit(X, y)
    assert restored.n_iter_ == 2


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_state_saved_on_gpu_loads_on_cpu(binary_data):
    X, y = binary_data
    clf = small_clf(max_iter=3).fit(X, y)
    state = clf.__getstate__()
    assert state["device_"] == "cpu"
    # pretend the model was fitted on a GPU
    state["device_"] = "cuda:0"
    restored = NeuralNetClassifier.__new__(NeuralNetClassifier)
    restored.__setstate__(state)
    assert restored.device_ == torch.device("cpu")
    assert next(restored.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    restored.partial_fit(X, y)  # the optimizer works on the CPU too
    assert restored.n_iter_ == clf.n_iter_ + 1


def test_state_is_saved_as_numpy_and_leaves_the_estimator_alone(binary_data):
    X, y = binary_data
    clf = small_clf(max_iter=2).fit(X, y)
    before = clf.predict_proba(X)
    state = clf.__getstate__()
    saved = [v for v in state.values() if isinstance(v, dict)]
    weights = [a for d in saved for a in d.values() if isinstance(a, np.ndarray)]
    assert weights, "the network's weights must be in the state as numpy arrays"
    # getting the state must not alter the live estimator
    assert isinstance(clf.module_, torch.nn.Module)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_pipeline_pickle_round_trip(binary_data):
    X, y = binary_data
    pipe = make_pipeline(StandardScaler(), small_clf()).fit(X, y)
    restored = pickle.loads(pickle.dumps(pipe))
    assert np.array_equal(restored.predict_proba(X), pipe.predict_proba(X))
