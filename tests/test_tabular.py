"""Estimator-level behaviour on raw tables (issue "Tabular-native").

NeuralNetClassifier and NeuralNetRegressor take pandas DataFrames with any mix of
column types and missing values, encode them with ``encoder_`` (a fitted
TabularEncoder) and behave like scikit-learn estimators around that: feature-name
checks, pipelines, cross-validation, pickling. The TabularEncoder's own details
are covered in test_preprocessing.py; here everything goes through ``fit`` and
``predict``.
"""

import datetime
import itertools
import pickle
import re
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, RobustScaler

from sknn import NeuralNetClassifier, NeuralNetRegressor

FAST = {"hidden_layer_sizes": (32,), "max_iter": 5, "random_state": 0}
MISSING_MARKERS = [np.nan, None, pd.NA, pd.NaT]
MARKER_IDS = ["nan", "None", "NA", "NaT"]
ESTIMATORS = [NeuralNetClassifier, NeuralNetRegressor]
TORCH_WORDS = ("Tensor", "torch", "size mismatch")


def _fit(est_class, X, y, **params):
    return est_class(**{**FAST, **params}).fit(X, y)


def _check_predictions(est, X):
    """Finite predictions of the right shape; probabilities that sum to 1."""
    pred = est.predict(X)
    assert pred.shape == (len(X),)
    if isinstance(est, NeuralNetClassifier):
        assert set(np.unique(pred)) <= set(est.classes_)
        proba = est.predict_proba(X)
        assert proba.shape == (len(X), len(est.classes_))
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    else:
        assert np.isfinite(pred).all()
    return pred


def _targets(est_class, n, seed=0):
    rng = np.random.default_rng(seed)
    if est_class is NeuralNetClassifier:
        return np.arange(n) % 3  # three classes, all present
    return rng.normal(size=n)


def _all_types_frame(n=80, seed=0, missing=True):
    """One column of every supported type; with ``missing``, each has missing values."""
    rng = np.random.default_rng(seed)
    hole = (lambda: rng.random(n) < 0.2) if missing else (lambda: np.zeros(n, bool))
    X = pd.DataFrame(
        {
            "float": rng.normal(size=n),
            "int": rng.integers(0, 100, n),
            "Int64": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "Float64": pd.array(rng.normal(size=n), dtype="Float64"),
            "bool": rng.random(n) < 0.5,
            "boolean": pd.array(rng.random(n) < 0.5, dtype="boolean"),
            "category": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
            "category_many": pd.Categorical([f"k{i}" for i in rng.integers(0, 20, n)]),
            "object": pd.Series(rng.choice(["a", "b", "c", "d"], n), dtype=object),
            "object_many": pd.Series([f"o{i}" for i in rng.integers(0, 30, n)], dtype=object),
            "str": pd.Series(rng.choice(["x", "y"], n), dtype="str"),
            "pyarrow": pd.Series(
                [f"p{i}" for i in rng.integers(0, 12, n)], dtype="string[pyarrow]"
            ),
            "datetime": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            "datetime_tz": pd.Timestamp("2021-01-01", tz="Europe/Paris")
            + pd.to_timedelta(rng.integers(0, 9000, n), "h"),
            "timedelta": pd.to_timedelta(rng.integers(0, 5000, n), "s"),
        }
    )
    if missing:
        for name in X.columns:
            col = X[name].astype(object) if name == "bool" else X[name]
            X[name] = col.mask(pd.Series(hole()), FRAME_MARKERS[name])
    return X


# the missing marker of each column of _all_types_frame: every marker somewhere
FRAME_MARKERS = {
    "float": np.nan,
    "int": None,
    "Int64": pd.NA,
    "Float64": np.nan,
    "bool": None,
    "boolean": pd.NA,
    "category": np.nan,
    "category_many": None,
    "object": None,
    "object_many": pd.NA,
    "str": np.nan,
    "pyarrow": pd.NA,
    "datetime": pd.NaT,
    "datetime_tz": None,
    "timedelta": pd.NaT,
}
EXPECTED_KINDS = {
    "float": "numeric",
    "int": "numeric",
    "Int64": "numeric",
    "Float64": "numeric",
    "bool": "bool",
    "boolean": "bool",
    "category": "onehot",
    "category_many": "code",
    "object": "onehot",
    "object_many": "code",
    "str": "onehot",
    "pyarrow": "code",
    "datetime": "datetime",
    "datetime_tz": "datetime",
    "timedelta": "timedelta",
}


# ------------------------------------------------------------ raw tables
@pytest.mark.parametrize("est_class", ESTIMATORS)
@pytest.mark.parametrize("missing", [False, True], ids=["complete", "missing"])
def test_fits_raw_dataframe_of_every_column_type(est_class, missing):
    X = _all_types_frame(missing=missing)
    if missing:
        assert X.isna().any().all()  # every column has a hole
    y = _targets(est_class, len(X))
    est = _fit(est_class, X, y)
    assert dict(zip(X.columns, est.encoder_.column_kinds_, strict=True)) == EXPECTED_KINDS
    assert est.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(est.feature_names_in_, X.columns)
    _check_predictions(est, X)
    _check_predictions(est, X.iloc[:1])  # a single row
    _check_predictions(est, _all_types_frame(n=30, seed=1, missing=True))  # other values


@pytest.mark.parametrize("marker", MISSING_MARKERS, ids=MARKER_IDS)
def test_every_missing_marker_keeps_the_column_kind_at_fit(marker):
    """None, NaN, pd.NA and pd.NaT all mean "missing" in an object column, whatever it holds."""
    n = 40
    rng = np.random.default_rng(0)
    hole = rng.random(n) < 0.25
    values = {
        "number": (rng.normal(size=n), "numeric"),
        "integer": (rng.integers(0, 9, n), "numeric"),
        "flag": (rng.random(n) < 0.5, "bool"),
        "word": (rng.choice(["a", "b", "c"], n), "onehot"),
        "when": (pd.date_range("2020-01-01", periods=n, freq="D"), "datetime"),
        "span": (pd.to_timedelta(np.arange(n), "min"), "timedelta"),
    }
    X = pd.DataFrame(
        {
            name: pd.Series(list(v), dtype=object).mask(hole, marker)
            for name, (v, _) in values.items()
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = _fit(NeuralNetClassifier, X, np.arange(n) % 2)
    kinds = dict(zip(X.columns, clf.encoder_.column_kinds_, strict=True))
    assert kinds == {name: kind for name, (_, kind) in values.items()}
    assert not [str(w.message) for w in caught if "mixes strings" in str(w.message)]
    _check_predictions(clf, X)


def _with_holes(col, marker, hole, *, as_object):
    """``col`` with ``marker`` at ``hole``: stored as objects, or as pandas chooses."""
    if as_object:
        return col.astype(object).mask(hole, marker)
    try:
        return col.mask(hole, marker)
    except (TypeError, ValueError):
        return col.astype(object).mask(hole, marker)


@pytest.mark.parametrize("as_object", [False, True], ids=["natural", "object"])
@pytest.mark.parametrize("marker", MISSING_MARKERS, ids=MARKER_IDS)
@pytest.mark.parametrize("kind", ["float", "int", "bool", "category", "object", "datetime"])
def test_new_missing_values_at_predict_are_imputed(kind, marker, as_object):
    """A column without missing values at fit accepts any missing marker at predict."""
    X = _all_types_frame(n=60, missing=False)[[kind, "timedelta"]]
    clf = _fit(NeuralNetClassifier, X, np.arange(60) % 2)
    X_new = X.copy()
    X_new[kind] = _with_holes(
        X[kind], marker, pd.Series(np.arange(60) % 3 == 0), as_object=as_object
    )
    assert X_new[kind].isna().sum() == 20
    _check_predictions(clf, X_new)


def test_new_missing_numeric_value_is_imputed_by_the_training_median():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=51), "c": rng.choice(["a", "b"], 51)})
    reg = _fit(NeuralNetRegressor, X, rng.normal(size=51))
    assert reg.encoder_.n_numeric_out_ == 3  # x, two one-hot columns, no indicator
    gap = X.iloc[:5].assign(x=np.nan)
    at_median = X.iloc[:5].assign(x=np.median(X["x"]))
    np.testing.assert_array_equal(reg.predict(gap), reg.predict(at_median))


# -------------------------------------------------- categorical_features
def _coded_frame(n=120, seed=0):
    """Integer-coded categoricals (which "from_dtype" reads as numbers) and a float."""
    rng = np.random.default_rng(seed)
    zip_code = rng.integers(0, 30, n)
    grade = rng.integers(1, 5, n)
    x = rng.normal(size=n)
    y = ((zip_code % 3 == 0) + (grade > 2) + x > 1).astype(int)
    return pd.DataFrame({"zip": zip_code, "grade": grade, "x": x}), y


@pytest.mark.parametrize(
    "spec",
    [["zip", "grade"], [0, 1], [True, True, False], np.array(["zip", "grade"])],
    ids=["names", "indices", "mask", "array"],
)
def test_categorical_features_by_name_index_or_mask(spec):
    X, y = _coded_frame()
    clf = _fit(NeuralNetClassifier, X, y, categorical_features=spec)
    # 30 zip codes > 8 levels: an embedding table with 2 extra rows; 4 grades: one-hot
    assert clf.encoder_.column_kinds_ == ["code", "onehot", "numeric"]
    assert clf.encoder_.cardinalities_ == [32]
    assert clf.encoder_.categories_[1] == [1, 2, 3, 4]
    by_names = _fit(NeuralNetClassifier, X, y, categorical_features=["zip", "grade"])
    np.testing.assert_array_equal(clf.predict_proba(X), by_names.predict_proba(X))
    # unseen integer codes at predict
    _check_predictions(clf, X.assign(zip=X["zip"] + 1000, grade=9))


def test_integer_codes_are_numeric_unless_named():
    X, y = _coded_frame()
    for spec in ("from_dtype", None):
        clf = _fit(NeuralNetClassifier, X, y, categorical_features=spec)
        assert clf.encoder_.column_kinds_ == ["numeric", "numeric", "numeric"]
        assert clf.encoder_.cardinalities_ == []


def test_integer_coded_categorical_with_missing_codes():
    X, y = _coded_frame()
    X["zip"] = X["zip"].where(X.index % 7 != 0)  # float with NaN
    clf = _fit(NeuralNetClassifier, X, y, categorical_features=["zip"])
    assert clf.encoder_.column_kinds_ == ["code", "numeric", "numeric"]
    assert len(clf.encoder_.categories_[0]) == X["zip"].nunique()  # NaN is no category
    _check_predictions(clf, X)


def test_categorical_features_none_needs_numeric_columns():
    X = _all_types_frame(n=40, missing=True)
    numeric = X[["float", "Int64", "boolean", "datetime", "timedelta"]]
    clf = _fit(NeuralNetClassifier, numeric, np.arange(40) % 2, categorical_features=None)
    assert "onehot" not in clf.encoder_.column_kinds_
    _check_predictions(clf, numeric)
    with pytest.raises(ValueError, match="'object'.*categorical_features"):
        _fit(
            NeuralNetClassifier,
            X[["float", "object"]],
            np.arange(40) % 2,
            categorical_features=None,
        )


@pytest.mark.parametrize("spec", [None, ["x"]], ids=["None", "list"])
def test_all_missing_object_column_is_not_called_strings(spec):
    """An object column of only missing values holds no strings: like an all-NaN float
    column it is an all-missing numeric column when categorical_features excludes it."""
    X = pd.DataFrame({"x": np.arange(20.0), "empty": pd.Series([None] * 20, dtype=object)})
    clf = _fit(NeuralNetClassifier, X, np.arange(20) % 2, categorical_features=spec)
    assert clf.encoder_.column_kinds_[1] == "numeric"
    _check_predictions(clf, X)


def test_explicit_list_overrides_dtype_and_rejects_unlisted_strings():
    X = _all_types_frame(n=40, missing=True)[["float", "category", "object"]]
    y = np.arange(40) % 2
    clf = _fit(NeuralNetClassifier, X, y, categorical_features=["float", "category", "object"])
    assert clf.encoder_.column_kinds_ == ["code", "onehot", "onehot"]
    with pytest.raises(ValueError, match="'object'"):
        _fit(NeuralNetClassifier, X, y, categorical_features=["category"])


@pytest.mark.parametrize(
    "spec, match",
    [
        (["nope"], "nope"),
        ([7], "outside"),
        ([True, False], "boolean mask"),
    ],
)
def test_invalid_categorical_features_raise_value_error(spec, match):
    X, y = _coded_frame()
    with pytest.raises(ValueError, match=match):
        _fit(NeuralNetClassifier, X, y, categorical_features=spec)


# ---------------------------------------------- unseen values at predict
@pytest.mark.parametrize("est_class", ESTIMATORS)
def test_unseen_categories_and_new_missing_values_at_predict(est_class):
    X = _all_types_frame(n=80, missing=False)
    est = _fit(est_class, X, _targets(est_class, 80))
    X_new = X.iloc[:20].copy()
    X_new["category"] = pd.Categorical(["purple"] * 10 + [None] * 10)
    X_new["category_many"] = pd.Categorical(["k999"] * 20)
    X_new["object"] = pd.Series(["zzz"] * 10 + [None] * 10, dtype=object)
    X_new["object_many"] = pd.Series(["new"] * 10 + [np.nan] * 10, dtype=object)
    X_new["str"] = pd.Series(["w"] * 10 + [None] * 10, dtype="str")
    X_new["pyarrow"] = pd.Series(["q"] * 10 + [None] * 10, dtype="string[pyarrow]")
    X_new["float"] = np.nan
    X_new["Int64"] = pd.array([pd.NA] * 20, dtype="Int64")
    X_new["datetime"] = pd.NaT
    _check_predictions(est, X_new)


def test_unseen_and_missing_one_hot_categories_predict_the_same():
    """Both encode as all-zero one-hot columns (documented)."""
    X, y = _coded_frame()
    X["color"] = pd.Series(np.where(y == 1, "red", "blue"), dtype=object)
    clf = _fit(NeuralNetClassifier, X, y)
    assert clf.encoder_.column_kinds_[-1] == "onehot"
    unseen = X.iloc[:10].assign(color="purple")
    missing = X.iloc[:10].assign(color=None)
    np.testing.assert_array_equal(clf.predict_proba(unseen), clf.predict_proba(missing))


@pytest.mark.parametrize("est_class", ESTIMATORS)
def test_unseen_and_missing_embedded_categories_are_answered_as_an_average_category(est_class):
    """Their embedding rows, which no training row reaches, kept their random initial
    vectors: on classes of prior 0.5, P(class 1) of an unseen category went from 0.01
    to 0.93 with random_state alone. Both are now the trained rows' mean."""
    rng = np.random.default_rng(0)
    kinds = [f"c{i:02d}" for i in range(20)]  # embedded (more than 8 categories)
    X = pd.DataFrame({"a": rng.normal(size=400), "kind": rng.choice(kinds, 400)})
    parity = X["kind"].str[1:].astype(int).to_numpy() % 2
    y = parity if est_class is NeuralNetClassifier else 3.0 * parity + X["a"].to_numpy()
    new = pd.DataFrame({"a": [0.0, 0.0], "kind": ["c99", None]})  # unseen, missing
    seen = pd.DataFrame({"a": [0.0, 0.0], "kind": ["c00", "c01"]})
    answers = []
    for seed in range(4):
        est = est_class(random_state=seed, max_iter=30).fit(X, y)
        assert est.encoder_.column_kinds_[-1] == "code"
        answer = (
            est.predict_proba(new)[:, 1] if est_class is NeuralNetClassifier else est.predict(new)
        )
        assert answer[0] == pytest.approx(answer[1], abs=1e-6)  # both at the same mean
        low, high = sorted(
            est.predict_proba(seen)[:, 1] if est_class is NeuralNetClassifier else est.predict(seen)
        )
        assert low - 0.1 * (high - low) < answer[0] < high + 0.1 * (high - low)  # in between
        answers.append(answer[0])
    spread = 0.3 if est_class is NeuralNetClassifier else 1.0
    assert np.ptp(answers) < spread  # alike whatever the seed


def test_category_order_and_container_do_not_matter_at_predict():
    """Categories are matched by value, not by their codes or the column's dtype."""
    X = _all_types_frame(n=60, missing=False)[["category", "object", "float"]]
    clf = _fit(NeuralNetClassifier, X, np.arange(60) % 2)
    expected = clf.predict_proba(X)
    reordered = X.assign(category=X["category"].cat.reorder_categories(["red", "green", "blue"]))
    np.testing.assert_array_equal(clf.predict_proba(reordered), expected)
    as_strings = X.assign(category=X["category"].astype(object), object=X["object"].astype("str"))
    np.testing.assert_array_equal(clf.predict_proba(as_strings), expected)


def test_row_index_is_ignored():
    X = _all_types_frame(n=60, missing=True)
    y = np.arange(60) % 3
    clf = _fit(NeuralNetClassifier, X, y)
    shuffled = X.set_axis(np.random.default_rng(0).permutation(60) * 3 + 7)
    np.testing.assert_array_equal(clf.predict_proba(shuffled), clf.predict_proba(X))
    refit = _fit(NeuralNetClassifier, shuffled, pd.Series(y))  # y's own index differs
    np.testing.assert_array_equal(refit.predict_proba(X), clf.predict_proba(X))


# ------------------------------------------------------------ feature names
def test_feature_names_and_counts():
    X = _all_types_frame(n=40, missing=True)
    clf = _fit(NeuralNetClassifier, X, np.arange(40) % 2)
    assert clf.n_features_in_ == 15
    assert clf.feature_names_in_.tolist() == X.columns.tolist()
    assert clf.encoder_.feature_names_in_.tolist() == X.columns.tolist()


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda X: X.drop(columns="object"), "missing"),
        (lambda X: X.assign(extra=1.0), "unseen"),
        (lambda X: X[X.columns[::-1]], "same order"),
        (lambda X: X.rename(columns={"float": "Float"}), "feature names"),
    ],
    ids=["missing", "extra", "reordered", "renamed"],
)
def test_column_mismatch_at_predict_raises_feature_names_error(change, match):
    X = _all_types_frame(n=40, missing=True)
    clf = _fit(NeuralNetClassifier, X, np.arange(40) % 2)
    for method in (clf.predict, clf.predict_proba):
        with pytest.raises(ValueError, match="feature names should match") as info:
            method(change(X))
        assert match in str(info.value)


def test_numpy_at_predict_after_dataframe_fit_warns_once():
    """As any scikit-learn estimator: one "X does not have valid feature names" warning."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    clf = _fit(NeuralNetClassifier, X, np.arange(30) % 2)
    with pytest.warns(UserWarning, match="valid feature names") as record:
        pred = clf.predict(X.to_numpy())
    np.testing.assert_array_equal(pred, clf.predict(X))
    messages = [str(w.message) for w in record if "valid feature names" in str(w.message)]
    assert len(messages) == 1, messages


def test_integer_column_names_are_not_feature_names():
    X = pd.DataFrame({0: np.arange(30.0), 1: ["a", "b", "c"] * 10})
    clf = _fit(NeuralNetClassifier, X, np.arange(30) % 2)
    assert not hasattr(clf, "feature_names_in_")
    assert clf.n_features_in_ == 2
    assert clf.encoder_.column_kinds_ == ["numeric", "onehot"]


# ------------------------------------------------------ bad or odd values
def test_mixed_object_column_warns_naming_it():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=40),
            "code": pd.Series([1, "A", 2.5, "B"] * 10, dtype=object),
        }
    )
    with pytest.warns(UserWarning, match="'code'") as record:
        clf = _fit(NeuralNetClassifier, X, np.arange(40) % 2)
    [warning] = [w for w in record if "'code'" in str(w.message)]
    assert warning.filename == __file__  # points at the caller, not into sknn
    assert clf.encoder_.column_kinds_ == ["numeric", "onehot"]
    assert clf.encoder_.categories_[0] == ["1", "2.5", "A", "B"]
    _check_predictions(clf, X)
    _check_predictions(clf, X.assign(code=[3, "C"] * 20))  # unseen values of both types


@pytest.mark.parametrize("value", [np.inf, -np.inf])
@pytest.mark.parametrize("dtype", ["float64", "Float64", "object", "float32"])
def test_infinite_value_raises_naming_the_column(value, dtype):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"ok": rng.normal(size=30), "bad": rng.normal(size=30)})
    X["bad"] = X["bad"].astype(dtype)
    X_inf = X.copy()
    X_inf.loc[3, "bad"] = value
    with pytest.raises(ValueError, match=r"\['bad'\].*inf"):
        _fit(NeuralNetRegressor, X_inf, rng.normal(size=30))
    reg = _fit(NeuralNetRegressor, X, rng.normal(size=30))
    with pytest.raises(ValueError, match=r"\['bad'\].*inf"):
        reg.predict(X_inf)


def test_numeric_column_receiving_strings_at_predict_raises_value_error():
    X, y = _coded_frame()
    clf = _fit(NeuralNetClassifier, X, y)
    with pytest.raises(ValueError, match="'x'"):
        clf.predict(X.assign(x="high"))


def test_single_class_target_raises_value_error():
    X = _all_types_frame(n=20, missing=True)
    with pytest.raises(ValueError, match="at least 2 classes"):
        _fit(NeuralNetClassifier, X, np.zeros(20))


# ---------------------------------------------------------------- numpy input
def test_numpy_float_arrays_work_as_before():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = _fit(NeuralNetClassifier, X, y, max_iter=30)
    assert clf.n_features_in_ == 5
    assert not hasattr(clf, "feature_names_in_")
    assert clf.encoder_.column_kinds_ == ["numeric"] * 5
    assert clf.encoder_.n_numeric_out_ == 5 and clf.encoder_.cardinalities_ == []
    _check_predictions(clf, X)
    assert clf.score(X, y) > 0.85
    # float32 input, and the same numbers as a DataFrame, give the same model
    as_frame = _fit(NeuralNetClassifier, pd.DataFrame(X), y, max_iter=30)
    np.testing.assert_allclose(as_frame.predict_proba(X), clf.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(
        clf.predict_proba(X.astype(np.float32)), clf.predict_proba(X), atol=1e-5
    )


@pytest.mark.parametrize("est_class", ESTIMATORS)
def test_nan_in_numpy_input_is_imputed_with_an_indicator(est_class):
    """Documented choice: numpy NaN is a missing value, imputed with an indicator."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4))
    X[rng.random(100) < 0.2, 2] = np.nan
    est = _fit(est_class, X, _targets(est_class, 100))
    names = est.encoder_.get_feature_names_out().tolist()
    assert names == ["num__x0", "num__x1", "num__x2", "num__x3", "missing__x2"]
    _check_predictions(est, X)
    X_new = rng.normal(size=(10, 4))
    X_new[:, 0] = np.nan  # a column with no NaN at fit: imputed, no indicator
    X_new[:5, 2] = np.nan
    _check_predictions(est, X_new)


# ----------------------------------------------------------------- persistence
@pytest.mark.parametrize("est_class", ESTIMATORS)
def test_pickle_and_joblib_round_trip_give_identical_predictions(est_class, tmp_path):
    X = _all_types_frame(n=80, missing=True)
    est = _fit(est_class, X, _targets(est_class, 80))
    assert "code" in est.encoder_.column_kinds_ and "onehot" in est.encoder_.column_kinds_
    X_new = _all_types_frame(n=25, seed=3, missing=True)
    method = "predict_proba" if est_class is NeuralNetClassifier else "predict"
    expected = getattr(est, method)(X_new)
    restored = pickle.loads(pickle.dumps(est))
    assert np.array_equal(getattr(restored, method)(X_new), expected)
    joblib.dump(est, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    assert np.array_equal(getattr(loaded, method)(X_new), expected)
    assert loaded.encoder_.column_kinds_ == est.encoder_.column_kinds_
    assert loaded.encoder_.categories_ == est.encoder_.categories_


# ----------------------------------------- against a hand-built preprocessing
COLOR_EFFECT = {"red": 1.5, "green": -1.0, "blue": 0.5, "black": -1.5, "white": 0.5}
SHOP_EFFECT = np.random.default_rng(123).normal(0, 1.2, 25)


def _signal_table(seed, n=1500):
    """Binary target driven by two numeric columns, a 5-level and a 25-level categorical."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.exponential(2.0, size=n)
    color = rng.choice(list(COLOR_EFFECT), n)
    shop = rng.integers(0, 25, n)
    flag = rng.random(n) < 0.5
    logit = (
        1.5 * x1
        - 0.6 * (x2 - 2)
        + np.vectorize(COLOR_EFFECT.get)(color)
        + SHOP_EFFECT[shop]
        + 0.8 * flag * x1
    )
    y = (logit + 0.5 * rng.logistic(size=n) > 0).astype(int)
    X = pd.DataFrame(
        {
            "x1": np.where(rng.random(n) < 0.1, np.nan, x1),
            "x2": np.where(rng.random(n) < 0.1, np.nan, x2),
            "color": pd.Categorical(np.where(rng.random(n) < 0.05, None, color)),
            "shop": pd.Series([f"shop{s}" for s in shop], dtype=object).where(
                rng.random(n) > 0.05, None
            ),
            "flag": flag,
        }
    )
    return X, y


def _hand_built_pipeline(**params):
    categorical = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    numeric = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), RobustScaler())
    columns = ColumnTransformer(
        [
            ("cat", categorical, ["color", "shop"]),
            ("num", numeric, ["x1", "x2"]),
            ("flag", "passthrough", ["flag"]),
        ]
    )
    return make_pipeline(columns, NeuralNetClassifier(categorical_features=None, **params))


def test_raw_table_scores_like_a_hand_built_column_transformer():
    params = {**FAST, "max_iter": 30}
    raw_scores, pipe_scores = [], []
    for seed in range(3):
        X, y = _signal_table(seed)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, random_state=seed, stratify=y
        )
        raw = NeuralNetClassifier(**params).fit(X_train, y_train)
        assert raw.encoder_.column_kinds_ == ["numeric", "numeric", "onehot", "code", "bool"]
        raw_scores.append(raw.score(X_test, y_test))
        pipe = _hand_built_pipeline(**params).fit(X_train, y_train)
        pipe_scores.append(pipe.score(X_test, y_test))
    majority = max(y.mean(), 1 - y.mean())
    assert majority < 0.6
    assert min(raw_scores) > 0.75 and min(pipe_scores) > 0.75, (raw_scores, pipe_scores)
    assert abs(np.mean(raw_scores) - np.mean(pipe_scores)) < 0.03, (raw_scores, pipe_scores)


# ----------------------------------------------- pipelines, cross-validation
def test_dataframe_through_pipeline_and_cross_val_score():
    X, y = _signal_table(0, n=600)
    X["row_id"] = np.arange(len(X))
    drop_id = ColumnTransformer(
        [("drop_id", "drop", ["row_id"])], remainder="passthrough", verbose_feature_names_out=False
    ).set_output(transform="pandas")  # the network still sees the typed table
    pipe = Pipeline(
        [("drop_id", drop_id), ("net", NeuralNetClassifier(**{**FAST, "max_iter": 20}))]
    )
    scores = cross_val_score(pipe, X, y, cv=3)
    assert np.isfinite(scores).all() and scores.min() > 0.7, scores
    pipe.fit(X, y)
    assert pipe[-1].feature_names_in_.tolist() == ["x1", "x2", "color", "shop", "flag"]
    assert pipe[-1].encoder_.column_kinds_ == ["numeric", "numeric", "onehot", "code", "bool"]


def test_regressor_cross_val_score_on_raw_table():
    X, _ = _signal_table(1, n=600)
    rng = np.random.default_rng(1)
    shop = X["shop"].str.removeprefix("shop").astype(float).fillna(0).astype(int)
    y = (
        1.5 * X["x1"].fillna(0)
        + X["color"].map(COLOR_EFFECT).astype(float).fillna(0)
        + SHOP_EFFECT[shop]
        + 0.3 * rng.normal(size=len(X))
    )
    reg = NeuralNetRegressor(**{**FAST, "max_iter": 30})
    scores = cross_val_score(reg, X, y, cv=3)
    assert np.isfinite(scores).all() and scores.min() > 0.6, scores


# ---------------------------------------------------------------------- fuzz
FUZZ_TYPES = [
    "float",
    "int",
    "Int64",
    "Float64",
    "bool",
    "boolean",
    "category",
    "object",
    "str",
    "pyarrow",
    "datetime",
    "datetime_tz",
    "timedelta",
    "object_bool",
    "mixed",
]
FUZZ_MISSING = ["none", "some", "all"]
FUZZ_CARDINALITY = [1, 3, 30]  # one level, few (one-hot), many (embeddings when categorical)
FUZZ_SEEDS = range(25)
FUZZ_COLUMNS_PER_SEED = 6
STRINGY = {"category", "object", "str", "pyarrow", "mixed"}


def _fuzz_spec(seed):
    """Columns (type, missing, cardinality, marker) and estimator parameters of one table.

    Each seed takes the next cells of the type x missing x cardinality grid, so the
    seeds cover all of it, plus up to two random columns.
    """
    rng = np.random.default_rng(seed)
    grid = list(itertools.product(FUZZ_TYPES, FUZZ_MISSING, FUZZ_CARDINALITY))
    cells = [
        grid[(FUZZ_COLUMNS_PER_SEED * seed + k) % len(grid)] for k in range(FUZZ_COLUMNS_PER_SEED)
    ]
    for _ in range(int(rng.integers(0, 3))):
        cells.append(grid[int(rng.integers(len(grid)))])
    columns = [(*cell, int(rng.integers(len(MISSING_MARKERS)))) for cell in cells]
    names = [f"c{j}_{kind}" for j, (kind, *_) in enumerate(columns)]
    choice = int(rng.integers(4))
    if choice == 0:
        categorical = None
    elif choice == 1:  # the string-like columns, and one integer column besides
        categorical = [n for n, (k, *_) in zip(names, columns, strict=True) if k in STRINGY]
        categorical += [n for n, (k, *_) in zip(names, columns, strict=True) if k == "int"][:1]
    else:
        categorical = "from_dtype"
    params = {
        "categorical_features": categorical,
        "early_stopping": bool(rng.random() < 0.3) or "auto",
        "batch_size": [7, "auto"][int(rng.integers(2))],
        "n_rows": int(rng.integers(1, 81)),
        "n_classes": int(rng.choice([1, 2, 3], p=[0.15, 0.5, 0.35])),
    }
    return columns, names, params


def _fuzz_column(rng, kind, missing, cardinality, marker, n):
    pick = rng.integers(0, cardinality, n)
    values = {
        "float": pick * rng.normal(1, 5) + (rng.normal(size=n) if cardinality > 3 else 0.0),
        "int": pick * 7 - 3,
        "Int64": pd.array(pick, dtype="Int64"),
        "Float64": pd.array(pick + 0.5, dtype="Float64"),
        "bool": pick % 2 == 1,
        "boolean": pd.array(pick % 2 == 1, dtype="boolean"),
        "category": pd.Categorical([f"c{p}" for p in pick]),
        "object": np.array([f"o{p}" for p in pick], dtype=object),
        "str": pd.array([f"s{p}" for p in pick], dtype="str"),
        "pyarrow": pd.array([f"p{p}" for p in pick], dtype="string[pyarrow]"),
        "datetime": pd.Timestamp("2000-01-01") + pd.to_timedelta(pick * 31.3, unit="D"),
        "datetime_tz": pd.Timestamp("2000-01-01", tz="America/New_York")
        + pd.to_timedelta(pick * 13.7, unit="h"),
        "timedelta": pd.to_timedelta(pick * 90, unit="s"),
        "object_bool": np.array([bool(p % 2) for p in pick], dtype=object),
        "mixed": np.array([int(p) if p % 2 else f"m{p}" for p in pick], dtype=object),
    }[kind]
    col = pd.Series(values)
    hole = {"none": np.zeros(n, bool), "some": rng.random(n) < 0.3, "all": np.ones(n, bool)}
    if not hole[missing].any():
        return col
    value = MISSING_MARKERS[marker]
    if kind in ("float", "int", "bool") and value is pd.NaT:
        value = np.nan  # NaT in these is covered by test_every_missing_marker_...
    if kind == "bool":
        col = col.astype(object)
    try:
        return col.mask(pd.Series(hole[missing]), value)
    except (TypeError, ValueError):  # a marker the dtype refuses: its own missing value
        return col.mask(pd.Series(hole[missing]))


def _fuzz_frame(columns, names, n_rows, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {name: _fuzz_column(rng, *spec, n_rows) for name, spec in zip(names, columns, strict=True)}
    )


def test_fuzz_seeds_cover_every_type_missing_pattern_and_cardinality():
    covered = {tuple(col[:3]) for seed in FUZZ_SEEDS for col in _fuzz_spec(seed)[0]}
    assert covered >= set(itertools.product(FUZZ_TYPES, FUZZ_MISSING, FUZZ_CARDINALITY))
    markers = {col[3] for seed in FUZZ_SEEDS for col in _fuzz_spec(seed)[0]}
    assert markers == set(range(len(MISSING_MARKERS)))


def _assert_clear_refusal(exc):
    assert isinstance(exc, (ValueError, TypeError)), repr(exc)
    message = str(exc)
    assert message and not any(word in message for word in TORCH_WORDS), repr(exc)


@pytest.mark.parametrize("est_class", ESTIMATORS)
@pytest.mark.parametrize("seed", FUZZ_SEEDS)
def test_fuzz_random_tables_fit_or_refuse_clearly(seed, est_class):
    columns, names, params = _fuzz_spec(seed)
    n_rows, n_classes = params.pop("n_rows"), params.pop("n_classes")
    X = _fuzz_frame(columns, names, n_rows, seed)
    rng = np.random.default_rng(seed + 7)
    if est_class is NeuralNetClassifier:
        y = np.array(["no", "yes", "maybe"])[rng.integers(0, n_classes, n_rows)]
    else:
        y = rng.normal(size=n_rows) * 100
    est = est_class(hidden_layer_sizes=(8,), max_iter=2, random_state=0, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if est_class is NeuralNetClassifier and len(np.unique(y)) < 2:
            with pytest.raises(ValueError, match="at least 2 classes"):
                est.fit(X, y)
            return
        try:
            est.fit(X, y)
        except Exception as exc:
            _assert_clear_refusal(exc)
            return
        _check_predictions(est, X)
        # another table of the same schema: new categories, values and missing values
        X_new = _fuzz_frame(columns, names, 17, seed + 1000)
        try:
            _check_predictions(est, X_new)
        except Exception as exc:
            if isinstance(exc, AssertionError):
                raise
            _assert_clear_refusal(exc)
    documented = (
        r"mixes strings|holds \w+ objects|has only missing values|looks like an identifier"
        r"|held .* at fit|none of its .* was seen at fit|stored as strings"
    )
    for w in caught:  # only the encoder's documented advice about columns
        assert issubclass(w.category, UserWarning), w
        assert re.search(documented, str(w.message)), w


def test_column_warnings_inside_cross_validation_point_at_the_users_line():
    from sklearn.model_selection import cross_val_score

    X = pd.DataFrame({"x": np.arange(40.0), "code": pd.Series([1, "A"] * 20, dtype=object)})
    with pytest.warns(UserWarning, match="'code'") as record:
        cross_val_score(NeuralNetClassifier(max_iter=2, random_state=0), X, np.arange(40) % 2, cv=2)
    said = [w for w in record if "'code'" in str(w.message)]
    assert said and all(w.filename == __file__ for w in said)  # not into joblib's parallel.py


@pytest.mark.parametrize(
    "values",
    [
        [pd.Period("2024-01", "M"), pd.Period("2024-02", "M"), pd.Period("2024-03", "M")],
        [datetime.date(2024, 1, 1), datetime.date(2024, 2, 1), datetime.date(2024, 3, 1)],
        ["north", "south", "west"],
        [1.5, 2.5, 3.5],
    ],
)
def test_a_categorical_row_alone_is_coded_as_in_a_batch(values):
    # a draft read a few rows of a pandas categorical as objects, from which pandas
    # inferred Periods and dates anew: a row alone was a category never seen (10.55
    # alone, 10.01 in a batch)
    rng = np.random.default_rng(0)
    picks = rng.integers(0, 3, 300)
    X = pd.DataFrame(
        {"when": pd.Categorical([values[i] for i in picks]), "x": rng.normal(size=300)}
    )
    y = picks * 2.0 + X["x"]
    est = NeuralNetRegressor(max_iter=2, random_state=0).fit(X, y)
    batch = est.predict(X[:20])
    alone = np.concatenate([est.predict(X[i : i + 1]) for i in range(20)])
    np.testing.assert_allclose(alone, batch, rtol=1e-6, atol=1e-6)
