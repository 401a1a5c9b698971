"""A numeric or boolean column's values as float64, as the kind seen at fit allows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as pdt


def as_float(series: pd.Series, name: str, kind: str = "numeric") -> np.ndarray:
    """Column values as float64, missing values as NaN.

    Parameters
    ----------
    series : pandas Series
        A numeric, boolean (nullable or not) or object column of numbers.
    name : str
        Its name, for error messages.
    kind : {"numeric", "bool"}, default="numeric"
        Its kind at fit: a boolean column takes only 0, 1 and missing values.

    Returns
    -------
    values : ndarray of shape (n_samples,), dtype=float64
        The values; NaN where missing (None, NaN, ``pd.NA``).
    """
    if pdt.is_complex_dtype(series.dtype):
        raise ValueError(f"Complex data not supported: column {name!r} has dtype {series.dtype}.")
    if not pdt.is_numeric_dtype(series.dtype):  # object, str or category columns
        series = series.astype(object)
        series = series.where(series.notna(), np.nan)  # None, NA, NaT -> NaN
        try:
            series = pd.to_numeric(series)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"Column {name!r} was {'boolean' if kind == 'bool' else 'numeric'} at fit but "
                f"now holds non-numeric values ({exc}); "
                "pass the same kind of data as at fit."
            ) from exc
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if kind == "bool":
        _refuse_not_boolean(values, name)
    return values


def _refuse_not_boolean(values: np.ndarray, name: str) -> None:
    """A boolean column is encoded 0/1 unscaled: another number would pass as it is."""
    observed = values[~np.isnan(values)]
    other = np.setdiff1d(observed, [0.0, 1.0])
    if len(other):
        raise ValueError(
            f"Column {name!r} was boolean at fit but now holds {other[:5].tolist()}, not "
            "True/False (or 1/0). Pass the column as it was at fit."
        )
