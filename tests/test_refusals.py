"""Every refusal names the problem (issue 31): labels, images, texts and tables.

Each input that cannot be used gets a ``ValueError``/``TypeError`` (or, for an
ID-like column, a warning) that says what is wrong and how to fix it, before
any training, instead of an error from deep inside numpy or torch, or a
silent misreading.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

from sknn import (
    MLPClassifier,
    MLPRegressor,
    NeuralNetClassifier,
    NeuralNetRegressor,
    TabularEncoder,
)
from sknn.pretrained import ImageBackbone, ImageEmbedder, ImageNetClassifier, TextEmbedder

RNG = np.random.default_rng(0)
X8 = RNG.normal(size=(8, 3))
CLASSIFIERS = [NeuralNetClassifier, MLPClassifier]
REGRESSORS = [NeuralNetRegressor, MLPRegressor]
MISSING = r"missing label.*rows? .*Drop those rows"


def _quick(cls, **params):
    return cls(max_iter=1, random_state=0, **params)


# ---------------------------------------------------------------- labels
LABELS_REFUSED = [
    (["a", "b", None, "a", "b", "a", "b", "a"], r"1 missing label.*row 2\. Drop"),
    (np.array([0.0, 1, 1, 0, np.nan, 0, 1, np.nan]), r"2 missing labels.*rows 4, 7\. Drop"),
    (np.array(["x", "y", "x", np.nan, "y", "x", "y", "x"], dtype=object), MISSING),
    (pd.Series([1, 2, 1, 2, 1, 2, None, 1], dtype="Int64"), MISSING),
    (pd.Series(["p", "q", "p", "q", pd.NA, "p", "q", "p"], dtype="string"), MISSING),
    (pd.Series(["p", "q", None, "q", "p", "p", "q", "p"], dtype="category"), MISSING),
    (pl.Series(["p", "q", "p", "q", "p", None, "q", "p"]), MISSING),
    (pl.Series([3, 4, 3, 4, None, None, None, 3]), r"3 missing labels"),
    ([True, False, True, None, False, True, False, True], MISSING),
    (["a", 1, "b", "a", 1, "a", "b", 1], r"mixes label types: 5 strings and 3 labels of type int"),
    (np.array(["lo", 2.5, "hi", "lo", 2.5, "lo", "hi", "lo"], dtype=object), r"mixes label"),
    (pd.Series(["a", "b", 3, "a", "b", "a", "b", "a"]), r"mixes label types.*astype\(str\)"),
]


@pytest.mark.parametrize("cls", CLASSIFIERS)
@pytest.mark.parametrize(("y", "message"), LABELS_REFUSED)
def test_missing_or_mixed_labels_are_refused_before_training(cls, y, message):
    est = _quick(cls)
    with pytest.raises(ValueError, match=message):
        est.fit(X8, y)
    assert not hasattr(est, "classes_")


@pytest.mark.parametrize("cls", CLASSIFIERS)
@pytest.mark.parametrize(
    ("classes", "message"),
    [
        (["a", "b", None], r"classes has 1 missing label.*List only real labels"),
        ([0.0, np.nan, 1.0], r"classes has 1 missing label"),
        (["a", 0], r"classes mixes label types"),
    ],
)
def test_partial_fit_refuses_missing_or_mixed_classes(cls, classes, message):
    with pytest.raises(ValueError, match=message):
        _quick(cls).partial_fit(X8, ["a", "b"] * 4, classes=classes)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_partial_fit_and_score_refuse_missing_labels_later(cls):
    y = np.array(["a", "b"] * 4, dtype=object)
    est = _quick(cls).partial_fit(X8, y, classes=["a", "b"])
    y_missing = y.copy()
    y_missing[[1, 6]] = None
    with pytest.raises(ValueError, match=r"2 missing labels.*rows 1, 6"):
        est.partial_fit(X8, y_missing)
    with pytest.raises(ValueError, match=r"2 missing labels"):
        est.score(X8, y_missing)
    with pytest.raises(ValueError, match=r"mixes label types"):
        est.score(X8, ["a", "b", 1, "a", "b", "a", "b", "a"])
    assert est.score(X8, y) >= 0  # the same model still scores clean labels


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_labels_without_missing_values_still_fit(cls):
    for y in (pd.Series(["a", "b"] * 4, dtype="string"), pl.Series([1, 2] * 4), [True, False] * 4):
        assert len(_quick(cls).fit(X8, y).classes_) == 2


@pytest.mark.parametrize("cls", REGRESSORS)
@pytest.mark.parametrize(
    ("y", "message"),
    [
        ([0.1, 0.2, None, 0.3, 0.4, 0.5, 0.6, 0.7], r"1 missing target.*row 2\. Drop"),
        (np.array([0.1, np.nan, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]), r"1 missing target"),
        (pd.Series([1.0, 2, 3, pd.NA, 5, 6, 7, 8], dtype="Float64"), r"missing target"),
        (pl.Series([1.0, 2, 3, 4, 5, 6, None, 8]), r"missing target.*row 6"),
        (list("abcdefgh"), r"needs numeric targets.*text \(e\.g\. 'a'\).*pd\.to_numeric"),
        (np.array(["1", "2", "3", "4", "5", "6", "7", "8"]), r"needs numeric targets"),
    ],
)
def test_regression_targets_missing_or_text_are_refused(cls, y, message):
    with pytest.raises(ValueError, match=message):
        _quick(cls).fit(X8, y)


# ---------------------------------------------------------------- images
RGB = np.zeros((16, 16, 3), np.uint8)
IMAGES_REFUSED = [
    ([np.zeros((0, 0, 3), np.uint8)], r"Image 0 is empty"),
    ([RGB, np.zeros((0, 12), np.uint8)], r"Image 1 is empty.*drop it"),
    ([RGB, RGB, np.zeros((9, 9, 0), np.uint8)], r"Image 2 has shape \(9, 9, 0\): 0 channels"),
    (np.zeros((64, 64, 3), np.uint8), r"one 64 x 64 image.*Pass \[image\] for one image"),
    (np.zeros((40, 30, 4)), r"one 40 x 30 image with 4 channels.*Pass \[image\]"),
    (np.zeros((20, 30), np.uint8), r"Pass \[image\] for one grayscale image"),
    ([RGB, None], r"Image 1 is missing \(None\); drop it"),
    (pd.Series([RGB, np.nan, RGB]), r"Image 1 is missing"),
    ([RGB, "photos/cat.jpg"], r"Image 1 is a file name.*imread"),
    ([np.zeros(256, np.uint8)], r"Image 0 has shape \(256,\): flat pixels; reshape"),
    ([np.zeros((2, 8, 8, 3), np.uint8)], r"Image 0 has shape .*a batch inside the list"),
    ([np.zeros((1, 2, 8, 8, 3), np.uint8)], r"Image 0 has shape \(1, 2, 8, 8, 3\)"),
    ([np.array([["a", "b"], ["c", "d"]])], r"Image 0 has dtype <U1; convert"),
    ([[[1, 2], [3]]], r"Image 0 is not a rectangular array"),
]


@pytest.mark.parametrize("model", [ImageEmbedder().transform, ImageNetClassifier().predict])
@pytest.mark.parametrize(("images", "message"), IMAGES_REFUSED)
def test_unusable_images_are_refused_naming_the_image_and_the_fix(model, images, message):
    with pytest.raises(ValueError, match=message):
        model(images)


@pytest.fixture(scope="module")
def fine_tuned():
    """A small image classifier on random weights (no ImageNet load), fitted once."""
    X = RNG.integers(0, 256, (6, 12, 12, 3)).astype(np.uint8)
    return NeuralNetClassifier(
        module=ImageBackbone,
        module__pretrained=False,
        module__image_size=32,
        max_iter=1,
        random_state=0,
    ).fit(X, [0, 1] * 3)


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.zeros((12, 12, 3), np.uint8), r"one 12 x 12 image with 3 channels.*image\[None\]"),
        (np.zeros((2, 12, 12, 2), np.uint8), r"2 channels"),
        (np.zeros((2, 0, 12, 3), np.uint8), r"empty images"),
        (np.zeros((2, 144), np.uint8), r"expected a batch \(n, H, W\)"),
    ],
)
def test_the_image_backbone_refuses_what_is_not_a_batch_of_images(fine_tuned, X, message):
    with pytest.raises(ValueError, match=message):
        fine_tuned.predict(X)
    assert fine_tuned.predict(np.zeros((1, 12, 12, 3), np.uint8)).shape == (1,)


# ----------------------------------------------------------------- texts
@pytest.mark.parametrize(
    ("texts", "error", "message"),
    [
        (["good", None, "bad"], ValueError, r"Text 1 is missing.*fillna\(\"\"\)"),
        (pd.Series(["a", np.nan, "b", np.nan]), ValueError, r"2 of 4 texts.*rows 1, 3"),
        (pd.Series(["a", pd.NA], dtype="string"), ValueError, r"Text 1 is missing"),
        (pl.Series(["a", None]), ValueError, r"Text 1 is missing"),
        (["fine", 42], TypeError, r"Text 1 is int \(42\), not a string"),
        (["fine", b"raw"], TypeError, r"Text 1 is bytes.*decode"),
        ("a single review", ValueError, r"one string; pass a list of texts"),
        ({"review": "x"}, ValueError, r"one dict, not a list of texts"),
        (np.array([["a", "b"], ["c", "d"]]), ValueError, r"shape \(2, 2\); expected one text"),
        ([], ValueError, r"no texts"),
    ],
)
def test_unusable_texts_are_refused_naming_the_text_and_the_fix(texts, error, message):
    with pytest.raises(error, match=message):
        TextEmbedder().transform(texts)


def test_a_custom_module_given_strings_points_at_the_tokenizer():
    est = NeuralNetClassifier(module=ImageBackbone, module__pretrained=False, max_iter=1)
    with pytest.raises(TypeError, match=r"dtype <U.*TextTokenizer"):
        est.fit(np.array(["a review", "another"] * 3), [0, 1] * 3)


# ---------------------------------------------------------------- tables
def _id_warnings(X) -> list[str]:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        TabularEncoder().fit(X)
    return [str(w.message) for w in record if "looks like an identifier" in str(w.message)]


def _table(n: int, **columns) -> pd.DataFrame:
    return pd.DataFrame({"x": np.linspace(0, 1, n), **columns})


@pytest.mark.parametrize(
    ("X", "column"),
    [
        (_table(400, user=[f"u{i}" for i in range(400)]), "user"),
        (_table(30, email=[f"p{i}@mail.org" for i in range(30)]), "email"),
        (_table(60, order=pd.Categorical([f"o{min(i, 56)}" for i in range(60)])), "order"),
        (pl.DataFrame({"x": np.arange(50.0), "sku": [f"s{i}" for i in range(50)]}), "sku"),
        (_table(25, ref=[f"r{i}" if i % 5 else None for i in range(25)]), "ref"),
    ],
)
def test_an_id_like_column_is_named_at_any_table_size(X, column):
    found = _id_warnings(X)
    assert len(found) == 1 and f"'{column}' looks like an identifier" in found[0]
    assert "Drop it" in found[0]
    with pytest.warns(UserWarning, match=rf"'{column}' looks like an identifier.*Drop it"):
        TabularEncoder().fit(X)


@pytest.mark.parametrize(
    "X",
    [
        _table(30, shop=pd.Categorical(np.array(["a", "b", "c"])[np.arange(30) % 3])),
        _table(400, city=[f"c{i % 40}" for i in range(400)]),  # 10% distinct
        _table(10, name=[f"n{i}" for i in range(10)]),  # too few values to call it an ID
    ],
)
def test_ordinary_categorical_columns_are_not_called_identifiers(X):
    assert _id_warnings(X) == []


def test_dates_for_a_regressors_targets_records_or_dicts_for_x_and_bool_widths_are_refused():
    # dates and durations trained as nanoseconds, silently; a list of dicts got
    # "Expected 2D array"; hidden_layer_sizes=True built a layer of one unit
    X, labels = RNG.normal(size=(40, 2)), np.arange(40) % 2
    for y in (pd.Series(pd.date_range("2020", periods=40)), pd.to_timedelta(np.arange(40), "D")):
        with pytest.raises(ValueError, match="dates or durations.*pd.Timedelta"):
            NeuralNetRegressor(max_iter=1).fit(X, y)
    records = [{"a": a, "b": b} for a, b in X.tolist()]
    with pytest.raises(TypeError, match=r"list of records.*pd.DataFrame\(X\)"):
        NeuralNetClassifier(max_iter=1).fit(records, labels)
    with pytest.raises(TypeError, match="list of records"):
        TabularEncoder().fit(records)
    columns = {"a": X[:, 0], "b": X[:, 1]}  # got scikit-learn's "KeyError: 0"
    with pytest.raises(TypeError, match=r"dict of arrays.*module=.*pd.DataFrame\(X\)"):
        NeuralNetClassifier(max_iter=1).fit(columns, labels)
    with pytest.raises(TypeError, match="dict of arrays"):
        TabularEncoder().fit(columns)
    for widths in (True, [True], (8, False)):
        with pytest.raises(ValueError, match="hidden_layer_sizes must be a positive int"):
            NeuralNetClassifier(hidden_layer_sizes=widths, max_iter=1).fit(X, labels)


def test_messages_name_what_the_values_are_and_a_fix_that_works():
    # one record got "Expected 2D array, got scalar array"; float categories given as
    # strings were told to .astype(int) (which fails on "1.5"); datetimes for a string
    # column were called numbers; input_feed said a column "was numeric at fit"; a column
    # named '' failed inside onnx's checker
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=40), "k": rng.choice(["p", "q"], 40)})
    labels = np.arange(40) % 2
    model = NeuralNetClassifier(max_iter=1, random_state=0).fit(X, labels)
    with pytest.raises(TypeError, match=r"one record.*pd.DataFrame\(\[X\]\)"):
        model.predict({"a": 0.5, "k": "p"})
    rates = TabularEncoder(categorical_features=["r"]).fit(pd.DataFrame({"r": [0.5, 1.5] * 5}))
    with pytest.warns(UserWarning, match=r"held numbers .* holds strings .*\.astype\(float\)"):
        rates.transform(pd.DataFrame({"r": ["0.5", "1.5"]}))
    with pytest.warns(UserWarning, match=r"held strings at fit but holds datetimes"):
        model.predict(X.assign(k=pd.Timestamp("2024-01-01")))
    onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
    assert onnx
    from sknn.onnx import input_feed, to_onnx

    graph = to_onnx(model)
    with pytest.raises(ValueError, match=r"graph's input 'a' is float: it takes numbers"):
        input_feed(X.assign(a="True"), model=graph)
    unnamed = NeuralNetClassifier(max_iter=1).fit(X.rename(columns={"a": ""}), labels)
    with pytest.raises(ValueError, match=r"named '' \(the empty string\)"):
        to_onnx(unnamed)


@pytest.mark.parametrize("library", ["pandas", "pyarrow"])
def test_columns_of_the_same_name_are_refused_naming_the_fix(library):
    # narwhals' DuplicateError ("Expected unique column names") named no fix
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 2)), columns=["x", "x"])
    if library == "pyarrow":
        pa = pytest.importorskip("pyarrow")
        X = pa.table([pa.array(X.iloc[:, 0]), pa.array(X.iloc[:, 1])], names=["x", "x"])
    for est in (NeuralNetClassifier(max_iter=1), TabularEncoder()):
        with pytest.raises(ValueError, match=r"several columns named 'x'.*X.columns ="):
            est.fit(X, np.arange(30) % 2)
        with warnings.catch_warnings():  # a lazy frame is refused before its names are read
            warnings.simplefilter("error")
            with pytest.raises(TypeError, match="lazy frame"):
                est.fit(pl.DataFrame({"x": [1.0, 2.0]}).lazy(), [0, 1])
