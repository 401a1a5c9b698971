"""The flagship estimators' architecture switches: embeddings, ensembles, smoothing."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV

from sknn import NeuralNetClassifier, NeuralNetRegressor
from sknn.nn import GroupedLinear, PeriodicEmbedding, PiecewiseLinearEmbedding
from sknn.training.calibration import calibrated_loss, fit_temperature
from sknn.training.losses import cross_entropy, members_loss


@pytest.fixture
def clf_data():
    return make_classification(n_samples=300, n_features=6, n_informative=4, random_state=0)


def test_defaults_use_piecewise_embeddings_a_feature_scale_and_one_hidden_layer(clf_data):
    X, y = clf_data
    clf = NeuralNetClassifier(max_iter=2, random_state=0).fit(X, y)
    assert isinstance(clf.module_.piecewise, PiecewiseLinearEmbedding)
    assert clf.module_.piecewise.n_features == 6
    assert clf.module_.periodic is None
    assert clf.module_.scale is not None
    linears = [m for m in clf.module_.mlp if isinstance(m, (torch.nn.Linear, GroupedLinear))]
    assert [m.out_features for m in linears] == [256]
    periodic = NeuralNetClassifier(numeric_embedding="periodic", max_iter=2, random_state=0)
    assert isinstance(periodic.fit(X, y).module_.periodic, PeriodicEmbedding)
    plain = NeuralNetClassifier(numeric_embedding=None, max_iter=2, random_state=0).fit(X, y)
    assert plain.module_.periodic is None and plain.module_.piecewise is None


def test_input_layers_get_their_own_learning_rates(clf_data):
    X, y = clf_data
    clf = NeuralNetClassifier(
        numeric_embedding="periodic", max_iter=1, learning_rate=0.01, random_state=0
    ).fit(X, y)
    rates = {}
    for group in clf.optimizer_.param_groups:
        for p in group["params"]:
            rates[id(p)] = group["lr_multiplier"]
    assert rates[id(clf.module_.scale.weight)] == 6.0
    assert rates[id(clf.module_.periodic.frequencies)] == 0.1
    # the user's multipliers win over the built-in ones
    clf = NeuralNetClassifier(max_iter=1, lr_multipliers={"scale.*": 1.0}, random_state=0)
    clf.fit(X, y)
    scale = clf.module_.scale.weight
    groups = [g for g in clf.optimizer_.param_groups if any(p is scale for p in g["params"])]
    assert groups[0]["lr_multiplier"] == 1.0


@pytest.mark.parametrize("Est", [NeuralNetClassifier, NeuralNetRegressor])
def test_auto_network_is_small_plain_and_many_membered_on_a_micro_table(Est):
    # under 64 training rows (after the 10% validation split, when there is one)
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    micro = Est(max_iter=2, random_state=0).fit(X[:60], y[:60])
    assert micro.hidden_layer_sizes_ == (64,) and micro.numeric_embedding_ is None
    assert micro.module_.piecewise is None and micro.module_.periodic is None
    assert [m.out_features for m in micro.module_.mlp if isinstance(m, torch.nn.Linear)] == [64]
    # and 16 members, whose averaging cuts the variance of a few dozen rows
    assert micro.n_ensemble_ == 16 and micro.module_.head_weight.shape[0] == 16
    small = Est(max_iter=2, random_state=0).fit(X, y)  # 90 training rows
    assert small.hidden_layer_sizes_ == (256,) and small.numeric_embedding_ == "piecewise"
    # what the user names is used on any table, arrays of widths included
    asked = Est(hidden_layer_sizes=np.array([8, 4]), numeric_embedding="periodic", max_iter=2)
    asked.fit(X[:60], y[:60])
    assert asked.hidden_layer_sizes_ == (8, 4) and asked.numeric_embedding_ == "periodic"
    assert isinstance(asked.module_.periodic, PeriodicEmbedding)
    loaded = pickle.loads(pickle.dumps(micro))
    np.testing.assert_array_equal(loaded.predict(X[60:]), micro.predict(X[60:]))


@pytest.mark.parametrize("Est", [NeuralNetClassifier, NeuralNetRegressor])
def test_numeric_embeddings_are_4_wide(Est):
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    piecewise = Est(max_iter=1, random_state=0).fit(X, y)
    assert piecewise.numeric_embedding_width_ == 4
    assert piecewise.module_.piecewise.out_features == 4 * 4
    periodic = Est(numeric_embedding="periodic", max_iter=1, random_state=0).fit(X, y)
    assert periodic.numeric_embedding_width_ == 4
    assert periodic.module_.periodic.out_features == 4 * 4
    plain = Est(numeric_embedding=None, max_iter=1, random_state=0).fit(X, y)
    assert plain.numeric_embedding_width_ is None and plain.module_.piecewise is None
    loaded = pickle.loads(pickle.dumps(piecewise))
    assert loaded.numeric_embedding_width_ == 4
    np.testing.assert_array_equal(loaded.predict(X), piecewise.predict(X))


@pytest.mark.parametrize("Est", [NeuralNetClassifier, NeuralNetRegressor])
def test_auto_ensemble_has_8_members_on_small_tables_and_4_on_large(Est):
    # with one held-out split, 2,000 training rows after the 10% validation
    # split is where it changes (a cross-fitted fit has one member a group:
    # tests/test_cross_fit.py)
    X, y = make_classification(n_samples=2300, n_features=5, random_state=0)
    held = {"early_stopping": True, "max_iter": 1, "random_state": 0}
    small = Est(**held).fit(X[:2200], y[:2200])  # 1,980 training rows
    large = Est(**held).fit(X, y)  # 2,070
    assert (small.n_ensemble_, large.n_ensemble_) == (8, 4)
    assert small.module_.head_weight.shape[0] == 8 and large.module_.head_weight.shape[0] == 4
    # an explicit count is used as given, on any table
    assert Est(n_ensemble=8, max_iter=1, random_state=0).fit(X, y).n_ensemble_ == 8
    # the count survives saving: the loaded model predicts what the fitted one did
    loaded = pickle.loads(pickle.dumps(large))
    assert loaded.n_ensemble_ == 4
    np.testing.assert_array_equal(loaded.predict(X[:50]), large.predict(X[:50]))
    # warm_start keeps the fitted network, members included, whatever the rows
    large.set_params(warm_start=True).fit(X[:300], y[:300])
    assert large.n_ensemble_ == 4 and large.module_.head_weight.shape[0] == 4


@pytest.mark.parametrize("Est", [NeuralNetClassifier, NeuralNetRegressor])
def test_ensemble_members_are_trained_and_averaged(Est, clf_data):
    X, y = clf_data
    est = Est(n_ensemble=4, max_iter=5, random_state=0).fit(X, y)
    module = est.module_
    assert module.n_ensemble == 4 and module.head_weight.shape[0] == 4
    with torch.no_grad():
        members = module(torch.as_tensor(est.encoder_.transform(X[:20])))
    assert members.shape[:2] == (20, 4)
    spread = members.std(dim=1).mean().item()
    assert spread > 1e-3  # members differ after training
    if Est is NeuralNetClassifier:
        mean_proba = torch.softmax(members.double(), dim=-1).mean(dim=1)
        # temperature scaling divides the combined log-probabilities
        expected = torch.softmax(mean_proba.log() / est.temperature_, dim=-1).numpy()
        np.testing.assert_allclose(est.predict_proba(X[:20]), expected, rtol=1e-5, atol=1e-6)
    else:
        # predictions are the members' mean value, mapped back to the targets' units
        mean = members.double().mean(dim=1).numpy()[:, 0]
        pred = est.predict(X[:20])
        slope, intercept = np.polyfit(mean, pred, 1)
        np.testing.assert_allclose(slope * mean + intercept, pred, rtol=1e-5, atol=1e-4)


def test_per_member_loss_is_the_mean_of_the_members_losses():
    out = torch.randn(6, 3, 4)
    y = torch.randint(0, 4, (6,))
    w = torch.rand(6)
    loss = cross_entropy()
    expected = torch.stack([loss(out[:, j], y, w) for j in range(3)]).mean()
    torch.testing.assert_close(members_loss(loss)(out, y, w), expected)
    single = torch.randn(6, 1, 4)
    torch.testing.assert_close(members_loss(loss)(single, y, w), loss(single[:, 0], y, w))


def test_label_smoothing_trains_on_soft_targets_and_reports_the_plain_loss():
    X, y = make_classification(n_samples=400, n_features=4, class_sep=4, random_state=0)
    smooth = NeuralNetClassifier(label_smoothing=0.2, max_iter=60, random_state=0).fit(X, y)
    sharp = NeuralNetClassifier(label_smoothing=0.0, max_iter=60, random_state=0).fit(X, y)
    # the smoothed targets (0.9 / 0.1) have entropy 0.325: the objective cannot go below;
    # train_loss (and loss_curve_) is the plain cross-entropy
    assert min(smooth.history_.column("train_objective")) > 0.32
    assert min(smooth.loss_curve_) < 0.32
    assert smooth.loss_curve_ == smooth.history_.column("train_loss")
    assert min(sharp.loss_curve_) < 0.1
    assert "train_objective" not in sharp.history_[0]

    # the network's own probabilities, before temperature scaling sharpens them
    def raw_confidence(clf):
        return np.median(_raw_proba(clf, X).max(axis=1))

    assert raw_confidence(smooth) < 0.95 < raw_confidence(sharp)
    # the validation loss is the plain cross-entropy (after the epoch's temperature),
    # not the smoothed objective
    valid = [r["valid_loss"] for r in smooth.history_]
    assert min(valid) < 0.32


def test_smoothing_applies_to_binary_logistic_targets_too():
    X, y = make_classification(n_samples=200, n_features=4, class_sep=4, random_state=0)
    Y = np.column_stack([y, 1 - y])  # multilabel: sigmoid outputs
    clf = NeuralNetClassifier(label_smoothing=0.2, max_iter=40, random_state=0).fit(X, Y)
    assert min(clf.history_.column("train_objective")) > 0.32


def test_auto_label_smoothing_smooths_only_where_a_temperature_undoes_it():
    # 0.1 everywhere: without held-out rows no temperature undid it (1% positives:
    # mean probability 0.057), and one temperature left a multilabel target's rare
    # labels at 4-10 times their prevalence, below a constant's log-loss
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 5))
    y = (X[:, 0] + 0.5 * rng.normal(size=4000) > 2.3).astype(int)  # about 1% positive
    fast = {"max_iter": 10, "random_state": 0}
    held = NeuralNetClassifier(**fast).fit(X, y)
    assert held.label_smoothing_ == 0.1 and held.temperature_ != 1.0
    temperature = held.temperature_
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the kept temperature undoes it: nothing to tell
        held.partial_fit(X, y)  # goes on as fitted, for the temperature it keeps
        NeuralNetClassifier(label_smoothing=0.1, **fast).fit(X, y).partial_fit(X, y)
    assert held.label_smoothing_ == 0.1 and held.temperature_ == temperature
    plain = NeuralNetClassifier(early_stopping=False, **fast).fit(X, y)
    assert plain.label_smoothing_ == 0.0 and plain.temperature_ == 1.0
    assert plain.predict_proba(X)[:, 1].mean() < 2 * y.mean()
    chunks = NeuralNetClassifier(**fast).partial_fit(X, y, classes=[0, 1])
    assert chunks.label_smoothing_ == 0.0
    labels = NeuralNetClassifier(**fast).fit(X, np.column_stack([y, 1 - y]))
    assert labels.label_smoothing_ == 0.0
    with pytest.warns(UserWarning, match="label_smoothing=0.1 pulls predict_proba"):
        smoothed = NeuralNetClassifier(early_stopping=False, label_smoothing=0.1, **fast)
        smoothed.fit(X, y)
    assert smoothed.label_smoothing_ == 0.1  # as given
    assert smoothed.predict_proba(X)[:, 1].mean() > 3 * y.mean()


def _raw_proba(clf, X):
    """Probabilities before temperature scaling: log_proba = log_softmax(log p / T)."""
    log_proba = torch.from_numpy(clf.predict_log_proba(X))
    return torch.softmax(log_proba * clf.temperature_, dim=1).numpy()


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_ensemble": 0}, "n_ensemble"),
        ({"numeric_embedding": "linear"}, "numeric_embedding"),
        ({"label_smoothing": 1.0}, "label_smoothing"),
    ],
)
def test_bad_switches_are_refused_before_training(params, match, clf_data):
    X, y = clf_data
    with pytest.raises(ValueError, match=match):
        NeuralNetClassifier(**params).fit(X, y)


def test_switches_work_in_a_grid_search():
    X, y = make_regression(n_samples=200, n_features=5, noise=5, random_state=0)
    grid = GridSearchCV(
        NeuralNetRegressor(max_iter=10, random_state=0),
        {"n_ensemble": [1, 2], "numeric_embedding": [None, "periodic"]},
        cv=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_estimator_.module_.n_ensemble in (1, 2)


def test_temperature_is_fitted_on_validation_and_never_changes_labels():
    X, y = make_classification(
        n_samples=4000, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    X_train, y_train, X_test, y_test = X[:3000], y[:3000], X[3000:], y[3000:]
    clf = NeuralNetClassifier(n_ensemble=2, max_iter=30, random_state=0).fit(X_train, y_train)
    assert 0.2 <= clf.temperature_ <= 5.0 and clf.temperature_ != 1.0
    raw = _raw_proba(clf, X_test)
    calibrated = clf.predict_proba(X_test)
    assert np.array_equal(raw.argmax(axis=1), calibrated.argmax(axis=1))
    assert np.array_equal(clf.classes_[raw.argmax(axis=1)], clf.predict(X_test))
    # label smoothing leaves the raw probabilities too cautious: T < 1 sharpens
    # them, and the held-out log-loss improves
    assert clf.temperature_ < 1.0
    assert log_loss(y_test, calibrated) < log_loss(y_test, raw)
    # fits without a validation split keep temperature 1
    no_valid = NeuralNetClassifier(early_stopping=False, max_iter=5, random_state=0).fit(X, y)
    assert no_valid.temperature_ == 1.0


def test_temperature_prior_shrinks_towards_one_on_small_validation_splits():
    # every validation row right: the bare log-loss always prefers a lower
    # temperature, down to the range's end; the prior stops it part of the way
    logits = torch.tensor([[2.0, -1.0], [-1.5, 1.0], [1.0, -0.5]] * 5, dtype=torch.float64)
    y = logits.argmax(dim=1)
    loss = cross_entropy()
    bare = fit_temperature(logits, y, None, loss, prior_rows=0.0)
    shrunk = fit_temperature(logits, y, None, loss, prior_rows=3.0)
    assert bare == pytest.approx(0.2)
    assert bare < shrunk < 1.0
    # on a fitted model: a perfect small validation split, T below 1 but not at the edge
    X, y = make_classification(n_samples=300, n_features=6, class_sep=3.0, random_state=0)
    clf = NeuralNetClassifier(n_ensemble=2, max_iter=10, random_state=0).fit(X, y)
    assert clf.best_validation_score_ == 1.0
    assert 0.2 < clf.temperature_ < 1.0


def test_the_temperature_search_finds_a_fine_grids_minimum_and_reports_its_loss():
    rng = torch.Generator().manual_seed(0)
    truth = torch.randn(20000, 3, generator=rng, dtype=torch.float64)
    y = torch.multinomial(truth.softmax(dim=1), 1, generator=rng)[:, 0]
    loss = cross_entropy()
    # labels drawn from the logits themselves: calibrated as they are
    assert fit_temperature(truth, y, None, loss, prior_rows=0.0) == pytest.approx(1.0, abs=0.05)
    truth, y = truth[:2000], y[:2000]
    for scale, prior_rows in [(3.0, 0.0), (0.5, 0.0), (3.0, 300.0)]:
        logits = scale * truth  # over- or underconfident by the scale
        grid = np.exp(np.linspace(np.log(0.2), np.log(5.0), 4001))
        prior = prior_rows / len(y) * np.log(grid) ** 2
        penalized = [float(loss(logits / t, y, None)) for t in grid] + prior
        best = grid[np.argmin(penalized)]
        temperature = fit_temperature(logits, y, None, loss, prior_rows=prior_rows)
        assert temperature == pytest.approx(best, rel=2e-3)
        found = calibrated_loss(logits, y, None, loss, prior_rows=prior_rows)
        assert found == pytest.approx(float(loss(logits / temperature, y, None)), rel=1e-12)
        assert found < float(loss(logits, y, None))


def test_early_stopping_judges_each_epoch_after_its_temperature_on_a_rare_class():
    # under label smoothing (0.1) every negative row's raw loss is at least -log(0.95):
    # at 1% positives that floor sat above what the epochs learnt, and early stopping
    # picked its epoch by noise around it (benchmarks/rare_class.py: test log-loss 5%
    # higher at 0.5% positives, 11% at 0.1%)
    X, y = make_classification(
        n_samples=8000,
        n_features=10,
        n_informative=6,
        weights=[0.99],
        flip_y=0,
        class_sep=1.0,
        random_state=0,
    )
    clf = NeuralNetClassifier(max_iter=8, random_state=0).fit(X, y)
    assert clf.label_smoothing_ == 0.1 and clf.temperature_ < 1.0
    rate = y.mean()
    constant = -(rate * np.log(rate) + (1 - rate) * np.log(1 - rate))  # the base rate's
    valid = clf.history_.column("valid_loss")
    assert min(valid) < 0.8 * constant < -0.99 * np.log(0.95)
    assert valid[clf.best_epoch_ - 1] == min(valid)
