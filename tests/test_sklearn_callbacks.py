"""scikit-learn's callback API (sklearn.callback, 1.9+) reaches sknn's epochs."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import GridSearchCV

from sknn import MLPClassifier, MLPRegressor, NeuralNetClassifier, NeuralNetRegressor

callback = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9 has no callbacks")

ESTIMATORS = [
    (NeuralNetClassifier, load_breast_cancer, "accuracy"),
    (NeuralNetRegressor, load_diabetes, "r2"),
    (MLPClassifier, load_breast_cancer, "accuracy"),
    (MLPRegressor, load_diabetes, "r2"),
]


class EpochRecorder:
    """A FitCallback recording each epoch's fitted estimator; asks to stop after ``stop_at``."""

    def __init__(self, X, stop_at=None):
        self.X, self.stop_at, self.predictions, self.tasks = X, stop_at, [], []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.tasks.append(context.task_name)
        if context.task_name != "epoch":
            return False
        self.predictions.append(fitted_estimator.predict(self.X))
        return self.stop_at is not None and len(self.predictions) >= self.stop_at


def quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few epochs: not converged
        return est.fit(X, y)


@pytest.mark.parametrize(("cls", "load", "scoring"), ESTIMATORS, ids=lambda v: str(v)[:30])
def test_scoring_monitor_logs_one_row_per_epoch(cls, load, scoring):
    X, y = load(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    monitor = callback.ScoringMonitor(scoring=scoring)
    est = quiet_fit(cls(max_iter=4, random_state=0).set_callbacks(monitor), X, y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert len(epochs) == est.n_iter_ == 4
    assert all(np.isfinite(row[scoring]) for row in rows)


@pytest.mark.parametrize(("cls", "load", "scoring"), ESTIMATORS, ids=lambda v: str(v)[:30])
def test_a_stop_request_ends_training_after_that_epoch(cls, load, scoring):
    X, y = load(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    recorder = EpochRecorder(X, stop_at=2)
    est = quiet_fit(cls(max_iter=10, random_state=0).set_callbacks(recorder), X, y)
    assert est.n_iter_ == 2
    assert recorder.tasks == ["epoch", "epoch", "fit"]


@pytest.mark.parametrize("cls", [NeuralNetRegressor, MLPRegressor])
def test_the_fitted_estimator_of_an_epoch_holds_that_epochs_weights(cls):
    X, y = load_diabetes(return_X_y=True)
    recorder = EpochRecorder(X)
    est = quiet_fit(cls(max_iter=3, early_stopping=False, random_state=0), X, y)
    traced = quiet_fit(
        cls(max_iter=3, early_stopping=False, random_state=0).set_callbacks(recorder), X, y
    )
    assert len(recorder.predictions) == 3
    assert not np.allclose(recorder.predictions[0], recorder.predictions[-1])
    np.testing.assert_allclose(recorder.predictions[-1], traced.predict(X), rtol=1e-5)
    np.testing.assert_allclose(traced.predict(X), est.predict(X), rtol=1e-5)  # same fit


def test_grid_search_progress_bar_reaches_sknn_fits():
    pytest.importorskip("rich", reason="rich (test extra) is not installed")
    X, y = load_breast_cancer(return_X_y=True)
    search = GridSearchCV(NeuralNetClassifier(max_iter=2), {"learning_rate": [1e-3, 1e-2]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "does not support callbacks" would fail
        search.set_callbacks(callback.ProgressBar()).fit(X, y)
    assert search.best_estimator_.n_iter_ == 2


def test_scoring_monitor_on_a_streamed_fit_is_refused_before_training():
    # its scorers need the training data in memory: a Dask DataFrame failed after the
    # first epoch with Dask's "Cannot call len() on object with unknown chunk size"
    dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
    import pandas as pd

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X, y = pd.concat([X] * 60, ignore_index=True), pd.concat([y] * 60, ignore_index=True)
    est = NeuralNetRegressor(max_iter=2, random_state=0)  # 26,520 rows: streamed
    est.set_callbacks(callback.ScoringMonitor(scoring="r2"))
    with pytest.raises(ValueError, match="history_"):
        est.fit(dd.from_pandas(X, npartitions=4), dd.from_pandas(y, npartitions=4))
    assert not hasattr(est, "module_")
    # a table small enough to be gathered is fitted in memory, monitored as usual
    monitor = callback.ScoringMonitor(scoring="r2")
    small = NeuralNetRegressor(max_iter=2, random_state=0).set_callbacks(monitor)
    quiet_fit(small, dd.from_pandas(X[:400], npartitions=2), dd.from_pandas(y[:400], npartitions=2))
    assert len([row for row in monitor.get_logs().data if row["task_name"] == "epoch"]) == 2
