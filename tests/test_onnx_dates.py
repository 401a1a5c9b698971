"""Datetime and timedelta columns in the exported graph: int64 nanoseconds in, predict's answer out.

The graph computes a datetime's year, month, day, weekday and hour with
integer arithmetic, in the column's time (a tz-aware instant plus its zone's
UTC offset at that instant), and its days since 1970 and a timedelta's seconds in
float64: the encoded matrix equals ``transform``'s, and the estimators'
answers equal ``predict``'s, over six centuries of dates, leap days, times
before 1970 and missing values; a zone with daylight saving at the second of
each change of offset.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from sknn import NeuralNetClassifier, NeuralNetRegressor, TabularEncoder

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
from sknn.onnx import input_feed, to_onnx  # noqa: E402

PANDAS_2 = int(pd.__version__.split(".")[0]) < 3  # the oldest pandas CI tests (.ci/oldest)

RNG = np.random.default_rng(0)
EDGES = pd.to_datetime(
    [
        "1677-09-21 12:00", "1700-02-28 23:59:59", "1900-02-28", "1900-03-01",
        "1969-12-31 23:30", "1970-01-01", "1999-12-31 12:00", "2000-02-29 06:15",
        "2000-03-01", "2024-02-29 23:00",
        "2100-02-28", "2100-03-01 01:00", "2261-12-31 23:00", "2262-04-10 23:00",
    ],
    format="ISO8601",
)  # fmt: skip
N = 600
_SPAN = pd.Timestamp("1690-01-01").value, pd.Timestamp("2250-12-31").value
WHEN = pd.Series(pd.to_datetime(RNG.integers(*_SPAN, N - len(EDGES))).append(EDGES.as_unit("ns")))
WHEN[::17] = pd.NaT
INSTANTS = pd.Series(pd.to_datetime(RNG.integers(-(10**18), 2 * 10**18, N))).dt.tz_localize("UTC")
TABLE = pd.DataFrame(
    {
        "when": WHEN,
        "utc": INSTANTS,
        "india": INSTANTS.sample(frac=1, random_state=1)
        .reset_index(drop=True)
        .dt.tz_convert("+05:30"),
        "brazil": INSTANTS.dt.tz_convert("-03:00"),
        "oslo": INSTANTS.sample(frac=1, random_state=2)
        .reset_index(drop=True)
        .dt.tz_convert("Europe/Oslo"),
        "wait": pd.to_timedelta(RNG.normal(size=N) * 1e5, unit="s").where(RNG.random(N) > 0.1),
        "x": RNG.normal(size=N),
        "city": RNG.choice(["Oslo", "Lima", "Pune"], N),
    }
)
LABEL = np.where(TABLE["x"] + (TABLE["when"].dt.month > 6) > 0.5, "yes", "no")


def run(model, feed):
    session = ort.InferenceSession(model.SerializeToString())
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feed), strict=True))


@pytest.mark.parametrize("numeric_inputs", ["float32", "float64"])
def test_the_graph_encodes_dates_and_durations_as_transform_does(numeric_inputs):
    encoder = TabularEncoder().fit(TABLE)
    model = to_onnx(encoder, numeric_inputs=numeric_inputs)
    declared = {
        i.name: onnx.TensorProto.DataType.Name(i.type.tensor_type.elem_type)
        for i in model.graph.input
    }
    assert [declared[c] for c in ("when", "utc", "india", "oslo", "wait")] == ["INT64"] * 5
    encoded = run(model, input_feed(TABLE, model=model))["variable"]
    # one day, hour, month or year off would move its scaled feature by 1e-3 or more
    tolerance = 1e-5 if numeric_inputs == "float32" else 1e-6  # transform gives float32
    np.testing.assert_allclose(encoded, encoder.transform(TABLE), atol=tolerance, rtol=0)


def test_the_estimators_graphs_answer_as_predict_from_every_feed():
    clf = NeuralNetClassifier(max_iter=3, random_state=0).fit(TABLE, LABEL)
    reg = NeuralNetRegressor(max_iter=3, random_state=0).fit(TABLE, TABLE["x"] * 2)
    as_text = TABLE.assign(  # ISO 8601 strings are read as predict reads them
        when=TABLE["when"].dt.strftime("%Y-%m-%dT%H:%M:%S"), utc=TABLE["utc"].astype(str)
    )
    for est in (clf, reg):
        model = to_onnx(est)
        for X in (TABLE, as_text):
            for feed in (input_feed(X, model=model), input_feed(X, model=est)):
                out = run(model, feed)
                if est is clf:
                    np.testing.assert_allclose(
                        out["probabilities"], clf.predict_proba(X), atol=1e-5
                    )
                    np.testing.assert_array_equal(out["label"], clf.predict(X))
                else:
                    np.testing.assert_allclose(out["variable"].ravel(), reg.predict(X), atol=1e-4)
        out = run(model, input_feed(TABLE))  # by the convention alone, from the dtypes
        assert np.all(np.isfinite(next(iter(out.values()))))


def test_a_polars_frame_and_a_skl2onnx_pipeline_take_dates_too():
    pl = pytest.importorskip("polars")
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.pipeline import make_pipeline

    from sknn.onnx import initial_types

    X = pl.from_pandas(TABLE.drop(columns=["india", "brazil"]))  # polars names zones only
    clf = NeuralNetClassifier(max_iter=3, random_state=0).fit(X, LABEL)
    out = run(to_onnx(clf), input_feed(X, model=clf))
    np.testing.assert_allclose(out["probabilities"], clf.predict_proba(X), atol=1e-5)
    pipe = make_pipeline(NeuralNetClassifier(max_iter=3, random_state=0)).fit(TABLE, LABEL)
    model = skl2onnx.to_onnx(pipe, initial_types=initial_types(TABLE), options={"zipmap": False})
    out = run(model, input_feed(TABLE, model=model))
    np.testing.assert_allclose(out["probabilities"], pipe.predict_proba(TABLE), atol=1e-5)


def _around_changes(zone: str, every: str = "15min") -> pd.Series:
    """Every quarter hour (or ``every``), and the second before it, in three years of each
    of three eras (the first summer times, changes at midnight UTC that begin a 32-day
    block of the graph's table, and a rule projected into 2200), the first and last weeks
    pandas holds, in ``zone``."""
    years = [
        ("1916-01-01", "1919-01-01"),
        ("2019-01-01", "2022-01-01"),
        ("2200-01-01", "2203-01-01"),
        ("1677-09-21 06:00", "1677-10-25"),
        ("2262-04-01", "2262-04-10"),
    ]
    quarters = pd.DatetimeIndex(
        np.concatenate([pd.date_range(a, b, freq=every, unit="ns").asi8 for a, b in years])
    )
    instants = quarters.append(quarters - pd.Timedelta(seconds=1))
    return pd.Series(instants).dt.tz_localize("UTC").dt.tz_convert(zone)


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/Oslo",
        "America/New_York",
        "Australia/Lord_Howe",  # changes of 30 minutes
        "Asia/Jerusalem",  # 2019-03-29 00:00 UTC begins a block of the table
        pytest.param(  # 2020-10-25 00:00 UTC too, from dateutil
            "dateutil/Europe/Chisinau",
            marks=pytest.mark.skipif(
                PANDAS_2, reason="pandas 2 itself fails on dateutil zones in 1677 and 2262"
            ),
        ),
    ],
)
def test_a_zone_with_daylight_saving_is_served_at_the_hours_predict_reads(zone):
    # refused before, naming tz_convert('UTC'), which changed the hours the model learnt
    # dateutil converts each instant in Python (29 s at quarter hours); Chisinau's changes
    # in these eras fall on the hour (but 1918-02-14 22:05 UTC, which no grid here hits)
    every = "60min" if zone.startswith("dateutil/") else "15min"
    local = pd.concat([_around_changes(zone, every), TABLE["utc"].dt.tz_convert(zone)])
    assert {1677, 1916, 2020, 2201, 2262} <= set(local.dt.year)
    X = pd.DataFrame({"local": local.reset_index(drop=True), "x": RNG.normal(size=len(local))})
    encoder = TabularEncoder().fit(X)
    model = to_onnx(encoder)
    encoded = run(model, input_feed(X, model=model))["variable"]
    # an hour off moves the scaled hour by 0.1; a day, month or year by 1e-3 or more
    np.testing.assert_allclose(encoded, encoder.transform(X), atol=1e-5, rtol=0)


def test_dates_without_column_names_and_a_naive_column_for_an_aware_input_are_refused():
    X = pd.DataFrame({0: TABLE["x"], 1: TABLE["when"]})  # no string names: one float matrix
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        encoder = TabularEncoder().fit(X)
    with pytest.raises(ValueError, match="'x1'.*datetimes.*string column names"):
        to_onnx(encoder)
    aware = TabularEncoder().fit(TABLE[["utc"]])
    with pytest.raises(ValueError, match="'utc' was tz-aware at fit"):
        input_feed(TABLE[["utc"]].assign(utc=TABLE["utc"].dt.tz_localize(None)), model=aware)


@pytest.mark.skipif(PANDAS_2, reason="pandas 2 holds dates in nanoseconds only, to 2262")
def test_dates_beyond_int64_nanoseconds_are_refused_by_name_at_the_feed():
    # pandas 3 reads dates in microseconds: a 9999-12-31 placeholder fits and predicts,
    # and input_feed failed with pandas' bare OutOfBoundsDatetime
    days = pd.Series(pd.to_datetime(["2020-01-01", "2021-06-01", "9999-12-31"] * 20))
    X = pd.DataFrame({"valid_to": days, "x": np.arange(60.0)})
    encoder = TabularEncoder().fit(X)
    to_onnx(encoder)
    with pytest.raises(ValueError, match="'valid_to'.*int64 nanoseconds.*NaT"):
        input_feed(X, model=encoder)


def test_a_date_column_named_categorical_through_skl2onnx_is_told_to_be_a_string_input():
    # initial_types types a date column int64 by its values; a model that reads it as
    # categories refused it naming only "fit on a DataFrame with string column names"
    skl2onnx = pytest.importorskip("skl2onnx")
    from skl2onnx.common.data_types import StringTensorType
    from sklearn.pipeline import make_pipeline

    from sknn.onnx import initial_types

    X = pd.DataFrame(
        {"x": TABLE["x"], "day": pd.date_range("2020-01-01", periods=9)[TABLE.index % 9]}
    )
    clf = NeuralNetClassifier(categorical_features=["day"], max_iter=2, random_state=0)
    pipe = make_pipeline(clf).fit(X, LABEL)
    types = initial_types(X)
    with pytest.raises(ValueError, match=r"'day'.*StringTensorType\(\[None, 1\]\)"):
        skl2onnx.to_onnx(pipe, initial_types=types, options={"zipmap": False})
    types = [(n, StringTensorType([None, 1]) if n == "day" else t) for n, t in types]
    model = skl2onnx.to_onnx(pipe, initial_types=types, options={"zipmap": False})
    out = run(model, input_feed(X, model=model))
    np.testing.assert_allclose(out["probabilities"], pipe.predict_proba(X), atol=1e-5)
