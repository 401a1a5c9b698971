"""Behaviour of NeuralNetClassifier: targets, probabilities, weights, updates."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

from sknn import NeuralNetClassifier


def small_clf(**kwargs):
    params = {
        "hidden_layer_sizes": (32,),
        "max_iter": 20,
        "learning_rate": 1e-2,
        "random_state": 0,
    }
    params.update(kwargs)
    return NeuralNetClassifier(**params)


@pytest.fixture(scope="module")
def imbalanced_data():
    X, y = make_classification(
        n_samples=300,
        n_features=6,
        n_informative=3,
        weights=[0.9, 0.1],
        class_sep=0.5,
        flip_y=0,
        random_state=3,
    )
    return X, y


def test_binary_classification(binary_data):
    X, y = binary_data
    clf = small_clf().fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    pred = clf.predict(X)
    assert pred.shape == (len(X),)
    assert set(np.unique(pred)) <= {0, 1}
    assert clf.predict_proba(X).shape == (len(X), 2)
    assert clf.score(X, y) > 0.85
    assert clf.n_features_in_ == X.shape[1]


@pytest.mark.parametrize("dtype", [object, str])
def test_multiclass_string_labels(multiclass_data, dtype):
    X, y_int = multiclass_data
    names = np.array(["cat", "dog", "fish"], dtype=dtype)
    y = names[y_int]
    clf = small_clf().fit(X, y)
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "fish"])
    pred = clf.predict(X)
    assert pred.dtype == y.dtype
    assert all(isinstance(p, str) for p in pred)
    assert set(pred) <= {"cat", "dog", "fish"}
    assert clf.predict_proba(X).shape == (len(X), 3)
    assert np.mean(pred == y) > 0.8


def test_multilabel_indicator_targets(multiclass_data):
    X, y_int = multiclass_data
    Y = np.column_stack([y_int == 0, y_int == 1, X[:, 0] > 0]).astype(int)
    clf = small_clf().fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    pred = clf.predict(X)
    assert pred.shape == Y.shape
    assert set(np.unique(pred)) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape
    assert np.all((proba >= 0) & (proba <= 1))
    # independent sigmoid outputs: rows do not have to sum to one
    assert not np.allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    # each label is learnt better than the majority baseline
    for j in range(Y.shape[1]):
        baseline = max(Y[:, j].mean(), 1 - Y[:, j].mean())
        assert np.mean(pred[:, j] == Y[:, j]) > baseline


def test_predict_proba_sums_to_one_and_log_proba_matches(multiclass_data):
    X, y = multiclass_data
    clf = small_clf(max_iter=5).fit(X, y)
    proba = clf.predict_proba(X)
    assert np.all(proba >= 0) and np.all(proba <= 1)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-10)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), atol=1e-10)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 9.0}])
def test_class_weight_raises_minority_recall(imbalanced_data, class_weight):
    X, y = imbalanced_data
    params = {"max_iter": 30, "early_stopping": False}
    plain = small_clf(**params).fit(X, y)
    weighted = small_clf(class_weight=class_weight, **params).fit(X, y)
    recall_plain = recall_score(y, plain.predict(X), pos_label=1)
    recall_weighted = recall_score(y, weighted.predict(X), pos_label=1)
    assert recall_weighted > recall_plain + 0.1
    # more minority predictions, at the price of some majority ones
    assert (weighted.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()


def test_class_weight_balanced_equals_balanced_sample_weight(imbalanced_data):
    X, y = imbalanced_data
    params = {"max_iter": 10, "early_stopping": False}
    by_class = small_clf(class_weight="balanced", **params).fit(X, y)
    by_sample = small_clf(**params).fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_allclose(
        by_class.predict_proba(X), by_sample.predict_proba(X), rtol=1e-6, atol=1e-7
    )


def test_class_weight_with_unknown_label_raises(binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="class_weight"):
        small_clf(class_weight={0: 1.0, 7: 2.0}, max_iter=1).fit(X, y)


def test_partial_fit_refuses_balanced_and_takes_its_dict(imbalanced_data):
    # "balanced" over one call's rows would balance each chunk on its own
    X, y = imbalanced_data
    clf = small_clf(class_weight="balanced")
    with pytest.raises(ValueError, match="compute_class_weight"):
        clf.partial_fit(X, y, classes=[0, 1])
    assert not hasattr(clf, "module_")
    balanced = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    weights = dict(zip([0, 1], balanced, strict=True))
    params = {"random_state": 0, "early_stopping": False}
    chunked = small_clf(class_weight=weights, **params)
    for chunk in np.array_split(np.arange(len(y)), 4):
        chunked.partial_fit(X[chunk], y[chunk], classes=[0, 1])
    # the recipe the message gives weighs each row as the whole target's balance says
    by_sample = small_clf(**params)
    sample_weight = compute_sample_weight("balanced", y)
    for chunk in np.array_split(np.arange(len(y)), 4):
        by_sample.partial_fit(X[chunk], y[chunk], [0, 1], sample_weight[chunk])
    np.testing.assert_allclose(
        chunked.predict_proba(X), by_sample.predict_proba(X), rtol=1e-5, atol=1e-6
    )


def _labels3():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    return X, np.digitize(X[:, 0], [-0.5, 0.5]), (X > 0).astype(int)


@pytest.mark.parametrize(
    ("fit", "match"),
    [
        # two-valued matrices scikit-learn calls indicators: trained as 0/1, silently
        (lambda X, y, Y: small_clf().fit(X, 2 * Y - 1), r"0/1 .*holds \[-1, 1\]"),
        (lambda X, y, Y: small_clf().fit(X, 2 * Y), r"holds \[0, 2\]"),
        # negative class weights trained a garbage model; None and strings crashed in numpy
        (lambda X, y, Y: small_clf(class_weight={0: -5.0}).fit(X, y), "0 or more.*-5.0"),
        (lambda X, y, Y: small_clf(class_weight={0: np.nan}).fit(X, y), "finite numbers"),
        (lambda X, y, Y: small_clf(class_weight={0: None}).fit(X, y), "finite numbers"),
        (lambda X, y, Y: small_clf(class_weight={0: "5"}).fit(X, y), "finite numbers"),
        (lambda X, y, Y: small_clf(class_weight=dict.fromkeys(range(3), 0)).fit(X, y), "zero"),
        # partial_fit's classes: ignored for multilabel targets, flattened when 2-D
        (lambda X, y, Y: small_clf().partial_fit(X, Y, classes=["a", "b"]), "y's columns"),
        (lambda X, y, Y: small_clf().partial_fit(X, y, classes=[[0, 1], [2, 3]]), "1-D"),
        # a column vector is single-label: the first call needs classes
        (lambda X, y, Y: small_clf().partial_fit(X, y[:, None]), "classes must be passed"),
    ],
)
def test_targets_and_class_weights_that_would_train_wrong_are_refused(fit, match):
    X, y, Y = _labels3()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataConversionWarning)
        with pytest.raises(ValueError, match=match):
            fit(X, y, Y)


def test_sparse_multilabel_targets_and_a_first_partial_fits_temperature():
    X, y, Y = _labels3()
    dense = small_clf(random_state=0).fit(X, Y)
    sparse = small_clf(random_state=0).fit(X, scipy.sparse.csr_matrix(Y))
    np.testing.assert_array_equal(sparse.predict_proba(X), dense.predict_proba(X))
    assert small_clf().partial_fit(X, y, classes=[0, 1, 2]).temperature_ == 1.0


def test_partial_fit_requires_classes_on_first_call(binary_data):
    X, y = binary_data
    clf = small_clf()
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "module_")


def test_partial_fit_classes_larger_than_first_batch(multiclass_data):
    X, y = multiclass_data
    first = y != 2
    clf = small_clf().partial_fit(X[first], y[first], classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (len(X), 3)
    clf.partial_fit(X, y)  # the third class arrives later: allowed
    assert clf.n_iter_ == 2


def test_partial_fit_unseen_label_raises(binary_data):
    X, y = binary_data
    clf = small_clf().partial_fit(X, y, classes=[0, 1])
    y_bad = y.copy()
    y_bad[:5] = 2
    with pytest.raises(ValueError, match="not seen"):
        clf.partial_fit(X, y_bad)


def test_partial_fit_loss_decreases_over_calls(binary_data):
    """Each call trains one epoch; the loss keeps falling across calls."""
    X, y = binary_data
    clf = small_clf(learning_rate=1e-3)
    for _ in range(8):
        clf.partial_fit(X, y, classes=[0, 1])
    assert clf.n_iter_ == 8
    assert len(clf.history_) == 8
    loss = clf.loss_curve_
    assert loss[-1] < loss[0]
    # not only the first call: later calls must still make progress
    assert loss[-1] < loss[1] - 1e-3
    assert all(r["lr"] > 0 for r in clf.history_)


def test_warm_start_continues_training(binary_data):
    X, y = binary_data
    clf = small_clf(max_iter=5, warm_start=True, early_stopping=False)
    clf.fit(X, y)
    assert clf.n_iter_ == 5
    weights_before = [p.detach().clone() for p in clf.module_.parameters()]
    last_loss = clf.loss_curve_[-1]
    clf.fit(X, y)
    assert clf.n_iter_ == 10
    assert len(clf.history_) == 10
    assert clf.history_.column("epoch") == list(range(1, 11))
    # the second fit starts from the trained weights, not from a fresh init
    assert clf.loss_curve_[5] < clf.loss_curve_[0]
    assert abs(clf.loss_curve_[5] - last_loss) < abs(clf.loss_curve_[0] - last_loss)
    weights_after = list(clf.module_.parameters())
    pairs = zip(weights_before, weights_after, strict=True)
    assert any(not np.allclose(a, b.detach()) for a, b in pairs)


def test_warm_start_first_epoch_of_second_fit_trains(binary_data):
    """The continued fit should not start with a zero learning rate."""
    X, y = binary_data
    clf = small_clf(max_iter=5, warm_start=True, early_stopping=False)
    clf.fit(X, y).fit(X, y)
    assert clf.history_[5]["lr"] > 0


def test_without_warm_start_refit_starts_over(binary_data):
    X, y = binary_data
    clf = small_clf(max_iter=5, early_stopping=False).fit(X, y)
    first = clf.predict_proba(X)
    clf.fit(X, y)
    assert clf.n_iter_ == 5
    assert len(clf.history_) == 5
    np.testing.assert_allclose(clf.predict_proba(X), first, rtol=1e-6, atol=1e-8)


def test_good_accuracy_on_iris():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    clf = small_clf(max_iter=60).fit(X_tr, y_tr)
    assert clf.score(X_te, y_te) >= 0.9


def test_good_accuracy_on_make_classification():
    X, y = make_classification(
        n_samples=400, n_features=10, n_informative=5, class_sep=1.5, random_state=0
    )
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    clf = small_clf(max_iter=30).fit(X_tr, y_tr)
    assert clf.score(X_te, y_te) >= 0.85


def test_numpy_list_and_dataframe_inputs_agree(binary_data):
    X, y = binary_data
    X = X[:100]
    y = y[:100]
    columns = [f"f{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=columns)

    from_numpy = small_clf(max_iter=5).fit(X, y)
    from_list = small_clf(max_iter=5).fit(X.tolist(), y.tolist())
    from_frame = small_clf(max_iter=5).fit(df, pd.Series(y))

    expected = from_numpy.predict_proba(X)
    np.testing.assert_allclose(from_list.predict_proba(X.tolist()), expected, rtol=1e-6)
    np.testing.assert_allclose(from_frame.predict_proba(df), expected, rtol=1e-6)

    assert not hasattr(from_numpy, "feature_names_in_")
    np.testing.assert_array_equal(from_frame.feature_names_in_, columns)
    # columns in another order are rejected
    with pytest.raises(ValueError, match="feature names"):
        from_frame.predict(df[columns[::-1]])
