"""scikit-learn's callback API (``sklearn.callback``, experimental in 1.9) for sknn's fits.

With scikit-learn >= 1.9 the estimators take ``set_callbacks(...)``: each fit
opens a callback context with one sub-task per epoch, passes the raw ``X``
and ``y``, and hands callbacks that ask for it a ``fitted_estimator`` holding
the weights at the end of that epoch. A callback's stop request ends training
after the epoch, as early stopping does. Meta-estimators such as
``GridSearchCV(...).set_callbacks(ProgressBar())`` reach into sknn's fits the
same way. With an older scikit-learn none of this exists and fits run as
before.
"""

from __future__ import annotations

import copy
from typing import Any

from sknn.training import Callback

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # pragma: no cover - exercised with scikit-learn < 1.9

    class CallbackSupportMixin:  # type: ignore[no-redef]  # a stand-in without callbacks
        pass

    def with_callbacks(method):  # noqa: D103
        return method


SUPPORTED = hasattr(CallbackSupportMixin, "set_callbacks")


class EpochTasks(Callback):
    """An sknn training callback that reports each epoch as a scikit-learn sub-task.

    Parameters
    ----------
    estimator : estimator
        The estimator being fitted (its ``module_`` is what a snapshot copies).
    context : sklearn.callback.CallbackContext
        The fit's root context.
    X, y : array-like
        The training data as passed to ``fit``.
    metadata : dict or None
        Training metadata (``sample_weight``).
    snapshot : callable
        ``snapshot(estimator)`` gives the attributes that make a copy of the
        estimator predict with its current weights.
    """

    def __init__(self, estimator, context, X, y, metadata, snapshot):
        self.estimator = estimator
        self.context = context
        self.data = {"X": X, "y": y, "metadata": metadata}
        self.snapshot = snapshot
        self._epoch = None

    def on_epoch_begin(self, epoch: int) -> None:
        self._epoch = self.context.subcontext(task_name="epoch")
        self._epoch.call_on_fit_task_begin(estimator=self.estimator, **self.data)

    def on_epoch_end(self, record: dict[str, Any]) -> bool:
        stop = self._epoch.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=lambda: self.snapshot(self.estimator),
            **self.data,
        )
        self._epoch = None
        return bool(stop)

    def on_train_end(self, info) -> None:
        if self._epoch is not None:  # interrupted inside an epoch: close its task
            self._epoch.call_on_fit_task_end(estimator=self.estimator)
            self._epoch = None


def begin_fit(estimator, X, y, sample_weight, max_epochs: int, snapshot) -> list[Callback]:
    """Open the fit's callback context; the training callbacks that report its epochs.

    Returns an empty list when scikit-learn has no callback API, or when no
    callback is set on the estimator or propagated to it.
    """
    if not SUPPORTED:
        return []
    context = estimator._init_callback_context(max_subtasks=max_epochs)
    metadata = None if sample_weight is None else {"sample_weight": sample_weight}
    context.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
    estimator._sknn_callback_data = (X, y, metadata)
    if not getattr(estimator, "_skl_callbacks", None):
        return []
    return [EpochTasks(estimator, context, X, y, metadata, snapshot)]


def refuse_scoring_of_dask(estimator) -> None:
    """Refuse scikit-learn's ``ScoringMonitor`` on a fit from a Dask collection.

    Its scorers score the training data as given, which they need in memory: a
    Dask DataFrame failed after the first epoch with Dask's "unknown chunk size".
    """
    for callback in getattr(estimator, "_skl_callbacks", None) or []:
        if type(callback).__name__ == "ScoringMonitor":
            raise ValueError(
                "scikit-learn's ScoringMonitor scores the training data with scikit-learn's "
                "scorers, which need it in memory, not as a Dask DataFrame. Each epoch's "
                "losses and validation score are in history_ (history_.to_frame()); or fit "
                "the computed frame (X.compute(), y.compute()) where it fits in memory."
            )


def end_fit(estimator) -> None:
    """Close the fit's task, handing callbacks the fitted estimator itself."""
    context = getattr(estimator, "_callback_fit_ctx", None)
    X, y, metadata = estimator.__dict__.pop("_sknn_callback_data", (None, None, None))
    if context is not None:
        context.call_on_fit_task_end(
            estimator=estimator, X=X, y=y, metadata=metadata, reconstruction_attributes={}
        )


def module_snapshot(estimator) -> dict:
    """Attributes that make a copy of a flagship estimator predict with today's weights."""
    module = copy.deepcopy(estimator.module_).eval()
    return {"module_": module, "_fit_count": getattr(estimator, "_fit_count", 0), "_n_params": None}
