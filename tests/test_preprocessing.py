"""Behaviour of TabularEncoder: column kinds, scaling, codes, layout, validation."""

import datetime
import importlib.util
import itertools
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn.preprocessing import DATETIME_PARTS, TabularEncoder

# the encoder's deliberate advice about a column (all missing, an identifier, a new type)
SKNN_COLUMN_WARNINGS = (
    r"Column .* (has only missing values|looks like an identifier|held |stored as strings"
    r"|none of its .* was seen at fit)"
)


@parametrize_with_checks([TabularEncoder()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def _smooth_clip(z, bound=3.0):
    return z / np.sqrt(1 + (z / bound) ** 2)


def _encode_df(X, **params):
    enc = TabularEncoder(**params)
    out = enc.fit_transform(X)
    return enc, pd.DataFrame(out, columns=enc.get_feature_names_out(), index=X.index)


@pytest.fixture
def mixed_frame():
    """One column of each kind, with missing values in most."""
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "age": np.where(rng.random(n) < 0.1, np.nan, rng.normal(40, 10, n)),
            "count": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "flag": rng.random(n) < 0.5,
            "opt_in": pd.array(
                np.where(rng.random(n) < 0.2, None, rng.random(n) < 0.5), dtype="boolean"
            ),
            "color": pd.Series(rng.choice(["red", "green", "blue", None], n), dtype="category"),
            "city": rng.choice(["paris", "rome", "oslo", "lima"], n).astype(object),
            "zip": [f"z{i % 20}" for i in range(n)],
            "seen": pd.Series(pd.date_range("2020-01-01", periods=n, freq="37h")),
            "wait": pd.to_timedelta(rng.integers(0, 100, n), unit="min"),
        }
    )


# ----------------------------------------------------------------- numeric
def test_integer_sample_weights_equal_repeated_rows():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=30), "b": rng.exponential(size=30)})
    X.loc[::5, "a"] = np.nan
    weight = rng.integers(0, 4, size=30)
    repeated = X.loc[X.index.repeat(weight)]
    weighted = TabularEncoder().fit(X, sample_weight=weight)
    plain = TabularEncoder().fit(repeated)
    np.testing.assert_allclose(weighted.transform(X), plain.transform(X), rtol=1e-6)


def test_numeric_robust_scaling_and_smooth_clip():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 100.0])
    X = pd.DataFrame({"x": x})
    # inverted-CDF quantiles: the definition with an exact weighted form
    q25, median, q75 = np.quantile(x, [0.25, 0.5, 0.75], method="inverted_cdf")
    z = (x - median) / ((q75 - q25) / 1.349)

    _, plain = _encode_df(X, clip_numeric=False)
    np.testing.assert_allclose(plain["num__x"], z, rtol=1e-6)
    # 8 rows: a tiny table's wider bound, 1.5 times the largest scaled value (32.4)
    # at most 30
    encoder, clipped = _encode_df(X)
    np.testing.assert_allclose(encoder.clip_bound_, [30.0])
    np.testing.assert_allclose(clipped["num__x"], _smooth_clip(z.copy(), 30), rtol=1e-6)
    assert clipped["num__x"].abs().max() < 30
    # no wider than 10 where every fitted value lies within 10 / 1.5 scales
    small, _ = _encode_df(pd.DataFrame({"x": x[:-1], "y": x[:-1] ** 2}))
    np.testing.assert_allclose(small.clip_bound_, [10.0, 10.0])
    # between the two: 1.5 times each feature's own reach, an unseen value bounded by it
    reach = pd.DataFrame({"x": [-2.0, -1.0, 0.0, 1.0, 2.0, 20.0]})
    wide, fitted = _encode_df(reach)
    scaled = (reach["x"] - 0.0) / ((2.0 - -1.0) / 1.349)  # inverted-CDF quartiles -1 and 2
    np.testing.assert_allclose(wide.clip_bound_, [1.5 * scaled.max()], rtol=1e-6)
    assert 0.8 * scaled.max() < fitted["num__x"].max() < scaled.max()
    assert wide.transform(pd.DataFrame({"x": [1e6]}))[0, 0] < 1.5 * scaled.max()


def test_the_clip_bound_is_3_from_64_rows():
    x = np.r_[np.arange(63.0), 1e4]
    small, _ = _encode_df(pd.DataFrame({"x": x[1:]}))  # 63 rows
    large, out = _encode_df(pd.DataFrame({"x": x}))  # 64 rows
    np.testing.assert_array_equal(small.clip_bound_, [30.0])  # its widest (1e4 fitted)
    np.testing.assert_array_equal(large.clip_bound_, [3.0])
    assert 29 < small.transform(pd.DataFrame({"x": [1e5]}))[0, 0] < 30
    assert 2.9 < out["num__x"].max() < 3


def test_scale_falls_back_to_std_then_to_one():
    zero_iqr = np.array([0.0] * 9 + [10.0])
    X = pd.DataFrame({"spiky": zero_iqr, "constant": np.full(10, 7.0)})
    _, out = _encode_df(X, clip_numeric=False)
    np.testing.assert_allclose(out["num__spiky"], zero_iqr / zero_iqr.std(), rtol=1e-6)
    np.testing.assert_array_equal(out["num__constant"], 0.0)


def test_huge_values_are_clipped_or_refused():
    X = pd.DataFrame({"x": [-1e308, 0.0, 1.0, 2.0, 1e308]})
    _, out = _encode_df(X)
    assert np.isfinite(out.to_numpy()).all()
    np.testing.assert_allclose(out["num__x"].iloc[[0, -1]], [-30, 30], rtol=1e-6)  # 5 rows
    # the median of +-1e308 overflows when interpolated; imputed values stay finite
    _, out = _encode_df(pd.DataFrame({"x": [-1e308, 1e308, np.nan, -1e308, 1e308, 1.0]}))
    assert np.isfinite(out.to_numpy()).all() and out.loc[2, "missing__x"] == 1
    with pytest.raises(ValueError, match=r"\['x'\].*too large for float32.*clip_numeric=True"):
        TabularEncoder(clip_numeric=False).fit_transform(X)


def test_missing_numeric_values_get_median_and_indicator():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 5.0], "b": [1.0, 2.0, 3.0, 4.0]})
    enc, out = _encode_df(X, clip_numeric=False)
    assert list(out.columns) == ["num__a", "num__b", "missing__a"]
    assert out.loc[1, "num__a"] == 0.0  # imputed by the median, which is centered to 0
    np.testing.assert_array_equal(out["missing__a"], [0, 1, 0, 0])

    # a missing value at transform in a column without an indicator: imputed, no new column
    new = enc.transform(pd.DataFrame({"a": [np.nan], "b": [np.nan]}))
    np.testing.assert_array_equal(new, [[0.0, 0.0, 1.0]])


def test_all_missing_numeric_column_is_constant_zero_with_indicator():
    X = pd.DataFrame({"empty": [np.nan] * 5, "x": np.arange(5.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "All-NaN slice" or "Mean of empty slice"
        warnings.filterwarnings("ignore", message=SKNN_COLUMN_WARNINGS)  # sknn's own advice
        _, out = _encode_df(X)
    np.testing.assert_array_equal(out["num__empty"], 0.0)
    np.testing.assert_array_equal(out["missing__empty"], 1.0)


def test_numpy_input_with_nan_is_imputed_with_indicator():
    X = np.array([[1.0, 10.0], [np.nan, 20.0], [3.0, 30.0]])
    enc = TabularEncoder().fit(X)
    assert enc.get_feature_names_out().tolist() == ["num__x0", "num__x1", "missing__x0"]
    out = enc.transform(X)
    assert out[1, 0] == 0.0 and out[1, 2] == 1.0
    assert not hasattr(enc, "feature_names_in_")


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinite_values_raise_naming_the_column(value):
    X = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "bad": [1.0, value, 3.0]})
    with pytest.raises(ValueError, match=r"\['bad'\] contain inf"):
        TabularEncoder().fit(X)
    enc = TabularEncoder().fit(X.assign(bad=[1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"\['bad'\] contain inf"):
        enc.transform(X)
    with pytest.raises(ValueError, match=r"\['x1'\] contain inf"):
        TabularEncoder().fit(X.to_numpy())


# ------------------------------------------------------------------ booleans
def test_bool_columns_are_unscaled_zero_one():
    X = pd.DataFrame(
        {
            "flag": [True, False, True, True],
            "opt": pd.array([True, None, False, True], dtype="boolean"),
        }
    )
    enc, out = _encode_df(X)
    assert enc.column_kinds_ == ["bool", "bool"]
    assert list(out.columns) == ["num__flag", "num__opt", "missing__opt"]
    np.testing.assert_array_equal(out["num__flag"], [1, 0, 1, 1])
    # the missing value gets the training share of True (2 of 3)
    np.testing.assert_allclose(out["num__opt"], [1, 2 / 3, 0, 1], rtol=1e-6)
    np.testing.assert_array_equal(out["missing__opt"], [0, 1, 0, 0])


# ----------------------------------------------------------- dates and times
def _expanded(ts: pd.Series) -> pd.DataFrame:
    """The documented datetime expansion, computed independently."""
    local = ts.dt
    utc = ts.dt.tz_convert("UTC").dt.tz_localize(None) if ts.dt.tz is not None else ts
    epoch = (utc - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86400
    return pd.DataFrame(
        {
            "year": local.year,
            "month": local.month,
            "day": local.day,
            "weekday": local.day_of_week,
            "hour": local.hour,
            "epoch_days": epoch,
        }
    ).astype("float64")


@pytest.mark.parametrize("tz", [None, "America/New_York"])
def test_datetime_expands_into_numeric_features(tz):
    ts = pd.Series(pd.date_range("2019-12-30 22:00", periods=40, freq="7h", tz=tz))
    ts[3] = pd.NaT
    enc, out = _encode_df(pd.DataFrame({"when": ts}))
    assert enc.column_kinds_ == ["datetime"]
    parts = [f"num__when_{p}" for p in DATETIME_PARTS]
    assert list(out.columns) == parts + ["missing__when"]

    reference = TabularEncoder().fit_transform(_expanded(ts))
    np.testing.assert_allclose(out[parts].to_numpy(), reference[:, :6], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out["missing__when"], ts.isna().astype(float))
    # an object column of Timestamps is read as datetimes too
    _, from_objects = _encode_df(pd.DataFrame({"when": ts.astype(object)}))
    pd.testing.assert_frame_equal(from_objects, out)


def test_tz_aware_datetime_is_converted_to_the_fitted_zone():
    ts = pd.Series(pd.date_range("2021-03-01", periods=30, freq="5h", tz="Europe/Paris"))
    enc = TabularEncoder().fit(pd.DataFrame({"t": ts}))
    expected = enc.transform(pd.DataFrame({"t": ts}))
    np.testing.assert_array_equal(
        enc.transform(pd.DataFrame({"t": ts.dt.tz_convert("Asia/Tokyo")})), expected
    )
    with pytest.raises(ValueError, match="'t' was tz-aware at fit"):
        enc.transform(pd.DataFrame({"t": ts.dt.tz_localize(None)}))


def test_timedelta_is_total_seconds():
    td = pd.Series(pd.to_timedelta([1, 2, 3, None, 50], unit="h"))
    _, out = _encode_df(pd.DataFrame({"wait": td}))
    _, ref = _encode_df(pd.DataFrame({"wait": td.dt.total_seconds()}))
    pd.testing.assert_frame_equal(out, ref)


# --------------------------------------------------------------- categorical
def test_onehot_up_to_max_cardinality_then_codes():
    X = pd.DataFrame({"few": list("abcab"), "many": list("abcde")})
    enc, out = _encode_df(X, max_onehot_cardinality=3)
    assert enc.column_kinds_ == ["onehot", "code"]
    assert list(out.columns) == ["cat__few_a", "cat__few_b", "cat__few_c", "code__many"]
    np.testing.assert_array_equal(out.iloc[:, :3], np.eye(3)[[0, 1, 2, 0, 1]])
    np.testing.assert_array_equal(out["code__many"], [2, 3, 4, 5, 6])
    assert enc.cardinalities_ == [7]
    assert enc.n_numeric_out_ == 3


def test_codes_sort_categories_by_string_form():
    X = pd.DataFrame({"c": ["b", "a", "10", "9", None]})
    enc, out = _encode_df(X, max_onehot_cardinality=0)
    assert enc.categories_ == [["10", "9", "a", "b"]]
    np.testing.assert_array_equal(out["code__c"], [5, 4, 2, 3, 0])


def test_unseen_and_missing_categories_at_transform():
    train = pd.DataFrame({"few": ["x", "y", "x"], "many": ["a", "b", "c"]})
    enc = TabularEncoder(max_onehot_cardinality=2).fit(train)
    test = pd.DataFrame({"few": ["z", None, "y"], "many": ["q", None, "c"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = enc.transform(test)
    np.testing.assert_array_equal(
        out,
        [
            [0, 0, 1],  # unseen: all zeros / code 1
            [0, 0, 0],  # missing: all zeros / code 0
            [0, 1, 4],  # "y" is the second one-hot column, "c" the third seen code
        ],
    )


def test_category_dtype_counts_only_values_present_at_fit():
    col = pd.Categorical(["a", "b", "a"], categories=["a", "b", "c", "d"])
    enc = TabularEncoder().fit(pd.DataFrame({"c": col}))
    assert enc.categories_ == [["a", "b"]]
    assert enc.get_feature_names_out().tolist() == ["cat__c_a", "cat__c_b"]


@pytest.mark.parametrize("dtype", [object, "str", "string"])
def test_string_dtypes_are_categorical(dtype):
    X = pd.DataFrame({"s": pd.Series(["u", None, "v", "u"], dtype=dtype)})
    enc, out = _encode_df(X)
    assert enc.categorical_features_.tolist() == [True]
    np.testing.assert_array_equal(out, [[1, 0], [0, 0], [0, 1], [1, 0]])


def test_pyarrow_strings_and_table():
    pa = pytest.importorskip("pyarrow")
    X = pd.DataFrame(
        {
            "s": pd.Series(["u", None, "v", "u"], dtype="string[pyarrow]"),
            "x": [1.0, 2.0, 3.0, 4.0],
        }
    )
    enc, out = _encode_df(X)
    assert enc.column_kinds_ == ["onehot", "numeric"]
    plain = X.assign(s=X["s"].astype(object))
    np.testing.assert_array_equal(TabularEncoder().fit_transform(plain), out.to_numpy())
    # objects with a ``to_pandas`` method (pyarrow tables, polars frames) are converted
    table_out = TabularEncoder().fit_transform(pa.Table.from_pandas(X))
    np.testing.assert_array_equal(table_out, out.to_numpy())


def test_object_column_mixing_numbers_and_strings_warns_and_uses_str():
    X = pd.DataFrame({"mixed": [1, "a", 2.5, None, "a"], "x": [1.0, 2.0, 3.0, 4.0, 5.0]})
    with pytest.warns(UserWarning, match="'mixed' mixes strings with numbers") as record:
        enc = TabularEncoder().fit(X)
    assert record[0].filename == __file__  # points at the caller
    assert enc.categories_ == [["1", "2.5", "a"]]
    out = enc.transform(pd.DataFrame({"mixed": ["1", 2.5, "zzz"], "x": [0.0, 0.0, 0.0]}))
    np.testing.assert_array_equal(out[:, 1:], [[1, 0, 0], [0, 1, 0], [0, 0, 0]])


def test_a_column_of_times_of_day_says_so_and_how_to_make_them_numbers():
    times = pd.Series([datetime.time(8, 30), datetime.time(23, 59), None] * 4)
    X = pd.DataFrame({"opens": times, "x": np.arange(12.0)})
    with pytest.warns(UserWarning, match="'opens' holds time objects") as record:
        enc = TabularEncoder().fit(X)
    assert "mixes strings" not in str(record[0].message)
    assert enc.column_kinds_[0] == "onehot"
    # the conversion the warning gives makes it a numeric (timedelta) column, silently
    converted = X.assign(opens=pd.to_timedelta(X["opens"].astype("string")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert TabularEncoder().fit(converted).column_kinds_ == ["timedelta", "numeric"]


def test_object_column_of_numbers_is_numeric():
    X = np.array([[1.0, "a"], [2.5, "b"], [None, "a"]], dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc = TabularEncoder().fit(X)
    assert enc.column_kinds_ == ["numeric", "onehot"]
    assert enc.get_feature_names_out().tolist() == [
        "num__x0",
        "cat__x1_a",
        "cat__x1_b",
        "missing__x0",
    ]


def test_lists_keep_numbers_and_strings_apart():
    X = [[1.0, "a", True], [2.0, "b", False], [3.0, "a", True]]
    enc = TabularEncoder().fit(X)
    assert enc.column_kinds_ == ["numeric", "onehot", "bool"]
    assert enc.get_feature_names_out().tolist() == ["num__x0", "num__x2", "cat__x1_a", "cat__x1_b"]
    np.testing.assert_array_equal(enc.transform(X)[:, 1:], [[1, 1, 0], [0, 0, 1], [1, 1, 0]])


# ------------------------------------------------------- categorical_features
def test_categorical_features_by_name_index_and_mask_agree():
    X = pd.DataFrame({"code": [3, 1, 2, 3, 1], "x": [0.5, 1.5, 2.5, 3.5, 4.5]})
    outs = []
    for spec in (["code"], [0], [True, False]):
        enc = TabularEncoder(categorical_features=spec).fit(X)
        assert enc.categorical_features_.tolist() == [True, False]
        assert enc.categories_ == [[1, 2, 3]]
        outs.append(enc.transform(X))
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])
    assert enc.get_feature_names_out().tolist() == [
        "num__x",
        "cat__code_1",
        "cat__code_2",
        "cat__code_3",
    ]


def test_integer_coded_numpy_column_named_as_categorical():
    X = np.array([[0, 1.0], [1, 2.0], [2, 3.0], [1, np.nan]])
    enc = TabularEncoder(categorical_features=[0], max_onehot_cardinality=2).fit(X)
    assert enc.cardinalities_ == [5]
    out = enc.transform(np.array([[1, 0.0], [7, 0.0], [np.nan, 0.0]]))
    np.testing.assert_array_equal(out[:, -1], [3, 1, 0])


@pytest.mark.parametrize(
    "spec, match",
    [
        (["nope", "x", "also_nope"], r"\['nope', 'also_nope'\] that are not in X"),
        ([0, 5, -1], r"indices \[5, -1\] outside \[0, 1\]"),
        ([True], "boolean mask must have one entry per column"),
        ([0.5], "must be 'from_dtype', None, or an array-like"),
    ],
)
def test_invalid_categorical_features_raise(spec, match):
    X = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    with pytest.raises(ValueError, match=match):
        TabularEncoder(categorical_features=spec).fit(X)


def test_categorical_names_need_column_names():
    with pytest.raises(ValueError, match="no string column names"):
        TabularEncoder(categorical_features=["a"]).fit(np.ones((3, 2)))


def test_explicit_list_rejects_unlisted_string_columns():
    X = pd.DataFrame({"s": ["a", "b"], "t": ["c", "d"]})
    with pytest.raises(ValueError, match="'t' holds strings .* not in categorical_features"):
        TabularEncoder(categorical_features=["s"]).fit(X)


def test_categorical_features_none_and_invalid_params():
    X = pd.DataFrame({"n": [1, 2, 3]})
    enc = TabularEncoder(categorical_features=None).fit(X)
    assert enc.categorical_features_.tolist() == [False]
    with pytest.raises(InvalidParameterError, match="max_onehot_cardinality"):
        TabularEncoder(max_onehot_cardinality=-1).fit(X)
    with pytest.raises(InvalidParameterError, match="categorical_features"):
        TabularEncoder(categorical_features="auto").fit(X)


# ------------------------------------------------------------- layout, names
def test_output_layout_and_fitted_attributes(mixed_frame):
    enc = TabularEncoder(max_onehot_cardinality=3)
    out = enc.fit_transform(mixed_frame)
    names = enc.get_feature_names_out().tolist()
    assert out.dtype == np.float32 and out.shape == (len(mixed_frame), len(names))
    assert np.isfinite(out).all()
    assert names == [
        "num__age",
        "num__count",
        "num__flag",
        "num__opt_in",
        *[f"num__seen_{p}" for p in DATETIME_PARTS],
        "num__wait",
        "cat__color_blue",
        "cat__color_green",
        "cat__color_red",
        "missing__age",
        "missing__opt_in",
        "code__city",
        "code__zip",
    ]
    assert enc.n_numeric_out_ == names.index("code__city")
    assert enc.cardinalities_ == [4 + 2, 20 + 2]
    codes = out[:, enc.n_numeric_out_ :]
    assert (codes >= 0).all() and (codes < np.array(enc.cardinalities_)).all()
    np.testing.assert_array_equal(codes, codes.round())
    assert enc.n_features_in_ == 9
    np.testing.assert_array_equal(enc.feature_names_in_, mixed_frame.columns)
    assert enc.categorical_features_.tolist() == [
        *[False] * 4,
        True,
        True,
        True,
        False,
        False,
    ]
    assert enc.categories_[0] == ["blue", "green", "red"]
    assert enc.categories_[1] == ["lima", "oslo", "paris", "rome"]
    np.testing.assert_array_equal(enc.transform(mixed_frame), out)


def test_get_feature_names_out_accepts_input_features():
    enc = TabularEncoder().fit(np.array([[1.0, np.nan], [2.0, 3.0]]))
    assert enc.get_feature_names_out(["a", "b"]).tolist() == ["num__a", "num__b", "missing__b"]
    with pytest.raises(ValueError, match="input_features"):
        enc.get_feature_names_out(["a"])


def test_set_output_pandas(mixed_frame):
    enc = TabularEncoder().set_output(transform="pandas")
    out = enc.fit_transform(mixed_frame)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == enc.get_feature_names_out().tolist()
    assert out.index.equals(mixed_frame.index)
    np.testing.assert_array_equal(out.to_numpy(), enc.transform(mixed_frame).to_numpy())


# ---------------------------------------------------------------- validation
def test_transform_column_mismatches_raise(mixed_frame):
    enc = TabularEncoder().fit(mixed_frame)
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing"):
        enc.transform(mixed_frame.drop(columns="age"))
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        enc.transform(mixed_frame.assign(extra=1.0))
    with pytest.raises(ValueError, match="must be in the same order"):
        enc.transform(mixed_frame[mixed_frame.columns[::-1]])

    num = TabularEncoder().fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="X has 2 features, but TabularEncoder is expecting 3"):
        num.transform(np.ones((4, 2)))


@pytest.mark.parametrize(
    "X, match",
    [
        (pd.DataFrame({"a": []}), "0 sample"),
        (pd.DataFrame(index=range(3)), "0 feature"),
        (np.empty((0, 2)), "0 sample"),
        (np.array([1.0, 2.0]), "Expected 2D array"),
    ],
)
def test_empty_or_one_dimensional_input_raises(X, match):
    with pytest.raises(ValueError, match=match):
        TabularEncoder().fit(X)


def test_numeric_column_receiving_strings_at_transform_raises():
    enc = TabularEncoder().fit(pd.DataFrame({"x": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="'x' was numeric at fit"):
        enc.transform(pd.DataFrame({"x": ["a", "b"]}, dtype=object))


# ----------------------------------------------------------- persistence, use
def test_pickle_round_trip_gives_identical_output(mixed_frame):
    enc = TabularEncoder(max_onehot_cardinality=3).fit(mixed_frame)
    clone = pickle.loads(pickle.dumps(enc))
    test = mixed_frame.iloc[::-1].reset_index(drop=True)
    test.loc[0, "city"] = "unseen"
    test.loc[1, "zip"] = None
    np.testing.assert_array_equal(clone.transform(test), enc.transform(test))
    assert clone.categories_ == enc.categories_ and clone.cardinalities_ == enc.cardinalities_


def test_pipeline_with_logistic_regression():
    rng = np.random.default_rng(1)
    n = 400
    color = rng.choice(["red", "green", "blue"], n)
    x = rng.normal(size=n)
    when = pd.Series(pd.date_range("2020-01-01", periods=n, freq="D"))
    y = (2 * (color == "red") + x + rng.normal(0, 0.3, n) > 1).astype(int)
    X = pd.DataFrame(
        {
            "color": pd.Series(color, dtype="category"),
            "x": np.where(rng.random(n) < 0.05, np.nan, x),
            "flag": rng.random(n) < 0.5,
            "shop": [f"s{i}" for i in rng.integers(0, 30, n)],
            "when": when,
        }
    )
    pipe = make_pipeline(TabularEncoder(), LogisticRegression(max_iter=1000))
    pipe.fit(X[:300], y[:300])
    assert pipe.score(X[300:], y[300:]) > 0.85
    assert pipe.predict(X[300:].assign(color="purple")).shape == (100,)


# ---------------------------------------------------------------------- fuzz
COLUMN_TYPES = [
    "int",
    "float",
    "bool",
    "nullable_bool",
    "category",
    "object_str",
    "pyarrow_str",
    "datetime",
    "datetime_tz",
    "timedelta",
]
MISSING = ["none", "some", "all"]
# without pyarrow the "pyarrow_str" columns fall back to pandas' python-backed strings
PYARROW_STRING = "string[pyarrow]" if importlib.util.find_spec("pyarrow") else "string"
CARDINALITY = ["one", "few", "many"]
FUZZ_SEEDS = range(60)


def _fuzz_spec(seed: int):
    """Column specs (type, missing pattern, cardinality) and encoder params of one table."""
    rng = np.random.default_rng(seed)
    # each seed takes the next 3 cells of the type x missing x cardinality grid (so the
    # seeds cover all of it), plus up to 2 random columns
    grid = list(itertools.product(COLUMN_TYPES, MISSING, CARDINALITY))
    columns = [grid[(3 * seed + k) % len(grid)] for k in range(3)]
    for _ in range(int(rng.integers(0, 3))):
        columns.append(
            tuple(str(rng.choice(options)) for options in (COLUMN_TYPES, MISSING, CARDINALITY))
        )
    params = {
        "max_onehot_cardinality": int(rng.choice([0, 2, 8])),
        "clip_numeric": bool(rng.random() < 0.8),
    }
    return columns, params


def _fuzz_column(rng, kind, missing, cardinality, n):
    n_distinct = {"one": 1, "few": 3, "many": n}[cardinality]
    pick = rng.integers(0, n_distinct, n)
    if kind == "float" and rng.random() < 0.3:
        base = rng.choice([1e-300, 1e300, -1e308]) * ((pick + 1.0) / n_distinct)  # extremes
    else:
        base = pick * rng.normal(1, 5)
    values = {
        "int": pick * 7 - 3,
        "float": base,
        "bool": pick % 2 == 1,
        "nullable_bool": pd.array(pick % 2 == 1, dtype="boolean"),
        "category": pd.Categorical([f"c{p}" for p in pick]),
        "object_str": np.array([f"s{p}" for p in pick], dtype=object),
        "pyarrow_str": pd.array([f"p{p}" for p in pick], dtype=PYARROW_STRING),
        "datetime": pd.Timestamp("2000-01-01") + pd.to_timedelta(pick * 31.3, unit="D"),
        "datetime_tz": pd.Timestamp("2000-01-01", tz="UTC")
        + pd.to_timedelta(pick * 13.7, unit="h"),
        "timedelta": pd.to_timedelta(pick * 90, unit="s"),
    }[kind]
    col = pd.Series(values)
    drop = {"none": np.zeros(n, bool), "some": rng.random(n) < 0.3, "all": np.ones(n, bool)}
    return col.where(~drop[missing], None) if drop[missing].any() else col


def _fuzz_frame(columns, seed):
    rng = np.random.default_rng(seed)
    n_rows = int(rng.integers(1, 40))
    return pd.DataFrame(
        {
            f"c{j}_{kind}_{missing}_{card}": _fuzz_column(rng, kind, missing, card, n_rows)
            for j, (kind, missing, card) in enumerate(columns)
        }
    )


def test_fuzz_seeds_cover_every_type_missing_and_cardinality():
    covered = {col for seed in FUZZ_SEEDS for col in _fuzz_spec(seed)[0]}
    assert covered >= set(itertools.product(COLUMN_TYPES, MISSING, CARDINALITY))


def _check_encoding(enc, X, out):
    names = enc.get_feature_names_out()
    assert out.dtype == np.float32
    assert out.shape == (len(X), len(names))
    assert np.isfinite(out).all()
    assert enc.n_numeric_out_ + len(enc.cardinalities_) == out.shape[1]
    codes = out[:, enc.n_numeric_out_ :]
    assert ((codes >= 0) & (codes < np.array(enc.cardinalities_, dtype=float))).all()


@pytest.mark.parametrize("seed", FUZZ_SEEDS)
def test_fuzz_mixed_tables(seed):
    columns, params = _fuzz_spec(seed)
    X = _fuzz_frame(columns, seed)
    enc = TabularEncoder(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no stray RuntimeWarning or pandas warning either
        warnings.filterwarnings("ignore", message=SKNN_COLUMN_WARNINGS)  # sknn's own advice
        try:
            out = enc.fit_transform(X)
        except (ValueError, TypeError) as exc:
            # the one refusal these tables can earn: huge floats without clipping
            assert not params["clip_numeric"] and "too large for float32" in str(exc), exc
            return
        _check_encoding(enc, X, out)
        np.testing.assert_array_equal(enc.transform(X), out)
        # another table from the same spec: other values, categories and missing values
        X_new = _fuzz_frame(columns, seed + 1000)
        try:
            out_new = enc.transform(X_new)
        except ValueError as exc:
            assert not params["clip_numeric"] and "too large for float32" in str(exc), exc
            return
        _check_encoding(enc, X_new, out_new)


def test_output_names_are_distinct_even_where_columns_would_share_one():
    # a datetime column "when" beside a column "when_year" both gave num__when_year, and
    # the pandas output's two columns of one name failed downstream
    X = pd.DataFrame(
        {
            "when": pd.date_range("2020-01-01", periods=40, freq="7D"),
            "when_year": np.arange(40.0),
            "a": pd.Series(["b_c", "d"] * 20, dtype="category"),
            "a_b": pd.Series(["c", "e"] * 20, dtype="category"),  # cat__a_b_c twice
        }
    )
    encoder = TabularEncoder()
    names = list(encoder.fit(X).get_feature_names_out())
    assert len(set(names)) == len(names)
    assert {"num__when_year", "num__when_year__2", "cat__a_b_c", "cat__a_b_c__2"} <= set(names)
    out = TabularEncoder().set_output(transform="pandas").fit_transform(X)
    assert list(out.columns) == names


def test_a_feature_whose_spread_is_tiny_beside_its_size_is_scaled_not_taken_for_a_constant():
    # a spread under 1e-12 of the median was a constant's: epoch nanoseconds within a
    # millisecond came out in 22 levels (R^2 0.82 against HGB's 0.994)
    rng = np.random.default_rng(0)
    values = 1.7e18 + 1e6 * rng.normal(size=500)
    encoded = TabularEncoder().fit_transform(pd.DataFrame({"t": values}))[:, 0]
    assert len(np.unique(encoded)) > 400 and encoded.std() > 0.5
    assert np.corrcoef(encoded, values - 1.7e18)[0, 1] > 0.95
    # rounding's residues stay a constant: (0.1 + 0.2) - 0.3 beside exact zeros
    residue = np.where(np.arange(500) % 2, (0.1 + 0.2) - 0.3, 0.0)
    constant = TabularEncoder().fit_transform(pd.DataFrame({"r": residue, "c": 1.7e18}))
    assert np.abs(constant).max() < 1e-6
