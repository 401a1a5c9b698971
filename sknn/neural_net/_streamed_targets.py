"""The targets of a fit on a Dask collection: read, checked and summed partition by partition.

Each partition's targets are read as scikit-learn reads ``y`` in memory,
checked as the in-memory fit checks them and summed into exact facts (class
counts, or weighted moments); the estimator's target encoding comes from
those facts and the pass's sample, and class weights weigh the sampled rows
(the encoder's statistics) and the training batches alike.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from sklearn.utils import check_array

from sknn.neural_net._moments import WeightedMoments
from sknn.neural_net._regression_losses import check_targets, robust_huber_delta
from sknn.neural_net._targets import class_codes, plain_labels, usable_scale
from sknn.sklearn_glue.targets import check_labels, check_numeric_targets

Y_PREFIX, W_COLUMN = "__sknn_y", "__sknn_w"


def targets_beside(n_targets: int):
    """The target (and weight) columns a partition's sample carries beside ``X``'s."""

    def beside(X_part, y_part, *w_part) -> dict:
        y = targets_of_partition(y_part, len(X_part), n_targets)
        columns = {f"{Y_PREFIX}{k}": y[:, k] for k in range(n_targets)}
        w = np.asarray(w_part[0], dtype=np.float64) if w_part else np.ones(len(X_part))
        return {**columns, W_COLUMN: w}

    return beside


def targets_of_partition(y_part, n_rows: int, n_targets: int) -> np.ndarray:
    """A partition's targets as ``(n_rows, n_targets)``, refused when they are not one
    row of targets a row of ``X`` (a Dask Array ``y`` chunked otherwise than ``X``).
    Read as the in-memory fit reads ``y`` (nullable booleans and integers as numpy's,
    categorical labels as scikit-learn reads them), so that ``classes_`` are the same
    values of the same dtype."""
    y = check_array(
        plain_labels(y_part),
        ensure_2d=False,
        dtype=None,
        ensure_all_finite=False,
        ensure_min_samples=0,
    )
    if y.size != n_rows * n_targets:
        raise ValueError(
            f"A partition of X has {n_rows} rows but the matching block of y holds "
            f"{y.size} values for {n_targets} target(s): y is not aligned with X. Take y "
            "from the same Dask DataFrame as X, or chunk a Dask Array y as X's partitions "
            "(y.rechunk((tuple(X.map_partitions(len).compute()),)))."
        )
    return y.reshape(n_rows, n_targets)


def check_partition_targets(est, y2: np.ndarray, weight: np.ndarray) -> None:
    """What the in-memory fit refuses in ``y``, partition by partition (its rows counted
    within the partition); a missing target may be a row of X that y's index lacks."""
    try:
        if not est._y_numeric:
            check_labels(y2[:, 0] if y2.shape[1] == 1 else y2)
            return
        check_numeric_targets(y2, type(est).__name__)
    except ValueError as exc:
        if "missing" not in str(exc) and "NaN" not in str(exc):
            raise
        raise ValueError(
            f"In one partition of X: {exc} With Dask, y is matched to X by index: rows of X "
            "whose index y lacks (y from another frame, or with its index reset) have no "
            "target; take y from the same Dask DataFrame as X (y = ddf['target'])."
        ) from exc
    try:
        check_targets(est.loss, est.power, y2.astype(np.float64), weight, whole=False)
    except ValueError as exc:  # counted in this partition, not the whole of y
        raise ValueError(f"In one partition of y: {exc}") from exc


def target_facts(est, y2: np.ndarray, weight: np.ndarray):
    """Exact facts of a partition's targets: class counts, or weighted moments per column."""
    if not est._y_numeric:
        return Counter(y2[:, 0].tolist())
    return WeightedMoments.of(y2.astype(np.float64), weight)


def check_continued_targets(est, summary, y_columns: list[str]) -> None:
    """Before training resumes: every label of the pass is one of ``classes_``, and
    the target has the columns the network was fitted on."""
    if not est._y_numeric and not est._multilabel:
        class_codes(np.array(list(summary.extra["targets"])), est.classes_)
        return
    est._encode_targets(sample_targets(summary.sample, y_columns, len(y_columns) == 1), reset=False)


def encode_targets(est, summary, y_columns: list[str], one_d: bool, classes) -> None:
    """The estimator's target encoding from the sample, with the exact facts of the pass
    (``classes``: the labels a first ``partial_fit`` names, each label of the pass among them)."""
    y_sample = summary.sample[y_columns].to_numpy()
    w_sample = summary.sample[W_COLUMN].to_numpy()
    facts = summary.extra["targets"]
    if not est._y_numeric:
        # in the sample's dtype, as an in-memory fit reads the labels (strings as objects)
        dtype = object if y_sample.dtype.kind in "OUS" else y_sample.dtype
        seen = np.unique(np.array(list(facts), dtype=dtype))
        y_sample = y_sample[:, 0] if one_d else y_sample
        est._encode_targets(y_sample, reset=True, classes=seen if classes is None else classes)
        if classes is not None and not est._multilabel:
            class_codes(seen, est.classes_)
        return
    # a rare count may be 0 on every sampled row: the pass's mean is checked below, and
    # replaces the sample's (a zero there divides by zero, for nothing)
    with np.errstate(divide="ignore", invalid="ignore"):
        est._encode_targets(y_sample, reset=True, sample_weight=w_sample, sample=True)
    mean = facts.mean
    if est._log_link:
        check_targets(est.loss, est.power, mean[None, :], np.ones(1))  # a column of zeros
        est._y_scale = mean
    elif est.loss == "squared_error":  # the pass's exact moments (a robust loss keeps
        est._y_mean, est._y_scale = mean, usable_scale(facts.std, mean)  # the sample's MAD)
    est._huber_default = robust_huber_delta(y_sample.astype(np.float64), est._y_scale, w_sample)


def sample_targets(rows: pd.DataFrame, y_columns: list[str], one_d: bool) -> np.ndarray:
    """The targets of sampled rows, one-dimensional for a Series ``y``."""
    y_sample = rows[y_columns].to_numpy()
    return y_sample[:, 0] if one_d else y_sample


def weighed(est, balanced: np.ndarray | None, w: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Rows' weights times their class's weight (``balanced``: from the pass's counts)."""
    return w * balanced[codes] if balanced is not None else est._target_weights(w, codes)


def class_weighed_rows(
    est, balanced: np.ndarray | None, rows: pd.DataFrame, w: np.ndarray, y_columns, one_d: bool
) -> np.ndarray:
    """Sampled rows' weights times their class's weight (``rows`` hold the targets); the
    weights as they are without ``class_weight``."""
    if getattr(est, "class_weight", None) is None:
        return w
    return weighed(
        est, balanced, w, quietly_encoded(est, sample_targets(rows, y_columns, one_d), w)
    )


def balanced_factors(est, counts) -> np.ndarray | None:
    """``class_weight="balanced"`` from the pass's exact class counts: n / (k * count)
    over the ``k`` classes present, 1 for a class absent (named by ``classes=``), as in
    memory."""
    if getattr(est, "class_weight", None) != "balanced":
        return None
    present = {c: n for c, n in counts.items() if n > 0}
    n, k = sum(present.values()), len(present)
    return np.array([n / (k * present[c]) if c in present else 1.0 for c in est.classes_.tolist()])


def quietly_encoded(est, y, w: np.ndarray) -> np.ndarray:
    """``y`` of a partition or sample encoded as the fitted targets. A classifier's
    one-column ``y`` was told once, by the pass, so it goes as the column it is (no
    ``warnings.catch_warnings``: this runs on the stream's prefetch thread, and the
    filters are the process's)."""
    if not est._y_numeric and y.ndim == 2 and y.shape[1] == 1 and not est._multilabel:
        y = y[:, 0]
    return est._encode_targets(y, reset=False, sample_weight=w)
