"""Cross-fitting: on small tables every row trains some members and validates the others."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import train_test_split

from sknn import NeuralNetClassifier, NeuralNetRegressor
from sknn.nn import GroupedLinear, TabularMLP
from sknn.training.losses import combine, out_of_fold


@pytest.mark.parametrize("Est", [NeuralNetClassifier, NeuralNetRegressor])
def test_small_tables_cross_fit_four_groups_and_large_ones_hold_out_a_split(Est):
    make = make_classification if Est is NeuralNetClassifier else make_regression
    X, y = make(n_samples=20_001, n_features=4, random_state=0)
    small = Est(max_iter=2, random_state=0).fit(X[:600], y[:600])
    assert (small.n_groups_, small.n_ensemble_) == (4, 4)
    assert isinstance(small.module_.mlp[0], GroupedLinear)
    assert small.module_.mlp[0].weight.shape[0] == 4
    large = Est(max_iter=1, random_state=0).fit(X, y)  # over 20,000 rows: one split
    # from 5,000 rows a classifier holds out a split, a regressor cross-fits to 20,000
    middle = Est(max_iter=1, random_state=0).fit(X[:6_000], y[:6_000])
    assert middle.n_groups_ == (1 if Est is NeuralNetClassifier else 4)
    assert (large.n_groups_, large.n_ensemble_) == (1, 4)
    assert isinstance(large.module_.mlp[0], torch.nn.Linear)
    # an explicit early_stopping=True holds out validation_fraction as before
    held = Est(early_stopping=True, max_iter=2, random_state=0).fit(X[:600], y[:600])
    assert (held.n_groups_, held.n_ensemble_) == (1, 8)
    # explicit members cross-fit in four groups when they divide into them
    eight = Est(n_ensemble=8, max_iter=2, random_state=0).fit(X[:600], y[:600])
    assert (eight.n_groups_, eight.n_ensemble_) == (4, 8)
    six = Est(n_ensemble=6, max_iter=2, random_state=0).fit(X[:600], y[:600])
    assert (six.n_groups_, six.n_ensemble_) == (1, 6)
    # from 64 rows out of fold (a held-out split would have had 8 rows), not below
    # (the whole schedule trains)
    few = Est(max_iter=2, random_state=0).fit(X[:80], y[:80])
    assert few.n_groups_ == 4 and few.validation_scores_ is not None
    micro = Est(max_iter=2, random_state=0).fit(X[:63], y[:63])
    assert micro.n_groups_ == 1 and micro.validation_scores_ is None
    assert Est(max_iter=2, random_state=0).fit(X[:64], y[:64]).n_groups_ == 4


def test_a_validation_fraction_that_a_cross_fit_ignores_is_named():
    X, y = make_regression(n_samples=300, n_features=4, random_state=0)
    with pytest.warns(UserWarning, match=r"validation_fraction=0.3 has no effect.*300 rows") as rec:
        NeuralNetRegressor(validation_fraction=0.3, max_iter=1, random_state=0).fit(X, y)
    assert rec[0].filename == __file__  # at the user's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default, or a fit that holds out the fraction
        NeuralNetRegressor(max_iter=1, random_state=0).fit(X, y)
        fraction = NeuralNetRegressor(early_stopping=True, validation_fraction=0.3, max_iter=1)
        fraction.fit(X, y)
    assert fraction.n_groups_ == 1


@pytest.mark.parametrize("early_stopping", ["auto", True])
def test_warm_starts_validate_on_the_rows_the_first_fit_held_out(early_stopping):
    # coin-flip labels: nothing generalises, so a validation score far above chance
    # means validation rows were trained on. A new deal of rows each warm start
    # trained every group on rows it had validated: 0.55 climbed to 0.92 (and 1.0
    # with early_stopping=True) in six fits
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 20)), rng.integers(0, 2, 300)
    params = {"max_iter": 5, "learning_rate": 0.01, "lr_schedule": "constant"}
    est = NeuralNetClassifier(
        warm_start=True, early_stopping=early_stopping, random_state=0, **params
    )
    scores = [est.fit(X, y).best_validation_score_ for _ in range(6)]
    train_loss = est.history_.column("train_loss")
    assert train_loss[-1] < 0.5 * train_loss[0]  # the epochs learn their training rows
    assert max(scores) < 0.7, scores


_TRAINED_ON = "may validate on rows the network has already trained on"


@pytest.mark.parametrize(
    "first, then",
    [
        ({"early_stopping": False}, {"early_stopping": True}),
        ({"early_stopping": False}, {"early_stopping": "auto"}),  # cross-fits every row
        ({"early_stopping": "auto"}, {"early_stopping": True}),  # folds, then a holdout
        ({"early_stopping": True}, {"validation_fraction": 0.3}),
        ("partial_fit", {"early_stopping": True}),
    ],
)
def test_a_warm_start_that_validates_on_rows_an_earlier_fit_trained_on_says_so(first, then):
    # coin-flip labels: a validation score above chance means its rows were learnt.
    # A warm start after a fit without validation replayed the draw of rows no
    # fit had held out: it validated 0.62 on coin flips, and early stopping
    # watched the training rows, without a word
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(400, 5)), rng.integers(0, 2, 400)
    est = NeuralNetClassifier(max_iter=3, random_state=0)
    if first == "partial_fit":
        est.partial_fit(X, y, classes=[0, 1])
    else:
        est.set_params(**first).fit(X, y)
    est.set_params(warm_start=True, **then)
    with pytest.warns(UserWarning, match=_TRAINED_ON) as record:
        est.fit(X, y)
    assert record[0].filename == __file__  # at the user's line
    with pytest.warns(UserWarning, match=_TRAINED_ON):  # the rows stay learnt
        est.set_params(early_stopping=True, validation_fraction=0.1).fit(X, y)


def test_warm_starts_that_validate_on_unseen_rows_say_nothing():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(400, 5)), rng.integers(0, 2, 400)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=f".*{_TRAINED_ON}")
        for early_stopping in (True, "auto"):  # the first fit's rows, replayed
            est = NeuralNetClassifier(early_stopping=early_stopping, max_iter=2, random_state=0)
            est.fit(X, y)
            est.set_params(warm_start=True).fit(X, y)
            est.set_params(early_stopping=False).fit(X, y)  # no validation: nothing to tell
        # new rows: a table of another size validates rows the network never saw
        fresh = NeuralNetClassifier(early_stopping=False, max_iter=2, random_state=0)
        fresh.fit(X[:150], y[:150]).set_params(warm_start=True, early_stopping=True)
        fresh.fit(X[150:], y[150:])
        fresh.fit(X[150:], y[150:])  # the same holdout of the same rows again


def test_conformalized_quantiles_hold_out_a_split_and_point_losses_cross_fit():
    X, y = make_regression(n_samples=600, n_features=4, noise=10.0, random_state=0)
    quantiles = NeuralNetRegressor(loss="quantile", quantile=[0.05, 0.95], max_iter=3)
    assert quantiles.fit(X, y).n_groups_ == 1
    assert quantiles.conformity_scores_.shape == (60, 1)  # the 10% held out
    point = NeuralNetRegressor(max_iter=3, random_state=0).fit(X, y)
    assert point.n_groups_ == 4
    assert point.conformity_scores_.shape == (600, 1)  # every row, out of fold


def test_validation_is_out_of_fold_labels_that_are_noise_score_chance():
    # every row its own category and a coin-flip label: nothing generalises.
    # A network whose validation rows had trained any part of it (a shared
    # category embedding learns each row's label) scored 0.60-0.67 here
    scores = []
    for seed in range(2):
        rng = np.random.default_rng(seed)
        n = 600
        X = pd.DataFrame(
            {
                "a": rng.normal(size=n),
                "b": rng.normal(size=n),
                "id": pd.Categorical([f"row{i}" for i in range(n)]),
            }
        )
        y = rng.integers(0, 2, size=n)
        est = NeuralNetClassifier(max_iter=60, n_iter_no_change=1000, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the ID-like column's warning
            est.fit(X, y)
        assert est.n_groups_ == 4 and est.n_iter_ == 60
        scores.append(np.mean(est.validation_scores_[-20:]))
    assert np.mean(scores) < 0.56


def test_each_group_learns_a_network_of_its_own():
    X, y = make_regression(n_samples=400, n_features=5, noise=5.0, random_state=0)
    est = NeuralNetRegressor(max_iter=10, random_state=0).fit(X, y)
    weights = est.module_.mlp[0].weight.detach()
    for g in range(1, 4):
        assert not torch.allclose(weights[0], weights[g])
    with torch.no_grad():
        members = est.module_(torch.as_tensor(est.encoder_.transform(X[:5])))
    assert members.shape[:2] == (5, 4)
    assert members.std(dim=1).mean().item() > 1e-3
    assert est.score(X, y) > 0.9


def test_a_cross_fitted_fit_is_reproducible_saved_and_continued():
    X, y = make_classification(n_samples=500, n_features=6, random_state=1)
    a = NeuralNetClassifier(max_iter=5, random_state=3).fit(X, y)
    b = NeuralNetClassifier(max_iter=5, random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    loaded = pickle.loads(pickle.dumps(a))
    assert loaded.n_groups_ == 4
    np.testing.assert_allclose(loaded.predict_proba(X), a.predict_proba(X), rtol=1e-6)
    # a warm start continues the grouped network, cross-fitting again
    a.set_params(warm_start=True, max_iter=3).fit(X[:300], y[:300])
    assert a.n_groups_ == 4 and a.validation_scores_ is not None
    # a partial fit trains every member on every row (no validation)
    a.partial_fit(X[:100], y[:100])
    assert a.n_groups_ == 4 and np.isfinite(a.predict_proba(X)).all()


def test_rows_of_zero_weight_neither_train_nor_validate():
    X, y = make_regression(n_samples=300, n_features=4, noise=1.0, random_state=0)
    w = np.ones(len(y))
    w[:30] = 0.0
    y_bad = y.copy()
    y_bad[:30] = 1e6  # would wreck the fit if they counted
    est = NeuralNetRegressor(max_iter=20, random_state=0).fit(X, y_bad, sample_weight=w)
    assert est.n_groups_ == 4
    assert np.isfinite(est.validation_scores_).all()
    assert est.score(X[30:], y[30:]) > 0.8


def test_out_of_fold_combines_only_the_members_a_row_selects():
    out = torch.randn(6, 4, 3)
    weight = torch.zeros(6, 4)
    weight[:3, :2] = 1.0
    weight[3:, 2:] = 2.0
    combined, rows = out_of_fold(out, "softmax", weight)
    torch.testing.assert_close(combined[:3], combine(out[:3, :2], "softmax"))
    torch.testing.assert_close(combined[3:], combine(out[3:, 2:], "softmax"))
    torch.testing.assert_close(rows, torch.tensor([1.0, 1.0, 1.0, 2.0, 2.0, 2.0]))


@pytest.mark.parametrize("n_ensemble", [4, 8])
def test_a_fold_asks_each_row_of_its_own_group_only(n_ensemble):
    torch.manual_seed(0)
    edges = torch.sort(torch.randn(3, 9), dim=1).values
    net = TabularMLP(
        5, [4, 7], 2, (16,), n_periodic=3, n_ensemble=n_ensemble, n_groups=4, bin_edges=edges
    ).eval()
    codes = torch.stack([torch.randint(0, 4, (37,)), torch.randint(0, 7, (37,))], 1)
    x = torch.cat([torch.randn(37, 5), codes.float()], 1)
    for fold in (torch.randint(0, 4, (37,)), torch.tensor([0] * 36 + [3])):  # one fold empty
        with torch.no_grad():
            every, own = net(x), net(x, fold)
        selected = (torch.arange(n_ensemble) // (n_ensemble // 4))[None, :] == fold[:, None]
        torch.testing.assert_close(own[selected], every[selected])
        assert (own[~selected] == 0).all()


def test_groups_must_divide_the_members():
    with pytest.raises(ValueError, match="n_groups=3 must divide n_ensemble=4"):
        TabularMLP(3, [], 1, (8,), n_ensemble=4, n_groups=3)


def test_cross_fitting_scores_no_worse_than_one_held_out_split():
    # several small regression tables' worth of splits: the cross-fitted
    # default against the same network validated on one held-out split
    scores = {"cross": [], "held": []}
    for seed in range(4):
        X, y = make_regression(
            n_samples=500, n_features=8, n_informative=6, noise=20.0, random_state=seed
        )
        y = y + 30 * np.sin(X[:, 0])
        Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=seed)
        cross = NeuralNetRegressor(random_state=seed).fit(Xtr, ytr)
        held = NeuralNetRegressor(early_stopping=True, n_ensemble=4, random_state=seed)
        scores["cross"].append(cross.score(Xte, yte))
        scores["held"].append(held.fit(Xtr, ytr).score(Xte, yte))
    assert np.mean(scores["cross"]) >= np.mean(scores["held"]) - 0.01
