"""Files saved by an earlier layout of the package load and predict as they did.

``tests/data/saved_before_layout_move`` holds pickle and skops files written
by ``write.py`` there at commit c3b3714, before the flagship estimators moved
into ``sknn.neural_net``; they name the old modules. Labels must be identical;
probabilities and values equal up to float64 rounding (1e-12 relative: the
same BLAS on another CPU may sum in another order).
"""

import importlib.util
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

sio = pytest.importorskip("skops.io", reason="the skops extra is not installed")

SAVED = Path(__file__).parent / "data" / "saved_before_layout_move"
EXPECTED = np.load(SAVED / "expected.npz")
NAMES = ["classifier", "regressor", "mlp_classifier"]


def _writer():
    spec = importlib.util.spec_from_file_location("write_saved_models", SAVED / "write.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load(path: Path):
    if path.suffix == ".pkl":
        return pickle.loads(path.read_bytes())
    untrusted = sio.get_untrusted_types(file=path)
    assert all(name.startswith("sknn.") for name in untrusted), untrusted
    return sio.load(path, trusted=untrusted)


def test_the_files_were_written_before_the_move():
    assert str(EXPECTED["commit"]) == "c3b3714"
    names = sio.get_untrusted_types(file=SAVED / "classifier.skops")
    assert "sknn.classifier.NeuralNetClassifier" in names
    assert "sknn.regressor.NeuralNetRegressor" in sio.get_untrusted_types(
        file=SAVED / "regressor.skops"
    )


@pytest.mark.parametrize("suffix", [".pkl", ".skops"])
@pytest.mark.parametrize("name", NAMES)
def test_saved_model_loads_and_predicts_as_before(name, suffix):
    model = _load(SAVED / f"{name}{suffix}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loading an old file is not worth a warning
        got = _writer().predictions(name, model)
    for method, values in got.items():
        expected = EXPECTED[f"{name}.{method}"]
        if method == "predict" and name != "regressor":
            np.testing.assert_array_equal(values, expected)
        else:
            np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["classifier", "regressor"])
def test_a_loaded_old_file_keeps_training_and_saves_in_the_new_layout(name):
    model = _load(SAVED / f"{name}.pkl")
    writer = _writer()
    X, y = writer.classification_frame() if name == "classifier" else writer.regression_arrays()
    model.partial_fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    assert type(again) is type(model)


DATES = Path(__file__).parent / "data" / "saved_before_dates_as_timestamps"


def test_categories_of_dates_periods_and_durations_saved_before_answer_as_they_did():
    # a classifier pickled by 12eb437 with a Period column, datetime.date objects and
    # timedeltas named categorical kept those types as categories; its values are now
    # compared as Timestamps and Timedeltas, and every row was unseen (probabilities 0.17 off)
    spec = importlib.util.spec_from_file_location("write_dates", DATES / "write.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    X, _ = module.table()
    loaded = pickle.loads((DATES / "classifier.pkl").read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert loaded.encoder_.unseen_categories(X) == {}
        proba = loaded.predict_proba(X)
    np.testing.assert_allclose(proba, np.load(DATES / "expected.npz")["proba"], rtol=1e-12)
