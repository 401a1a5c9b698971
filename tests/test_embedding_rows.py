"""A column of many categories trains its embedding by the rows each batch meets
(``sknn.training.lazy_rows``): dense AdamW's steps, without stepping every row every batch."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from sknn import NeuralNetClassifier, NeuralNetRegressor
from sknn.training import Callback
from sknn.training.lazy_rows import RowTraining
from sknn.training.optim import Stepper, make_optimizer

LEVELS = 70_000  # a table of 65,536 rows or more trains by rows


def _train_table(by_rows: bool, *, weight_decay: float, eps: float):
    """A table of 600 rows and a fixed read-out, trained for three epochs of small
    batches (most rows missed by most steps), the rate changing between epochs."""
    torch.manual_seed(0)
    table = nn.Embedding(600, 4)
    readout = torch.randn(4)
    codes = torch.randint(0, 600, (3, 40, 32))
    target = torch.randn(600)
    optimizer = make_optimizer(
        "adamw",
        table.parameters(),
        0.05,
        weight_decay,
        torch.device("cpu"),
        betas=(0.9, 0.95),
        eps=eps,
    )
    rows = RowTraining([table] if by_rows else [], optimizer)
    step = Stepper(optimizer)
    for epoch, lr in enumerate((0.05, 0.02, 0.005)):
        optimizer.param_groups[0]["lr"] = lr
        for batch in codes[epoch]:
            step((table(batch) @ readout - target[batch]).square().sum())
        rows.settle()
    sparse_during_fit = table.sparse
    rows.close()
    return table, sparse_during_fit


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_rows_trained_by_their_batches_reach_dense_adamws_weights(weight_decay):
    dense, was_sparse = _train_table(False, weight_decay=weight_decay, eps=1e-8)
    assert not was_sparse
    by_rows, was_sparse = _train_table(True, weight_decay=weight_decay, eps=1e-8)
    assert was_sparse and not by_rows.sparse  # dense again after the fit
    torch.testing.assert_close(by_rows.weight, dense.weight, rtol=1e-4, atol=1e-5)


def _long_run(by_rows: bool, betas: tuple, *, sparse_table: bool = False):
    """1,500 steps of 4 codes each on a float64 table of 200 rows (a row waits hundreds
    of steps between batches that meet it), the rate changed between epochs and, once,
    in the middle of one; every 100 steps the whole table is read without gradients."""
    torch.manual_seed(0)
    table = nn.Embedding(200, 3, dtype=torch.float64, sparse=sparse_table)
    readout = torch.randn(3, dtype=torch.float64)
    codes = torch.randint(0, 200, (1500, 4))
    target = torch.randn(200, dtype=torch.float64)
    optimizer = make_optimizer(
        "adamw", table.parameters(), 0.05, 0.01, torch.device("cpu"), betas=betas, eps=1e-30
    )
    rows = RowTraining([table] if by_rows else [], optimizer)
    step = Stepper(optimizer)
    reads = []
    for i, batch in enumerate(codes):
        if i in (500, 1000):  # an epoch's end: the schedule's new rate
            rows.settle()
            optimizer.param_groups[0]["lr"] *= 0.5
        if i == 1250:  # a callback's rate, mid-epoch
            optimizer.param_groups[0]["lr"] *= 0.5
        step((table(batch) @ readout - target[batch]).square().sum())
        if i % 100 == 0:
            with torch.no_grad():
                reads.append(table(torch.arange(200)).clone())
    rows.close()
    return table.weight.detach(), torch.stack(reads)


@pytest.mark.parametrize("betas", [(0.9, 0.95), (0.9, 0.999), (0.0, 0.95)])
def test_rows_missed_for_hundreds_of_steps_take_dense_adamws_steps(betas):
    # float64 and eps near 0: the closed form against dense AdamW, to rounding; rows last
    # met beyond step 430 (where a sum of the missed steps' terms once cancelled to 0),
    # torch's default beta2 (its bias correction lasts 37,000 steps) and no momentum
    # (near its optimum a row's steps follow the sign of a vanishing gradient: rounding
    # grows there to about 1e-9; a sum of missed steps lost was 0.4 off)
    dense, dense_reads = _long_run(False, betas)
    by_rows, reads = _long_run(True, betas)
    torch.testing.assert_close(by_rows, dense, rtol=1e-6, atol=1e-7)
    # reads without gradients between batches see every row's missed steps taken
    torch.testing.assert_close(reads, dense_reads, rtol=1e-6, atol=1e-7)


def test_a_sparse_table_of_ones_own_steps_as_a_dense_one():
    # an nn.Embedding(sparse=True) that sknn does not train by rows: its gradient is
    # made dense (before, the fused optimizer failed on it)
    dense, _ = _long_run(False, (0.9, 0.95))
    own, _ = _long_run(False, (0.9, 0.95), sparse_table=True)
    torch.testing.assert_close(own, dense, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("betas", [(0.0, 0.95), (0.0, 0.0), (0.9, 0.99999)])
def test_betas_without_a_closed_form_or_momentum_still_fit(betas):
    # beta2 = 0 has no closed form (the table trains densely; a first draft divided by
    # it in every fit), beta2 of 0.99999 would need a table of 3.7 million corrections
    X, y = _many_categories(LEVELS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = NeuralNetRegressor(max_iter=1, random_state=0, optimizer__betas=betas).fit(X, y)
    assert np.isfinite(est.predict(X[:200])).all()


def test_an_optimizer_without_row_updates_keeps_the_table_dense():
    table = nn.Embedding(600, 4)
    for optimizer in (
        make_optimizer("sgd", table.parameters(), 0.1, 0.0, torch.device("cpu")),
        torch.optim.AdamW(table.parameters()),
        # Adam's L2 decay gives every row a gradient: no row is ever missed
        make_optimizer("adam", table.parameters(), 0.1, 1e-4, torch.device("cpu")),
    ):
        rows = RowTraining([table], optimizer)
        assert not table.sparse
        rows.close()


def _many_categories(n_rows: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, 3)), columns=["a", "b", "c"])
    codes = rng.permutation(np.arange(n_rows) % LEVELS)  # every level, a few rows each
    X["shop"] = pd.Categorical(np.char.add("s", codes.astype(str)))
    effect = rng.normal(size=LEVELS)
    y = X["a"] + np.sin(X["b"]) + effect[codes] + rng.normal(scale=0.3, size=n_rows)
    return X, y


def test_a_column_of_many_categories_fits_by_rows_as_well_as_dense_adamw():
    X, y = _many_categories(3 * LEVELS)
    test = slice(2 * LEVELS, None)
    settings = dict(max_iter=2, random_state=0, n_ensemble=1, early_stopping=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 3 rows a category: ID-like
        ours = NeuralNetRegressor(**settings).fit(X[: 2 * LEVELS], y[: 2 * LEVELS])
        # torch's own AdamW takes no sparse gradients: every row steps every batch
        dense = NeuralNetRegressor(
            **settings, optimizer=torch.optim.AdamW, optimizer__betas=(0.9, 0.95)
        ).fit(X[: 2 * LEVELS], y[: 2 * LEVELS])
    # the same steps to float rounding, which two rows of a category amplify (dense
    # AdamW in torch's class and in sknn's fused one differ as much): scores agree
    assert abs(ours.score(X[test], y[test]) - dense.score(X[test], y[test])) < 0.01
    trained_by_rows = [s for s in ours.optimizer_.state_dict()["state"].values() if "row_step" in s]
    assert len(trained_by_rows) == 1
    tables = [m for m in ours.module_.modules() if isinstance(m, nn.Embedding)]
    assert tables and not any(t.sparse for t in tables)  # saved as an ordinary module
    again = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(again.predict(X[:500]), ours.predict(X[:500]))


def test_warm_starts_and_partial_fit_go_on_by_rows_after_any_optimizer():
    X, y = _many_categories(LEVELS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # few rows a category
        est = NeuralNetClassifier(max_iter=1, random_state=0, optimizer="sgd")
        est.fit(X, y > 0)
        before = est.predict_proba(X[:200])
        est.set_params(optimizer="adamw", warm_start=True).fit(X, y > 0)
        est.partial_fit(X[:5_000], (y > 0)[:5_000])
    after = est.predict_proba(X[:200])
    assert np.isfinite(after).all() and not np.allclose(after, before)
    assert not any(m.sparse for m in est.module_.modules() if isinstance(m, nn.Embedding))


def test_an_interrupted_fit_leaves_its_table_dense_and_settled():
    X, y = _many_categories(LEVELS)

    class CtrlCMidEpoch(Callback):
        def on_batch_end(self, info):
            if info["epoch"] == 2 and info["batch"] == 5:
                raise KeyboardInterrupt

    est = NeuralNetRegressor(max_iter=3, random_state=0, early_stopping=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the fit was interrupted
        est.set_params(callbacks=[CtrlCMidEpoch()]).fit(X, y)
    assert est.n_iter_ == 1  # the epoch that ended
    assert np.isfinite(est.predict(X[:100])).all()
    assert not any(m.sparse for m in est.module_.modules() if isinstance(m, nn.Embedding))
