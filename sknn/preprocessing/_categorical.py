"""Categorical columns: their categories seen at fit, and integer codes.

Categories are the distinct non-missing values at fit, sorted by their string
form (columns mixing strings and numbers are compared by ``str``). A value
becomes a code: :data:`MISSING_CODE` for missing, :data:`UNSEEN_CODE` for a
category not seen at fit, and 2, 3, ... for the seen ones; one-hot columns and
embedding-table code columns are both built from these codes.
"""

from __future__ import annotations

import functools
from numbers import Real
from typing import Protocol

import numpy as np
import pandas as pd

from sknn.preprocessing._datetime import numpy_temporal
from sknn.preprocessing._user_warnings import warn_user

# Codes of a high-cardinality categorical column; seen categories start at 2.
MISSING_CODE = 0
UNSEEN_CODE = 1
FIRST_SEEN_CODE = 2


class CategoricalColumn(Protocol):
    """What encoding a categorical column needs of its plan (a ``ColumnPlan`` has it)."""

    name: str
    as_str: bool  # values are compared by their str form
    categories: tuple  # the categories seen at fit, sorted by str form


def _categorical_values(series: pd.Series, as_str: bool) -> pd.Series:
    return series.astype(object).astype(str) if as_str else compared_values(series)


class _Lookup:
    """What matching values to a column's fitted categories reads, built once per fitted
    column (:func:`_lookup`): building it each call cost a 1-row predict 40 ms at
    300,000 categories."""

    def __init__(self, categories: tuple):
        self.categories = categories
        self.index = pd.Index(list(categories), dtype=object)
        self.strings = all(isinstance(c, str) for c in categories)
        self.all_bool = bool(categories) and all(isinstance(c, bool | np.bool_) for c in categories)
        self.has_blank = "" in self.index
        self.floats = [c for c in categories if isinstance(c, float | np.floating)]

    @functools.cached_property
    def seen(self) -> frozenset:
        return frozenset(self.categories)

    @functools.cached_property
    def float32_keys(self) -> dict[float, object]:
        """Each float category by its float32 value (``None`` where two share one)."""
        rounded: dict[float, object] = {}
        for category in self.floats:
            key = float(np.float32(category))
            rounded[key] = None if key in rounded else category
        return rounded


def _lookup(column: CategoricalColumn) -> _Lookup:
    """The column's :class:`_Lookup`, kept on it (not saved) while its categories stay."""
    kept = getattr(column, "__dict__", {}).get("_lookup")
    if kept is None or kept.categories is not column.categories:
        kept = _Lookup(column.categories)
        if hasattr(column, "__dict__"):
            column.__dict__["_lookup"] = kept
    return kept


def compared_values(series: pd.Series) -> pd.Series:
    """Dates and datetimes as pandas Timestamps, durations as Timedeltas, whichever a
    library gave: polars and datetime64 columns give datetimes, ``pyarrow.Table.to_pandas()``
    ``datetime.date`` objects, which equal no datetime (one day was two categories), and
    numpy's nanosecond units read as plain integers."""
    series = numpy_temporal(series)
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "date":
        series = pd.to_datetime(series)
    if pd.api.types.is_datetime64_any_dtype(series.dtype) or series.dtype.kind == "m":
        return series.astype(object)  # Timestamps, Timedeltas
    return series


def _as_seen(series: pd.Series, column: CategoricalColumn) -> pd.Series:
    """Values in the form they are compared with the fitted categories.

    A column compared by str form (one that mixed strings and numbers at fit)
    gets a number whose str form was not seen tried as an integer and as a
    float too: a batch holding only numbers and missing values arrives as
    floats, and ``1.0`` must find the ``1`` seen at fit whatever else the
    batch holds (and ``1`` the ``1.0``).
    """
    values = _categorical_values(series, column.as_str)
    lookup = _lookup(column)
    if not column.as_str:
        if lookup.all_bool:
            return _bools_as_seen(values)
        return _floats_as_seen(values, lookup)
    seen = lookup.seen

    def form(value, text: str) -> str:
        if text in seen or isinstance(value, bool | np.bool_) or not isinstance(value, Real):
            return text
        number = float(value)
        alternatives = ([str(int(number))] if number.is_integer() else []) + [str(number)]
        return next((alt for alt in alternatives if alt in seen), text)

    forms = [form(value, text) for value, text in zip(series.tolist(), values, strict=True)]
    return pd.Series(forms, index=series.index, dtype=object)


def _floats_as_seen(values: pd.Series, lookup: _Lookup) -> pd.Series:
    """Float categories matched at float32 where they do not match exactly.

    The same rates arrive as float32 at predict (polars ``Float32``, a downcast
    Parquet file) after a float64 fit, or the other way round: ``0.05`` is not
    ``0.05000000074505806``, and every row was a category never seen. A value
    and a category that round to the same float32 match (as the ONNX graph,
    whose float keys are float32, matches them), unless two categories do.
    """
    if not lookup.floats or values.dtype.kind != "f":
        return values
    unmatched = lookup.index.get_indexer(values) < 0
    unmatched &= values.notna().to_numpy()
    if not unmatched.any():
        return values
    positions = np.flatnonzero(unmatched)
    near = values.iloc[positions].astype(np.float32).astype(np.float64).map(lookup.float32_keys)
    found = near.notna().to_numpy()
    if not found.any():
        return values
    matched = values.astype(object)  # by position: an index may repeat labels
    matched.iloc[positions[found]] = near.to_numpy()[found]
    return matched


def _bools_as_seen(values: pd.Series) -> pd.Series:
    """0 and 1 (of any number type) for a column of bools at fit are ``False`` and
    ``True``, as Python compares them (and as a column of ints at fit takes bools)."""

    def form(value):
        is_number = isinstance(value, Real) and not isinstance(value, bool | np.bool_)
        return bool(value) if is_number and value in (0, 1) else value

    return values.astype(object).map(form)


def seen_categories(series: pd.Series, as_str: bool) -> tuple:
    """Distinct non-missing values, sorted by their str form."""
    return tuple(sorted(distinct_values(series, as_str), key=str))


def distinct_values(series: pd.Series, as_str: bool = False) -> list:
    """Distinct non-missing values in the form they are compared with categories (dates
    as Timestamps, whichever library or partition gave them), unsorted."""
    values = _categorical_values(series[series.notna()], as_str)
    return np.asarray(pd.unique(values), dtype=object).tolist()


def _warn_on_another_type(series: pd.Series, column: CategoricalColumn) -> bool:
    """Warn when values arrive with another type than at fit: they are all unseen.
    True when it warned."""
    if column.as_str or not column.categories:
        return False
    strings_at_fit = _lookup(column).strings
    observed = series[series.notna()]
    if not len(observed):
        return False
    if pd.api.types.is_object_dtype(series.dtype):  # may mix types: count them all
        n_other = int((observed.map(lambda v: isinstance(v, str)) != strings_at_fit).sum())
    else:  # one type: its first value's
        n_other = len(observed) if isinstance(observed.iloc[0], str) != strings_at_fit else 0
    if not n_other:
        return False
    before, now = ("strings", _kind_of(series)) if strings_at_fit else ("numbers", "strings")
    whole = all(float(c).is_integer() for c in column.categories if isinstance(c, Real))
    convert = ".astype(str)" if strings_at_fit else (".astype(int)" if whole else ".astype(float)")
    if _lookup(column).all_bool:
        before, convert = "booleans", ".map({'True': True, 'False': False})"
    which = "every value is" if n_other == len(observed) else f"{n_other} of its values are"
    _tell_once(
        column,
        "another type",
        f"Column {column.name!r} held {before} at fit but holds {now} ({series.dtype}) now, "
        f"so {which} a category never seen at fit. Convert it to the type it had at "
        f"fit (e.g. {convert}).",
    )
    return True


def _warn_if_none_seen(series: pd.Series, codes: np.ndarray, column: CategoricalColumn) -> None:
    """Warn when no value of a batch's column was seen at fit, and values repeat (new ids
    do not): a change of spelling, case or coding makes every row unseen, silently."""
    observed = codes != MISSING_CODE
    n = int(observed.sum())
    if n < 5 or not column.categories or (codes[observed] != UNSEEN_CODE).any():
        return
    values = pd.unique(series[observed].astype(object))
    if len(values) == n:
        return
    shown = [str(v) for v in values[:3]]
    at_fit = [str(c) for c in column.categories[:3]]
    _tell_once(
        column,
        "none seen",
        f"Column {column.name!r}: none of its {n:,} values in this batch was seen at fit "
        f"(now {shown}..., at fit {at_fit}...), so every row is answered as an unseen "
        "category. Check for a change of spelling, case or coding since the fit.",
    )


def _tell_once(column: CategoricalColumn, kind: str, message: str) -> None:
    """``warn_user``, once per column of a fitted model and kind of warning: predicting
    batch after batch (a loop, partial dependence's grid, permutation importance) told it
    for each (200 times for a partial dependence plot), since pandas' own
    ``catch_warnings`` resets Python's once-per-line memory."""
    told = column.__dict__.setdefault("_told", set())
    if kind not in told:
        warn_user(message)
        told.add(kind)  # after: a warning raised as an error is told again


def _blanks_as_missing(series: pd.Series, column: CategoricalColumn) -> pd.Series:
    """Empty strings as missing values, unless the empty string was a category at fit.

    An empty string at predict time is a value left blank (a web form, JSON, a CSV
    read with ``keep_default_na=False``), and the ONNX graph's string inputs mark a
    missing value with it: both read it as missing, not as a category never seen.
    """
    if _lookup(column).has_blank or not (
        pd.api.types.is_object_dtype(series.dtype)
        or pd.api.types.is_string_dtype(series.dtype)
        or isinstance(series.dtype, pd.CategoricalDtype)
    ):
        return series
    if isinstance(series.dtype, pd.CategoricalDtype) and "" not in series.cat.categories:
        return series
    # compared as they are: no copy of the column unless it holds a blank
    blank = series.eq("").to_numpy(dtype=bool, na_value=False)
    return series.astype(object).mask(blank, None) if blank.any() else series


def _kind_of(series: pd.Series) -> str:
    """What a column of non-strings holds, in words."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "booleans"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetimes"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "durations"
    return "numbers" if pd.api.types.is_numeric_dtype(dtype) else "values other than strings"


def category_codes(series: pd.Series, column: CategoricalColumn) -> np.ndarray:
    """0 for missing (an empty string never seen at fit too), 1 for categories not seen at
    fit, 2.. for the seen ones."""
    if isinstance(series.dtype, pd.CategoricalDtype) and len(series) < len(series.cat.categories):
        # a few rows of a pandas categorical of many categories: pandas' conversions turn
        # every category into an object (10 ms a row at 300,000 categories); the used
        # ones keep their types (an object array of Periods or dates was inferred anew)
        series = series.cat.remove_unused_categories()
    series = _blanks_as_missing(series, column)
    warned = _warn_on_another_type(series, column)
    index = _lookup(column).index
    # an object Index of the values, as pandas 3 builds it (pandas 2 inferred a dtype
    # from an object Series of dates, durations or intervals, warning at every predict)
    target = pd.Index(_as_seen(series, column), dtype=object)
    codes = index.get_indexer(target) + FIRST_SEEN_CODE
    codes[codes < FIRST_SEEN_CODE] = UNSEEN_CODE
    codes[series.isna().to_numpy()] = MISSING_CODE
    if not warned:
        _warn_if_none_seen(series, codes, column)
    return codes


def unseen_values(series: pd.Series, column: CategoricalColumn) -> list:
    """The distinct non-missing values of ``series`` not seen at fit, sorted by str form."""
    series = _blanks_as_missing(series, column)
    values = _as_seen(series[series.notna()], column)
    seen = _lookup(column).index
    new = pd.unique(values[~pd.Index(values, dtype=object).isin(seen)].astype(object))
    return sorted(np.asarray(new, dtype=object).tolist(), key=str)


def one_hot(series: pd.Series, column: CategoricalColumn) -> np.ndarray:
    """One boolean column per seen category; missing and unseen values give all False.

    Parameters
    ----------
    series : pandas Series
        The column's values.
    column : CategoricalColumn
        Its plan (a ``ColumnPlan``), with the categories seen at fit.

    Returns
    -------
    onehot : ndarray of shape (n_samples, n_categories), dtype=bool
        Whether each value is each seen category.
    """
    codes = category_codes(series, column)
    seen = np.arange(len(column.categories)) + FIRST_SEEN_CODE
    return codes[:, None] == seen
