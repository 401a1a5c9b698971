"""Sparse X (text features, wide one-hot blocks) is kept sparse, from the encoder to the
network's first layer: time and memory follow the non-zeros."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler

from sknn import NeuralNetClassifier, NeuralNetRegressor, TabularEncoder
from sknn.nn import SparseRows, TabularMLP

SPARSE_CLASSES = [sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array, sp.csc_array]


def _sparse(n=300, d=400, density=0.02, seed=0):
    return sp.random(n, d, density=density, format="csr", random_state=seed, dtype=np.float64)


@pytest.mark.parametrize(
    "members, groups, hidden, feature_scale",
    [
        (1, 1, (8,), False),
        (1, 1, (8, 8), True),
        (4, 1, (8, 8), True),
        (4, 4, (8,), True),
        (4, 2, (8,), False),
        (4, 1, (), True),
        (4, 4, (), False),
        (1, 1, (), False),
    ],
)
def test_sparse_rows_meet_the_network_as_their_dense_rows(members, groups, hidden, feature_scale):
    torch.manual_seed(0)
    X = _sparse(50, 30, density=0.1).astype(np.float32)
    xs, xd = SparseRows.from_scipy(X), torch.as_tensor(X.toarray())
    net = TabularMLP(
        30, [], 3, hidden, n_ensemble=members, n_groups=groups, feature_scale=feature_scale
    )
    params = list(net.parameters())
    for training in (True, False):
        net.train(training)
        dense, sparse = net(xd), net(xs)
        torch.testing.assert_close(sparse, dense, atol=1e-5, rtol=1e-5)
        for a, b in zip(
            torch.autograd.grad(dense.square().sum(), params),
            torch.autograd.grad(net(xs).square().sum(), params),
            strict=True,
        ):
            torch.testing.assert_close(b, a, atol=1e-4, rtol=1e-4)
    if groups > 1:  # each row through its own fold's group only
        fold = torch.randint(0, groups, (50,), generator=torch.Generator().manual_seed(1))
        net.eval()
        torch.testing.assert_close(net(xs, fold), net(xd, fold), atol=1e-5, rtol=1e-5)


def test_sparse_rows_are_taken_as_a_tensors_rows():
    X = _sparse(40, 12, density=0.2)
    rows, dense = SparseRows.from_scipy(X), torch.as_tensor(X.toarray(), dtype=torch.float32)
    assert rows.shape == (40, 12) and len(rows) == 40
    index = torch.tensor([3, 0, 39, 3])
    mask = torch.arange(40) % 3 == 0
    for key in (index, mask, slice(5, 9), slice(None, None, 4), slice(30, 100), slice(7, 7)):
        assert torch.equal(rows[key].to_dense(), dense[key])
    assert torch.equal(SparseRows.cat([rows[:7], rows[7:20], rows[20:]]).to_dense(), dense)
    assert rows.to(dtype=torch.float64).dtype == torch.float64
    for key, where in (
        (torch.tensor([-3, 2]), [37, 2]),
        (slice(None, None, -1), range(39, -1, -1)),
    ):
        assert torch.equal(rows[key].to_dense(), dense[list(where)])
    with pytest.raises(IndexError, match="outside"):
        rows[torch.tensor([40])]
    with pytest.raises(TypeError, match=r"rows\[3:4\] is that row"):
        rows[3]


def test_a_network_of_embedded_or_coded_columns_refuses_sparse_rows():
    net = TabularMLP(4, [5], 2, (8,))
    with pytest.raises(ValueError, match="plain numeric columns"):
        net(SparseRows.from_scipy(_sparse(3, 5, density=0.5)))


def test_the_encoder_keeps_sparse_input_sparse_scaled_as_maxabsscaler_does():
    X = _sparse(300, 50, density=0.05)
    X.data -= 0.3  # negative values too
    encoder = TabularEncoder().fit(X)
    out = encoder.transform(X)
    assert sp.issparse(out) and out.format == "csr" and out.dtype == np.float32
    assert encoder.sparse_input_ and out.nnz == X.nnz
    assert encoder.n_numeric_out_ == 50 and encoder.cardinalities_ == []
    assert encoder.get_feature_names_out()[:2].tolist() == ["num__x0", "num__x1"]
    unclipped = TabularEncoder(clip_numeric=False).fit(X).transform(X)
    np.testing.assert_allclose(
        unclipped.toarray(), MaxAbsScaler().fit_transform(X).toarray(), rtol=1e-6
    )
    z = unclipped.toarray()  # the dense columns' smooth clip, bound 3
    np.testing.assert_allclose(out.toarray(), z / np.sqrt(1 + (z / 3) ** 2), rtol=1e-6)
    np.testing.assert_array_equal(TabularEncoder().fit_transform(X).toarray(), out.toarray())
    for kind in SPARSE_CLASSES:
        np.testing.assert_array_equal(encoder.transform(kind(X)).toarray(), out.toarray())
    np.testing.assert_array_equal(encoder.transform(X.toarray()).toarray(), out.toarray())
    assert not TabularEncoder().fit(X.toarray()).sparse_input_
    for kind in SPARSE_CLASSES:  # fitted from any of them alike
        np.testing.assert_array_equal(
            TabularEncoder().fit_transform(kind(X)).toarray(), out.toarray()
        )


def test_rows_of_weight_zero_take_no_part_in_the_sparse_scales():
    X = _sparse(200, 10, density=0.3)
    weight = np.ones(200)
    weight[:100] = 0
    weighted = TabularEncoder().fit(X, sample_weight=weight).transform(X)
    np.testing.assert_array_equal(
        weighted.toarray(), TabularEncoder().fit(X[100:]).transform(X).toarray()
    )
    with pytest.raises(ValueError, match="[Nn]egative"):
        TabularEncoder().fit(X, sample_weight=-weight)


@pytest.mark.parametrize("bad, what", [(np.nan, "missing values"), (np.inf, "infinite values")])
def test_sparse_missing_or_infinite_values_are_refused_with_the_fix(bad, what):
    X = _sparse(100, 1_500, density=0.01)  # wide: kept sparse (a narrow one is imputed dense)
    X.data[3] = bad
    for fit in (TabularEncoder().fit, lambda X: NeuralNetClassifier().fit(X, np.arange(100) % 2)):
        with pytest.raises(ValueError, match=f"{what}.*SimpleImputer.*toarray"):
            fit(X)


def _no_dense_copies(monkeypatch):
    """Make scipy refuse to densify a sparse matrix of more than one row and 50 columns
    (a row of statistics, such as each column's maximum, or binarized labels may be dense)."""

    def refusing(original):
        def densify(self, *args, **kwargs):
            if self.shape[0] > 1 and self.shape[1] >= 50:
                raise AssertionError("a dense copy of the sparse input was made")
            return original(self, *args, **kwargs)

        return densify

    for kind in SPARSE_CLASSES:
        for name in ("toarray", "todense"):
            monkeypatch.setattr(kind, name, refusing(getattr(kind, name)))


def _topics(n=600, d=2_000, seed=0):
    """Rows of word counts from one of two vocabularies, a few words each."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    rows, cols = [], []
    for i, label in enumerate(y):
        words = rng.randint(0, d // 2, 6) * 2 + label  # even words for class 0, odd for 1
        noise = rng.randint(0, d, 6)  # words of either
        rows += [i] * 12
        cols += [*words, *noise]
    X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, d))
    X.sum_duplicates()
    return X, y


def test_the_flagship_fits_and_predicts_sparse_x_without_a_dense_copy(monkeypatch):
    X, y = _topics()
    model = NeuralNetClassifier(max_iter=15, random_state=0)
    with monkeypatch.context() as guard:
        _no_dense_copies(guard)
        model.fit(X[:500], y[:500])
        proba = model.predict_proba(X[500:])
        accuracy = model.score(X[500:], y[500:])
    assert model.numeric_embedding_ is None and model.encoder_.sparse_input_
    assert accuracy > 0.9
    for kind in SPARSE_CLASSES:
        np.testing.assert_array_equal(model.predict_proba(kind(X[500:])), proba)
    np.testing.assert_array_equal(model.predict_proba(X[500:].toarray()), proba)
    again = clone(model).fit(X[:500], y[:500])
    np.testing.assert_array_equal(again.predict_proba(X[500:]), proba)  # reproducible


@pytest.mark.parametrize("early_stopping, groups", [("auto", 4), (True, 1)])
def test_sparse_regression_learns_a_linear_signal(early_stopping, groups):
    # 10 informative columns beside 1,490 of sparse noise; cross-fitted, or one held-out split
    informative = _sparse(1_000, 10, density=0.5, seed=1)
    X = sp.hstack([informative, _sparse(1_000, 1_490, density=0.005, seed=2)]).tocsr()
    y = informative @ np.random.RandomState(2).randn(10)
    model = NeuralNetRegressor(max_iter=20, early_stopping=early_stopping, random_state=0)
    model.fit(X[:800], y[:800])
    assert model.encoder_.sparse_input_ and model.n_groups_ == groups
    assert model.score(X[800:], y[800:]) > 0.8


def test_a_pipeline_of_text_features_searches_and_pickles():
    rng = np.random.RandomState(0)
    sport = "goal match team score league player coach season win keeper".split()
    money = "bank rate stock market price bond fund loan profit share".split()
    common = [f"word{i}" for i in range(3_000)]  # a vocabulary wide enough to stay sparse
    texts, labels = [], []
    for i in range(240):
        topic = sport if i % 2 else money
        texts.append(" ".join(rng.choice(topic, 4).tolist() + rng.choice(common, 30).tolist()))
        labels.append(i % 2)
    pipe = make_pipeline(TfidfVectorizer(), NeuralNetClassifier(max_iter=10, random_state=0))
    search = GridSearchCV(pipe, {"neuralnetclassifier__hidden_layer_sizes": [(16,), (32,)]}, cv=2)
    search.fit(texts[:200], labels[:200])
    assert search.best_estimator_[-1].encoder_.sparse_input_
    assert search.score(texts[200:], labels[200:]) > 0.9
    loaded = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(
        loaded.predict_proba(texts[200:]), search.best_estimator_.predict_proba(texts[200:])
    )


def test_partial_fit_and_warm_start_take_sparse_chunks():
    X, y = _topics(n=400)
    model = NeuralNetClassifier(random_state=0)
    for start in range(0, 400, 100):
        model.partial_fit(X[start : start + 100], y[start : start + 100], classes=[0, 1])
    assert model.encoder_.sparse_input_ and model.n_iter_ == 4
    warm = NeuralNetClassifier(max_iter=2, warm_start=True, random_state=0).fit(X, y)
    warm.fit(X, y)
    assert warm.n_iter_ >= 3


def test_an_explicit_numeric_embedding_is_refused_for_sparse_x():
    X, y = _topics(n=100)
    with pytest.raises(ValueError, match="numeric_embedding='piecewise'.*toarray"):
        NeuralNetClassifier(numeric_embedding="piecewise").fit(X, y)
    assert NeuralNetClassifier(numeric_embedding=None, max_iter=2).fit(X, y).n_iter_ == 2


def test_a_narrow_sparse_x_is_made_dense_for_the_dense_defaults():
    # one-hot blocks beside numbers from a ColumnTransformer: numeric embeddings help there
    X, y = _topics(n=300, d=400)
    model = NeuralNetClassifier(max_iter=3, random_state=0).fit(X, y)
    assert not model.encoder_.sparse_input_ and model.numeric_embedding_ == "piecewise"
    dense = NeuralNetClassifier(max_iter=3, random_state=0).fit(X.toarray(), y)
    np.testing.assert_array_equal(model.predict_proba(X), dense.predict_proba(X))


def test_a_network_fitted_dense_still_reads_sparse_rows_as_dense():
    X, y = _topics(n=200, d=50)
    model = NeuralNetClassifier(max_iter=3, random_state=0).fit(X.toarray(), y)
    assert not model.encoder_.sparse_input_
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(X.toarray()))


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_the_drop_ins_train_on_sparse_x_as_scikit_learn_does_without_a_dense_copy(
    solver, monkeypatch
):
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    from sknn import MLPClassifier

    X, y = _topics(n=300, d=500)
    params = {"solver": solver, "hidden_layer_sizes": (16,), "max_iter": 15, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in 15 iterations, as scikit-learn says
        expected = SkMLPClassifier(**params).fit(X, y)
        with monkeypatch.context() as guard:
            _no_dense_copies(guard)
            model = MLPClassifier(**params).fit(X, y)
            proba = model.predict_proba(X)
    for ours, theirs in zip(model.coefs_, expected.coefs_, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(proba, expected.predict_proba(X), rtol=1e-7, atol=1e-10)
    assert model.n_iter_ == expected.n_iter_


def _year_beside_words(n=1_200, seed=0):
    """A year stored in every row beside 1,200 sparse word columns; the target is the year's."""
    rng = np.random.RandomState(seed)
    year = rng.randint(1990, 2021, n).astype(float)
    words = _sparse(n, 1_200, density=0.005, seed=seed)
    return sp.hstack([sp.csr_matrix(year[:, None]), words]).tocsr(), (year - 2005) ** 2 / 50


def test_a_column_stored_in_every_row_is_centred_as_a_dense_column():
    X, y = _year_beside_words()
    encoder = TabularEncoder().fit(X)
    dense = TabularEncoder().fit(X[:, [0]].toarray())  # the year alone, as a dense column
    np.testing.assert_allclose(
        encoder.transform(X)[:, [0]].toarray(), dense.transform(X[:, [0]].toarray()), rtol=1e-6
    )
    unstored = sp.csr_matrix((1, X.shape[1]))  # a row whose year is an implicit 0
    np.testing.assert_allclose(
        encoder.transform(unstored)[0, 0], dense.transform(np.zeros((1, 1)))[0, 0], rtol=1e-6
    )
    np.testing.assert_array_equal(
        encoder.transform(X)[:, 1:].toarray() == 0, X[:, 1:].toarray() == 0
    )
    model = NeuralNetRegressor(random_state=0).fit(X[:1_000], y[:1_000])
    assert model.encoder_.sparse_input_ and model.score(X[1_000:], y[1_000:]) > 0.5


def test_categorical_features_of_a_sparse_x_are_refused_with_the_fix():
    X, y = _topics(n=100)
    for fit in (
        lambda: TabularEncoder(categorical_features=[0]).fit(X),
        lambda: NeuralNetClassifier(categorical_features=[0]).fit(X, y),
    ):
        with pytest.raises(ValueError, match="all read as numbers.*OneHotEncoder.*toarray"):
            fit()
    with pytest.raises(ValueError, match="outside"):
        TabularEncoder(categorical_features=[5_000]).fit(X)
    assert TabularEncoder(categorical_features=None).fit(X).sparse_input_


def test_a_few_sparse_rows_are_answered_alike_alone_and_in_a_batch():
    X, y = _topics(n=600)
    model = NeuralNetClassifier(max_iter=5, random_state=0).fit(X[:500], y[:500])
    batch = model.predict_proba(X[500:])
    for i in (0, 37, 99):
        np.testing.assert_allclose(
            model.predict_proba(X[500 + i : 501 + i])[0], batch[i], rtol=1e-12
        )


def test_missing_values_given_to_a_sparse_fit_at_prediction_are_refused_without_toarray():
    X, y = _topics(n=200)
    model = NeuralNetClassifier(max_iter=2, random_state=0).fit(X, y)
    bad = X[:3].copy()
    bad.data[0] = np.nan
    for rows in (bad, bad.toarray()):
        with pytest.raises(ValueError, match="SimpleImputer") as error:
            model.predict(rows)
        assert "toarray" not in str(error.value)


def test_a_sparse_fit_exports_to_onnx_and_skops():
    import onnxruntime
    import skops.io

    from sknn.onnx import to_onnx

    X, y = _year_beside_words(n=300)
    model = NeuralNetRegressor(max_iter=3, random_state=0).fit(X, y)
    session = onnxruntime.InferenceSession(to_onnx(model).SerializeToString())
    answer = session.run(None, {"X": X[:50].toarray().astype(np.float32)})[0].ravel()
    np.testing.assert_allclose(answer, model.predict(X[:50]), rtol=1e-5, atol=1e-5)
    saved = skops.io.dumps(model)
    loaded = skops.io.loads(saved, trusted=skops.io.get_untrusted_types(data=saved))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_module_of_ones_own_refuses_sparse_x_naming_toarray():
    from sknn.nn import MLP

    X, y = _topics(n=100)
    with pytest.raises(TypeError, match=r"sparse matrix.*X.toarray\(\).*module=None"):
        NeuralNetClassifier(module=MLP, max_iter=1).fit(X, y)
    assert NeuralNetClassifier(module=MLP, max_iter=1).fit(X[:, :50].toarray(), y).n_iter_ == 1
