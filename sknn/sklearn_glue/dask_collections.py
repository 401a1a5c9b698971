"""Dask collections in and out: answers computed partition by partition, lazily.

A fitted estimator answers a Dask DataFrame or Dask Array without computing
it: :func:`lazy_on_dask` makes a method map itself over the partitions (rows
of a Dask Array: its row blocks) and return a lazy Dask Array, whose
partitions are the answers to the input's partitions; :func:`streamed_sums`
adds up per-partition statistics (a score's sums) in one pass, holding one
partition at a time. The drop-ins, which are scikit-learn's MLPs, refuse a
Dask collection with :func:`refuse_dask`. Dask is optional: nothing here
imports it unless the input already is a Dask collection.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

from sknn.sklearn_glue.dask_pairing import aligned_partitions, by_rows, is_dask_frame

Method = TypeVar("Method", bound=Callable[..., Any])


def is_dask(X) -> bool:
    """Whether ``X`` is a Dask collection (a DataFrame, Series or Array)."""
    if "dask" not in sys.modules:  # nothing can be a Dask collection before dask loads
        return False
    import dask

    return dask.is_dask_collection(X)


def _sample_rows(X):
    """A few made-up rows with ``X``'s columns and dtypes: what an answer's type is read from."""
    if is_dask_frame(X):
        from dask.dataframe.utils import meta_nonempty

        return meta_nonempty(X._meta)
    return np.zeros((2, *X.shape[1:]), dtype=X.dtype)


def map_answers(X, answer: Callable[[object], np.ndarray]):
    """``answer`` of each partition of ``X``, as one lazy Dask Array of rows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the made-up rows may be unusual values
        meta = np.asarray(answer(_sample_rows(X)))[:0]

    def each(part):  # an empty partition (a filter's leftover) answers no rows
        return meta.copy() if len(part) == 0 else answer(part)

    if is_dask_frame(X):
        return X.map_partitions(each, meta=meta)
    blocks = by_rows(X)
    # the answer's trailing axes replace the input's: (rows, features) -> (rows, ...)
    drop = tuple(range(meta.ndim, blocks.ndim))
    new = tuple(range(blocks.ndim, meta.ndim))
    chunks = (blocks.chunks[0], *meta.shape[1:]) if meta.ndim > 1 else (blocks.chunks[0],)
    return blocks.map_blocks(
        each,
        dtype=meta.dtype,
        chunks=chunks,
        drop_axis=drop or None,
        new_axis=new or None,
        meta=meta,
    )


def lazy_on_dask(method: Method) -> Method:
    """Make ``method(self, X, ...)`` answer a Dask collection lazily, partition by partition.

    The signature stays the method's own (type checkers see it unchanged).
    """

    @functools.wraps(method)
    def answer(self, X, *args, **kwargs):
        if not is_dask(X):
            return method(self, X, *args, **kwargs)
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)  # before the made-up rows: the usual NotFittedError
        return map_answers(X, lambda part: method(self, part, *args, **kwargs))

    return cast(Method, answer)


def streamed_sums(stats: Callable[..., np.ndarray], *collections) -> np.ndarray:
    """The sum over partitions of ``stats(X_part, y_part, ...)``, computed in one pass."""
    import dask

    def checked(pieces):
        if len({len(p) for p in pieces}) != 1:
            raise ValueError(
                "A block of X and the matching block of y have different numbers of rows: "
                "the collections are not aligned. Take y from the same Dask DataFrame as X."
            )
        if len(pieces[0]) == 0:  # an empty partition adds nothing
            return None
        return np.asarray(stats(*pieces), dtype=np.float64)

    require_dask("y", collections[1])
    pieces = aligned_partitions(*collections)
    delayed_stats = [dask.delayed(checked)(p) for p in pieces]
    sums = [part for part in dask.compute(*delayed_stats) if part is not None]
    if not sums:
        raise ValueError("Every partition of X is empty: there are no rows to score.")
    return np.sum(sums, axis=0)


def refuse_dask(method: Method) -> Method:
    """Make ``method(self, X, ...)`` refuse a Dask collection, naming what to do instead."""

    @functools.wraps(method)
    def refusing(self, X, *args, **kwargs):
        if is_dask(X):
            name = type(self).__name__
            flagship = "NeuralNetClassifier" if "Classifier" in name else "NeuralNetRegressor"
            raise TypeError(
                f"{name} is scikit-learn's MLP and takes data in memory, not a Dask "
                f"collection. Compute it first (X.compute()) if it fits in memory, or use "
                f"sknn.{flagship}, whose predictions on a Dask collection are computed "
                "partition by partition."
            )
        return method(self, X, *args, **kwargs)

    return cast(Method, refusing)


def require_dask(what: str, value) -> None:
    """Refuse ``value`` (``y`` or ``sample_weight`` beside a Dask ``X``) unless it is Dask too."""
    if value is not None and not is_dask(value):
        raise TypeError(
            f"With X a Dask collection, {what} must be one too, split like X (a column of "
            "the same Dask DataFrame: y = ddf['target'])."
        )


def require_dask_frame(X, who: str) -> None:
    """Refuse a Dask Array or Series where a fit needs a Dask DataFrame's named columns."""
    import pandas as pd

    if not isinstance(getattr(X, "_meta", None), pd.DataFrame):
        raise TypeError(
            f"{who} fits a Dask DataFrame (its predictions take a Dask Array too); make one: "
            "dask.dataframe.from_dask_array(X) for an Array, X.to_frame() for a Series."
        )


def _weights_beside(X, sample_weight):
    require_dask("sample_weight", sample_weight)
    return () if sample_weight is None else (sample_weight,)


def _as_numpy(part) -> np.ndarray:
    return np.asarray(part.to_numpy() if hasattr(part, "to_numpy") else part)


def _targets(part) -> np.ndarray:
    """A partition of ``y`` as numpy; a row without a target (y shorter than X) is refused."""
    import pandas as pd

    values = _as_numpy(part)
    if pd.isna(values).any():
        raise ValueError(
            "y has no value for some rows of X (missing, or y is shorter than X: Dask "
            "aligns them by index). Give a target for every row of X; take y from the same "
            "Dask DataFrame as X (y = ddf['target'])."
        )
    return values


def streamed_accuracy(estimator, X, y, sample_weight=None) -> float:
    """``estimator.score`` (accuracy) of Dask ``X`` against Dask ``y``, one partition at a time."""
    from sklearn.metrics import accuracy_score

    def stats(X_part, y_part, w_part=None):
        w = np.ones(len(y_part)) if w_part is None else _as_numpy(w_part)
        right = accuracy_score(_targets(y_part), estimator.predict(X_part), sample_weight=w)
        return np.array([right * w.sum(), w.sum()])

    right, total = streamed_sums(stats, X, y, *_weights_beside(X, sample_weight))
    return float(right / total)


def streamed_r2(estimator, X, y, sample_weight=None, shift=0.0) -> float:
    """R^2 of ``estimator.predict`` on Dask ``X`` against Dask ``y``, one partition at a time.

    Per output: the weighted sums of the targets around ``shift`` (a value
    near their mean, such as the training targets' mean, so that the sums
    do not cancel), of their squares and of the squared residuals; R^2 as
    scikit-learn's ``r2_score`` (uniform average over outputs, 1 for a
    constant target predicted exactly, else 0).
    """

    def stats(X_part, y_part, w_part=None):
        target = _targets(y_part).astype(np.float64).reshape(len(y_part), -1)
        pred = np.asarray(estimator.predict(X_part), dtype=np.float64).reshape(target.shape)
        w = np.ones(len(target)) if w_part is None else _as_numpy(w_part)
        centered = target - shift
        return np.stack(
            [
                np.full(target.shape[1], w.sum()),
                w @ centered,
                w @ centered**2,
                w @ (target - pred) ** 2,
            ]
        )

    total, first, second, residual = streamed_sums(stats, X, y, *_weights_beside(X, sample_weight))
    spread = second - first**2 / total
    exact = np.where(residual == 0, 1.0, 0.0)
    r2 = np.where(spread > 0, 1 - residual / np.where(spread > 0, spread, 1.0), exact)
    return float(np.mean(r2))


def fold_partitions(summarize: Callable[..., Any], fold: Callable[[Any, Any], Any], *collections):
    """``summarize(i, *parts)`` of every partition, folded into one value as they arrive.

    Partitions are computed a few at a time (as many as the machine has
    cores) and their summaries folded in order, so memory holds a few
    partitions and one accumulated summary, whatever the collection's size.
    Returns ``(accumulated, n_partitions)``; the collections are aligned as
    :func:`aligned_partitions` aligns them.
    """
    import os

    import dask

    rows = aligned_partitions(*collections)
    group = max(1, os.cpu_count() or 1)
    accumulated = None
    for start in range(0, len(rows), group):
        chunk = rows[start : start + group]
        summaries = dask.compute(
            *[dask.delayed(summarize)(start + k, *pieces) for k, pieces in enumerate(chunk)]
        )
        for summary in summaries:
            accumulated = summary if accumulated is None else fold(accumulated, summary)
    return accumulated, len(rows)


def is_persisted(collection) -> bool:
    """Whether a Dask collection holds data persisted on a cluster (futures in its graph)."""
    if collection is None or not is_dask(collection):
        return False
    try:
        from distributed import Future
    except ImportError:  # no cluster, nothing persisted on one
        return False
    return any(isinstance(task, Future) for task in dict(collection.dask).values())


def persisted_rows(*collections) -> list | None:
    """The aligned partitions (delayed) of collections of which one is persisted on a
    cluster, for its scheduler to compute; None when none is."""
    if not any(is_persisted(c) for c in collections):
        return None
    return aligned_partitions(*collections)


def partition_loader(*collections) -> tuple[Callable[[int], tuple], int]:
    """``load(i)``: partition ``i`` of the aligned collections, computed; and their count.

    In this thread with dask's synchronous scheduler, unless a collection is
    persisted on a cluster, whose scheduler alone has its data.
    """
    import dask

    rows = aligned_partitions(*collections)
    scheduler = None if any(is_persisted(c) for c in collections) else "sync"

    def load(i: int) -> tuple:
        return dask.compute(rows[i], scheduler=scheduler)[0]

    return load, len(rows)
