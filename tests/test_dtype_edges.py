"""Datetime, timedelta and boolean columns at the edges of their dtypes.

Time-zone-aware polars and pyarrow columns, pyarrow-backed pandas columns
(``pd.ArrowDtype``, as ``read_parquet(dtype_backend="pyarrow")`` gives them),
and values of another type at transform than at fit.
"""

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest

from sknn import NeuralNetClassifier, TabularEncoder

pa = pytest.importorskip("pyarrow", reason="pyarrow (test extra) is not installed")

# Tokyo local times whose UTC day, weekday and hour differ from the local ones.
TOKYO = pd.to_datetime(
    ["2020-01-01 23:00", "2020-01-02 01:00", None, "2020-01-05 12:00", "2020-03-07 08:30"]
).tz_localize("Asia/Tokyo")


def _encoded(fit_on, transform=None) -> np.ndarray:
    enc = TabularEncoder(clip_numeric=False).fit(fit_on)
    return enc.transform(fit_on if transform is None else transform)


def _arrow(series: pd.Series, arrow_type) -> pd.Series:
    return series.astype(pd.ArrowDtype(arrow_type))


# ----------------------------------------- time-zone-aware polars / pyarrow
def _tz_tables():
    pl = pytest.importorskip("polars", reason="polars (test extra) is not installed")
    X = pd.DataFrame({"t": TOKYO, "x": np.arange(len(TOKYO), dtype=float)})
    return X, {"polars": pl.from_pandas(X), "pyarrow": pa.Table.from_pandas(X)}


@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_tz_aware_table_encodes_as_pandas_does(library):
    X, tables = _tz_tables()
    np.testing.assert_allclose(_encoded(tables[library]), _encoded(X))


@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_pandas_fitted_model_takes_tz_aware_table(library):
    X, tables = _tz_tables()
    y = np.array([0, 1, 0, 1, 1])
    clf = NeuralNetClassifier(max_iter=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(tables[library]), clf.predict_proba(X))
    np.testing.assert_allclose(
        _encoded(X, tables[library]), _encoded(X), err_msg="pandas-fitted encoder"
    )


# ------------------------------------------ pyarrow-backed pandas columns
def test_arrow_duration_is_timedelta():
    wait = pd.Series(pd.to_timedelta(np.arange(20), unit="h"))
    wait[3] = pd.NaT
    numpy_backed = pd.DataFrame({"wait": wait})
    arrow_backed = pd.DataFrame({"wait": _arrow(wait, pa.duration("us"))})
    enc = TabularEncoder().fit(arrow_backed)
    assert enc.column_kinds_ == ["timedelta"]
    assert enc.unseen_categories(arrow_backed) == {}
    np.testing.assert_allclose(_encoded(arrow_backed), _encoded(numpy_backed))
    np.testing.assert_allclose(_encoded(numpy_backed, arrow_backed), _encoded(numpy_backed))


@pytest.mark.parametrize("zone", [None, "Asia/Tokyo"])
def test_arrow_timestamp_is_datetime(zone):
    t = pd.Series(TOKYO.tz_localize(None) if zone is None else TOKYO)
    numpy_backed = pd.DataFrame({"t": t})
    arrow_backed = pd.DataFrame({"t": _arrow(t, pa.timestamp("us", tz=zone))})
    assert TabularEncoder().fit(arrow_backed).column_kinds_ == ["datetime"]
    np.testing.assert_allclose(_encoded(arrow_backed), _encoded(numpy_backed))
    np.testing.assert_allclose(_encoded(numpy_backed, arrow_backed), _encoded(numpy_backed))


def test_arrow_date32_is_tz_naive_datetime():
    days = [dt.date(2020, 1, 1), dt.date(2021, 5, 6), None, dt.date(2022, 7, 8)]
    arrow_backed = pd.DataFrame({"d": pd.Series(days, dtype=pd.ArrowDtype(pa.date32()))})
    numpy_backed = pd.DataFrame({"d": pd.to_datetime(pd.Series(days))})
    assert TabularEncoder().fit(arrow_backed).column_kinds_ == ["datetime"]
    np.testing.assert_allclose(_encoded(arrow_backed), _encoded(numpy_backed))
    np.testing.assert_allclose(_encoded(numpy_backed, arrow_backed), _encoded(numpy_backed))
    np.testing.assert_allclose(_encoded(arrow_backed, numpy_backed), _encoded(numpy_backed))


# ------------------------------------ another type at transform than at fit
TRAIN = pd.DataFrame(
    {
        "signup": pd.to_datetime(["2020-01-01", "2021-06-01", "2022-03-01", "2023-09-01"]),
        "wait": pd.to_timedelta([1, 2, 3, 4], unit="h"),
    }
)


@pytest.mark.parametrize(
    ("column", "numbers", "kind", "convert"),
    [
        ("signup", [1622505600, 1622505601], "datetime", "pd.to_datetime"),
        ("signup", np.array([1622505600.0, None], dtype=object), "datetime", "pd.to_datetime"),
        ("wait", [7200.0, np.nan], "timedelta", "pd.to_timedelta"),
    ],
)
def test_numbers_for_datetime_or_timedelta_column_are_refused(column, numbers, kind, convert):
    enc = TabularEncoder().fit(TRAIN)
    X = TRAIN.iloc[:2].copy()
    X[column] = numbers
    with pytest.raises(ValueError, match=rf"Column '{column}' was {kind} at fit") as info:
        enc.transform(X)
    assert "holds numbers" in str(info.value)
    assert convert in str(info.value)


def test_numbers_for_datetime_column_are_refused_at_predict():
    clf = NeuralNetClassifier(max_iter=2, random_state=0).fit(TRAIN, [0, 1, 0, 1])
    X = TRAIN.assign(signup=np.arange(4) * 86_400)
    with pytest.raises(ValueError, match="Column 'signup' was datetime at fit"):
        clf.predict(X)


def test_strings_and_missing_values_for_datetime_columns_still_read():
    enc = TabularEncoder().fit(TRAIN)
    as_strings = TRAIN.astype(str).assign(wait=["1h", "2h", "3h", "4h"])
    np.testing.assert_allclose(enc.transform(as_strings), enc.transform(TRAIN))
    all_missing = pd.DataFrame({"signup": [np.nan] * 2, "wait": [np.nan] * 2})
    assert np.isfinite(enc.transform(all_missing)).all()


def test_a_date_string_reads_alike_whatever_else_its_batch_holds():
    # pandas would guess "01/02/2020" as January alone and as February beside "13/02/2020"
    enc = TabularEncoder().fit(TRAIN)
    iso = TRAIN.iloc[:1].assign(signup=["2021-06-01"])
    beside = TRAIN.iloc[:2].assign(signup=["2021-06-01T00:00:00", None])
    np.testing.assert_array_equal(enc.transform(beside)[:1], enc.transform(iso))
    as_dates = TRAIN.iloc[:1].assign(signup=pd.to_datetime(["2021-06-01"]))
    np.testing.assert_array_equal(enc.transform(iso), enc.transform(as_dates))
    for ambiguous in (["01/02/2020"], ["01/02/2020", "13/02/2020"]):
        with pytest.raises(ValueError, match="ISO 8601.*format='%d/%m/%Y'"):
            enc.transform(TRAIN.iloc[: len(ambiguous)].assign(signup=ambiguous))


def test_strings_for_bool_column_say_boolean():
    enc = TabularEncoder().fit(pd.DataFrame({"b": [True, False, True]}))
    with pytest.raises(ValueError, match="Column 'b' was boolean at fit"):
        enc.transform(pd.DataFrame({"b": ["True", "False", "True"]}))


def test_a_mixed_column_encodes_a_row_alike_whatever_else_its_batch_holds():
    # ints and a string at fit are compared by str form; a batch of numbers and a
    # missing value arrives as float64, where 1 is 1.0: it must still be the 1 seen
    size = pd.Series([1, 2, 3, "XL"] * 30, dtype=object)
    encoder = TabularEncoder().fit(pd.DataFrame({"size": size}))
    alone = encoder.transform(pd.DataFrame({"size": [1, 2]}))
    with_missing = encoder.transform(pd.DataFrame({"size": [1, 2, np.nan]}))
    np.testing.assert_array_equal(with_missing[:2], alone)
    assert encoder.unseen_categories(pd.DataFrame({"size": [1.0, 3.0, np.nan]})) == {}
    assert encoder.unseen_categories(pd.DataFrame({"size": [1.5, "S"]})) == {"size": ["1.5", "S"]}


# ---------------------------------------- the same data from another library
def test_integers_with_nulls_from_polars_and_pyarrow_stay_integers():
    pl = pytest.importorskip("polars", reason="polars (test extra) is not installed")
    base = 2**53  # beyond float64's integers: neighbours collapse into one float
    ids = [base + 1, base + 2, base + 3]
    enc = TabularEncoder(categorical_features=["id"]).fit(pl.DataFrame({"id": ids}))
    alone = enc.transform(pl.DataFrame({"id": [base + 1, base + 3]}))
    # a null in the batch made every row unseen: the ids came through numpy as floats
    for with_null in (
        pl.DataFrame({"id": [base + 1, base + 3, None]}),
        pa.table({"id": pa.array([base + 1, base + 3, None])}),
    ):
        np.testing.assert_array_equal(enc.transform(with_null)[:2], alone)
    fitted = TabularEncoder(categorical_features=["id"]).fit(pl.DataFrame({"id": [*ids, None]}))
    assert fitted.categories_ == [ids]
    small = [1, 2, None, 10]  # named cat__k_1.0 from polars and pyarrow, cat__k_1 from pandas
    names = [
        TabularEncoder(categorical_features=["k"]).fit(X).get_feature_names_out().tolist()
        for X in (
            pd.DataFrame({"k": pd.array(small, dtype="Int64")}),
            pl.DataFrame({"k": small}),
            pa.table({"k": small}),
        )
    ]
    assert names[0] == names[1] == names[2] == ["cat__k_1", "cat__k_10", "cat__k_2"]


def test_an_all_null_column_is_read_alike_from_every_library():
    pl = pytest.importorskip("polars", reason="polars (test extra) is not installed")
    tables = [
        pd.DataFrame({"z": [None] * 4, "n": [1.0, 2, 3, 4]}),
        pl.DataFrame({"z": [None] * 4, "n": [1.0, 2, 3, 4]}),  # polars' Null dtype: was numeric
        pa.table({"z": pa.array([None] * 4), "n": [1.0, 2, 3, 4]}),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "has only missing values"
        kinds = [TabularEncoder().fit(X).column_kinds_ for X in tables]
    assert kinds[0] == kinds[1] == kinds[2]


def test_nested_columns_are_refused_by_name_from_every_library():
    pl = pytest.importorskip("polars", reason="polars (test extra) is not installed")
    nested = [
        pd.DataFrame({"c": pd.Series([[1, 2], [3], None], dtype=object)}),  # was str "[1, 2]"
        pd.DataFrame({"c": pd.Series([[1, 2]], dtype=pd.ArrowDtype(pa.list_(pa.int64())))}),
        pl.DataFrame({"c": [[1, 2], [3], None]}),
        pl.DataFrame({"c": [{"a": 1}, None]}),
        pa.table({"c": pa.array([[("a", 1)]], type=pa.map_(pa.string(), pa.int64()))}),
    ]
    for X in nested:
        with pytest.raises(TypeError, match="Column 'c' holds nested values.*Flatten"):
            TabularEncoder().fit(X)


def test_a_boolean_column_takes_only_booleans_or_zero_and_one():
    enc = TabularEncoder().fit(pd.DataFrame({"b": [True, False, True], "x": [1.0, 2.0, 3.0]}))
    ok = enc.transform(pd.DataFrame({"b": [1, 0], "x": [1.0, 2.0]}))
    np.testing.assert_array_equal(ok[:, 0], [1.0, 0.0])
    for other in ([2, 1], [-7.5, 1], [1e39, 1]):  # passed unscaled (inf past float32)
        with pytest.raises(ValueError, match="was boolean at fit but now holds"):
            enc.transform(pd.DataFrame({"b": other, "x": [1.0, 2.0]}))


def test_a_zones_winter_and_summer_times_read_in_one_batch():
    paris = pd.to_datetime(["2021-01-01 10:00", "2021-06-01 10:00", "2021-09-01 10:00"])
    enc = TabularEncoder().fit(pd.DataFrame({"t": paris.tz_localize("Europe/Paris")}))
    strings = pd.DataFrame({"t": ["2021-01-01T10:00:00+01:00", "2021-06-01T10:00:00+02:00"]})
    each = np.vstack([enc.transform(strings.iloc[[i]]) for i in range(2)])
    np.testing.assert_array_equal(enc.transform(strings), each)  # failed: "Mixed timezones"
    offsets = [dt.timezone(dt.timedelta(hours=h)) for h in (1, 2)]
    objects = [
        dt.datetime(2021, 1, 1, 10, tzinfo=offsets[0]),
        dt.datetime(2021, 6, 1, 10, tzinfo=offsets[1]),
    ]
    np.testing.assert_array_equal(enc.transform(pd.DataFrame({"t": objects})), each)
    with pytest.raises(ValueError, match="Column 't'"):  # an offset on one row only: refused
        enc.transform(pd.DataFrame({"t": ["2021-01-01T10:00:00+01:00", "2021-06-01T10:00:00"]}))
    # what pandas reads as missing, and offsets in other forms, are no rows without one
    missing = ["2021-01-01T10:00:00+01:00", "", "NaT", "2021-01-01T10+01:00"]
    out = enc.transform(pd.DataFrame({"t": missing}))
    np.testing.assert_array_equal(out[0], out[3])
    np.testing.assert_array_equal(out[1], out[2])


@pytest.mark.parametrize(
    "fit_dtype, served_dtype", [("float64", "float32"), ("float32", "float64")]
)
def test_float_categories_match_whatever_their_float_width(fit_dtype, served_dtype):
    # rates fitted as float64 and served as float32 (polars Float32, a downcast Parquet
    # file), or the other way round: 0.05 is not 0.05000000074505806, and every row was a
    # category never seen, silently (accuracy 1.0 -> 0.62)
    X = pd.DataFrame({"rate": np.tile([0.05, 0.07, 0.1, 0.1 + 1e-12], 10)}).astype(fit_dtype)
    encoder = TabularEncoder(categorical_features=["rate"]).fit(X)
    served = pd.DataFrame({"rate": np.array([0.1, 0.05, 0.3, np.nan], dtype=served_dtype)})
    expected = encoder.transform(served.astype(fit_dtype))
    if fit_dtype == "float64":  # 0.1 and 0.1 + 1e-12 are one float32: neither is matched
        unseen = [float(np.float32(0.1)), float(np.float32(0.3))]
        assert encoder.unseen_categories(served) == {"rate": unseen}
        expected[0] = 0
    else:
        assert encoder.unseen_categories(served) == {"rate": [0.3]}
    np.testing.assert_array_equal(encoder.transform(served), expected)
    assert encoder.transform(served)[1].sum() == 1  # 0.05 found


def test_a_batch_whose_datetime_or_timedelta_column_is_all_missing_reads_as_missing():
    # one request with a null timestamp: "was tz-aware at fit; pass it tz-aware" (a
    # missing value has no zone); a null duration: "cannot be read as timedeltas"
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "ts": pd.date_range("2024-01-01", periods=80, freq="h", tz="Europe/Paris"),
            "dur": pd.to_timedelta(rng.integers(1, 100, 80), unit="min"),
            "x": rng.normal(size=80),
        }
    )
    X.loc[::9, ["ts", "dur"]] = None  # missing at fit: imputed, with indicators
    encoder = TabularEncoder().fit(X)
    batch = X.iloc[:3].copy()
    batch.loc[batch.index[0], ["ts", "dur"]] = None
    expected = encoder.transform(batch)[:1]
    alone = pd.DataFrame({"ts": [None], "dur": [pd.NaT], "x": [batch["x"].iloc[0]]})
    np.testing.assert_array_equal(encoder.transform(alone), expected)
    nulls = alone.assign(ts=pd.NaT, dur=None)
    np.testing.assert_array_equal(encoder.transform(nulls), expected)


def test_a_period_column_is_a_date_and_a_later_month_is_met_as_its_first_day():
    # a Period column was a category of distinct values, called an identifier to drop,
    # and every later month was unseen at predict
    months = pd.period_range("2019-01", periods=60, freq="M")
    X = pd.DataFrame({"month": months, "x": np.arange(60.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoder = TabularEncoder().fit(X)
    assert encoder.column_kinds_ == ["datetime", "numeric"]
    later = pd.DataFrame({"month": pd.period_range("2024-01", periods=3, freq="M"), "x": 1.0})
    as_days = later.assign(month=later["month"].dt.to_timestamp())
    np.testing.assert_array_equal(encoder.transform(later), encoder.transform(as_days))


def test_pyarrow_times_of_day_are_told_as_polars_and_python_times_are():
    pa = pytest.importorskip("pyarrow")
    times = [dt.time(h, 30) for h in range(24)] * 2
    arrow = pd.Series(pa.array(times, pa.time64("us")), dtype=pd.ArrowDtype(pa.time64("us")))
    for column in (arrow, pd.Series(times, dtype=object)):
        with pytest.warns(UserWarning, match=r"'t' holds time objects.*pd.to_timedelta"):
            encoder = TabularEncoder().fit(pd.DataFrame({"t": column}))
        assert encoder.column_kinds_ == ["code"]


@pytest.mark.parametrize("unit", ["ns", "us"])
def test_a_timedelta_column_declared_categorical_meets_its_own_values(unit):
    # nanosecond durations became integer categories: every value unseen, training rows too
    waits = pd.Series(pd.to_timedelta(np.arange(30) % 3 + 1, unit="h")).dt.as_unit(unit)
    X = pd.DataFrame({"wait": waits, "x": np.arange(30.0)})
    encoder = TabularEncoder(categorical_features=["wait"]).fit(X)
    assert encoder.unseen_categories(X) == {}
    assert encoder.transform(X)[:, -3:].sum(axis=0).tolist() == [10.0, 10.0, 10.0]


def test_a_period_column_read_with_the_pyarrow_backend_is_the_same_date(tmp_path):
    # read_parquet(dtype_backend="pyarrow") gives pandas' period as a pyarrow extension
    # type: fit failed inside pyarrow ("Function 'unique' has no kernel")
    pytest.importorskip("pyarrow")
    months = pd.period_range("2019-01", periods=60, freq="M")
    pd.DataFrame({"month": months, "x": np.arange(60.0)}).to_parquet(tmp_path / "t.parquet")
    arrow = pd.read_parquet(tmp_path / "t.parquet", dtype_backend="pyarrow")
    plain = pd.read_parquet(tmp_path / "t.parquet")
    encoder = TabularEncoder().fit(arrow)
    assert encoder.column_kinds_ == ["datetime", "numeric"]
    np.testing.assert_array_equal(
        encoder.transform(arrow), TabularEncoder().fit(plain).transform(plain)
    )
