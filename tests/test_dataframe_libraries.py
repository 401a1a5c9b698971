"""Tables from polars and pyarrow fit and predict exactly as the equivalent pandas frame."""

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from sknn import NeuralNetClassifier, NeuralNetRegressor, TabularEncoder

pytest.importorskip("polars", reason="polars (test extra) is not installed")

SCRIPT = textwrap.dedent(
    """
    import sys


    class NoPyarrow:  # as on a machine without pyarrow: polars must work anyway
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "pyarrow":
                raise ModuleNotFoundError("No module named 'pyarrow'", name=name)


    sys.meta_path.insert(0, NoPyarrow())
    import numpy as np
    import pandas as pd
    import polars as pl
    from sknn import NeuralNetClassifier

    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    count = rng.integers(0, 5, n).astype(float)
    count[::17] = np.nan
    color = rng.choice(["red", "green", "blue"], n).astype(object)
    color[::13] = None
    shop = rng.choice(["a", "b"], n)
    size = rng.choice(["S", "M", "L"], n)
    y = (x + (color == "red") > 0.5).astype(int)
    polars_frame = pl.DataFrame(
        {
            "x": x,
            "count": pl.Series(count, nan_to_null=True).cast(pl.Int64),
            "color": list(color),
            "shop": pl.Series(shop, dtype=pl.Categorical),
            "size": pl.Series(size, dtype=pl.Enum(["S", "M", "L"])),
        }
    )
    pandas_frame = pd.DataFrame(
        {
            "x": x,
            "count": count,
            "color": color,
            "shop": pd.Categorical(shop),
            "size": pd.Categorical(size),
        }
    )
    params = dict(max_iter=3, random_state=0)
    from_polars = NeuralNetClassifier(**params).fit(polars_frame, y)
    from_pandas = NeuralNetClassifier(**params).fit(pandas_frame, y)
    assert list(from_polars.feature_names_in_) == list(pandas_frame.columns)
    same = np.array_equal(
        from_polars.predict_proba(polars_frame), from_pandas.predict_proba(pandas_frame)
    )
    print("identical:", same)
    """
)


def test_polars_without_pyarrow_gives_the_pandas_results():
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "identical: True" in run.stdout


def test_a_pyarrow_table_gives_the_pandas_results():
    pa = pytest.importorskip("pyarrow", reason="pyarrow (test extra) is not installed")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=200), "kind": rng.choice(["u", "v", "w"], 200).astype(object)}
    )
    y = (frame["x"] > 0).astype(int).to_numpy()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    ours = NeuralNetClassifier(max_iter=2, random_state=0).fit(table, y)
    theirs = NeuralNetClassifier(max_iter=2, random_state=0).fit(frame, y)
    np.testing.assert_array_equal(ours.predict_proba(table), theirs.predict_proba(frame))


def test_a_lazy_polars_frame_is_refused_naming_collect():
    pl = pytest.importorskip("polars")
    lazy = pl.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 0.1, 0.2]}).lazy()
    with pytest.raises(TypeError, match=r"lazy frame \(polars LazyFrame\).*X\.collect\(\)"):
        TabularEncoder().fit(lazy)
    with pytest.raises(TypeError, match=r"X\.collect\(\)"):
        NeuralNetRegressor(max_iter=2).fit(lazy, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("dtype", ["boolean", "Int64", "bool[pyarrow]", "int64[pyarrow]"])
def test_nullable_labels_keep_their_type_as_polars_labels_do(dtype):
    # scikit-learn reads pandas' nullable labels as floats: classes_ were 0.0 and 1.0 and
    # predict answered 1.0, where the same labels from polars or numpy give True or 1
    X = pd.DataFrame({"x": np.arange(40.0)})
    labels = np.arange(40) % 2 == 1
    plain = labels if dtype.startswith(("boolean", "bool")) else labels.astype(np.int64)
    y = pd.Series(plain).astype(dtype)
    est = NeuralNetClassifier(max_iter=2, random_state=0).fit(X, y)
    assert est.classes_.dtype == plain.dtype
    np.testing.assert_array_equal(est.classes_, np.unique(plain))
    assert est.predict(X).dtype == plain.dtype
    assert 0.0 <= est.score(X, y) <= 1.0
    with pytest.raises(ValueError, match="missing"):  # a missing label is still refused
        NeuralNetClassifier(max_iter=1).fit(X, y.where(np.arange(40) != 3))


def test_polars_1_0_is_refused_where_it_would_crash_on_dates(monkeypatch):
    # polars 1.0 dies in a segmentation fault (the session lost, no traceback) when a
    # date, datetime or duration column becomes a numpy 2 array; 1.1 does not
    import datetime

    import polars as pl

    rng = np.random.default_rng(0)
    day = [datetime.date(2024, 1, 1) + datetime.timedelta(int(d)) for d in rng.integers(0, 99, 80)]
    X = pl.DataFrame({"x": rng.normal(size=80), "day": day})
    y = rng.normal(size=80)
    monkeypatch.setattr(pl, "__version__", "1.0.0")
    with pytest.raises(ImportError, match=r"polars 1.0.0 crashes.*\('day'\).*polars>=1.1"):
        NeuralNetRegressor(max_iter=1).fit(X, y)
    NeuralNetRegressor(max_iter=1).fit(X.select("x"), y)  # no dates: nothing to refuse
    monkeypatch.setattr(pl, "__version__", "1.1.0")
    NeuralNetRegressor(max_iter=1).fit(X, y)
