"""Dask collections (issue 34, first part): answers computed partition by partition, lazily.

A fitted flagship estimator or encoder answers a Dask DataFrame or Array with
a lazy Dask Array equal to its answer on the computed data; ``score`` adds up
per-partition sums in one pass; the drop-ins refuse Dask, naming the fix.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from sknn import (
    MLPClassifier,
    MLPRegressor,
    NeuralNetClassifier,
    NeuralNetRegressor,
    TabularEncoder,
)

dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
da = pytest.importorskip("dask.array", reason="the dask extra is not installed")

RNG = np.random.default_rng(0)
N = 400
FRAME = pd.DataFrame(
    {
        "x": RNG.normal(size=N),
        "gap": np.where(RNG.random(N) < 0.2, np.nan, RNG.normal(size=N)),
        "city": pd.Categorical(RNG.choice(["Oslo", "Lima", "Pune"], size=N)),
        "n": RNG.integers(0, 5, size=N),
    }
)
VALUE = FRAME["x"] * 2 + (FRAME["city"] == "Lima") + RNG.normal(scale=0.3, size=N)
LABEL = np.where(VALUE > VALUE.median(), "high", "low")
FAST = {"max_iter": 3, "random_state": 0}


def _lazy(frame, parts=4):
    return dd.from_pandas(frame, npartitions=parts)


@pytest.fixture(scope="module")
def clf():
    return NeuralNetClassifier(**FAST).fit(FRAME, LABEL)


@pytest.fixture(scope="module")
def reg():
    return NeuralNetRegressor(**FAST).fit(FRAME, VALUE)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba"])
def test_classifier_answers_a_dask_frame_lazily_and_equally(clf, method):
    lazy = getattr(clf, method)(_lazy(FRAME))
    assert isinstance(lazy, da.Array)  # nothing computed yet
    expected = getattr(clf, method)(FRAME)
    answer = lazy.compute()
    assert answer.dtype == expected.dtype
    if answer.dtype.kind == "f":
        np.testing.assert_allclose(answer, expected, rtol=1e-6)
    else:
        np.testing.assert_array_equal(answer, expected)


def test_regressor_predictions_and_intervals_on_a_dask_frame(reg):
    lazy = reg.predict(_lazy(FRAME, parts=7))
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), reg.predict(FRAME), rtol=1e-6)
    bounds = reg.predict_interval(_lazy(FRAME), coverage=0.8).compute()
    np.testing.assert_allclose(bounds, reg.predict_interval(FRAME, coverage=0.8), rtol=1e-6)
    bands = NeuralNetRegressor(loss="quantile", quantile=[0.9, 0.1], **FAST).fit(FRAME, VALUE)
    assert bands.predict(_lazy(FRAME)).compute().shape == (N, 2)


def test_a_dask_array_is_answered_by_row_blocks():
    X = FRAME[["x", "n"]].to_numpy(dtype=float)
    est = NeuralNetRegressor(**FAST).fit(X, VALUE)
    # blocks cut across columns too: they are joined into whole rows
    lazy = est.predict(da.from_array(X, chunks=(64, 1)))
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), est.predict(X), rtol=1e-6)


def test_the_encoder_transforms_a_dask_frame_lazily():
    encoder = TabularEncoder().fit(FRAME)
    lazy = encoder.transform(_lazy(FRAME))
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), encoder.transform(FRAME))


def test_scores_are_summed_over_partitions(clf, reg):
    weight = pd.Series(RNG.uniform(0.5, 2.0, size=N))
    X, w = _lazy(FRAME), _lazy(weight)
    assert clf.score(X, _lazy(pd.Series(LABEL))) == pytest.approx(clf.score(FRAME, LABEL))
    assert clf.score(X, _lazy(pd.Series(LABEL)), sample_weight=w) == pytest.approx(
        clf.score(FRAME, LABEL, sample_weight=weight)
    )
    assert reg.score(X, _lazy(VALUE), sample_weight=w) == pytest.approx(
        reg.score(FRAME, VALUE, sample_weight=weight), rel=1e-9
    )


def test_y_is_aligned_with_x_by_index_and_a_missing_target_is_refused(reg):
    # partitioned differently: Dask aligns y with X by index
    assert reg.score(_lazy(FRAME, parts=4), _lazy(VALUE, parts=3)) == pytest.approx(
        reg.score(FRAME, VALUE), rel=1e-9
    )
    uneven = dd.from_pandas(VALUE.iloc[:-10], npartitions=4)
    with pytest.raises(ValueError, match="every row of X"):
        reg.score(_lazy(FRAME), uneven)
    with pytest.raises(TypeError, match="sample_weight must be one too"):
        reg.score(_lazy(FRAME), _lazy(VALUE), sample_weight=np.ones(N))
    bands = NeuralNetRegressor(loss="quantile", quantile=[0.1, 0.9], **FAST).fit(FRAME, VALUE)
    with pytest.raises(ValueError, match="computed sample"):
        bands.score(_lazy(FRAME), _lazy(VALUE))
    with pytest.raises(NotFittedError):
        NeuralNetRegressor().predict(_lazy(FRAME))


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_the_drop_ins_refuse_dask_naming_compute_and_the_flagship(cls):
    X = FRAME[["x", "n"]]
    y = LABEL if cls is MLPClassifier else VALUE
    with pytest.raises(TypeError, match=r"X.compute\(\)"):
        cls(max_iter=2).fit(_lazy(X), y)
    est = cls(max_iter=2, random_state=0)
    with pytest.warns(Warning):  # does not converge in 2 iterations
        est.fit(X, y)
    with pytest.raises(TypeError, match="NeuralNet"):
        est.predict(_lazy(X))
    with pytest.raises(TypeError, match="Dask"):
        est.score(_lazy(X), y)


def test_rows_of_collections_dask_would_pair_by_repeated_labels_are_not_mispaired(tmp_path):
    # Parquet files written each with its own RangeIndex: labels 0..99 in every file.
    # Dask pairs a y that is not computed with X by shuffling on those labels: wrong
    # rows, silently (a score of 0.15 for a model of 0.99 before).
    both = FRAME[["x", "n"]].assign(y=VALUE)
    for name, frame in (("X", both[["x", "n"]]), ("y", both[["y"]]), ("both", both)):
        (tmp_path / name).mkdir()
        for k in range(4):
            part = frame.iloc[k * 100 : (k + 1) * 100].reset_index(drop=True)
            part.to_parquet(tmp_path / name / f"part{k}.parquet")
    X = dd.read_parquet(tmp_path / "X")
    y = dd.read_parquet(tmp_path / "y")["y"]  # files of the same layout: paired file by file
    reg = NeuralNetRegressor(**FAST).fit(FRAME[["x", "n"]], VALUE)
    assert reg.score(X, y) == pytest.approx(reg.score(FRAME[["x", "n"]], VALUE), rel=1e-9)
    fitted = NeuralNetRegressor(**FAST).fit(X, y)
    together = dd.read_parquet(tmp_path / "both")
    np.testing.assert_allclose(
        fitted.predict(FRAME[["x", "n"]]),
        NeuralNetRegressor(**FAST)
        .fit(together[["x", "n"]], together["y"])
        .predict(FRAME[["x", "n"]]),
    )
    with pytest.raises(ValueError, match="not computed together"):
        reg.score(X, y.repartition(npartitions=2))
    with pytest.raises(ValueError, match="not computed together"):
        NeuralNetRegressor(**FAST).fit(X, y.repartition(npartitions=2))
    rebuilt = dd.from_pandas(VALUE, npartitions=4).clear_divisions()  # labels 0..399
    with pytest.raises(ValueError, match="different index labels"):
        reg.score(X, rebuilt)
