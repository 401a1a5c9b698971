"""Every input predict accepts, served by the exported graph fed by input_feed (issue 31).

For each input type and dtype: the graph from ``to_onnx`` (with and without
``X_sample``), fed by ``input_feed``, gives ``predict``'s labels exactly and
``predict_proba``'s probabilities within 1e-4; or ``to_onnx`` refuses at
export, naming the column.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from sknn import MLPClassifier, NeuralNetClassifier, NeuralNetRegressor

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
from sknn.onnx import input_feed, to_onnx  # noqa: E402

N = 40
RNG = np.random.default_rng(0)
y = np.arange(N) % 2
NUMBERS = RNG.normal(size=N)


def frame(column):
    """A float column and the column under test, named "c"."""
    return pd.DataFrame({"a": NUMBERS, "c": column})


def outputs(model, feed):
    session = ort.InferenceSession(model.SerializeToString())
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feed), strict=True))


def feeds(X, model, est):
    """input_feed following the graph, following the estimator, and by convention alone."""
    return {
        "graph": input_feed(X, model=model),
        "estimator": input_feed(X, model=est),
        "convention": input_feed(X),
    }


def assert_serves(est, X, X_sample):
    """Fit on X, export with and without X_sample: every feed gives predict and predict_proba."""
    est.fit(X, y)
    models = [to_onnx(est), to_onnx(est, X_sample)]
    inputs = [[(i.name, i.type) for i in m.graph.input] for m in models]
    assert inputs[0] == inputs[1]  # the encoder decides, not the sample
    for model in models:
        for how, feed in feeds(X, model, est).items():
            out = outputs(model, feed)
            if "probabilities" in out:
                proba = est.predict_proba(X)
                np.testing.assert_allclose(out["probabilities"], proba, atol=1e-4, err_msg=how)
                np.testing.assert_array_equal(out["label"], est.predict(X), err_msg=how)
            else:
                pred = est.predict(X).reshape(out["variable"].shape)
                np.testing.assert_allclose(out["variable"], pred, atol=1e-4, err_msg=how)
    return models[0]


def with_missing(values, dtype, at=(3, 17)):
    array = pd.array(values, dtype=dtype)
    for i in at:
        array[i] = pd.NA
    return array


def classifier():
    return NeuralNetClassifier(max_iter=2, random_state=0)


def test_nullable_int64_with_missing_values():
    X = frame(with_missing(RNG.integers(0, 5, N), "Int64"))
    model = assert_serves(classifier(), X, X.head())
    assert {i.name: i.type.tensor_type.elem_type for i in model.graph.input} == {
        "a": onnx.TensorProto.FLOAT,
        "c": onnx.TensorProto.FLOAT,
    }


def test_nullable_boolean_with_missing_values():
    X = frame(with_missing(RNG.random(N) < 0.5, "boolean"))
    assert_serves(classifier(), X, X.head())


@pytest.mark.parametrize("dtype", ["int64", "int8", "uint16", "bool", "float32"])
def test_plain_numeric_and_boolean_dtypes(dtype):
    X = frame((RNG.integers(0, 3, N)).astype(dtype))
    assert_serves(classifier(), X, X.head())


def test_integer_column_exported_without_a_sample_takes_floats():
    X = frame(RNG.integers(0, 5, N))
    model = assert_serves(classifier(), X, X.head())
    assert input_feed(X, model=model)["c"].dtype == np.float32


def test_object_column_of_numbers_with_none():
    column = pd.Series(RNG.normal(size=N), dtype=object)
    column[4] = None
    assert_serves(classifier(), frame(column), frame(column).head())


def test_strings_categories_and_mixed_objects_with_missing_values():
    city = RNG.choice(["oslo", "rome", "lima"], N).astype(object)
    city[::9] = None
    mixed = np.array(["x", 1, 2.5, "y"] * (N // 4), dtype=object)
    X = pd.DataFrame(
        {
            "a": NUMBERS,
            "city": city,
            "color": pd.Categorical(RNG.choice(["red", "blue"], N)),
            "level": pd.Categorical(RNG.integers(1, 4, N)),  # numeric categories
        }
    )
    X["mixed"] = mixed
    est = classifier()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the mixed column's warning
        model = assert_serves(est, X, X.head())
    types = {i.name: i.type.tensor_type.elem_type for i in model.graph.input}
    assert {types[c] for c in ("city", "color", "level", "mixed")} == {onnx.TensorProto.STRING}
    unseen = X.head(3).assign(city=["paris", None, "oslo"])
    out = outputs(model, input_feed(unseen, model=model))
    np.testing.assert_allclose(out["probabilities"], est.predict_proba(unseen), atol=1e-4)
    np.testing.assert_array_equal(out["label"], est.predict(unseen))


def test_integer_column_names_take_one_matrix():
    X = pd.DataFrame(RNG.normal(size=(N, 3)))
    model = assert_serves(classifier(), X, X.head())
    assert [i.name for i in model.graph.input] == ["X"]
    assert input_feed(X)["X"].shape == (N, 3)


def test_integer_column_names_with_a_string_column_are_refused_by_name():
    X = pd.DataFrame({0: NUMBERS, 1: RNG.choice(["u", "v"], N).astype(object)})
    est = classifier().fit(X, y)
    with pytest.raises(ValueError, match="'x1'.*string column names"):
        to_onnx(est)


def test_polars_frame_with_nulls_and_strings():
    pl = pytest.importorskip("polars")
    city = RNG.choice(["oslo", "rome"], N).tolist()
    city[5] = None
    ints = RNG.integers(0, 5, N).tolist()
    ints[2] = None
    X = pl.DataFrame({"a": NUMBERS, "n": ints, "city": city})
    assert_serves(classifier(), X, X.head())


def test_pyarrow_table():
    pa = pytest.importorskip("pyarrow")
    X = pa.Table.from_pandas(frame(RNG.integers(0, 5, N)))
    model = assert_serves(classifier(), X, X.slice(0, 5))
    assert [i.name for i in model.graph.input] == ["a", "c"]


def test_regressor_on_nullable_and_object_columns():
    column = pd.Series(RNG.normal(size=N), dtype=object)
    column[1] = None
    X = frame(with_missing(RNG.integers(0, 5, N), "Int64")).assign(o=column)
    est = NeuralNetRegressor(max_iter=2, random_state=0)
    assert_serves(est, X, X.head())


def test_regressor_on_polars():
    pl = pytest.importorskip("polars")
    X = pl.from_pandas(frame(RNG.integers(0, 5, N)))
    assert_serves(NeuralNetRegressor(max_iter=2, random_state=0), X, X.head())


def test_drop_in_on_a_dataframe_takes_one_input_per_column():
    X = frame(RNG.integers(0, 5, N)).assign(flag=RNG.random(N) < 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the drop-in does not converge in 5 iterations
        model = assert_serves(MLPClassifier(max_iter=5, random_state=0), X, X.head())
    assert [i.name for i in model.graph.input] == ["a", "c", "flag"]


def test_drop_in_on_an_array_keeps_one_matrix():
    X = RNG.normal(size=(N, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = assert_serves(MLPClassifier(max_iter=5, random_state=0), X, X[:5])
    assert [i.name for i in model.graph.input] == ["X"]


def test_an_array_fed_to_a_graph_of_columns_goes_by_position():
    X = frame(RNG.integers(0, 5, N))
    est = classifier().fit(X, y)
    model = to_onnx(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # predict on an array without names
        expected = est.predict_proba(X.to_numpy())
    out = outputs(model, input_feed(X.to_numpy(), model=model))
    np.testing.assert_allclose(out["probabilities"], expected, atol=1e-4)


@pytest.mark.parametrize(
    "column",
    [
        pd.date_range("2024-01-01", periods=N, freq="D"),
        pd.date_range("2024-01-01", periods=N, freq="h", tz="UTC"),
        pd.to_timedelta(np.arange(N), unit="s"),
    ],
    ids=["datetime", "tz-aware datetime", "timedelta"],
)
# 40 days beside 1970's 20,000: float32 rounds them by more than 1e-4 of their spread, told
@pytest.mark.filterwarnings("ignore:Columns \\['when'\\] hold values so large")
def test_datetime_and_timedelta_columns_are_served(column):
    # refused at export before (tests/test_onnx_dates.py covers their arithmetic)
    X = pd.DataFrame({"a": NUMBERS, "when": column})
    assert_serves(classifier(), X, X.head())


def test_a_column_the_graph_needs_is_named_when_absent():
    X = frame(RNG.integers(0, 5, N))
    model = to_onnx(classifier().fit(X, y))
    with pytest.raises(ValueError, match=r"\['c'\]"):
        input_feed(X[["a"]], model=model)


def test_strings_for_a_float_input_are_refused_by_name():
    X = frame(RNG.integers(0, 5, N))
    model = to_onnx(classifier().fit(X, y))
    with pytest.raises(ValueError, match="'c'"):
        input_feed(X.assign(c="five"), model=model)


def test_skl2onnx_graph_with_int64_inputs_is_followed_and_refuses_missing_values():
    skl2onnx = pytest.importorskip("skl2onnx")
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    X = frame(RNG.integers(0, 5, N))
    est = classifier().fit(X, y)
    types = [("a", FloatTensorType([None, 1])), ("c", Int64TensorType([None, 1]))]
    model = skl2onnx.to_onnx(est, initial_types=types, options={"zipmap": False})
    feed = input_feed(X, model=model)
    assert feed["c"].dtype == np.int64
    out = outputs(model, feed)
    np.testing.assert_array_equal(out["label"], est.predict(X))
    np.testing.assert_allclose(out["probabilities"], est.predict_proba(X), atol=1e-4)
    with pytest.raises(ValueError, match="'c' has missing values"):
        input_feed(frame(with_missing(RNG.integers(0, 5, N), "Int64")), model=model)


@pytest.mark.parametrize("est", [classifier(), MLPClassifier(max_iter=5, random_state=0)])
def test_skl2onnx_column_transformer_with_pandas_output_before_sknn(est):
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from sknn.onnx import initial_types

    X = frame(RNG.integers(0, 5, N)).assign(s=RNG.choice(["u", "v", "w"], N).astype(object))
    columns = ColumnTransformer(
        [("num", StandardScaler(), ["a", "c"]), ("cat", OneHotEncoder(sparse_output=False), ["s"])]
    ).set_output(transform="pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the drop-in does not converge in 5 iterations
        pipe = Pipeline([("columns", columns), ("net", est)]).fit(X, y)
    model = skl2onnx.to_onnx(pipe, initial_types=initial_types(X), options={"zipmap": False})
    for feed in (input_feed(X, model=model), input_feed(X)):
        out = outputs(model, feed)
        np.testing.assert_array_equal(out["label"], pipe.predict(X))
        np.testing.assert_allclose(out["probabilities"], pipe.predict_proba(X), atol=1e-4)


class Embedded(torch.nn.Module):
    """A user's module fed integer ids."""

    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(10, 4)
        self.linear = torch.nn.Linear(12, 2)

    def forward(self, x):
        return self.linear(self.embedding(x).flatten(1))


def test_a_user_module_fed_integers_gets_them_as_int64():
    X = RNG.integers(0, 10, (N, 3))
    est = NeuralNetClassifier(module=Embedded, max_iter=2, random_state=0).fit(X, y)
    model = to_onnx(est, X[:3])
    for feed in (input_feed(X, model=model), input_feed(X, model=est)):
        assert feed["X"].dtype == np.int64
        out = outputs(model, feed)
        np.testing.assert_allclose(out["probabilities"], est.predict_proba(X), atol=1e-4)
        np.testing.assert_array_equal(out["label"], est.predict(X))


@pytest.mark.parametrize(
    ("at_fit", "served"),
    [
        (np.arange(N) % 3, [1.0, 2.0, np.nan]),  # ints at fit, floats (a NaN) served
        (np.where(np.arange(N) == 0, np.nan, np.arange(N) % 3), [1, 2, 0]),  # and back
        (np.arange(N) % 2 == 0, [1, 0, 1]),  # booleans at fit, 0/1 served
        (pd.Series(["x", 1.0, 2] * 13 + ["x"], dtype=object), [1, 2.0, "x"]),  # by str form
    ],
    ids=["ints-then-floats", "floats-then-ints", "bools-then-0/1", "mixed"],
)
def test_a_categorical_column_reads_its_numbers_by_value_as_predict_does(at_fit, served):
    # 1 and 1.0 (and True and 1) read as the same category in predict; the graph read
    # "1" and "1.0" as strings: every row unseen, silently
    est = NeuralNetClassifier(categorical_features=["c"], max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the mixed column's warning
        est.fit(frame(at_fit), y)
    X_new = pd.DataFrame({"a": NUMBERS[:3], "c": pd.Series(served, dtype=object)})
    X_new["c"] = X_new["c"].infer_objects()
    assert est.encoder_.unseen_categories(X_new) == {}  # predict finds every one
    model = to_onnx(est)
    out = outputs(model, input_feed(X_new, model=model))
    np.testing.assert_allclose(out["probabilities"], est.predict_proba(X_new), atol=1e-4)
    np.testing.assert_array_equal(out["label"], est.predict(X_new))


def test_string_categories_alike_as_numbers_and_blanks_read_as_predict_reads_them():
    # the graph gave "01" the alias "1", so the category "1" was read as "01" (0.999
    # against predict's 0.002); and it read "" as missing where predict read it unseen
    rng = np.random.default_rng(0)
    codes = [f"{i:02d}" for i in range(12)] + ["1", "2"]  # embedded: more than 8
    X = pd.DataFrame({"a": rng.normal(size=400), "c": rng.choice(codes, 400)})
    X.loc[::7, "c"] = None  # missing values at fit: their own trained code
    target = X["c"].isin(["01", "03", "05"]).to_numpy().astype(int)
    est = NeuralNetClassifier(max_iter=20, random_state=0).fit(X, target)
    served = pd.DataFrame({"a": [0.0] * 5, "c": ["01", "1", "3", "", None]})
    assert est.encoder_.unseen_categories(served) == {"c": ["3"]}  # "" is missing
    model = to_onnx(est)
    out = outputs(model, input_feed(served, model=model))
    expected = est.predict_proba(served)
    np.testing.assert_allclose(out["probabilities"], expected, atol=1e-4)
    assert expected[0, 1] > 0.5 > expected[1, 1]  # "01" and "1" apart
    np.testing.assert_array_equal(expected[3], expected[4])  # "" answered as missing


@pytest.mark.parametrize("name", ["label", "probabilities", "_numbers", "a_cast"])
def test_a_column_named_as_a_value_of_the_graph_is_refused_by_name(name):
    # onnx's "Cant merge two graphs with overlapping names ... add_prefix" before
    X = frame(RNG.choice(["p", "q"], N)).rename(columns={"c": name})
    est = NeuralNetClassifier(max_iter=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=rf"Columns \['{name}'\] are named as values"):
        to_onnx(est)
    ok = X.rename(columns={name: "labels"})  # a name near one is fine
    to_onnx(NeuralNetClassifier(max_iter=1, random_state=0).fit(ok, y))


# ------------------------------------------- numbers large beside their spread
IDS = pd.DataFrame(
    {
        "id": 1e9 + RNG.integers(0, 1000, size=400).astype(float),
        "seconds": 1.7e9 + RNG.uniform(0, 86_400, size=400),
        "x": RNG.normal(size=400),
        "shop": RNG.choice(["north", "south", "east"], size=400),
    }
)
WAVY = np.sin((IDS["id"] - 1e9) / 100) + np.cos((IDS["seconds"] - 1.7e9) / 20_000) + IDS["x"]


def test_float64_inputs_keep_the_digits_float32_rounds_and_float32_warns():
    # ids near 1e9 with a spread of 1000 lose 1/16 of it in float32: the float32
    # graph answered up to 0.35 away from predict (targets of spread ~2), silently
    reg = NeuralNetRegressor(max_iter=20, random_state=0).fit(IDS, WAVY)
    with pytest.warns(UserWarning, match=r"\['id', 'seconds'\].*numeric_inputs='float64'"):
        to_onnx(reg)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graph = to_onnx(reg, numeric_inputs="float64")
    feed = input_feed(IDS[:5], model=graph)
    assert feed["id"].dtype == np.float64 and feed["shop"].dtype == object
    variable = outputs(graph, feed)["variable"].ravel()
    np.testing.assert_allclose(variable, reg.predict(IDS[:5]), rtol=1e-5, atol=1e-5)
    # a model fitted on an array takes one float64 matrix
    on_array = NeuralNetRegressor(max_iter=5, random_state=0).fit(IDS[["id", "x"]].to_numpy(), WAVY)
    matrix = to_onnx(on_array, numeric_inputs="float64")
    X = IDS[["id", "x"]].to_numpy()[:5]
    got = outputs(matrix, input_feed(X, model=matrix))["variable"].ravel()
    np.testing.assert_allclose(got, on_array.predict(X), rtol=1e-5, atol=1e-5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_float64_drop_ins_answer_as_scikit_learn_to_the_last_digits():
    X = np.column_stack([NUMBERS, NUMBERS**2])
    labels = np.column_stack([NUMBERS > 0, NUMBERS**2 > 1])  # multilabel: the 0.5 threshold
    for est, target in [
        (MLPClassifier(max_iter=30, random_state=0), y),
        (MLPClassifier(max_iter=30, random_state=0), labels),
    ]:
        est.fit(X, target)
        graph = to_onnx(est, numeric_inputs="float64")
        got = outputs(graph, input_feed(X, model=graph))
        np.testing.assert_allclose(got["probabilities"], est.predict_proba(X), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(got["label"], est.predict(X))


def test_numeric_inputs_is_checked_and_refused_for_a_users_module():
    reg = NeuralNetRegressor(max_iter=2, random_state=0).fit(frame(NUMBERS), NUMBERS)
    with pytest.raises(ValueError, match="'float32' or 'float64'"):
        to_onnx(reg, numeric_inputs="float16")
    module = torch.nn.Linear(2, 1)
    custom = NeuralNetRegressor(module=module, max_iter=2).fit(frame(NUMBERS).to_numpy(), NUMBERS)
    with pytest.raises(ValueError, match="user's module"):
        to_onnx(custom, X_sample=frame(NUMBERS).to_numpy(), numeric_inputs="float64")


@pytest.mark.parametrize(
    "fit_dtype, served_dtype", [("float64", "float32"), ("float32", "float64")]
)
def test_float_categories_at_another_float_width_are_served_as_predict_matches_them(
    fit_dtype, served_dtype
):
    # predict matched 0.05 fitted as float64 and served as float32 (polars Float32) or
    # the other way round; the graph keyed them '0.05' and '0.05000000074505806', and
    # every row was a category never seen (probabilities 0.245 off predict's)
    from sknn import TabularEncoder

    X = pd.DataFrame({"rate": np.tile([0.05, 0.07, 0.1, 0.1 + 1e-12], 10)}).astype(fit_dtype)
    encoder = TabularEncoder(categorical_features=["rate"]).fit(X)
    served = pd.DataFrame({"rate": np.array([0.1, 0.05, 0.3, np.nan, 0.07], dtype=served_dtype)})
    model = to_onnx(encoder)
    for feed in (input_feed(served, model=model), input_feed(served, model=encoder)):
        np.testing.assert_array_equal(outputs(model, feed)["variable"], encoder.transform(served))


def test_a_date_column_declared_categorical_is_one_category_a_day_from_every_library():
    # polars and datetime64 columns gave datetimes, pyarrow's to_pandas() datetime.date
    # objects, which equal no datetime: fitted from one, every day from the other was a
    # category never seen (probabilities 0.26 off, a served row without a word), and the
    # graph keyed '2020-01-01' apart from '2020-01-01 00:00:00'
    import datetime

    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    days = pa.array([datetime.date(2020, 1, 1 + int(i % 4)) for i in range(N)], pa.date32())
    table = pa.table({"a": NUMBERS, "day": days})
    forms = [pl.from_arrow(table), table.to_pandas(), pl.from_arrow(table).to_pandas()]
    for fitted_on in forms:
        est = NeuralNetClassifier(categorical_features=["day"], max_iter=2, random_state=0)
        est.fit(fitted_on, y)
        model = to_onnx(est)
        expected = est.predict_proba(fitted_on)
        for X in forms:
            assert est.encoder_.unseen_categories(X) == {}
            np.testing.assert_array_equal(est.predict_proba(X), expected)
            out = outputs(model, input_feed(X, model=model))
            np.testing.assert_allclose(out["probabilities"], expected, atol=1e-5)


def test_periods_and_zoned_days_declared_categorical_are_served_as_predict_reads_them():
    # a Period column named categorical is compared as each period's start by predict,
    # and the feed wrote '2024-04': every row unseen in the graph (probabilities 0.22
    # off); a tz-aware midnight category took a bare date the graph found and predict not
    import datetime

    months = pd.period_range("2024-01", periods=4, freq="M")[np.arange(N) % 4]
    zoned = pd.date_range("2024-01-01", periods=3, tz="Europe/Oslo")[np.arange(N) % 3]
    X = pd.DataFrame({"a": NUMBERS, "month": months, "day": zoned})
    est = NeuralNetClassifier(categorical_features=["month", "day"], max_iter=2, random_state=0)
    model = to_onnx(est.fit(X, y))
    bare = X.assign(day=[datetime.date(2024, 1, 1 + i % 3) for i in range(N)])
    # the same instants in another zone are the same categories to predict; the graph
    # keyed them in the fit's zone alone (every row unseen)
    elsewhere = X.assign(day=X["day"].dt.tz_convert("America/New_York"))
    zones = ["UTC", "Asia/Kolkata", "America/New_York"]  # an object column of mixed zones
    mixed = X.assign(day=pd.Series([d.tz_convert(zones[i % 3]) for i, d in enumerate(X["day"])]))
    for served in (X, bare, elsewhere, mixed):
        out = outputs(model, input_feed(served, model=model))
        np.testing.assert_allclose(out["probabilities"], est.predict_proba(served), atol=1e-5)


def test_a_sparse_matrix_is_fed_dense_and_a_single_row_must_be_2d():
    # pandas read a sparse matrix as a scalar ("Must pass 2-d input. shape=()"); a 1-D
    # row passed through to onnxruntime's "Invalid rank"
    import scipy.sparse as sp

    rows = sp.random(60, 12, density=0.2, format="csr", random_state=0)
    est = NeuralNetRegressor(max_iter=2, random_state=0).fit(rows, RNG.normal(size=60))
    model = to_onnx(est)
    for fed in (rows[:9], rows[:9].tocoo()):
        pred = outputs(model, input_feed(fed, model=model))["variable"].ravel()
        np.testing.assert_allclose(pred, est.predict(rows[:9]), atol=1e-5)
    with pytest.raises(ValueError, match=r"1 dimension.*reshape\(1, -1\)"):
        input_feed(rows[0].toarray().ravel(), model=model)
