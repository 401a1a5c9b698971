"""The training loop: early stopping, history, verbosity, seeds, callbacks."""

import copy
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_classification, make_regression

from sknn import NeuralNetClassifier, NeuralNetRegressor
from sknn.training import Callback

HISTORY_KEYS = {"epoch", "train_loss", "valid_loss", "valid_score", "lr", "seconds"}
# documented: "auto" early stopping holds out a validation split of at least 10 rows
MIN_AUTO_VALIDATION = 10


def small_clf(**kwargs):
    params = {
        "hidden_layer_sizes": (32,),
        "max_iter": 10,
        "learning_rate": 1e-2,
        "random_state": 0,
    }
    params.update(kwargs)
    return NeuralNetClassifier(**params)


class Recorder(Callback):
    """Records every hook call, and optionally the module weights per epoch."""

    def __init__(self, estimator=None):
        self.estimator = estimator
        self.calls = []
        self.begin_info = None
        self.end_info = None
        self.records = []
        self.states = {}

    def on_train_begin(self, info):
        self.calls.append("begin")
        self.begin_info = dict(info)

    def on_epoch_end(self, record):
        self.calls.append("epoch")
        self.records.append(dict(record))
        if self.estimator is not None:
            self.states[record["epoch"]] = copy.deepcopy(self.estimator.module_.state_dict())

    def on_train_end(self, info):
        self.calls.append("end")
        self.end_info = dict(info)


class InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, record):
        if record["epoch"] == self.epoch:
            raise KeyboardInterrupt


@pytest.fixture(scope="module")
def overfitting_data():
    """Few informative features, noisy labels: a wide net overfits fast."""
    X, y = make_classification(
        n_samples=600,
        n_features=30,
        n_informative=3,
        n_redundant=0,
        flip_y=0.3,
        random_state=0,
    )
    return X, y


# ---------------------------------------------------------------- early stopping
def test_early_stopping_auto_threshold(large_binary_data):
    """ "auto" validates from 64 rows, out of fold (cross-fitting); where it does not
    cross-fit it holds out a validation set exactly when it would have at least the
    documented minimum number of rows (``validation_fraction=0.1``)."""
    X, y = large_binary_data
    assert small_clf(max_iter=2).fit(X[:63], y[:63]).validation_scores_ is None
    assert small_clf(max_iter=2).fit(X[:64], y[:64]).validation_scores_ is not None

    minimum = MIN_AUTO_VALIDATION
    n_on = 10 * minimum  # 10% of it is exactly `minimum` rows
    n_off = 10 * (minimum - 1)  # one validation row too few
    assert n_on <= len(X)

    # one member: no groups to cross-fit
    on = small_clf(max_iter=2, n_ensemble=1).fit(X[:n_on], y[:n_on])
    assert on.validation_scores_ is not None
    assert len(on.validation_scores_) == on.n_iter_
    assert on.best_validation_score_ is not None
    assert on.history_[0]["valid_loss"] is not None

    off = small_clf(max_iter=2, n_ensemble=1).fit(X[:n_off], y[:n_off])
    assert off.validation_scores_ is None
    assert off.best_validation_score_ is None
    assert off.history_[0]["valid_loss"] is None


def test_early_stopping_true_forces_validation_on_small_data(binary_data):
    X, y = binary_data
    clf = small_clf(max_iter=3, early_stopping=True, validation_fraction=0.2).fit(X[:100], y[:100])
    assert clf.validation_scores_ is not None
    assert all(0.0 <= s <= 1.0 for s in clf.validation_scores_)
    # one validation row judged every epoch (a regressor's R^2 of it read 0.0): refused,
    # as scikit-learn's MLPs refuse it
    with pytest.raises(ValueError, match="1 row, too few.*validation_fraction"):
        NeuralNetRegressor(early_stopping=True, max_iter=2).fit(X[:10], y[:10].astype(float))
    # partial_fit keeps no validation rows: early_stopping=True trained silently without
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        small_clf(early_stopping=True).partial_fit(X, y, classes=[0, 1])


def test_early_stopping_stops_and_restores_best_epoch(overfitting_data):
    X, y = overfitting_data
    clf = NeuralNetClassifier(
        hidden_layer_sizes=(64, 64),
        learning_rate=1e-3,
        lr_schedule="constant",
        max_iter=200,
        n_iter_no_change=5,
        random_state=0,
    )
    recorder = Recorder(clf)
    clf.set_params(callbacks=[recorder])
    clf.fit(X, y)

    assert clf.validation_scores_ is not None
    assert clf.best_epoch_ is not None
    assert clf.n_iter_ < 200
    assert 1 < clf.best_epoch_ < clf.n_iter_
    assert clf.n_iter_ - clf.best_epoch_ <= clf.n_iter_no_change
    assert recorder.end_info["stopped_early"] is True
    assert recorder.end_info["best_epoch"] == clf.best_epoch_

    valid_loss = clf.history_.column("valid_loss")
    best_row = clf.history_[clf.best_epoch_ - 1]
    assert best_row["epoch"] == clf.best_epoch_
    assert best_row["valid_loss"] == min(valid_loss)
    assert clf.best_validation_score_ == best_row["valid_score"]
    assert clf.validation_scores_ == clf.history_.column("valid_score")

    # the final weights are exactly the ones the best epoch ended with,
    # not those of the last epoch
    best_state = recorder.states[clf.best_epoch_]
    last_state = recorder.states[clf.n_iter_]
    final_state = clf.module_.state_dict()
    for name, tensor in final_state.items():
        torch.testing.assert_close(tensor, best_state[name], rtol=0, atol=0)
    assert any(not torch.equal(final_state[name], last_state[name]) for name in final_state)


def test_early_stopping_false_runs_exactly_max_iter(binary_data):
    X, y = binary_data
    clf = small_clf(max_iter=12, early_stopping=False, tol=0.0, n_iter_no_change=1000).fit(X, y)
    assert clf.n_iter_ == 12
    assert len(clf.history_) == 12
    assert clf.validation_scores_ is None
    assert clf.best_validation_score_ is None


def test_training_loss_stall_stops_without_validation(binary_data):
    """Without a validation set, a huge tol means no epoch counts as progress."""
    X, y = binary_data
    clf = small_clf(max_iter=50, early_stopping=False, tol=1e6, n_iter_no_change=3)
    clf.fit(X, y)
    assert clf.n_iter_ < 50


# ------------------------------------------------------------------- history
def test_history_rows_and_loss_curve(large_binary_data):
    X, y = large_binary_data
    clf = small_clf(max_iter=6, n_iter_no_change=100).fit(X, y)
    assert len(clf.history_) == clf.n_iter_ == 6
    keys = HISTORY_KEYS | {"train_objective"}  # label smoothing: the objective differs
    for i, row in enumerate(clf.history_, start=1):
        assert set(row) == keys
        assert row["epoch"] == i
        assert np.isfinite(row["train_loss"]) and row["train_loss"] > 0
        assert np.isfinite(row["valid_loss"]) and row["valid_loss"] > 0
        assert 0.0 <= row["valid_score"] <= 1.0
        assert row["seconds"] >= 0
        assert row["lr"] > 0
    assert clf.loss_curve_ == clf.history_.column("train_loss")
    assert clf.history_.column("epoch") == list(range(1, 7))
    frame = clf.history_.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert frame.shape == (6, len(keys))
    assert set(frame.columns) == keys
    np.testing.assert_allclose(frame["train_loss"], clf.loss_curve_)
    # training makes progress
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_history_without_validation_has_none_entries(binary_data):
    X, y = binary_data
    clf = small_clf(max_iter=3, early_stopping=False).fit(X, y)
    assert clf.history_.column("valid_loss") == [None, None, None]
    assert clf.history_.column("valid_score") == [None, None, None]


# ------------------------------------------------------------------- verbose
def test_verbose_zero_prints_nothing(binary_data, capsys):
    X, y = binary_data
    small_clf(max_iter=3, verbose=0).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_verbose_one_shows_a_progress_bar_on_stderr(binary_data, capsys):
    X, y = binary_data
    small_clf(max_iter=4, early_stopping=False, verbose=1).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "4/4" in captured.err
    assert "epoch" in captured.err
    assert not re.search(r"epoch \d+: ", captured.err)


def test_verbose_two_prints_one_line_per_epoch(binary_data, capsys):
    X, y = binary_data
    clf = small_clf(max_iter=4, early_stopping=False, verbose=2).fit(X, y)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    epochs = [int(e) for e in re.findall(r"epoch (\d+): train_loss=", text)]
    assert epochs == list(range(1, clf.n_iter_ + 1))


def test_partial_fit_prints_its_epochs_line_with_verbose(binary_data, capsys):
    """One epoch a call: its line, as scikit-learn's MLP prints one per partial_fit."""
    X, y = binary_data
    clf = small_clf(max_iter=2, early_stopping=False, verbose=1).fit(X, y)
    capsys.readouterr()
    clf.partial_fit(X, y)
    clf.partial_fit(X, y)
    captured = capsys.readouterr()
    assert re.findall(r"epoch (\d+): train_loss=", captured.err) == ["3", "4"]
    assert "it/s" not in captured.err and "epoch/s" not in captured.err  # no bar


def test_validation_scores_survive_a_partial_fit_without_validation(binary_data):
    """scikit-learn's MLP keeps them; they were set to None, losing the fit's scores."""
    X, y = binary_data
    clf = small_clf(max_iter=3, early_stopping=True).fit(X, y)
    scores, best = list(clf.validation_scores_), clf.best_validation_score_
    clf.set_params(early_stopping=False).partial_fit(X, y)
    assert clf.validation_scores_ == scores and clf.best_validation_score_ == best
    assert clf.n_iter_ == len(clf.history_) == 4
    fresh = small_clf(max_iter=3, early_stopping=False).fit(X, y)
    assert fresh.validation_scores_ is None and fresh.best_validation_score_ is None


# --------------------------------------------------------------------- seeds
def test_same_random_state_gives_identical_models(large_binary_data):
    X, y = large_binary_data
    a = small_clf(max_iter=5, random_state=42).fit(X, y)
    b = small_clf(max_iter=5, random_state=42).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.history_.column("valid_loss") == b.history_.column("valid_loss")


def test_different_random_states_give_different_models(large_binary_data):
    X, y = large_binary_data
    a = small_clf(max_iter=5, random_state=1).fit(X, y)
    b = small_clf(max_iter=5, random_state=2).fit(X, y)
    assert not np.allclose(a.predict_proba(X), b.predict_proba(X))


def test_same_random_state_regressor_reproducible(regression_data):
    X, y = regression_data
    a = NeuralNetRegressor((16,), max_iter=5, dropout=0.2, random_state=3).fit(X, y)
    b = NeuralNetRegressor((16,), max_iter=5, dropout=0.2, random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


# ----------------------------------------------------------------- callbacks
def test_callback_hooks_are_called_in_order(large_binary_data):
    X, y = large_binary_data
    recorder = Recorder()
    clf = small_clf(max_iter=7, n_iter_no_change=100, callbacks=[recorder]).fit(X, y)
    assert recorder.calls == ["begin"] + ["epoch"] * clf.n_iter_ + ["end"]
    assert recorder.begin_info["max_epochs"] == 7
    assert recorder.begin_info["n_samples"] == len(X)  # cross-fitted: every row trains
    assert [r["epoch"] for r in recorder.records] == list(range(1, clf.n_iter_ + 1))
    assert recorder.records == list(clf.history_)
    assert recorder.end_info["best_epoch"] == clf.best_epoch_


def test_keyboard_interrupt_in_callback_keeps_a_fitted_model(binary_data):
    X, y = binary_data
    clf = small_clf(max_iter=20, early_stopping=False, callbacks=[InterruptAt(3)])
    with pytest.warns(RuntimeWarning, match="interrupted"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3
    assert len(clf.loss_curve_) == 3
    pred = clf.predict(X)
    assert pred.shape == (len(X),)
    assert np.all(np.isfinite(clf.predict_proba(X)))


def test_keyboard_interrupt_with_early_stopping(large_binary_data):
    X, y = large_binary_data
    clf = small_clf(max_iter=20, callbacks=[InterruptAt(3)])
    with pytest.warns(RuntimeWarning, match="interrupted"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3
    assert clf.best_epoch_ is not None and clf.best_epoch_ <= 3
    assert clf.predict(X).shape == (len(X),)


# ---------------------------------------------------------------- divergence
@pytest.mark.parametrize(
    "estimator_cls, learning_rate, batch_size, random_state",
    [
        (NeuralNetClassifier, 1e6, 32, 0),
        (NeuralNetClassifier, 1e6, 1000, 0),
        (NeuralNetRegressor, 1e6, 1000, 0),
        # two batches per epoch (299 + 1 rows): the step after the last batch
        # of epoch 1 already overflows the weights
        (NeuralNetRegressor, 1e10, 299, 1),
        (NeuralNetClassifier, 1e20, 299, 1),
    ],
)
def test_huge_learning_rate_warns_or_raises(estimator_cls, learning_rate, batch_size, random_state):
    X, y = make_classification(n_samples=300, n_features=10, random_state=0)
    est = estimator_cls(
        hidden_layer_sizes=(32,),
        optimizer="sgd",
        learning_rate=learning_rate,
        batch_size=batch_size,
        max_iter=10,
        early_stopping=False,
        random_state=random_state,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(X, y)
        except ValueError as exc:
            assert "diverged" in str(exc)
            return
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any("diverged" in m for m in messages), messages
    pred = est.predict_proba(X) if hasattr(est, "classes_") else est.predict(X)
    assert np.all(np.isfinite(pred)), "fit returned but predictions are not finite"


# ----------------------------------------------------------------- schedules
def test_cosine_schedule_decreases_learning_rate(binary_data):
    X, y = binary_data
    clf = small_clf(
        max_iter=8, early_stopping=False, lr_schedule="cosine", n_iter_no_change=100
    ).fit(X, y)
    lrs = clf.history_.column("lr")
    assert lrs[0] == pytest.approx(1e-2)
    assert all(np.diff(lrs) < 0)
    assert lrs[-1] > 0


def test_constant_schedule_keeps_learning_rate(binary_data):
    X, y = binary_data
    clf = small_clf(
        max_iter=8, early_stopping=False, lr_schedule="constant", n_iter_no_change=100
    ).fit(X, y)
    assert clf.history_.column("lr") == [pytest.approx(1e-2)] * 8


def test_plateau_schedule_halves_on_stalls(binary_data):
    X, y = binary_data
    clf = small_clf(
        max_iter=30,
        early_stopping=False,
        lr_schedule="plateau",
        n_iter_no_change=4,
        tol=0.0,
        learning_rate=0.1,
        optimizer="sgd",
        label_smoothing=0.1,  # its floor makes the training loss stall
    )
    with pytest.warns(UserWarning, match="label_smoothing=0.1 pulls"):
        clf.fit(X, y)
    lrs = np.array(clf.history_.column("lr"))
    assert lrs[0] == pytest.approx(0.1)
    assert lrs[-1] < lrs[0]
    assert np.all(np.diff(lrs) <= 0)
    ratios = np.log2(0.1 / lrs)
    np.testing.assert_allclose(ratios, np.round(ratios), atol=1e-9)


# ------------------------------------------- predictions after further training
@pytest.mark.parametrize("estimator_cls", [NeuralNetClassifier, NeuralNetRegressor])
@pytest.mark.parametrize("continuation", ["partial_fit", "warm_start"])
def test_predictions_follow_further_training(binary_data, estimator_cls, continuation):
    """Calling predict between two trainings must not freeze the predictions.

    Two identically seeded models are trained the same way; only one of them
    is asked for predictions before training continues. Afterwards both must
    predict the same thing.
    """
    X, y = binary_data
    params = {
        "hidden_layer_sizes": (16,),
        "max_iter": 5,
        "learning_rate": 1e-2,
        "lr_schedule": "constant",
        "early_stopping": False,
        "random_state": 0,
        "warm_start": continuation == "warm_start",
    }
    peeked = estimator_cls(**params).fit(X, y)
    blind = estimator_cls(**params).fit(X, y)

    def outputs(est):
        if isinstance(est, NeuralNetClassifier):
            return est.predict_proba(X)
        return est.predict(X)

    before = outputs(peeked)
    for est in (peeked, blind):
        if continuation == "partial_fit":
            est.partial_fit(X, y)
        else:
            est.fit(X, y)
    assert peeked.n_iter_ == blind.n_iter_ > 5
    np.testing.assert_array_equal(outputs(peeked), outputs(blind))
    assert not np.allclose(outputs(peeked), before)


class BatchCounter(Callback):
    def __init__(self):
        self.epochs_begun = []
        self.batches = []
        self.begun = []

    def on_batch_begin(self, info):
        self.begun.append((info["epoch"], info["batch"]))

    def on_epoch_begin(self, epoch):
        self.epochs_begun.append(epoch)

    def on_batch_end(self, info):
        self.batches.append((info["epoch"], info["batch"], float(info["loss"])))


def test_epoch_begin_and_batch_end_hooks(binary_data):
    X, y = binary_data
    counter = BatchCounter()
    clf = NeuralNetClassifier(
        hidden_layer_sizes=(8,),
        batch_size=50,
        max_iter=3,
        early_stopping=False,
        n_iter_no_change=100,
        tol=0.0,
        callbacks=[counter],
        random_state=0,
        label_smoothing=0.1,  # an objective apart from train_loss
    )
    with pytest.warns(UserWarning, match="label_smoothing=0.1 pulls"):
        clf.fit(X, y)
    batches_per_epoch = -(-len(X) // 50)
    assert counter.epochs_begun == [1, 2, 3]
    assert len(counter.batches) == 3 * batches_per_epoch
    assert counter.begun == [(e, b) for e, b, _ in counter.batches]
    assert [b for e, b, _ in counter.batches if e == 2] == list(range(1, batches_per_epoch + 1))
    # the epoch's recorded objective is the size-weighted mean of its batch losses
    # (train_loss is the same loss without label smoothing)
    first = [loss for e, _, loss in counter.batches if e == 1]
    sizes = [50] * (batches_per_epoch - 1) + [len(X) - 50 * (batches_per_epoch - 1)]
    np.testing.assert_allclose(
        clf.history_[0]["train_objective"], np.average(first, weights=sizes), rtol=1e-5
    )


def test_history_plot_draws_train_and_validation_loss(large_binary_data):
    matplotlib = pytest.importorskip("matplotlib", reason="History.plot needs matplotlib")
    matplotlib.use("Agg")
    X, y = large_binary_data
    clf = NeuralNetClassifier(hidden_layer_sizes=(8,), max_iter=4, random_state=0).fit(X, y)
    ax = clf.history_.plot()
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["train loss", "validation loss", f"weights kept (epoch {clf.best_epoch_})"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), clf.loss_curve_)
    best_row = clf.history_[clf.best_epoch_ - 1]
    marker = ax.get_lines()[-1]
    assert list(marker.get_xdata()) == [clf.best_epoch_]
    assert list(marker.get_ydata()) == [best_row["valid_loss"]]
    frame = clf.history_.to_frame()
    assert list(frame["epoch"]) == list(range(1, clf.n_iter_ + 1))


def test_training_feedback_without_validation_says_what_the_model_holds(binary_data):
    # found by an audit of training feedback: without validation the plot said "weights
    # kept" at the lowest training loss (the model holds the last epoch's, 0.38 apart);
    # one epoch drew invisible curves; to_frame's validation columns were objects of None
    # (no plot); a typo'd column read as no validation; a warm start that turned early
    # stopping on left None in validation_scores_; accuracy was float32's 0.80000001
    matplotlib = pytest.importorskip("matplotlib", reason="History.plot needs matplotlib")
    matplotlib.use("Agg")
    X, y = binary_data
    clf = NeuralNetClassifier(max_iter=3, early_stopping=False, random_state=0).fit(X, y)
    labels = clf.history_.plot().get_legend_handles_labels()[1]
    assert labels == ["train loss", f"lowest training loss (epoch {clf.best_epoch_})"]
    frame = clf.history_.to_frame()
    assert frame["valid_loss"].dtype == np.float64 and frame["valid_loss"].isna().all()
    with pytest.raises(KeyError, match="'val_loss' is not a key.*'valid_loss'"):
        clf.history_.column("val_loss")
    assert clf.history_.column("valid_score") == [None] * 3
    with pytest.warns(UserWarning, match="already trained on"):  # its rows were all trained
        clf.set_params(warm_start=True, early_stopping=True, max_iter=2).fit(X, y)
    assert len(clf.validation_scores_) == 2
    assert all(isinstance(s, float) for s in clf.validation_scores_)
    n_valid = round(0.1 * len(X))  # every score a count of right rows over them
    assert all(s * n_valid == round(s * n_valid) for s in clf.validation_scores_)
    one = NeuralNetClassifier(max_iter=1, random_state=0).fit(X, y)
    lines = one.history_.plot().get_lines()
    assert [line.get_marker() for line in lines[:2]] == ["o", "o"]


def test_a_warm_start_that_never_beats_its_start_keeps_the_starting_weights():
    # a continued fit at too high a rate kept its own best epoch (accuracy 0.55), while
    # history_ showed the first fit's epoch 4 lower (0.93); its starting weights are now
    # judged first, as the epoch they came from, and kept unless an epoch does better
    X, y = make_classification(600, 8, flip_y=0.15, random_state=0)
    clf = NeuralNetClassifier(random_state=0, max_iter=3, early_stopping=True, warm_start=True)
    clf.fit(X, y)
    first_best, before = clf.best_epoch_, clf.predict_proba(X)
    clf.set_params(learning_rate=0.3, max_iter=4).fit(X, y)
    assert clf.best_epoch_ == first_best == int(np.argmin(clf.history_.column("valid_loss"))) + 1
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    clf.set_params(learning_rate="auto", max_iter=10).fit(X, y)  # one that does better
    assert clf.best_epoch_ > 7
    assert clf.best_epoch_ == int(np.argmin(clf.history_.column("valid_loss"))) + 1


def test_callbacks_print_their_arguments_not_an_address():
    from sknn.training import ProgressBar

    class Scored(Callback):
        def __init__(self, est, every=2):
            self.est, self.every = est, every

    est = NeuralNetClassifier()
    est.set_params(callbacks=[ProgressBar(print_epochs=True), Scored(est)])
    shown = re.sub(r"\s+", " ", repr(est))
    assert "callbacks=[ProgressBar(print_epochs=True, bar=True), Scored(every=2)]" in shown


@pytest.mark.parametrize(
    "params",
    [{}, {"n_ensemble": 1}, {"numeric_embedding": None}, {"lr_multipliers": {"mlp.*": 0.5}}],
)
def test_lr_column_is_learning_rate_times_the_schedule(binary_data, params):
    X, y = binary_data
    max_iter = 8
    clf = NeuralNetClassifier(
        hidden_layer_sizes=(8,),
        learning_rate=3e-3,
        max_iter=max_iter,
        early_stopping=False,
        n_iter_no_change=100,
        random_state=0,
        **params,
    ).fit(X, y)
    # whatever the parameter groups and their factors, the column is the rate of the
    # schedule: the cosine of epoch e (1-based) starts at 0.5 * (1 + cos(pi (e-1) / T))
    expected = [
        3e-3 * 0.5 * (1 + np.cos(np.pi * (e - 1) / max_iter)) for e in range(1, max_iter + 1)
    ]
    np.testing.assert_allclose(clf.history_.column("lr"), expected, rtol=1e-12)


def test_progress_bar_says_why_training_stopped(binary_data, capsys):
    X, y = binary_data
    NeuralNetClassifier(
        hidden_layer_sizes=(8,), max_iter=200, n_iter_no_change=2, verbose=1, random_state=0
    ).fit(X, y)
    err = capsys.readouterr().err
    assert "stopped early in epoch" in err and "best epoch" in err
    NeuralNetClassifier(
        hidden_layer_sizes=(8,), max_iter=3, early_stopping=False, verbose=1, random_state=0
    ).fit(X, y)
    assert "reached max_iter (3 epochs)" in capsys.readouterr().err


class _CtrlCAtEpochTwo(Callback):
    def on_epoch_end(self, record):
        if record["epoch"] == 2:
            raise KeyboardInterrupt


class _StopAtEpochTwo(Callback):
    def on_epoch_end(self, record):
        return record["epoch"] == 2


def test_an_interruption_at_an_epochs_end_keeps_that_epoch_when_it_is_the_best(binary_data):
    # the stopper saw the epoch only after the callbacks: an interruption there threw
    # away the epoch the history and best_epoch_ had just recorded
    X, y = binary_data
    params = {"max_iter": 5, "random_state": 0, "early_stopping": True}
    with pytest.warns(RuntimeWarning, match=r"best epoch \(2\)"):
        stopped = NeuralNetClassifier(callbacks=[_CtrlCAtEpochTwo()], **params).fit(X, y)
    assert stopped.n_iter_ == 2 and stopped.best_epoch_ == 2
    # the same as a callback asking to stop there, which always kept it
    asked = NeuralNetClassifier(callbacks=[_StopAtEpochTwo()], **params).fit(X, y)
    assert asked.best_epoch_ == 2  # the second epoch is the better one on these rows
    np.testing.assert_allclose(stopped.predict_proba(X), asked.predict_proba(X), rtol=1e-6)


# ------------------------------------------- what an interrupted or diverged fit keeps
def test_a_callback_stops_training_by_raising_training_interrupted(binary_data):
    from sknn.training import TrainingInterrupted  # named in the docs, not importable before

    class Enough(Callback):
        def on_epoch_end(self, record):
            if record["epoch"] == 2:
                raise TrainingInterrupted("enough")

    X, y = binary_data
    with pytest.warns(RuntimeWarning, match="interrupted by enough in epoch 2"):
        clf = NeuralNetClassifier(max_iter=5, random_state=0, callbacks=[Enough()]).fit(X, y)
    assert clf.n_iter_ == 2


class _CtrlCWhenNotFinite(Callback):
    """A user pressing Ctrl-C on seeing a NaN loss."""

    def on_epoch_end(self, record):
        if not np.isfinite(record["train_loss"]):
            raise KeyboardInterrupt


class _CtrlCAtBatch(Callback):
    """Ctrl-C in the middle of an epoch; remembers the weights at each epoch's end."""

    def __init__(self, epoch, batch):
        self.epoch, self.batch, self.estimator, self.saved = epoch, batch, None, {}

    def on_epoch_end(self, record):
        state = self.estimator.module_.state_dict()
        self.saved[record["epoch"]] = {k: v.clone() for k, v in state.items()}

    def on_batch_end(self, info):
        if (info["epoch"], info["batch"]) == (self.epoch, self.batch):
            raise KeyboardInterrupt


def _exploding(**params):
    # plain SGD at 0.6: the last step of epoch 1 blows the weights up (its running
    # loss, 14.8, looked good) and epoch 2's loss is NaN
    X, y = make_regression(300, 5, noise=10, random_state=0)
    settings = dict(max_iter=10, learning_rate=0.6, optimizer="sgd", lr_schedule="constant")
    est = NeuralNetRegressor(early_stopping=False, random_state=0, **settings, **params)
    return est, X, y


@pytest.mark.parametrize("callbacks", [None, [_CtrlCWhenNotFinite()]])
def test_a_divergence_never_restores_weights_that_had_diverged_already(callbacks):
    # the weights of epoch 1 were restored with a warning: predictions near -7e13 on
    # targets within +-450 (R^2 -2e23); pressing Ctrl-C on the NaN epoch kept NaN weights
    est, X, y = _exploding(callbacks=callbacks)
    with pytest.raises(ValueError, match="weights of epoch 1 had diverged already"):
        est.fit(X, y)
    assert not hasattr(est, "module_")


def test_ctrl_c_on_a_nan_first_epoch_raises_as_the_divergence_does():
    X, y = make_regression(300, 5, noise=10, random_state=0)
    est = NeuralNetRegressor(
        max_iter=10, learning_rate=50.0, optimizer="sgd", random_state=0, early_stopping=True
    )
    with pytest.raises(ValueError, match="diverged in epoch 1"):  # as without the Ctrl-C
        est.set_params(callbacks=[_CtrlCWhenNotFinite()]).fit(X, y)


def test_ctrl_c_before_the_first_epoch_ends_leaves_the_estimator_as_it_was(binary_data):
    # a fresh fit returned a "fitted" model of a few steps with an empty history; a
    # warm start dropped the previous fit's best weights and best_epoch_
    X, y = binary_data
    interrupt = _CtrlCAtBatch(1, 3)
    fresh = NeuralNetClassifier(max_iter=5, random_state=0, callbacks=[interrupt])
    interrupt.estimator = fresh
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(X, y)
    assert not hasattr(fresh, "module_")
    warm = NeuralNetClassifier(max_iter=4, random_state=0, warm_start=True, early_stopping=True)
    warm.fit(X, y)
    before, best = copy.deepcopy(warm.module_.state_dict()), warm.best_epoch_
    interrupt = _CtrlCAtBatch(5, 3)
    interrupt.estimator = warm
    with pytest.raises(KeyboardInterrupt):
        warm.set_params(callbacks=[interrupt]).fit(X, y)
    assert warm.best_epoch_ == best and warm.n_iter_ == 4
    for name, value in warm.module_.state_dict().items():
        torch.testing.assert_close(value, before[name], rtol=0, atol=0)


def test_ctrl_c_mid_epoch_without_validation_keeps_a_finished_epoch(binary_data):
    # the warning said "the last epoch" while the weights were from the middle of the next
    X, y = binary_data
    interrupt = _CtrlCAtBatch(4, 3)
    clf = NeuralNetClassifier(max_iter=8, early_stopping=False, random_state=0)
    interrupt.estimator = clf
    with pytest.warns(RuntimeWarning, match=r"best epoch \(3, the lowest training loss\)"):
        clf.set_params(callbacks=[interrupt]).fit(X, y)
    assert clf.n_iter_ == 3 and clf.best_epoch_ == 3
    for name, value in clf.module_.state_dict().items():
        torch.testing.assert_close(value, interrupt.saved[3][name], rtol=0, atol=0)


class _PredictEachEpoch(Callback):
    def __init__(self, X):
        self.X, self.estimator, self.answers = X, None, []

    def on_epoch_end(self, record):
        self.answers.append(self.estimator.predict_proba(self.X))


def test_a_callback_predicting_each_epoch_sees_the_weights_of_that_epoch(binary_data):
    # a first fit raised AttributeError ('_fit_count'); a refit of an estimator that had
    # predicted before answered from the previous fit's cached copy at every epoch
    X, y = binary_data
    clf = NeuralNetClassifier(max_iter=3, early_stopping=False, random_state=0)
    for _ in range(2):
        monitor = _PredictEachEpoch(X[:50])
        monitor.estimator = clf
        clf.set_params(callbacks=[monitor]).fit(X, y)
        first, second, last = monitor.answers
        assert np.abs(second - first).max() > 1e-3
        np.testing.assert_allclose(last, clf.predict_proba(X[:50]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("random_state", [2, 3])
def test_a_class_of_one_row_is_trained_on_not_held_out(random_state):
    # one row of a class turned stratification off for every class, and the row could
    # land among the validation rows: the network never saw its class
    rng = np.random.RandomState(0)
    X, y = rng.randn(300, 4), np.r_[np.zeros(200, int), np.ones(99, int), [2]]
    # classes 0 and 1 apart, so early stopping picks its epoch by what is learnt, not
    # by the noise of a validation split that cannot tell them apart
    X[y == 1] += 1.5
    X[y == 2] -= 4
    clf = NeuralNetClassifier(
        max_iter=20, early_stopping=True, validation_fraction=0.2, class_weight="balanced"
    )
    clf.set_params(random_state=random_state).fit(X, y)
    assert clf.predict(X[-1:])[0] == 2


def test_the_reason_training_ended_names_a_failure_and_the_epoch_kept(binary_data):
    # a callback's error was reported as "reached max_iter"; at max_iter with validation
    # the bar did not say that an earlier epoch's weights were kept
    X, y = binary_data
    reasons = []

    class Record(Callback):
        def on_train_end(self, info):
            reasons.append(info["reason"])

    class Broken(Callback):
        def on_epoch_end(self, record):
            if record["epoch"] == 2:
                raise ValueError("the logging backend is down")

    with pytest.raises(ValueError, match="logging backend"):
        small_clf(max_iter=5, callbacks=[Record(), Broken()]).fit(X, y)
    assert reasons[-1] == "failed in epoch 2: ValueError: the logging backend is down"
    clf = small_clf(max_iter=8, early_stopping=True, n_iter_no_change=100, callbacks=[Record()])
    clf.fit(X, y)
    assert reasons[-1].startswith("reached max_iter (8 epochs)")
    if clf.best_epoch_ != 8:
        assert reasons[-1].endswith(f"; best epoch {clf.best_epoch_}")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"monitor": "val_loss"}, "monitor must be one of"),
        ({"patience": 0}, "patience must be an int of at least 1"),
        ({"patience": -1}, "patience must be an int of at least 1"),
        ({"patience": 2.5}, "patience must be an int of at least 1"),
        ({"tol": -1e-3}, "tol must be a finite number of at least 0"),
        ({"tol": float("nan")}, "tol must be a finite number of at least 0"),
    ],
)
def test_early_stopping_refuses_what_it_cannot_watch(kwargs, message):
    from sknn.training import EarlyStopping

    settings = {"patience": 3, "tol": 0.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        EarlyStopping(**settings)
    assert EarlyStopping(np.int64(3), np.float64(0.0)).patience == 3  # a grid's numpy values


def test_a_trainer_watching_validation_refuses_to_train_without_it():
    from torch import nn

    from sknn.training import EarlyStopping, History, Trainer, TrainingData

    net = nn.Linear(3, 1)
    trainer = Trainer(
        net,
        lambda out, y, weight: ((out - y) ** 2).mean(),
        torch.optim.SGD(net.parameters(), lr=0.1),
        batch_size=4,
        max_epochs=2,
        stopper=EarlyStopping(2, 0.0, monitor="valid_loss"),
    )
    data = TrainingData(torch.randn(8, 3), torch.randn(8, 1))
    with pytest.raises(ValueError, match="'valid_loss', which needs validation data"):
        trainer.fit(data, None, History())
    assert next(net.parameters()).grad is None  # refused before any step
