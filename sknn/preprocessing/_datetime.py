"""Datetime and timedelta columns as numbers.

A datetime column expands into the :data:`DATETIME_PARTS` features (calendar
parts in the column's local time, then days since 1970-01-01), converted at
transform to the time zone it had at fit; a timedelta column becomes its total
seconds. Both are then scaled like any numeric feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as pdt

# Numeric features a datetime column expands into, in output order.
DATETIME_PARTS = ("year", "month", "day", "weekday", "hour", "epoch_days")


def _to_datetime(series: pd.Series, name: str) -> pd.Series:
    if pdt.is_datetime64_any_dtype(series.dtype):
        return series
    try:
        return pd.to_datetime(series)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Column {name!r} cannot be read as datetimes: {exc}") from exc


def time_zone(series: pd.Series, name: str) -> object:
    """Time zone of a datetime column (None for tz-naive), learned at fit.

    Parameters
    ----------
    series : pandas Series
        The column, of datetime dtype or holding datetimes.
    name : str
        Column name, for error messages.

    Returns
    -------
    tz : tzinfo or None
        The column's time zone.
    """
    return _to_datetime(series, name).dt.tz


def as_datetime(series: pd.Series, tz, name: str) -> pd.Series:
    """Column as datetime64, converted to the time zone ``tz`` it had at fit."""
    series = _to_datetime(series, name)
    aware = series.dt.tz is not None
    if aware != (tz is not None):
        state = "tz-aware" if tz is not None else "tz-naive"
        raise ValueError(f"Column {name!r} was {state} at fit; pass it {state} at transform too.")
    return series.dt.tz_convert(tz) if aware else series


def datetime_features(series: pd.Series) -> np.ndarray:
    """Calendar parts in local time, plus days since 1970-01-01 (UTC when tz-aware)."""
    dt = series.dt
    naive = dt.tz_convert(None) if dt.tz is not None else series
    parts = [dt.year, dt.month, dt.day, dt.day_of_week, dt.hour]
    parts.append((naive - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1))
    return np.column_stack([p.to_numpy(dtype=np.float64, na_value=np.nan) for p in parts])


def timedelta_seconds(series: pd.Series, name: str) -> np.ndarray:
    """Total seconds of a timedelta column, missing values as NaN."""
    if not pdt.is_timedelta64_dtype(series.dtype):
        try:
            series = pd.to_timedelta(series)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"Column {name!r} cannot be read as timedeltas: {exc}") from exc
    return series.dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan)
