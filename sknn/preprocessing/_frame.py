"""Input as a DataFrame: check the table's shape and column names, then wrap it.

pandas DataFrames pass through as they are; other DataFrame libraries'
tables (polars, pyarrow, anything narwhals reads) are converted column by
column through narwhals, so polars needs no pyarrow; other objects with a
``to_pandas`` method use it; arrays or lists of rows become a
DataFrame with integer column labels. Feature names and counts are checked
against, or at fit recorded on, the estimator the user called.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import validate_data

from sknn.sklearn_glue.dask_collections import is_dask


def _array_from_list(X: list) -> np.ndarray:
    """A list of rows as an array; rows that mix strings and numbers stay objects."""
    array = np.asarray(X)
    if array.dtype.kind in "USa":
        array = np.asarray(X, dtype=object)
    return array


def _zoned(utc: np.ndarray, zone: str) -> pd.Series:
    """A time-zone-aware column's values, which ``to_numpy`` gives as naive UTC, in its zone.

    Calendar parts (day, weekday, hour) are read in local time, as for the
    same pandas column; naive UTC values would shift them.
    """
    return pd.Series(utc).dt.tz_localize("UTC").dt.tz_convert(zone)


def refuse_lazy(X) -> None:
    """A TypeError for a lazy frame other than Dask's (which streams): collect it first;
    for a list of records (dicts), which is a table by another name, and a dict; and
    :func:`refuse_repeated_names` (after: a lazy frame's names would resolve its schema)."""
    if isinstance(X, list | tuple) and X and all(isinstance(row, dict) for row in X[:1]):
        raise TypeError(
            "X is a list of records (dicts); make it a table first: pd.DataFrame(X), whose "
            "columns are the records' keys."
        )
    one_record = isinstance(X, dict) and not sp.issparse(X)  # scipy's dok is a dict
    if one_record and len(X) and all(np.ndim(v) == 0 for v in X.values()):
        raise TypeError(  # a dict of arrays feeds a module of your own; one of values is a row
            "X is one record (a dict of single values); make it a one-row table first: "
            "pd.DataFrame([X]), whose columns are the record's keys."
        )
    if one_record:  # sklearn's validation read it as one scalar, then failed on a KeyError
        raise TypeError(
            "X is a dict of arrays, which feeds a module of your own (module=...); sknn's "
            "own network and TabularEncoder take a table: pd.DataFrame(X) when each value "
            "is a column (one entry a row)."
        )
    import narwhals as nw  # scikit-learn >= 1.9 depends on it

    try:
        native = nw.from_native(X, pass_through=True)
    except nw.exceptions.DuplicateError:
        refuse_repeated_names(X)  # the same finding, with the fix
        raise
    if isinstance(native, nw.LazyFrame) and not is_dask(X):
        raise TypeError(
            f"X is a lazy frame ({type(X).__module__.split('.')[0]} {type(X).__name__}); "
            "collect it first, e.g. X.collect() for a polars LazyFrame."
        )
    refuse_repeated_names(X)


def refuse_repeated_names(X) -> None:
    """A ValueError for a table with columns of the same name (narwhals' and scikit-learn's
    own errors named no fix)."""
    names = getattr(X, "column_names", None)  # pyarrow's (its .columns are the data)
    names = getattr(X, "columns", None) if names is None else names
    if names is None or isinstance(X, np.ndarray):
        return
    names = pd.Index(list(names))
    repeated = names[names.duplicated()].unique().tolist()
    if repeated:
        raise ValueError(
            f"X has several columns named {repeated[0]!r} (repeated: {repeated}); each "
            "column needs a name of its own. Rename them first, e.g. X.columns = "
            "[f'{name}_{i}' for i, name in enumerate(X.columns)] (a pyarrow table: "
            "X.rename_columns([...]))."
        )


def refuse_nested(name, dtype) -> None:
    """Columns of lists, structs, arrays or maps hold no one value a row."""
    raise TypeError(
        f"Column {name!r} holds nested values ({dtype}); sknn encodes columns of one "
        "value a row. Flatten it first (a column per field or element), or drop it."
    )


def _refuse_polars_1_0_dates(X, frame) -> None:
    """polars 1.0 dies (a segmentation fault, the Python session lost) turning a date,
    datetime or duration column into a numpy 2 array; 1.1 does not."""
    if not type(X).__module__.startswith("polars"):
        return
    import narwhals as nw
    import polars
    from sklearn.utils.fixes import parse_version

    if parse_version(polars.__version__) >= parse_version("1.1"):
        return
    dates = [name for name in frame.columns if frame[name].dtype.is_temporal()]
    dates = [name for name in dates if frame[name].dtype != nw.Time]
    if dates:
        raise ImportError(
            f"polars {polars.__version__} crashes the Python session when it turns date and "
            f"time columns ({', '.join(map(repr, dates[:3]))}) into numpy 2 arrays. Upgrade "
            "polars (pip install -U 'polars>=1.1'), or pass X.to_pandas()."
        )


def _from_dataframe_library(X) -> pd.DataFrame | None:
    """A polars / pyarrow / other narwhals-readable table as pandas, or None if not one.

    Column by column through numpy (no pyarrow needed for polars): numbers and
    datetimes as numpy arrays (nulls as NaN/NaT), time-zone-aware datetimes in
    their own time zone, strings as objects (nulls as None), categorical and
    enum columns as pandas categoricals, as ``to_pandas`` would give them.
    """
    try:
        import narwhals as nw
    except ImportError:  # pragma: no cover - scikit-learn >= 1.9 depends on narwhals
        return None
    refuse_lazy(X)  # a lazy frame, a list of records, repeated names: told with the fix
    frame = nw.from_native(X, eager_only=True, pass_through=True)
    if frame is X:
        return None
    _refuse_polars_1_0_dates(X, frame)
    columns: dict[str, Any] = {}
    for name in frame.columns:
        series = frame[name]
        if series.dtype.is_nested():
            refuse_nested(name, series.dtype)
        if isinstance(series.dtype, (nw.Categorical, nw.Enum)):
            columns[name] = pd.Categorical(series.to_list())
        elif series.dtype == nw.String:
            columns[name] = np.asarray(series.to_list(), dtype=object)
        elif isinstance(series.dtype, nw.Datetime) and series.dtype.time_zone:
            columns[name] = _zoned(series.to_numpy(), series.dtype.time_zone)
        elif series.dtype.is_integer() and series.null_count():
            # through numpy these would be floats: 2**53 + 1 a neighbour's float, and
            # 1 a category "1.0" only in a batch holding a null
            unsigned = series.dtype in (nw.UInt64, getattr(nw, "UInt128", nw.UInt64))
            columns[name] = pd.array(series.to_list(), dtype="UInt64" if unsigned else "Int64")
        elif isinstance(series.dtype, nw.Unknown) and series.null_count() == len(series):
            columns[name] = np.full(len(series), None, dtype=object)  # polars' Null, as pandas'
        else:
            columns[name] = series.to_numpy()
    return pd.DataFrame(columns)


def as_pandas(X):
    """A DataFrame library's table as a pandas DataFrame; anything else as it is.

    Parameters
    ----------
    X : object
        A pandas, polars or pyarrow table, anything narwhals reads, an object
        with a ``to_pandas`` method, or an array-like.

    Returns
    -------
    X : pandas DataFrame or object
        A pandas DataFrame for a table (``X`` itself for one), else ``X``.
    """
    if isinstance(X, (pd.DataFrame, np.ndarray)):
        return X
    converted = _from_dataframe_library(X)
    if converted is not None:
        return converted
    if callable(getattr(X, "to_pandas", None)):
        return X.to_pandas()
    return X


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
    X = as_pandas(X)  # another library's table: its names checked on the way (refuse_lazy)
    refuse_repeated_names(X)
    if isinstance(X, pd.DataFrame):
        validate_data(owner, X, reset=reset, skip_check_array=True)
        _check_not_empty(X, owner)
        return X
    if isinstance(X, list):
        X = _array_from_list(X)
    X = validate_data(owner, X, reset=reset, dtype=None, ensure_all_finite=False)
    return pd.DataFrame(X)
