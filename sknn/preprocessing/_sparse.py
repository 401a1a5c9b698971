"""Sparse tables kept sparse: text features, wide one-hot blocks, counts.

A scipy sparse matrix (or array) given to :class:`TabularEncoder` is encoded
without ever being made dense: every column is numeric and divided by its
largest absolute value over the rows of positive weight (as scikit-learn's
``MaxAbsScaler``, 1 for a column of zeros), then, with ``clip_numeric``,
squashed smoothly as a dense numeric column is (values of the training range,
within [-1, 1], move by at most 5%; larger ones at prediction are held under
the bound). Nothing is centred, so a zero stays a zero and the output is a
CSR matrix of float32 holding exactly the input's non-zeros. Missing or
infinite values are refused with the fix (an imputer before the encoder).

Why not the dense columns' robust scale: a column of mostly zeros has an
interquartile range of 0, so its scale is its standard deviation, and a
word in 3% of rows then sits at about 5 and one in 0.1% at about 30, where
the clip flattens them. On synthetic word counts of 5 topics (4,000 rows,
8,000 words), tf-idf of the same, and a sparse linear regression, the
default classifier scored 0.959, 0.959 and R^2 0.881 with that scale
(unclipped; clipped, R^2 0.748) against 0.997, 0.998 and 0.959 with the
largest absolute value (``benchmarks/sparse_text.py`` reports on other
tables).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.sparsefuncs import min_max_axis
from sklearn.utils.validation import _check_sample_weight, validate_data

from sknn.preprocessing._columns import ColumnPlan
from sknn.preprocessing._numeric import CLIP_BOUND, TINY_CLIP_BOUND, TINY_CLIP_ROWS


def _checked(X, owner: BaseEstimator, *, reset: bool) -> sp.csr_matrix:
    """``X`` as a CSR matrix of floats, its column count checked against ``owner``."""
    X = validate_data(
        owner,
        X,
        reset=reset,
        accept_sparse="csr",
        dtype=[np.float64, np.float32],
        ensure_all_finite=not sp.issparse(X),
        ensure_min_samples=1 if reset else 0,
    )
    X = X if sp.issparse(X) else sp.csr_matrix(X)
    if not np.isfinite(X.data).all():
        what = "missing values (NaN)" if np.isnan(X.data).any() else "infinite values"
        raise ValueError(
            f"X is a sparse matrix holding {what}, which a sparse input cannot encode: "
            "it is scaled as it is, not imputed. Impute first (SimpleImputer takes sparse "
            "input; replace infinite values), or pass X.toarray(), whose missing values "
            "are imputed with indicators added."
        )
    return X


def fit_sparse(encoder, X, sample_weight) -> None:
    """Fit ``encoder`` on the sparse matrix ``X``: each column's scale and clip bound.

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
    weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    weighed = X[np.flatnonzero(weight > 0)] if (weight <= 0).any() else X
    lowest, highest = min_max_axis(weighed, axis=0)
    scale = np.maximum(np.abs(lowest), np.abs(highest)).astype(np.float64)
    scale[~(scale > 0)] = 1.0
    names = [f"x{j}" for j in range(n_features)]
    encoder._columns = [ColumnPlan(j, name, "numeric") for j, name in enumerate(names)]
    zeros = np.zeros(n_features)
    encoder._set_statistics(zeros, zeros, scale, np.zeros(n_features, dtype=bool))
    if n_rows >= TINY_CLIP_ROWS:
        encoder.clip_bound_ = np.full(n_features, CLIP_BOUND)
    else:  # a few rows: the bound of a dense table of few rows whose values reach 1
        encoder.clip_bound_ = np.full(n_features, TINY_CLIP_BOUND)
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
    out = X.astype(np.float32) if X.dtype != np.float32 else X.copy()
    out.sum_duplicates()
    z = out.data / encoder._scale[out.indices]  # float64, as the dense columns are scaled
    if encoder.clip_numeric:  # the dense columns' smooth clip, z / sqrt(1 + (z / bound)^2)
        bound = encoder.clip_bound_[out.indices]
        t = np.clip(z / bound, -1e18, 1e18)
        z = bound * (t / np.hypot(1.0, t))
    out.data = z.astype(np.float32)
    return out
