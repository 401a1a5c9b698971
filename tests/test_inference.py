"""Small predictions (float64, in numpy where possible) against large ones (float32, torch).

Up to a few thousand CPU rows go through a float64 copy of the network, larger
inputs through the torch network itself; both must give the same answers for
every constructor option, and a row's answer must not depend on which other
rows share the call.
"""

import itertools

import numpy as np
import pandas as pd
import pytest
import torch

from sknn import NeuralNetClassifier, NeuralNetRegressor
from sknn.nn import GroupedLinear, TabularMLP
from sknn.nn.inference import inference_copy

LARGE = 4097  # rows: past the float64 path


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "a": rng.normal(size=300),
            "b": rng.uniform(size=300),
            "many": rng.choice(list("abcdefghijklmnop"), 300),  # embedded (> 8 levels)
            "few": rng.choice(["x", "y"], 300),  # one-hot
        }
    )
    return df, (df["a"] > 0).astype(int)


def _large(df: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([df] * (LARGE // len(df) + 1), ignore_index=True)


def _predictions(est, df):
    return est.predict_proba(df) if hasattr(est, "predict_proba") else est.predict(df)


OPTIONS = list(
    itertools.product(
        ["relu", "gelu", "silu", "selu", "tanh", "logistic", "identity"],
        ["periodic", "piecewise", None],
        [True, False],
        [1, 3],
    )
) + list(  # 4 members on these 300 rows: cross-fitted, 4 groups (tests/test_cross_fit.py)
    itertools.product(["relu", "selu"], ["piecewise", None], [True, False], [4])
)


@pytest.mark.parametrize(("activation", "embedding", "scale", "members"), OPTIONS)
def test_small_and_large_predictions_agree_for_every_option(
    table, activation, embedding, scale, members
):
    df, y = table
    clf = NeuralNetClassifier(
        (16, 16),
        activation=activation,
        numeric_embedding=embedding,
        feature_scale=scale,
        n_ensemble=members,
        max_iter=3,
        random_state=0,
    ).fit(df, y)
    small = clf.predict_proba(df)
    large = clf.predict_proba(_large(df))[: len(df)]
    np.testing.assert_allclose(large, small, rtol=1e-5, atol=1e-6)


def test_piecewise_embeddings_agree_beyond_the_training_range(table):
    # the outer bins extrapolate and the inner ones clip: both paths must agree
    df, y = table
    reg = NeuralNetRegressor(
        (16,), numeric_embedding="piecewise", n_ensemble=3, max_iter=3, random_state=0
    ).fit(df, df["a"] * 3 + df["b"])
    far = df.assign(a=df["a"] * 4 - 1, b=df["b"] * 3 - 1)
    small = reg.predict(far)
    large = reg.predict(_large(far))[: len(df)]
    np.testing.assert_allclose(large, small, rtol=1e-5, atol=1e-5)
    assert np.ptp(small) > 0


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel", "regression"])
@pytest.mark.parametrize("members", [1, 4])
def test_small_and_large_predictions_agree_for_every_task(table, target, members):
    df, y = table
    params = {"hidden_layer_sizes": (16,), "n_ensemble": members, "max_iter": 3}
    if target == "regression":
        est = NeuralNetRegressor(random_state=0, **params)
        y = df["a"] * 3 + df["b"]
    else:
        est = NeuralNetClassifier(random_state=0, dropout=0.1, **params)
        if target == "multiclass":
            y = pd.cut(df["a"], [-np.inf, -0.5, 0.5, np.inf], labels=False)
        elif target == "multilabel":
            y = np.column_stack([y, 1 - y, df["few"] == "x"]).astype(int)
    est.fit(df, y)
    np.testing.assert_allclose(
        _predictions(est, _large(df))[: len(df)], _predictions(est, df), rtol=1e-5, atol=1e-5
    )


def test_a_row_gets_the_same_answer_alone_or_in_company(table):
    df, y = table
    clf = NeuralNetClassifier((16,), max_iter=3, random_state=0).fit(df, y)
    together = clf.predict_proba(df)
    alone = np.vstack([clf.predict_proba(df.iloc[[i]]) for i in range(10)])
    # float64 products of 1 and of 300 rows may still round the last bit apart
    # (2e-16 on this fit); float32 ones differ by about 1e-7
    np.testing.assert_allclose(alone, together[:10], rtol=0, atol=1e-13)


def test_predictions_follow_further_training_and_edits(table):
    df, y = table
    reg = NeuralNetRegressor((8,), max_iter=2, random_state=0).fit(df, y)
    before = reg.predict(df[:5])
    reg.partial_fit(df, y)
    assert not np.allclose(reg.predict(df[:5]), before)
    after_fit = reg.predict(df[:5])
    with torch.no_grad():  # an in-place change by the user is seen too
        next(reg.module_.parameters()).add_(1.0)
    assert not np.allclose(reg.predict(df[:5]), after_fit)


def test_predictions_follow_a_replaced_layer_and_pruning(table):
    # the float64 copy was kept after such edits: a few rows answered as before, a
    # large call as the edited network
    df, y = table
    big = pd.concat([df] * (LARGE // len(df) + 1), ignore_index=True)

    def agree(est):
        np.testing.assert_allclose(est.predict(df[:5]), est.predict(big)[:5], rtol=1e-4, atol=1e-5)

    reg = NeuralNetRegressor((8,), max_iter=2, random_state=0).fit(df, y)
    before = reg.predict(df[:5])
    activations = [name for name, m in reg.module_.named_modules() if isinstance(m, torch.nn.ReLU)]
    parent, _, child = activations[0].rpartition(".")
    setattr(reg.module_.get_submodule(parent), child, torch.nn.Tanh())
    assert not np.allclose(reg.predict(df[:5]), before)
    agree(reg)
    prune = pytest.importorskip("torch.nn.utils.prune")
    weighted = (m for m in reg.module_.modules() if isinstance(m, torch.nn.Linear | GroupedLinear))
    linear = next(weighted)
    after_swap = reg.predict(df[:5])
    prune.l1_unstructured(linear, "weight", amount=0.9)
    assert not np.allclose(reg.predict(df[:5]), after_swap)
    agree(reg)


LAYOUTS = [  # groups of members take piecewise-linear or no numeric embeddings
    (members, groups, embedding)
    for members, groups in [(1, 1), (3, 1), (4, 4), (8, 4), (6, 2)]
    for embedding in ["periodic", "piecewise", None]
    if groups == 1 or embedding != "periodic"
]


@pytest.mark.parametrize(("members", "groups", "embedding"), LAYOUTS)
def test_the_numpy_copy_is_the_float64_network_for_every_layout(members, groups, embedding):
    # randomised weights (a fit of a few epochs barely moves the feature scale off 1), more
    # members than groups (their rows repeated per member), category codes beside numbers
    torch.manual_seed(0)
    n_dense, cardinalities = 4, [5, 12]
    n_periodic = 3 if embedding else 0
    edges = torch.sort(torch.randn(n_periodic, 6), 1).values if embedding == "piecewise" else None
    module = TabularMLP(
        n_dense,
        cardinalities,
        3,
        (8, 8),
        "relu",
        n_periodic=n_periodic,
        feature_scale=True,
        n_ensemble=members,
        bin_edges=edges,
        n_groups=groups,
    )
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    rng = np.random.default_rng(0)
    n = 1_100  # the numpy copy takes rows a few hundred at a time: two passes and a part
    x = np.hstack(
        [
            rng.normal(scale=3, size=(n, n_dense)),
            np.column_stack([rng.integers(0, c, n) for c in cardinalities]),
        ]
    )
    copy = inference_copy(module.eval(), fit_count=1)
    expected = copy.torch(torch.as_tensor(x)).detach().numpy()
    np.testing.assert_allclose(copy.numpy(x), expected, rtol=1e-12, atol=1e-12)
    assert copy.numpy(x[:0]).shape == (0, *expected.shape[1:])  # no rows: none out


def test_predictions_leave_numpys_threads_as_they_were(table):
    # the numpy copy runs its matrix products on one thread and sets numpy's threads
    # back after; predictions in worker threads must leave them as they were too
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info, threadpool_limits

    df, y = table
    clf = NeuralNetClassifier(max_iter=2, random_state=0).fit(df, y)

    def blas_threads():
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    before = blas_threads()  # numpy's own (inside a limit set here, the bug did not show)
    with ThreadPoolExecutor(4) as pool:  # worker threads first (a server's)
        answers = list(pool.map(lambda i: clf.predict_proba(df[: 1 + i % 50]), range(400)))
    assert blas_threads() == before
    expected = clf.predict_proba(df)
    assert blas_threads() == before

    def limited_elsewhere():  # another thread's limit still holds after a prediction here
        with threadpool_limits(limits=1, user_api="blas"):
            return blas_threads()

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(limited_elsewhere).result() == {1}
    for i, answer in enumerate(answers):
        np.testing.assert_allclose(answer, expected[: 1 + i % 50], rtol=1e-12, atol=1e-15)
