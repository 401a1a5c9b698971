"""Column typing: decide how each input column is encoded.

Each input column gets a :class:`ColumnPlan`, fixed at fit: its kind, judged by dtype (and for
object columns by the values they hold) or named in ``categorical_features``, plus what it needs
at transform (categories, time zone, a missing indicator). Object columns mixing strings with
numbers become categorical compared by ``str``, with a warning pointed at the user's code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from sknn.preprocessing import _datetime
from sknn.preprocessing._categorical import seen_categories
from sknn.preprocessing._datetime import DATETIME_PARTS, is_period, time_zone
from sknn.preprocessing._frame import refuse_nested
from sknn.preprocessing._saved_categories import loaded_categories, saved_categories
from sknn.preprocessing._user_warnings import warn_user

# pandas.api.types.infer_dtype results of an object column that holds...
_NUMBER_VALUES = frozenset({"integer", "floating", "mixed-integer-float", "decimal"})
_STRING_VALUES = frozenset({"string", "bytes", "empty"})  # "empty": all missing
_NESTED = (list, dict, set, np.ndarray)  # values of an object column with no one value a row
_DATETIME_VALUES = frozenset({"datetime", "datetime64", "date"})
_TIMEDELTA_VALUES = frozenset({"timedelta", "timedelta64"})
# An identifier, judged by the share of distinct values among a column's
# observed rows: at least ID_LIKE_SHARE of them distinct (from ID_LIKE_MIN_LEVELS
# distinct values on, so a tiny table's few levels are not called identifiers),
# or more than half of them once there are over ID_LIKE_LEVELS (a large table's
# customer or order numbers repeat a little, yet still mostly memorise rows).
ID_LIKE_SHARE = 0.9
ID_LIKE_MIN_LEVELS = 20
ID_LIKE_LEVELS = 1_000


@dataclass
class ColumnPlan:
    """How one input column is encoded, fixed at fit.

    ``kind`` is one of "numeric", "bool", "datetime", "timedelta" (these give
    dense numeric features) or "onehot", "code" (categorical columns).
    """

    index: int
    name: str
    kind: str
    as_str: bool = False  # categorical: values are compared by their str form
    tz: object = None  # datetime: time zone at fit (None for tz-naive)
    has_missing: bool = False  # numeric kinds: emit a missing indicator
    categories: tuple = ()  # categorical: seen categories, sorted by str form

    @property
    def width(self) -> int:
        """Number of raw numeric features (0 for categorical columns)."""
        return {"datetime": len(DATETIME_PARTS), "onehot": 0, "code": 0}.get(self.kind, 1)

    def __getstate__(self) -> dict:  # Timestamp categories, dateutil zones as skops reads them
        state = {k: v for k, v in vars(self).items() if k not in ("_told", "_lookup")}  # caches
        state["categories"], state["_category_types"] = saved_categories(self.categories)
        state["tz"] = _datetime.saved_zone(self.tz)
        return state

    def __setstate__(self, state: dict) -> None:
        tz = _datetime.loaded_zone(state.get("tz"))
        self.__dict__.update(state, categories=loaded_categories(state), tz=tz)


@dataclass(frozen=True)
class ColumnFacts:
    """What a pass over a whole table, partition by partition, knows of a column exactly.

    Given to :func:`plan_column` in place of what it would read from the
    column's values: the kind, every distinct observed value of a
    categorical column (sorted by str form, as :func:`seen_categories`
    sorts them; None for other columns), the numbers of observed and of
    missing values.
    """

    kind: str
    categories: tuple | None
    n_observed: int
    n_missing: int


# ------------------------------------------------------------ column kinds
def dtype_kind(series: pd.Series, name: str) -> str:
    """Kind of a column judged by its dtype, and for object columns by its values.

    Parameters
    ----------
    series : pandas Series
        The column.
    name : str
        Its name, for error messages.

    Returns
    -------
    kind : str
        "numeric", "bool", "datetime", "timedelta", "categorical" (category
        dtype, strings), "mixed" (an object column mixing strings, numbers or
        other objects) or "empty" (an object column with only missing values).
    """
    dtype = series.dtype
    if pdt.is_complex_dtype(dtype):
        raise ValueError(f"Complex data not supported: column {name!r} has dtype {dtype}.")
    if getattr(getattr(dtype, "pyarrow_dtype", None), "num_fields", 0):  # list, struct, map
        refuse_nested(name, dtype)
    if pdt.is_bool_dtype(dtype):
        return "bool"
    if pdt.is_datetime64_any_dtype(dtype) or is_period(dtype):
        return "datetime"  # a period: its start (a month's first day)
    if pdt.is_timedelta64_dtype(dtype) or dtype.kind == "m":  # "m": pyarrow durations too
        return "timedelta"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pdt.is_numeric_dtype(dtype):
        return "numeric"
    if _is_arrow_time(dtype):
        return "mixed"  # as polars' and Python's times are: categories by str form, told
    if not pdt.is_object_dtype(dtype):
        return "categorical"  # str, pyarrow strings, interval...
    observed = series[series.notna()]  # infer_dtype skips None/NaN/NA but not NaT
    if not len(observed):
        return "empty"
    values = pdt.infer_dtype(observed, skipna=True)
    if values in _NUMBER_VALUES:
        return "numeric"
    if values == "boolean":
        return "bool"
    if values in _DATETIME_VALUES:
        return "datetime"
    if values in _TIMEDELTA_VALUES:
        return "timedelta"
    if values == "mixed":
        nested = observed[observed.map(lambda v: isinstance(v, _NESTED))]
        if len(nested):
            refuse_nested(name, f"Python {type(nested.iloc[0]).__name__} objects")
    return "categorical" if values in _STRING_VALUES else "mixed"


def _is_arrow_time(dtype) -> bool:
    """Whether the dtype is pyarrow's time of day (``pd.ArrowDtype(pa.time64("us"))``)."""
    arrow = getattr(dtype, "pyarrow_dtype", None)
    return arrow is not None and str(arrow).startswith("time")


def _warn_mixed(series: pd.Series, name: str) -> None:
    observed = series[series.notna()]
    values = pdt.infer_dtype(observed, skipna=True) if len(observed) else "mixed"
    if values in ("mixed", "mixed-integer", "string", "empty"):
        held = "mixes strings with numbers or other objects"
    else:  # one kind of object sknn does not read: time, bytes, period, interval...
        held = f"holds {values} objects, which are neither numbers, strings nor datetimes"
    hint = "Convert it to one type to silence this warning."
    if values == "time":
        hint = (
            "For the time of day as a number, convert it to a timedelta first: "
            f"X[{name!r}] = pd.to_timedelta(X[{name!r}].astype('string'))."
        )
    warn_user(
        f"Column {name!r} {held}; it is encoded as categorical, with every value converted "
        f"to str. {hint}"
    )


def _warn_if_numbers_or_dates(name: str, categories: tuple) -> bool:
    """Warn about strings that are numbers or ISO dates (``read_csv`` keeps a column of
    numbers with a "?" for missing as strings): as categories each value is a level of its
    own, and new values are never seen. True when it warned."""
    strings = pd.Series([c for c in categories if isinstance(c, str)], dtype=object)
    if len(strings) < ID_LIKE_MIN_LEVELS:
        return False
    numbers = pd.to_numeric(strings, errors="coerce")
    coded = strings.str.match(r"^[+-]?0\d").any()  # "02134": zip codes, codes of fixed width
    if numbers.notna().mean() >= 0.95 and not coded:
        other = strings[numbers.isna()].head(3).tolist()
        warn_user(
            f"Column {name!r} holds numbers stored as strings ({int(numbers.notna().sum()):,} "
            f"of its {len(strings):,} distinct values; not numbers: {other}). As a category "
            "each number is a level of its own, and new numbers are never seen. Convert it "
            f"before fitting: X[{name!r}] = pd.to_numeric(X[{name!r}], errors='coerce') "
            "(what does not parse becomes a missing value)."
        )
        return True
    try:  # in UTC: pandas refuses strings of several UTC offsets (daylight saving) otherwise
        dates = pd.to_datetime(strings, format="ISO8601", errors="coerce", utc=True)
    except (ValueError, TypeError, OverflowError):
        return False
    if dates.notna().mean() >= 0.95:
        zoned = strings.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$").any()  # offsets: read in UTC
        warn_user(
            f"Column {name!r} holds dates stored as strings. As a category each date is a "
            "level of its own, and later dates are never seen; as datetimes sknn encodes "
            "their year, month, day, weekday and hour. Convert it before fitting: "
            f"X[{name!r}] = pd.to_datetime(X[{name!r}], format='ISO8601'"
            f"{', utc=True' if zoned else ''})."
        )
        return True
    return False


def _warn_if_identifier(name: str, n_categories: int, n_observed: int) -> None:
    """Warn about an ID-like column, by its share of distinct values (see ``ID_LIKE_SHARE``)."""
    if n_categories < ID_LIKE_MIN_LEVELS:
        return
    share = n_categories / n_observed
    if share >= ID_LIKE_SHARE or (n_categories > ID_LIKE_LEVELS and share > 0.5):
        warn_user(
            f"Column {name!r} looks like an identifier: {n_categories:,} distinct values in "
            f"{n_observed:,} rows ({share:.0%}). Encoded as a category of {n_categories:,} "
            "levels it mostly memorises the training rows, and new rows bring values never "
            "seen at fit. Drop it (or aggregate it into a "
            "meaningful feature, e.g. a count per value) before fitting; if its values do "
            "repeat and carry meaning, keep it and silence this warning with "
            "warnings.filterwarnings('ignore', message='Column .* looks like an identifier')."
        )


# ------------------------------------------------------ categorical or not
def explicit_categorical(
    categorical_features, names: np.ndarray, has_names: bool
) -> np.ndarray | None:
    """Boolean mask from ``categorical_features``, or None for "from_dtype".

    Parameters
    ----------
    categorical_features : "from_dtype", array-like of str, int or bool, or None
        The encoder's parameter of that name.
    names : ndarray of str
        The input column names (``x0, x1, ...`` when ``X`` had none).
    has_names : bool
        Whether ``X`` had string column names.

    Returns
    -------
    mask : ndarray of shape (n_features,), dtype=bool, or None
        Which columns are categorical; None to judge by dtype.
    """
    spec = categorical_features
    n_features = len(names)
    if isinstance(spec, str):
        return None
    mask = np.zeros(n_features, dtype=bool)
    if spec is None or len(spec) == 0:
        return mask
    spec = np.asarray(spec)
    if spec.dtype.kind == "b":
        if spec.shape != (n_features,):
            raise ValueError(
                f"categorical_features as a boolean mask must have one entry per column "
                f"({n_features}), got shape {spec.shape}."
            )
        return spec.copy()
    if spec.dtype.kind in "iu":
        bad = [int(i) for i in spec if not 0 <= i < n_features]
        if bad:
            raise ValueError(
                f"categorical_features has column indices {bad} outside [0, {n_features - 1}]."
            )
    elif spec.dtype.kind in "UO" and all(isinstance(s, str) for s in spec):
        if not has_names:
            raise ValueError(
                "categorical_features names columns, but X has no string column names; "
                "pass a DataFrame with string column names, or integer positions."
            )
        unknown = [str(s) for s in spec if s not in set(names)]
        if unknown:
            raise ValueError(
                f"categorical_features names columns {unknown} that are not in X; "
                f"its columns are {list(names)}."
            )
        spec = [list(names).index(s) for s in spec]
    else:
        raise ValueError(
            "categorical_features must be 'from_dtype', None, or an array-like of column "
            f"names, integer positions or booleans; got {categorical_features!r}."
        )
    mask[spec] = True
    return mask


def encoder_categorical(encoder, names: np.ndarray) -> np.ndarray | None:
    """:func:`explicit_categorical` of a ``TabularEncoder``'s ``categorical_features``
    for its input columns ``names`` (named if the encoder recorded names)."""
    return explicit_categorical(
        encoder.categorical_features, names, hasattr(encoder, "feature_names_in_")
    )


def plan_column(
    series: pd.Series,
    index: int,
    name: str,
    categorical,
    max_onehot_cardinality: int,
    facts: ColumnFacts | None = None,
) -> ColumnPlan:
    """Decide how one column is encoded; learn its categories or time zone.

    Parameters
    ----------
    series : pandas Series
        The column's training values.
    index : int
        Its position in the input.
    name : str
        Its name, for feature names and messages.
    categorical : bool or None
        Whether ``categorical_features`` names it; None to judge by dtype.
    max_onehot_cardinality : int
        Categorical columns with at most this many categories are one-hot
        encoded, the others become codes.
    facts : ColumnFacts or None, default=None
        The column's kind, categories and observed count from a pass over the
        whole table, when ``series`` is only a sample of it (the identifier
        warning still reads the sample's share of distinct values).

    Returns
    -------
    plan : ColumnPlan
        The column's encoding.
    """
    kind = dtype_kind(series, name) if facts is None else facts.kind
    all_missing = bool(len(series)) and bool(series.isna().all())
    if facts is not None:
        all_missing = facts.n_observed == 0
    if kind == "empty" or all_missing:
        warn_user(
            f"Column {name!r} has only missing values; it carries no information beyond its "
            "missing indicator. Drop it before fitting."
        )
    if kind == "empty":  # all missing: nothing says what it holds
        kind = "numeric" if categorical is False else "categorical"
    if categorical is False and kind in ("categorical", "mixed"):
        raise ValueError(
            f"Column {name!r} holds strings or categories but is not in "
            "categorical_features; add it there, or convert it to numbers."
        )
    judged = categorical is None  # by its dtype: strings that may not be categories
    if judged:  # "from_dtype"
        categorical = kind in ("categorical", "mixed")
    if not categorical:
        tz = time_zone(series, name) if kind == "datetime" else None
        return ColumnPlan(index, name, kind, tz=tz)
    if kind == "mixed":
        _warn_mixed(series, name)
    as_str = kind == "mixed"
    categories = seen_categories(series, as_str)
    if not (judged and _warn_if_numbers_or_dates(name, categories)):
        _warn_if_identifier(name, len(categories), int(series.notna().sum()))
    if facts is not None and facts.categories is not None:
        categories = facts.categories
    encoding = "onehot" if len(categories) <= max_onehot_cardinality else "code"
    return ColumnPlan(index, name, encoding, as_str=as_str, categories=categories)


def plan_columns(
    frame: pd.DataFrame,
    names: np.ndarray,
    explicit: np.ndarray | None,
    max_onehot_cardinality: int,
    facts: list[ColumnFacts] | None = None,
) -> list[ColumnPlan]:
    """:func:`plan_column` for every column of ``frame``, in input order.

    Parameters
    ----------
    frame : pandas DataFrame
        The training data.
    names : ndarray of str
        The input column names.
    explicit : ndarray of shape (n_features,), dtype=bool, or None
        Which columns are categorical, from :func:`explicit_categorical`;
        None to judge by dtype.
    max_onehot_cardinality : int
        As in :func:`plan_column`.
    facts : list of ColumnFacts or None, default=None
        Each column's facts from a pass over the whole table (``frame`` is
        then a sample of it), as in :func:`plan_column`.

    Returns
    -------
    plans : list of ColumnPlan
        One plan per input column.
    """
    return [
        plan_column(
            frame.iloc[:, j],
            j,
            str(names[j]),
            None if explicit is None else bool(explicit[j]),
            max_onehot_cardinality,
            None if facts is None else facts[j],
        )
        for j in range(frame.shape[1])
    ]
