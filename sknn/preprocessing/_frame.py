"""Input as a DataFrame: check the table's shape and column names, then wrap it.

DataFrames pass through as they are, objects with a ``to_pandas`` method
(polars, pyarrow) are converted, and arrays or lists of rows become a
DataFrame with integer column labels. Feature names and counts are checked
against, or at fit recorded on, the estimator the user called.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import validate_data


def _array_from_list(X: list) -> np.ndarray:
    """A list of rows as an array; rows that mix strings and numbers stay objects."""
    array = np.asarray(X)
    if array.dtype.kind in "USa":
        array = np.asarray(X, dtype=object)
    return array


def _check_not_empty(frame: pd.DataFrame, estimator: BaseEstimator) -> None:
    n_samples, n_features = frame.shape
    name = type(estimator).__name__
    if n_samples == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={frame.shape}) while a minimum of 1 is "
            f"required by {name}."
        )
    if n_features == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={frame.shape}) while a minimum of 1 is "
            f"required by {name}."
        )


def validate_frame(X, owner: BaseEstimator, *, reset: bool) -> pd.DataFrame:
    """Check the shape and column names of ``X`` and return it as a DataFrame.

    Parameters
    ----------
    X : pandas DataFrame, array-like, or an object with a ``to_pandas`` method
        The input table.
    owner : BaseEstimator
        The estimator whose feature names and counts ``X`` is checked against
        (and, with ``reset=True``, records them); named in error messages.
    reset : bool
        True at fit, False at transform.

    Returns
    -------
    frame : pandas DataFrame
        ``X`` itself when it is a DataFrame.
    """
    if not isinstance(X, (pd.DataFrame, np.ndarray)) and callable(getattr(X, "to_pandas", None)):
        X = X.to_pandas()  # polars, pyarrow
    if isinstance(X, pd.DataFrame):
        validate_data(owner, X, reset=reset, skip_check_array=True)
        _check_not_empty(X, owner)
        return X
    if isinstance(X, list):
        X = _array_from_list(X)
    X = validate_data(owner, X, reset=reset, dtype=None, ensure_all_finite=False)
    return pd.DataFrame(X)
