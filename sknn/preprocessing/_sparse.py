"""Sparse tables kept sparse: text features, wide one-hot blocks, counts.

A scipy sparse matrix (or array) given to :class:`TabularEncoder` is encoded
without ever being made dense: every column is numeric and divided by its
largest absolute value over the rows of positive weight (as scikit-learn's
``MaxAbsScaler``, 1 for a column of zeros), then, with ``clip_numeric``,
squashed smoothly as a dense numeric column is (values of the training range,
within [-1, 1], move by at most 5%; larger ones at prediction are held under
the bound). Nothing is centred, so a zero stays a zero and the output is a
CSR matrix of float32 holding the input's non-zeros. A column stored in
every training row (a number beside the words: a year, an amount) has no
zeros to keep, and is centred and scaled as a dense numeric column is (its
median, its interquartile range): divided by its largest value alone, years
1990-2020 became 0.94-0.95 and a target of the year alone scored R^2 -0.01.
Categorical columns are refused (encode them before, or pass a dense
table), as are missing or infinite values (an imputer before the encoder).

Why not the dense columns' robust scale for every column: a column of
mostly zeros has an interquartile range of 0, so its scale is its standard
deviation, and a word in 3% of rows then sits at about 5 and one in 0.1% at
about 30, where the clip flattens them. On synthetic word counts of 5
topics (4,000 rows, 8,000 words), tf-idf of the same, and a sparse linear
regression, the default classifier scored 0.959, 0.959 and R^2 0.881 with
that scale (unclipped; clipped, R^2 0.748) against 0.997, 0.998 and 0.959
with the largest absolute value (``benchmarks/sparse_text.py`` reports on
other tables).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.sparsefuncs import min_max_axis
from sklearn.utils.validation import _check_sample_weight, validate_data

from sknn.preprocessing._columns import ColumnPlan, explicit_categorical
from sknn.preprocessing._numeric import (
    CLIP_BOUND,
    TINY_CLIP_BOUND,
    TINY_CLIP_ROWS,
    clip_bounds,
    robust_stats,
)


def _checked(X, owner: BaseEstimator, *, reset: bool) -> sp.csr_matrix:
    """``X`` as a CSR matrix of floats, its column count checked against ``owner``."""
    X = validate_data(
        owner,
        X,
        reset=reset,
        accept_sparse="csr",
        dtype=[np.float64, np.float32],
        ensure_all_finite=False,
        ensure_min_samples=1 if reset else 0,
    )
    X = X if sp.issparse(X) else sp.csr_matrix(X)
    if not np.isfinite(X.data).all():
        what = "missing values (NaN)" if np.isnan(X.data).any() else "infinite values"
        dense = (
            " or pass X.toarray(), whose missing values are imputed with indicators added"
            if reset
            else ""  # a fitted sparse encoder: its input stays sparse
        )
        raise ValueError(
            f"X holds {what}, which an encoder of sparse input cannot encode: its "
            "columns are scaled as they are, not imputed. Impute first (SimpleImputer "
            f"takes sparse input; replace infinite values){dense}."
        )
    return X


def _refuse_categorical(encoder, n_features: int) -> None:
    """A sparse matrix is all numbers: refuse ``categorical_features`` naming any column."""
    chosen = encoder.categorical_features
    if chosen is None or (isinstance(chosen, str) and chosen == "from_dtype"):
        return
    mask = explicit_categorical(chosen, np.array([f"x{j}" for j in range(n_features)]), False)
    if mask is not None and np.any(mask):
        raise ValueError(
            f"categorical_features={chosen!r} names columns of a sparse X, whose columns "
            "are all read as numbers. Encode the categories before (a OneHotEncoder in "
            "a ColumnTransformer), or pass a dense table (X.toarray(), a DataFrame) to "
            "embed them."
        )


def fit_sparse(encoder, X, sample_weight) -> None:
    """Fit ``encoder`` on the sparse matrix ``X``: each column's centre, scale and bound.

    Parameters
    ----------
    encoder : TabularEncoder
        The encoder, fitted in place (``sparse_input_`` becomes True).
    X : scipy sparse matrix or array of shape (n_samples, n_features)
        Training data.
    sample_weight : array-like of shape (n_samples,) or None
        The rows' weights: rows of weight 0 take no part in the scales.
    """
    X = _checked(X, encoder, reset=True)
    n_rows, n_features = X.shape
    _refuse_categorical(encoder, n_features)
    weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    weighed = X[np.flatnonzero(weight > 0)] if (weight <= 0).any() else X
    lowest, highest = min_max_axis(weighed, axis=0)
    scale = np.maximum(np.abs(lowest), np.abs(highest)).astype(np.float64)
    scale[~(scale > 0)] = 1.0
    center = np.zeros(n_features)
    bound = np.full(n_features, CLIP_BOUND if n_rows >= TINY_CLIP_ROWS else TINY_CLIP_BOUND)
    if not X.has_canonical_format:  # a copy: the caller's matrix stays as given
        X = X.copy()
        X.sum_duplicates()
    stored = np.bincount(X.indices, minlength=n_features)
    full = np.flatnonzero(stored == n_rows)  # stored in every row: no zeros to keep
    if len(full):  # scaled as dense numeric columns are
        block = X[:, full].toarray()
        _, center[full], scale[full] = robust_stats(block, np.zeros(len(full), bool), weight)
        bound[full] = clip_bounds(block, center[full], scale[full])
    encoder._columns = [ColumnPlan(j, f"x{j}", "numeric") for j in range(n_features)]
    encoder._set_statistics(center.copy(), center, scale, np.zeros(n_features, dtype=bool))
    encoder._full_columns = full
    encoder.clip_bound_ = bound
    encoder._describe_columns(n_continuous=n_features)
    encoder.sparse_input_ = True


def encode_sparse(encoder, X, owner: BaseEstimator) -> sp.csr_matrix:
    """The encoding of ``X`` (sparse, or dense and made sparse) by a sparse-fitted encoder.

    Parameters
    ----------
    encoder : TabularEncoder
        An encoder fitted on a sparse matrix.
    X : scipy sparse matrix or array-like of shape (n_samples, n_features)
        The rows to encode.
    owner : BaseEstimator
        The estimator whose column count ``X`` is checked against.

    Returns
    -------
    X_out : scipy.sparse.csr_matrix of shape (n_samples, n_features), dtype=float32
    """
    X = _checked(X, owner, reset=False)
    full = getattr(encoder, "_full_columns", np.zeros(0, dtype=np.intp))
    others = np.setdiff1d(np.arange(X.shape[1]), full)
    out = X[:, others] if len(full) else X.copy()  # a copy either way: its values are rewritten
    out.sum_duplicates()
    out.data = _scaled(out.data.astype(np.float32), encoder, others[out.indices])
    if not len(full):
        return out
    # columns stored in every training row: their zeros are values, centred and stored
    block = (X[:, full].toarray() - encoder._center[full]) / encoder._scale[full]
    dense = sp.csr_matrix(_clipped(block, encoder, full).astype(np.float32))
    order = np.argsort(np.concatenate([others, full]))
    return sp.hstack([out, dense], format="csr")[:, order]


def _scaled(values: np.ndarray, encoder, columns: np.ndarray) -> np.ndarray:
    """Stored values of ``columns`` (one column index per value) divided by their scale
    and clipped, as float32."""
    z = values / encoder._scale[columns]  # float64, as the dense columns are scaled
    return _clipped(z, encoder, columns).astype(np.float32)


def _clipped(z: np.ndarray, encoder, columns: np.ndarray) -> np.ndarray:
    """The dense columns' smooth clip, ``z / sqrt(1 + (z / bound)^2)``, with ``clip_numeric``."""
    if not encoder.clip_numeric:
        return z
    bound = encoder.clip_bound_[columns]
    t = np.clip(z / bound, -1e18, 1e18)
    return bound * (t / np.hypot(1.0, t))
