"""Properties over random tables (issue 31, kind 5), checked with hypothesis.

Tables of every dtype the encoder accepts (floats with NaN, integers, bools,
nullable ``Int64``/``boolean`` with ``pd.NA``, categoricals with unused
levels, object and pyarrow strings with missing values) in pandas, polars and
pyarrow containers. For the classifier, the regressor and the drop-ins: the
fit works or refuses clearly; predictions are finite and of the right shape;
probabilities sum to 1 and ``predict`` is ``classes_[argmax]``; shuffled rows
give shuffled predictions; unseen categories predict; the ONNX graph agrees
with ``predict``/``predict_proba`` (or the export refuses naming the column);
a skops round trip predicts identically; a refused refit leaves the previous
predictions unchanged.

CI runs a fixed, derandomized set of examples (``SKNN_PROPERTY_EXAMPLES``,
default 10 per estimator); a longer search: ``SKNN_PROPERTY_EXAMPLES=200
python -m pytest tests/test_properties.py``.
"""

from __future__ import annotations

import os
import traceback

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is in the test extra")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sknn import (  # noqa: E402
    MLPClassifier,
    MLPRegressor,
    NeuralNetClassifier,
    NeuralNetRegressor,
)

EXAMPLES = int(os.environ.get("SKNN_PROPERTY_EXAMPLES", "10"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    # no shrinking: a fit per example makes it minutes long; the failing
    # example is printed as generated
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    report_multiple_bugs=False,
)
NUMERIC_KINDS = ["float", "float_nan", "int", "bool"]
KINDS = [*NUMERIC_KINDS, "Int64_na", "boolean_na", "category", "object_str", "pyarrow_str"]
LEVELS = ["north", "south", "east"]
SMALL = {"hidden_layer_sizes": (8,), "max_iter": 2, "random_state": 0}


def _with_missing(values, rng, missing):
    values = np.asarray(values, dtype=object)
    values[rng.random(len(values)) < 0.15] = missing
    values[0] = missing  # at least one
    return values


def make_column(kind: str, n: int, rng: np.random.Generator):
    """One column of ``n`` values of the given kind."""
    if kind == "float":
        return rng.normal(size=n)
    if kind == "float_nan":
        values = rng.normal(size=n)
        values[rng.random(n) < 0.15] = np.nan
        return values
    if kind == "int":
        return rng.integers(-5, 20, n)
    if kind == "bool":
        return rng.random(n) < 0.5
    if kind == "Int64_na":
        return pd.array(_with_missing(rng.integers(0, 9, n), rng, pd.NA), dtype="Int64")
    if kind == "boolean_na":
        return pd.array(_with_missing(rng.random(n) < 0.5, rng, pd.NA), dtype="boolean")
    if kind == "category":
        return pd.Categorical(rng.choice(LEVELS, n), categories=[*LEVELS, "unused"])
    strings = _with_missing(rng.choice(LEVELS, n), rng, None)
    if kind == "object_str":
        return pd.Series(strings, dtype=object)
    return pd.array(strings, dtype="string[pyarrow]")


def container(frame: pd.DataFrame, kind: str):
    """``frame`` as a pandas, polars or pyarrow table."""
    if kind == "polars":
        pl = pytest.importorskip("polars")
        return pl.from_pandas(frame)
    if kind == "pyarrow":
        pa = pytest.importorskip("pyarrow")
        return pa.Table.from_pandas(frame, preserve_index=False)
    return frame


@st.composite
def tables(draw, kinds=KINDS):
    """A random table (pandas), its container kind, targets and a seed for the checks."""
    n = draw(st.integers(30, 60))
    column_kinds = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=4))
    library = draw(st.sampled_from(["pandas", "polars", "pyarrow"]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {f"{kind}_{i}": make_column(kind, n, rng) for i, kind in enumerate(column_kinds)}
    )
    signal = rng.normal(size=n)
    return frame, library, signal, seed


def assert_refused_clearly(error: BaseException) -> None:
    """A refusal is a ValueError/TypeError raised by sknn or scikit-learn, not from torch."""
    assert isinstance(error, (ValueError, TypeError)), repr(error)
    innermost = traceback.extract_tb(error.__traceback__)[-1].filename
    assert "/torch/" not in innermost, f"raised from inside torch: {error!r}"
    assert len(str(error)) > 20, repr(error)


def fit_or_refuse(est, X, y):
    """The fitted estimator, or None after checking that the refusal is clear."""
    try:
        return est.fit(X, y)
    except (ValueError, TypeError) as error:
        assert_refused_clearly(error)
        return None


def outputs(est, X) -> np.ndarray:
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


def check_predictions(est, X, n: int, y) -> np.ndarray:
    """Finite, well-shaped predictions; probabilities that sum to 1 and agree with predict."""
    out = np.asarray(outputs(est, X))
    labels = np.asarray(est.predict(X))
    assert len(out) == n and len(labels) == n
    if hasattr(est, "predict_proba"):
        assert out.shape == (n, len(est.classes_))
        assert np.isfinite(out).all() and (out >= 0).all()
        np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-6)
        clear = np.sort(out, axis=1)[:, -1] - np.sort(out, axis=1)[:, -2] > 1e-6
        np.testing.assert_array_equal(labels[clear], est.classes_[out.argmax(axis=1)][clear])
        assert set(labels) <= set(est.classes_)
    else:
        assert out.shape == (n,) and np.isfinite(out).all()
    return out


def check_shuffled_rows(est, frame, library, out, seed) -> None:
    perm = np.random.default_rng(seed).permutation(len(frame))
    shuffled = outputs(est, container(frame.iloc[perm].reset_index(drop=True), library))
    np.testing.assert_allclose(np.asarray(shuffled), out[perm], rtol=1e-5, atol=1e-6)


def check_skops(est, X, out) -> None:
    sio = pytest.importorskip("skops.io")
    data = sio.dumps(est)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    np.testing.assert_array_equal(np.asarray(outputs(loaded, X)), out)


def check_onnx(est, frame, library, X, out) -> None:
    """The exported graph answers as predict does, or the export refuses naming a column."""
    pytest.importorskip("onnxruntime")
    import onnxruntime as ort

    from sknn.onnx import input_feed, to_onnx

    try:
        model = to_onnx(est)
    except ValueError as error:
        assert_refused_clearly(error)
        assert any(str(name) in str(error) for name in frame.columns), str(error)
        return
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    answers = dict(zip(names, session.run(None, input_feed(X, model)), strict=True))
    if hasattr(est, "predict_proba"):
        np.testing.assert_allclose(answers["probabilities"], out, atol=1e-4)
        clear = np.sort(out, axis=1)[:, -1] - np.sort(out, axis=1)[:, -2] > 1e-3
        labels = np.asarray(answers["label"]).ravel()
        np.testing.assert_array_equal(labels[clear], np.asarray(est.predict(X))[clear])
    else:
        np.testing.assert_allclose(np.ravel(answers["variable"]), out, rtol=1e-4, atol=1e-4)


def check_unseen_categories(est, frame, library) -> None:
    """Values never seen at fit in the categorical columns still predict."""
    changed = frame.copy()
    for name in frame.columns:
        if name.startswith(("category", "object_str", "pyarrow_str")):
            values = changed[name].astype(object).to_numpy(copy=True)
            values[1::3] = "west"
            changed[name] = pd.Series(
                values, dtype=frame[name].dtype if name.startswith("pyarrow") else object
            )
    out = np.asarray(outputs(est, container(changed, library)))
    assert len(out) == len(frame) and np.isfinite(out).all()


def check_refused_refit_keeps_predictions(est, X, y, out) -> None:
    with pytest.raises(ValueError):
        est.fit(X, y[:-1])  # one target short
    np.testing.assert_array_equal(np.asarray(outputs(est, X)), out)


def check_all(est, case, y) -> None:
    frame, library, _, seed = case
    X = container(frame, library)
    if fit_or_refuse(est, X, y) is None:
        return
    out = check_predictions(est, X, len(frame), y)
    check_shuffled_rows(est, frame, library, out, seed)
    check_skops(est, X, out)
    check_unseen_categories(est, frame, library)
    check_onnx(est, frame, library, X, out)
    check_refused_refit_keeps_predictions(est, X, y, out)


def labels_from(signal) -> np.ndarray:
    labels = np.where(signal > 0, "yes", "no")
    labels[:2] = ["yes", "no"]  # both classes
    return labels


@SETTINGS
@given(case=tables())
def test_classifier_properties(case):
    check_all(NeuralNetClassifier(n_ensemble=2, **SMALL), case, labels_from(case[2]))


@SETTINGS
@given(case=tables())
def test_regressor_properties(case):
    check_all(NeuralNetRegressor(n_ensemble=2, **SMALL), case, case[2] * 3 + 1)


@SETTINGS
@given(case=tables(kinds=NUMERIC_KINDS))
def test_drop_in_classifier_properties(case):
    check_all(MLPClassifier(**{**SMALL, "max_iter": 5}), case, labels_from(case[2]))


@SETTINGS
@given(case=tables(kinds=NUMERIC_KINDS))
def test_drop_in_regressor_properties(case):
    check_all(MLPRegressor(**{**SMALL, "max_iter": 5}), case, case[2])
