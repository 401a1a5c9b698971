"""Fitting on a Dask DataFrame, streamed (issue 34): one pass, then training from partitions.

The streamed encoder agrees with the in-memory one (categories exactly,
quantiles within the sample's stated rank error); a streamed fit is
reproducible, scores as an in-memory fit does, keeps validation rows aside,
exports and saves as any fitted model; what it cannot do is refused by name.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from sknn import NeuralNetClassifier, NeuralNetRegressor, TabularEncoder

dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")

RNG = np.random.default_rng(0)
N = 6000
FRAME = pd.DataFrame(
    {
        "x": RNG.normal(size=N),
        "gap": np.where(RNG.random(N) < 0.2, np.nan, RNG.exponential(size=N)),
        "city": pd.Categorical(RNG.choice(["Oslo", "Lima", "Pune"], size=N)),
        "shop": RNG.choice(["north", "south"], size=N).astype(object),
        "n": RNG.integers(0, 9, size=N),
    }
)
VALUE = pd.Series(
    np.sin(2 * FRAME["x"]) + (FRAME["city"] == "Lima") + 0.1 * RNG.normal(size=N), name="v"
)
LABEL = pd.Series(np.where(VALUE > VALUE.median(), "high", "low"), name="label")
FAST = {"max_iter": 6, "random_state": 0}
# under early_stopping="auto" a regressor's table of at most 20,000 rows is cross-fitted
# in memory (gathered, as its pandas frame is fitted); with a held-out split it streams
STREAMED = {**FAST, "early_stopping": True}


def _lazy(data, parts=6):
    return dd.from_pandas(data, npartitions=parts)


def test_streamed_encoder_knows_every_category_however_rare():
    frame = FRAME.copy()
    frame["shop"] = frame["shop"].astype(object)
    frame.loc[N - 1, "shop"] = "east"  # one row, in the last partition only
    streamed = TabularEncoder().fit(_lazy(frame))
    in_memory = TabularEncoder().fit(frame)
    assert streamed.categories_ == in_memory.categories_
    assert list(streamed.get_feature_names_out()) == list(in_memory.get_feature_names_out())
    # under 100,000 rows the sample is the table: the statistics agree exactly
    np.testing.assert_array_equal(streamed.transform(frame), in_memory.transform(frame))


def test_streamed_encoder_weighs_rows_as_in_memory_and_reads_any_column_name():
    # the sample kept rows of weight 0 whenever the table was smaller than it, and
    # was fitted unweighted; a column named "_key" was overwritten by the sampling keys
    frame = FRAME[["x", "gap", "n"]].rename(columns={"n": "_key"})
    weight = pd.Series(np.where(frame["x"] > 0, 1.0, 0.0) + (frame["_key"] == 3))
    streamed = TabularEncoder().fit(_lazy(frame), sample_weight=_lazy(weight))
    in_memory = TabularEncoder().fit(frame, sample_weight=weight)
    np.testing.assert_array_equal(streamed.transform(frame), in_memory.transform(frame))
    est = NeuralNetRegressor(**STREAMED).fit(
        _lazy(frame), _lazy(VALUE), sample_weight=_lazy(weight)
    )
    np.testing.assert_array_equal(est.encoder_.transform(frame), in_memory.transform(frame))


def test_empty_partitions_and_a_y_chunked_otherwise_than_x():
    da = pytest.importorskip("dask.array")
    lazy, lazy_y = _lazy(FRAME), _lazy(LABEL)
    rows = lazy.index.to_series()
    keep = rows.map_partitions(lambda r: (r < 1000) | (r >= 2000))  # partition 1: no rows
    X, y = lazy[keep], lazy_y[keep]
    assert 0 in [len(part) for part in X.partitions]
    est = NeuralNetClassifier(**FAST).fit(X, y)  # a filter's leftovers: no refusal
    kept = FRAME[(FRAME.index < 1000) | (FRAME.index >= 2000)]
    np.testing.assert_array_equal(est.predict(X).compute(), est.predict(kept))
    assert est.score(X, y) == pytest.approx(est.score(kept, LABEL[kept.index]))
    encoded = TabularEncoder().fit(X).transform(X).compute()
    assert encoded.shape[0] == len(kept)
    # a Dask Array y of another length trained on every other row's target before
    too_long = da.from_array(np.r_[VALUE, VALUE], chunks=2000)
    with pytest.raises(ValueError, match="matching block of y holds 2000 values"):
        NeuralNetRegressor(**STREAMED).fit(_lazy(FRAME, parts=6), too_long)


def test_streamed_quantiles_are_within_the_samples_rank_error():
    n = 160_000  # more rows than the sample keeps
    big = pd.DataFrame({"skewed": RNG.lognormal(size=n), "flat": RNG.uniform(size=n)})
    streamed = TabularEncoder().fit(_lazy(big, parts=8))
    encoded = streamed.transform(big)
    for j, column in enumerate(big.columns):
        # the fitted center is the median: the rank of 0 among the encoded values
        rank = np.mean(encoded[:, j] < 0)
        assert abs(rank - 0.5) < 0.0051, column  # DKW, 99%: sqrt(ln(200) / 200,000)


def test_fit_transform_on_a_dask_frame_is_lazy():
    da = pytest.importorskip("dask.array")
    encoded = TabularEncoder().fit_transform(_lazy(FRAME))
    assert isinstance(encoded, da.Array)
    assert encoded.compute().shape[0] == N


def test_a_streamed_fit_scores_as_an_in_memory_fit_and_is_reproducible():
    streamed = NeuralNetRegressor(**STREAMED).fit(_lazy(FRAME), _lazy(VALUE))
    again = NeuralNetRegressor(**STREAMED).fit(_lazy(FRAME), _lazy(VALUE))
    np.testing.assert_array_equal(streamed.predict(FRAME), again.predict(FRAME))
    other = NeuralNetRegressor(**{**STREAMED, "random_state": 1}).fit(_lazy(FRAME), _lazy(VALUE))
    assert not np.array_equal(streamed.predict(FRAME), other.predict(FRAME))
    in_memory = NeuralNetRegressor(**STREAMED).fit(FRAME, VALUE)
    assert streamed.score(FRAME, VALUE) > in_memory.score(FRAME, VALUE) - 0.02
    # validation rows kept aside: early stopping watched them, intervals are calibrated
    assert streamed.best_epoch_ is not None and len(streamed.validation_scores_) == 6
    assert abs(len(streamed.conformity_scores_) - 0.1 * N) < 4 * np.sqrt(0.09 * N)
    assert streamed.encoder_.categories_ == in_memory.encoder_.categories_


def test_a_streamed_classifier_with_weights_and_several_target_columns():
    weight = pd.Series(RNG.uniform(0.5, 2.0, size=N))
    clf = NeuralNetClassifier(**FAST).fit(_lazy(FRAME), _lazy(LABEL), sample_weight=_lazy(weight))
    assert list(clf.classes_) == ["high", "low"]
    # the labels' dtype as an in-memory fit reads them (it was <U4 from a Dask Series)
    in_memory = NeuralNetClassifier(max_iter=1).fit(FRAME[:50], LABEL[:50])
    assert clf.classes_.dtype == in_memory.classes_.dtype
    assert clf.score(FRAME, LABEL) > 0.85
    targets = pd.DataFrame({"a": VALUE, "b": 100 * VALUE + 5})
    reg = NeuralNetRegressor(**STREAMED).fit(_lazy(FRAME), _lazy(targets))
    assert reg.predict(FRAME[:4]).shape == (4, 2)


def test_a_streamed_model_exports_and_saves_as_any_fitted_model():
    ort = pytest.importorskip("onnxruntime")
    sio = pytest.importorskip("skops.io")
    from sknn.onnx import input_feed, to_onnx

    reg = NeuralNetRegressor(**STREAMED).fit(_lazy(FRAME), _lazy(VALUE))
    graph = to_onnx(reg)
    session = ort.InferenceSession(graph.SerializeToString())
    answer = session.run(None, input_feed(FRAME, model=graph))[0]
    np.testing.assert_allclose(answer.ravel(), reg.predict(FRAME), rtol=1e-4, atol=1e-4)
    blob = sio.dumps(reg)
    loaded = sio.loads(blob, trusted=sio.get_untrusted_types(data=blob))
    np.testing.assert_array_equal(loaded.predict(FRAME), reg.predict(FRAME))
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(reg)).predict(FRAME), reg.predict(FRAME)
    )


def test_balanced_class_weights_come_from_the_exact_class_counts():
    noisy = FRAME["x"] + RNG.normal(scale=0.7, size=N)
    rare = pd.Series(np.where(noisy > 1.6, "rare", "common"))  # about 7% of the rows
    plain = NeuralNetClassifier(**FAST).fit(_lazy(FRAME), _lazy(rare))
    balanced = NeuralNetClassifier(class_weight="balanced", **FAST).fit(_lazy(FRAME), _lazy(rare))
    in_memory = NeuralNetClassifier(class_weight="balanced", **FAST).fit(FRAME, rare)

    def share(est):
        return np.mean(est.predict(FRAME) == "rare")

    assert share(balanced) > 2 * share(plain)
    assert abs(share(balanced) - share(in_memory)) < 0.05


def test_what_a_streamed_fit_cannot_do_is_refused_by_name():
    X, y = _lazy(FRAME), _lazy(VALUE)
    with pytest.raises(TypeError, match="y must be one too"):
        NeuralNetRegressor(**STREAMED).fit(X, VALUE)
    with pytest.raises(TypeError, match="sample_weight must be one too"):
        TabularEncoder().fit(X, sample_weight=np.ones(N))
    with pytest.raises(TypeError, match="from_dask_array"):
        NeuralNetRegressor(**STREAMED).fit(X.to_dask_array(lengths=True), y)
    # a Series, an encoder given an Array, a score against y in memory: AttributeErrors before
    with pytest.raises(TypeError, match=r"X.to_frame\(\)"):
        NeuralNetRegressor(**STREAMED).fit(X["x"], y)
    with pytest.raises(TypeError, match="from_dask_array"):
        TabularEncoder().fit(X[["x", "n"]].to_dask_array(lengths=True))
    fitted = NeuralNetRegressor(max_iter=1, random_state=0).fit(FRAME, VALUE)
    with pytest.raises(TypeError, match="y must be one too"):
        fitted.score(X, VALUE)
    elsewhere = _lazy(LABEL.set_axis(LABEL.index + N))  # an index X's rows do not have
    with pytest.raises(ValueError, match="matched to X by index"):  # was only "missing labels"
        NeuralNetClassifier(**FAST).fit(X, elsewhere)
    # dask's raw AssertionError ("Mismatched divisions"), and weights blamed for their values
    with pytest.raises(ValueError, match="divisions of X but not of y"):
        NeuralNetRegressor(**STREAMED).fit(X.clear_divisions(), y)
    shifted = _lazy(pd.Series(np.ones(N), index=np.arange(N) + 500))
    with pytest.raises(ValueError, match="its index does not match X's"):
        NeuralNetRegressor(**STREAMED).fit(X, y, sample_weight=shifted)
    from torch import nn

    with pytest.raises(ValueError, match="module"):
        NeuralNetRegressor(module=nn.Linear, **STREAMED).fit(X, y)
    # a bad value in any partition, found in the first pass, before training
    counts = pd.Series(np.r_[np.ones(N - 1), -1.0])
    with pytest.raises(ValueError, match="negative"):
        NeuralNetRegressor(loss="poisson", **STREAMED).fit(X, _lazy(counts))
    infinite = FRAME.assign(x=np.r_[FRAME["x"].to_numpy()[:-1], np.inf])
    est = NeuralNetRegressor(**STREAMED)
    with pytest.raises(ValueError, match="inf"):
        est.fit(_lazy(infinite), y)
    assert not hasattr(est, "module_")


def test_partial_fit_and_warm_starts_continue_on_a_dask_dataframe():
    X, y = _lazy(FRAME.iloc[:4000]), _lazy(LABEL.iloc[:4000])
    more_X, more_y = _lazy(FRAME.iloc[4000:]), _lazy(LABEL.iloc[4000:])
    # a first partial_fit names the classes, as in memory; each call is one epoch
    est = NeuralNetClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X, y)
    est.partial_fit(X, y, classes=["high", "low"]).partial_fit(more_X, more_y)
    assert est.n_iter_ == 2 and list(est.classes_) == ["high", "low"]
    assert est.history_[-1]["valid_loss"] is None  # no validation rows held out
    categories = est.encoder_.categories_
    assert est.score(FRAME, LABEL) > 0.8
    # a label the model does not know, anywhere in the partitions, before any training
    odd = LABEL.iloc[4000:].where(LABEL.index[4000:] != N - 1, "odd")
    before = est.predict_proba(FRAME)
    with pytest.raises(ValueError, match="not seen"):
        est.partial_fit(more_X, _lazy(odd))
    np.testing.assert_array_equal(est.predict_proba(FRAME), before)
    assert est.n_iter_ == 2
    with pytest.raises(ValueError, match="not seen"):
        NeuralNetClassifier(**FAST).partial_fit(more_X, _lazy(odd), classes=["high", "low"])
    # a warm start continues the network and its encoder on new partitions
    warm = NeuralNetRegressor(warm_start=True, **STREAMED).fit(X, _lazy(VALUE.iloc[:4000]))
    first, kept = warm.n_iter_, warm.encoder_.categories_
    warm.fit(more_X, _lazy(VALUE.iloc[4000:]))
    assert warm.n_iter_ > first and warm.encoder_.categories_ == kept
    assert warm.score(FRAME, VALUE) > 0.8
    # random_state makes the calls reproducible
    again = NeuralNetClassifier(random_state=0).partial_fit(X, y, classes=["high", "low"])
    again.partial_fit(more_X, more_y)
    assert again.encoder_.categories_ == categories
    np.testing.assert_array_equal(again.predict_proba(FRAME), before)


def test_balanced_class_weights_leave_a_class_named_but_absent_at_one():
    # partial_fit names a class no partition holds: "balanced" weighs the classes
    # present, as in memory, instead of dividing by its count of zero
    X, y = _lazy(FRAME.iloc[:4000]), _lazy(LABEL.iloc[:4000])
    classes = ["high", "low", "unseen"]
    est = NeuralNetClassifier(class_weight="balanced", random_state=0)
    est.partial_fit(X, y, classes=classes)
    assert list(est.classes_) == classes and est.score(FRAME, LABEL) > 0.75


def test_partial_fit_recipes_over_chunks():
    # 1. a streamed fit, then partial_fit on new chunks from any reader (pandas, polars)
    polars = pytest.importorskip("polars")
    est = NeuralNetRegressor(**FAST).fit(_lazy(FRAME.iloc[:4000]), _lazy(VALUE.iloc[:4000]))
    categories, before = est.encoder_.categories_, est.predict(FRAME)
    est.partial_fit(FRAME.iloc[4000:5000], VALUE.iloc[4000:5000])
    est.partial_fit(polars.from_pandas(FRAME.iloc[5000:]), VALUE.iloc[5000:].to_numpy())
    assert est.encoder_.categories_ == categories  # the streamed encoder, kept
    assert not np.array_equal(est.predict(FRAME), before)
    assert est.score(FRAME, VALUE) > 0.8
    # 2. partial_fit from the first chunk on: its encoder is the first chunk's
    lazy_X, lazy_y = _lazy(FRAME), _lazy(VALUE)
    chunked = NeuralNetRegressor(random_state=0)
    for X_part, y_part in zip(lazy_X.partitions, lazy_y.partitions, strict=True):
        chunked.partial_fit(X_part.compute(), y_part.compute())
    assert chunked.n_iter_ == lazy_X.npartitions and chunked.score(FRAME, VALUE) > 0.5


def test_dask_ml_incremental_calls_partial_fit_block_by_block():
    # dask-ml is not in the test extra: it pulls numba and llvmlite; with it installed
    # (dask-ml 2025.1.0 here, by hand), its Incremental wrapper works with sknn
    wrappers = pytest.importorskip("dask_ml.wrappers", reason="dask-ml is not installed")
    X = _lazy(FRAME[["x", "n"]].astype(float))
    incremental = wrappers.Incremental(NeuralNetRegressor(random_state=0)).fit(X, _lazy(VALUE))
    assert incremental.estimator_.n_iter_ == X.npartitions  # one partial_fit a partition
    assert incremental.score(X, _lazy(VALUE)) > 0.3


def test_a_streamed_fit_answers_a_missing_value_it_never_saw_as_an_average_category():
    # a column of more than 8 categories without missing values kept its "missing"
    # embedding row random in a streamed fit: P(yes) from 0.00 to 0.94 by random_state
    rng = np.random.default_rng(0)
    stores = [f"S{k:02d}" for k in range(30)]
    frame = pd.DataFrame({"store": rng.choice(stores, 2000), "x": rng.normal(size=2000)})
    effect = dict(zip(stores, rng.choice([-3, 3], 30), strict=True))
    label = np.where(frame["store"].map(effect) + frame["x"] > 0, "yes", "no")
    lazy_X = dd.from_pandas(frame, npartitions=4)
    lazy_y = dd.from_pandas(pd.Series(label, name="y"), npartitions=4)
    query = pd.DataFrame({"store": pd.Series([None, "S99"], dtype=object), "x": [0.0, 0.0]})
    for seed in range(2):
        est = NeuralNetClassifier(max_iter=3, random_state=seed).fit(lazy_X, lazy_y)
        missing, unseen = est.predict_proba(query)[:, 1]
        assert missing == pytest.approx(unseen, abs=1e-6)  # both at the trained rows' mean


def test_streamed_warm_starts_validate_on_the_rows_the_first_fit_held_out():
    # each warm start drew new validation rows: on coin-flip labels the validation score
    # climbed 0.53 -> 0.79 over six fits, as the network learned the rows it then validated
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(1500, 10)), columns=[f"f{k}" for k in range(10)])
    frame["y"] = rng.integers(0, 2, 1500).astype(str)
    lazy = dd.from_pandas(frame, npartitions=3)
    params = {"warm_start": True, "early_stopping": True, "random_state": 0, "max_iter": 5}
    est = NeuralNetClassifier(
        **params, learning_rate=0.01, lr_schedule="constant", hidden_layer_sizes=(256, 256)
    )
    X_cols = [f"f{k}" for k in range(10)]
    scores = [est.fit(lazy[X_cols], lazy["y"]).best_validation_score_ for _ in range(5)]
    assert max(scores[2:]) < 0.65, scores  # coin flips stay coin flips on unseen rows


def test_a_streamed_warm_start_that_validates_on_rows_it_trained_on_says_so():
    # a streamed fit without validation, continued with early stopping: the rows it
    # now holds out were trained on; so were a streamed holdout's, continued in memory
    X, y = FRAME[["x", "n"]], LABEL
    est = NeuralNetClassifier(**{**STREAMED, "max_iter": 2, "early_stopping": False})
    est.fit(_lazy(X), _lazy(y)).set_params(warm_start=True, early_stopping=True)
    with pytest.warns(UserWarning, match="already trained on.*as a stream draws them"):
        est.fit(_lazy(X), _lazy(y))
    held = NeuralNetClassifier(**{**STREAMED, "max_iter": 2}, warm_start=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*already trained on")
        held.fit(_lazy(X), _lazy(y)).fit(_lazy(X), _lazy(y))  # the same rows held out
    with pytest.warns(UserWarning, match="held out validation_fraction=0.1 of the rows, as a"):
        held.fit(X, y)


def test_streamed_targets_standardized_without_cancellation():
    # prices near a million varying by cents: raw sums of y and y**2 cancelled, the
    # streamed fit took its target scale from rounding noise (R^2 -11 against 0.9998;
    # weighted, a scale 60 times the spread's: 0.994)
    X = FRAME[["x", "n"]]
    y = pd.Series(1e6 + 1e-4 * (2 * FRAME["x"] + FRAME["n"]), name="price")
    fast = {"max_iter": 20, "random_state": 0, "early_stopping": True}
    for weight in (None, pd.Series(1.0 + (FRAME["n"] > 4))):
        lazy_weight = None if weight is None else _lazy(weight)
        in_memory = NeuralNetRegressor(**fast).fit(X, y, sample_weight=weight)
        streamed = NeuralNetRegressor(**fast).fit(_lazy(X), _lazy(y), sample_weight=lazy_weight)
        assert in_memory.score(X, y) > 0.999
        assert streamed.score(X, y) > in_memory.score(X, y) - 0.002


@pytest.mark.parametrize("dtype", ["boolean", "Int64", "category", "string", "bool"])
def test_streamed_classes_are_the_in_memory_fits_values_and_dtype(dtype):
    # nullable and categorical labels: bool or int64 classes_ streamed, float64 in memory;
    # now numpy's bool and int64 for nullable ones both ways, as polars' labels give
    high = VALUE > VALUE.median()
    y = (high.astype(int) if dtype == "Int64" else high).astype(dtype)
    X = FRAME[["x", "n"]]
    fast = {"max_iter": 1, "random_state": 0}
    in_memory = NeuralNetClassifier(**fast).fit(X, y)
    streamed = NeuralNetClassifier(**fast).fit(_lazy(X), _lazy(y))
    assert streamed.classes_.dtype == in_memory.classes_.dtype
    np.testing.assert_array_equal(streamed.classes_, in_memory.classes_)
    assert streamed.predict(X).dtype == in_memory.predict(X).dtype
    assert streamed.predict(_lazy(X)).compute().dtype == in_memory.predict(X).dtype


@pytest.mark.parametrize("class_weight", ["balanced", {"high": 5.0, "low": 1.0}])
def test_streamed_encoder_weighs_rows_by_class_weight_as_in_memory(class_weight):
    # in memory the encoder's medians and spreads weigh each row by its class's weight;
    # streamed they did not (the network's inputs were scaled otherwise)
    X = FRAME[["x", "gap", "n"]]
    y = pd.Series(np.where(FRAME["x"] > 1.0, "high", "low"))  # a rare class, of large x
    fast = {"max_iter": 1, "random_state": 0, "class_weight": class_weight}
    in_memory = NeuralNetClassifier(**fast).fit(X, y)
    streamed = NeuralNetClassifier(**fast).fit(_lazy(X), _lazy(y))
    unweighted = NeuralNetClassifier(max_iter=1, random_state=0).fit(X, y)
    assert not np.allclose(in_memory.encoder_.transform(X), unweighted.encoder_.transform(X))
    # under 100,000 rows the sample is the table: the same statistics
    np.testing.assert_allclose(
        streamed.encoder_.transform(X), in_memory.encoder_.transform(X), rtol=1e-6
    )


def test_streamed_encoder_knows_every_category_of_a_column_whose_type_drifts(tmp_path):
    # Parquet files written apart: a code stored as integers in the first files and as
    # strings in the later ones. The meta said integers, so the pass kept no values and
    # the categories came from the 100,000-row sample: rare codes were unknown.
    rng = np.random.default_rng(1)
    parts = []
    for k in range(4):
        codes = rng.integers(100, 110, size=60_000)
        part = pd.DataFrame({"x": rng.normal(size=len(codes)), "code": codes})
        if k == 0:
            part.loc[7, "code"] = 999  # one row
        if k >= 2:
            part["code"] = part["code"].astype(str).astype(object)
            part.loc[11, "code"] = "RARE"  # one row
        part.to_parquet(tmp_path / f"part{k}.parquet")
        parts.append(part)
    streamed = TabularEncoder().fit(dd.read_parquet(tmp_path))
    in_memory = TabularEncoder().fit(pd.concat(parts, ignore_index=True))
    assert {"999", "RARE"} <= set(in_memory.categories_[0])
    assert streamed.categories_ == in_memory.categories_


def test_streamed_encoder_reads_mostly_missing_columns_from_all_their_values():
    # a column observed in 40 rows of 250,000: the 100,000-row sample held about 16 of
    # them, and its median and spread came from those (a centre off by an IQR)
    rng = np.random.default_rng(2)
    n = 250_000
    frame = pd.DataFrame({"x": rng.normal(size=n), "rare": np.nan, "when": pd.NaT})
    rows = rng.choice(n, 40, replace=False)
    frame.loc[rows, "rare"] = rng.normal(loc=50, scale=5, size=40)
    frame.loc[rows[:30], "when"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(
        rng.integers(0, 2000, size=30), unit="D"
    )
    label = pd.Series(np.where(frame["x"] > 1.5, "rare", "common"))

    def sparse_features(encoder, rows_of):  # x, dense, is read from the sample (rank error)
        kept = ["x" not in name for name in encoder.get_feature_names_out()]
        return encoder.transform(rows_of)[:, kept]

    observed = frame.loc[rows]
    streamed = TabularEncoder().fit(_lazy(frame, parts=8))
    in_memory = TabularEncoder().fit(frame)
    np.testing.assert_allclose(
        sparse_features(streamed, observed), sparse_features(in_memory, observed), rtol=1e-6
    )
    # an estimator's encoder weighs them by class_weight, as in memory
    fast = {"max_iter": 1, "random_state": 0, "class_weight": "balanced"}
    X = frame[["x", "rare"]]
    streamed = NeuralNetClassifier(**fast).fit(_lazy(X, parts=8), _lazy(label, parts=8))
    in_memory = NeuralNetClassifier(**fast).fit(X, label)
    np.testing.assert_allclose(
        sparse_features(streamed.encoder_, X.loc[rows]),
        sparse_features(in_memory.encoder_, X.loc[rows]),
        rtol=1e-6,
    )


def test_a_table_small_enough_to_cross_fit_is_fitted_as_its_pandas_frame_is():
    # an in-memory fit of up to 20,000 rows (5,000 for a classifier) cross-fits; a Dask
    # DataFrame of them streamed with a held-out split instead: another, weaker model
    X, y = FRAME.iloc[:3000], VALUE.iloc[:3000]
    in_memory = NeuralNetRegressor(**FAST).fit(X, y)
    gathered = NeuralNetRegressor(**FAST).fit(_lazy(X), _lazy(y))
    assert gathered.n_groups_ == in_memory.n_groups_ == 4
    np.testing.assert_array_equal(gathered.predict(FRAME), in_memory.predict(FRAME))
    labels = LABEL.iloc[:3000]
    clf = NeuralNetClassifier(**FAST).fit(_lazy(X), _lazy(labels))
    np.testing.assert_array_equal(
        clf.predict_proba(FRAME), NeuralNetClassifier(**FAST).fit(X, labels).predict_proba(FRAME)
    )
    # larger, or with a held-out split asked for: streamed
    streamed = NeuralNetRegressor(**STREAMED).fit(_lazy(X), _lazy(y))
    assert streamed.n_groups_ == 1
    assert abs(len(streamed.conformity_scores_) - 300) < 4 * np.sqrt(0.09 * 3000)


def test_streamed_class_weight_is_sample_weight_by_class():
    # the network's bin edges were read from the sample without class weights streamed
    X = FRAME[["x", "gap", "n"]]
    y = pd.Series(np.where(FRAME["x"] > 1.0, "high", "low"))
    weight = pd.Series(np.where(y == "high", 5.0, 1.0))
    by_class = NeuralNetClassifier(class_weight={"high": 5.0, "low": 1.0}, **FAST)
    by_class.fit(_lazy(X), _lazy(y))
    by_row = NeuralNetClassifier(**FAST).fit(_lazy(X), _lazy(y), sample_weight=_lazy(weight))
    # the bug gave probabilities 0.17 apart. The streamed batches' weights are divided by
    # the mean sample weight (1 under class_weight, 1.64 here), a scale each batch's weighted
    # mean cancels but float32 rounds differently: 3e-4 apart after six epochs (numpy 2.4,
    # pandas 3.1, dask 2026.8); in memory both are divided by one mean and agree to the bit
    np.testing.assert_allclose(by_class.predict_proba(X), by_row.predict_proba(X), atol=2e-3)


def test_streamed_embeddings_no_training_row_reached_answer_as_an_unseen_category():
    # a category only in rows of weight 0 trains nothing: in memory its embedding is set
    # to the average category's; streamed, every category seen was taken as trained and
    # kept its random vector (P from 0.13 to 0.87 by random_state alone)
    rng = np.random.default_rng(0)
    levels = np.array([f"k{i}" for i in range(12)])  # more than 8: embedded
    X = pd.DataFrame({"a": rng.normal(size=6000), "c": rng.choice(levels, 6000)})
    X.loc[:19, "c"] = "ghost"
    y = pd.Series(np.where(X["c"].isin(levels[:6]), "p", "n"))
    weight = pd.Series(np.where(X["c"] == "ghost", 0.0, 1.0))
    est = NeuralNetClassifier(max_iter=2, random_state=0, early_stopping=False)
    est.fit(_lazy(X), _lazy(y), sample_weight=_lazy(weight))
    ghost = pd.DataFrame({"a": [0.0], "c": ["ghost"]})
    unseen = est.predict_proba(pd.DataFrame({"a": [0.0], "c": ["never"]}))
    np.testing.assert_allclose(est.predict_proba(ghost), unseen, atol=1e-6)
    # a continued fit bringing new categories says so, as in memory
    more = X.assign(c=np.where(rng.random(6000) < 0.3, "NEW", X["c"]))
    with pytest.warns(UserWarning, match="not seen when the network was built"):
        est.partial_fit(_lazy(more), _lazy(y))


def test_streamed_early_stopping_refuses_a_validation_split_of_one_row():
    # each row held out with chance 0.05: 1.5 of 30 rows on average. Streamed, a draw of
    # none went on without validation, a draw of one validated on that row, silently
    X, y = FRAME.iloc[:30], VALUE.iloc[:30]
    refused = 0
    for seed in range(8):
        est = NeuralNetRegressor(**{**STREAMED, "random_state": seed, "validation_fraction": 0.05})
        try:
            est.fit(_lazy(X, parts=2), _lazy(y, parts=2))
        except ValueError as error:
            assert "too few to judge an epoch by" in str(error)
            refused += 1
        else:
            assert len(est.validation_scores_) == 6 and len(est.conformity_scores_) >= 2
    assert refused > 0


def test_a_one_column_y_is_told_once_streamed_as_in_memory():
    import warnings

    from sklearn.exceptions import DataConversionWarning

    y = LABEL.to_frame()  # a column vector where a 1d array is expected: said once a fit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        NeuralNetClassifier(**FAST).fit(_lazy(FRAME), _lazy(y))
    said = [w for w in caught if issubclass(w.category, DataConversionWarning)]
    assert len(said) == 1


def test_a_gathered_table_continues_keeps_its_categories_and_draws_as_its_pandas_frame(tmp_path):
    X, y = FRAME.iloc[:3000], VALUE.iloc[:3000]
    # a warm start continues the cross-fitted model as in memory (streamed, every group
    # trained on every row and validated on rows it had trained on)
    in_memory = NeuralNetRegressor(warm_start=True, **FAST).fit(X, y).fit(X, y)
    gathered = NeuralNetRegressor(warm_start=True, **FAST).fit(_lazy(X), _lazy(y))
    gathered.fit(_lazy(X), _lazy(y))
    np.testing.assert_array_equal(gathered.predict(FRAME), in_memory.predict(FRAME))
    assert gathered.validation_scores_ == in_memory.validation_scores_
    # a RandomState given as random_state: the gathered fit drew as the pandas fit does
    seeded = {"max_iter": 6, "random_state": np.random.RandomState(0)}
    from_pandas = NeuralNetRegressor(**seeded).fit(X, y).predict(FRAME)
    seeded["random_state"] = np.random.RandomState(0)
    from_dask = NeuralNetRegressor(**seeded).fit(_lazy(X), _lazy(y)).predict(FRAME)
    np.testing.assert_array_equal(from_dask, from_pandas)
    # Parquet files of their own category sets (unknown categories): still categorical
    rng = np.random.default_rng(3)
    for k in range(4):
        stores = rng.choice([10 * k + j for j in range(12)], size=500)
        part = pd.DataFrame({"x": rng.normal(size=500), "store": pd.Categorical(stores)})
        part.assign(v=part["x"] + (part["store"].astype(int) % 3)).to_parquet(
            tmp_path / f"part{k}.parquet"
        )
    ddf = dd.read_parquet(tmp_path)
    computed = ddf.compute()
    est = NeuralNetRegressor(**FAST).fit(ddf[["x", "store"]], ddf["v"])
    in_memory = NeuralNetRegressor(**FAST).fit(computed[["x", "store"]], computed["v"])
    assert est.encoder_.column_kinds_ == in_memory.encoder_.column_kinds_ == ["numeric", "code"]
    np.testing.assert_allclose(
        est.predict(ddf[["x", "store"]]).compute(), in_memory.predict(computed[["x", "store"]])
    )


def test_categorical_features_named_on_a_dask_dataframe():
    # names were refused ("X has no string column names"): the pass asked the new encoder
    NAMED = ["city", "shop", "n"]
    streamed = NeuralNetClassifier(categorical_features=NAMED, **FAST)
    streamed.fit(_lazy(FRAME), _lazy(LABEL))
    in_memory = NeuralNetClassifier(categorical_features=NAMED, **FAST).fit(FRAME, LABEL)
    assert streamed.encoder_.column_kinds_ == in_memory.encoder_.column_kinds_
    assert streamed.encoder_.column_kinds_[-1] in ("onehot", "code")


def test_a_streamed_fit_leaves_the_warning_filters_as_it_found_them():
    # Dask computes partitions on a thread, where scikit-learn's and Dask's own
    # catch_warnings, interleaved with the main thread's (a callback's here), left
    # filters behind in the user's process ("error" for numpy's ComplexWarning)
    import time
    import warnings

    from sknn.training import Callback

    class Quiet(Callback):
        def on_batch_end(self, *args, **kwargs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                time.sleep(0.002)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        before = list(warnings.filters)
        X, y = pd.concat([FRAME] * 3, ignore_index=True), pd.concat([LABEL] * 3, ignore_index=True)
        est = NeuralNetClassifier(
            max_iter=3, random_state=0, early_stopping=True, batch_size=64, callbacks=[Quiet()]
        )
        est.fit(_lazy(X, parts=60), _lazy(y, parts=60))
        assert list(warnings.filters) == before


def test_booleans_dask_made_strings_are_told_with_the_fix():
    # Dask turns a pandas object column of booleans (with None) into strings: it fitted as
    # a category 'True'/'False' without a word, and the pandas frame's booleans then met
    # it as categories never seen
    flag = pd.Series(np.where(FRAME["x"] > 0, True, False), dtype=object)
    flag[::9] = None
    frame = FRAME[["x", "n"]].assign(flag=flag)
    with pytest.warns(UserWarning, match=r"'flag'.*astype\('boolean'\)"):
        TabularEncoder().fit(_lazy(frame))
    with pytest.warns(UserWarning, match=r"'flag'.*astype\('boolean'\)"):  # gathered, or streamed
        NeuralNetRegressor(**FAST).fit(_lazy(frame), _lazy(VALUE))
    with pytest.warns(UserWarning, match=r"'flag'.*astype\('boolean'\)"):
        NeuralNetRegressor(**STREAMED).fit(_lazy(frame), _lazy(VALUE))
    fixed = frame.assign(flag=frame["flag"].astype("boolean"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoder = TabularEncoder().fit(_lazy(fixed))
        assert encoder.column_kinds_ == TabularEncoder().fit(frame).column_kinds_
        encoder.transform(frame)  # the pandas frame's booleans are met as booleans


def test_dates_declared_categorical_are_the_in_memory_fits_categories(tmp_path):
    # the pass kept each partition's raw values: integer nanoseconds for datetime64[ns],
    # datetime.date from Parquet's date32, so every day was unseen, on the training rows too
    pa = pytest.importorskip("pyarrow")
    import datetime

    day = pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])[np.arange(N) % 3])
    frame = FRAME[["x"]].assign(day=day)
    dates = pa.array([datetime.date(2024, 1, 1 + i % 3) for i in range(N)], pa.date32())
    pa.parquet.write_table(pa.table({"x": FRAME["x"], "date": dates}), tmp_path / "t.parquet")
    for lazy in (_lazy(frame), dd.read_parquet(tmp_path / "t.parquet")):
        named = lazy.columns[-1]
        streamed = TabularEncoder(categorical_features=[named]).fit(lazy)
        pandas_frame = lazy.compute()
        in_memory = TabularEncoder(categorical_features=[named]).fit(pandas_frame)
        assert streamed.categories_ == in_memory.categories_
        assert streamed.unseen_categories(pandas_frame) == {}
        np.testing.assert_array_equal(
            streamed.transform(pandas_frame)[:, -3:], in_memory.transform(pandas_frame)[:, -3:]
        )


def test_a_flag_stored_as_booleans_in_one_file_and_integers_in_others_is_a_number(tmp_path):
    # the pass called it "mixed": categories 'False'/'True' (a set merges 0/1 into them),
    # every 0/1 row unseen, a warning that it held "integer objects"
    flag = (FRAME["x"] > 0).to_numpy()
    for k in range(3):
        rows = slice(k * 200, (k + 1) * 200)
        part = pd.DataFrame({"x": FRAME["x"][rows], "flag": flag[rows]})
        (part if k == 0 else part.astype({"flag": int})).to_parquet(tmp_path / f"{k}.parquet")
    lazy = dd.read_parquet(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        streamed = TabularEncoder().fit(lazy)
    in_memory = TabularEncoder().fit(lazy.compute())
    assert streamed.column_kinds_ == in_memory.column_kinds_ == ["numeric", "numeric"]


def test_dates_and_decimals_dask_made_strings_are_told_with_the_fix():
    # dd.from_pandas makes object columns strings: datetime.date and Decimal objects were
    # fitted as categories without a word (5 levels: below the dates-as-strings advice),
    # then the pandas frame's dates and Decimals were all unseen (probabilities 0.36 off)
    import datetime
    import decimal

    import dask

    k = np.arange(N) % 5
    frame = FRAME[["x"]].assign(
        day=[datetime.date(2024, 1 + int(i), 1) for i in k],
        price=[decimal.Decimal(f"{i}.50") for i in k],
    )
    with pytest.warns(UserWarning, match=r"'day'.*read as dates.*convert-string") as caught:
        encoder = TabularEncoder().fit(_lazy(frame))
    assert any("'price'" in str(w.message) and "as numbers" in str(w.message) for w in caught)
    assert encoder.column_kinds_ == ["numeric", "onehot", "onehot"]
    with dask.config.set({"dataframe.convert-string": False}):  # the fix the warning names
        kept = _lazy(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        encoder = TabularEncoder().fit(kept)
        assert encoder.column_kinds_ == TabularEncoder().fit(frame).column_kinds_
        np.testing.assert_array_equal(
            encoder.transform(frame), TabularEncoder().fit(frame).transform(frame)
        )


def test_a_dask_table_left_empty_by_a_filter_is_refused_as_an_empty_frame():
    # the encoder fitted zero rows (warning every column all-missing); the classifier said
    # "sample_weight sums to zero" though no weight was given
    lazy = _lazy(FRAME.assign(label=LABEL))
    empty = lazy[lazy["x"] > 100]
    with pytest.raises(ValueError, match="0 rows.*TabularEncoder"):
        TabularEncoder().fit(empty[["x", "city"]])
    with pytest.raises(ValueError, match="0 rows.*NeuralNetClassifier"):
        NeuralNetClassifier(**STREAMED).fit(empty[["x", "city"]], empty["label"])


def test_a_rare_count_missed_by_the_sample_is_no_column_of_zeros():
    # two counts among 300,000 rows: the 100,000-row sample held none, and the fit was
    # refused as "0 on every (weighted) row", which only the sample was
    rng = np.random.default_rng(0)
    n = 300_000
    frame = pd.DataFrame(rng.normal(size=(n, 2)).astype(np.float32), columns=["a", "b"])
    frame["claims"] = 0.0
    frame.loc[[17, n - 5], "claims"] = 4.0
    lazy = _lazy(frame, parts=3)
    params = {"loss": "poisson", "max_iter": 1, "hidden_layer_sizes": (8,), "n_ensemble": 1}
    est = NeuralNetRegressor(random_state=0, **params).fit(lazy[["a", "b"]], lazy["claims"])
    assert np.all(est.predict(frame[["a", "b"]].head()) > 0)


def test_targets_a_loss_cannot_model_are_counted_in_their_partition_and_said_so():
    # the count was one partition's (723 of 2,908 zeros) and read as the whole of y's
    y = pd.Series(np.where(FRAME["x"] > 0, 1.0 + FRAME["x"], 0.0), name="amount")
    with pytest.raises(ValueError, match=r"In one partition of y: .*values at or below 0"):
        NeuralNetRegressor(loss="gamma", **FAST).fit(_lazy(FRAME[["x", "n"]]), _lazy(y))
