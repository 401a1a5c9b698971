"""Turn a mixed-type table into one float32 matrix a network can read.

:class:`TabularEncoder` maps every input column to numbers: numeric columns are
imputed and robustly scaled, booleans become 0/1, dates are expanded into
calendar features, and categorical columns become one-hot columns or integer
codes for embedding tables. The output keeps the dense block first and the
code columns last, so a network can split it with ``n_numeric_out_``.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
from pandas.api import types as pdt
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

# Numeric features a datetime column expands into, in output order.
DATETIME_PARTS = ("year", "month", "day", "weekday", "hour", "epoch_days")
# Codes of a high-cardinality categorical column; seen categories start at 2.
MISSING_CODE = 0
UNSEEN_CODE = 1
_FIRST_SEEN_CODE = 2

_IQR_PER_STD = 1.349  # interquartile range of a standard normal distribution
_CLIP_BOUND = 3.0  # clip_numeric squashes scaled values into (-3, 3)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
# pandas.api.types.infer_dtype results of an object column that holds...
_NUMBER_VALUES = frozenset({"integer", "floating", "mixed-integer-float", "decimal"})
_STRING_VALUES = frozenset({"string", "bytes", "empty"})  # "empty": all missing
_DATETIME_VALUES = frozenset({"datetime", "datetime64", "date"})
_TIMEDELTA_VALUES = frozenset({"timedelta", "timedelta64"})
_LIBRARIES = frozenset({"sknn", "sklearn"})  # warnings point at the first frame outside these


@dataclass
class _Column:
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


# --------------------------------------------------------------- input shape
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


# ------------------------------------------------------------ column kinds
def _dtype_kind(series: pd.Series, name: str) -> str:
    """Kind of a column judged by its dtype, and for object columns by its values.

    Returns "numeric", "bool", "datetime", "timedelta", "categorical" (category
    dtype, strings), "mixed" (an object column mixing strings, numbers or other
    objects) or "empty" (an object column with only missing values).
    """
    dtype = series.dtype
    if pdt.is_complex_dtype(dtype):
        raise ValueError(f"Complex data not supported: column {name!r} has dtype {dtype}.")
    if pdt.is_bool_dtype(dtype):
        return "bool"
    if pdt.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pdt.is_timedelta64_dtype(dtype):
        return "timedelta"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pdt.is_numeric_dtype(dtype):
        return "numeric"
    if not pdt.is_object_dtype(dtype):
        return "categorical"  # str, pyarrow strings, period, interval...
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
    return "categorical" if values in _STRING_VALUES else "mixed"


def _caller_stacklevel() -> int:
    """``stacklevel`` that points a warning at the first frame outside sknn and sklearn."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] in _LIBRARIES:
        frame, level = frame.f_back, level + 1
    return level


def _warn_mixed(name: str) -> None:
    warnings.warn(
        f"Column {name!r} mixes strings with numbers or other objects; it is encoded as "
        "categorical, with every value converted to str. Convert it to one type to silence "
        "this warning.",
        UserWarning,
        stacklevel=_caller_stacklevel(),
    )


# ------------------------------------------------------- numeric features
def _as_float(series: pd.Series, name: str) -> np.ndarray:
    """Column values as float64, missing values as NaN."""
    if pdt.is_complex_dtype(series.dtype):
        raise ValueError(f"Complex data not supported: column {name!r} has dtype {series.dtype}.")
    if not pdt.is_numeric_dtype(series.dtype):  # object, str or category columns
        series = series.astype(object)
        series = series.where(series.notna(), np.nan)  # None, NA, NaT -> NaN
        try:
            series = pd.to_numeric(series)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"Column {name!r} was numeric at fit but now holds non-numeric values ({exc}); "
                "pass the same kind of data as at fit."
            ) from exc
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _to_datetime(series: pd.Series, name: str) -> pd.Series:
    if pdt.is_datetime64_any_dtype(series.dtype):
        return series
    try:
        return pd.to_datetime(series)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Column {name!r} cannot be read as datetimes: {exc}") from exc


def _as_datetime(series: pd.Series, tz, name: str) -> pd.Series:
    """Column as datetime64, converted to the time zone ``tz`` it had at fit."""
    series = _to_datetime(series, name)
    aware = series.dt.tz is not None
    if aware != (tz is not None):
        state = "tz-aware" if tz is not None else "tz-naive"
        raise ValueError(f"Column {name!r} was {state} at fit; pass it {state} at transform too.")
    return series.dt.tz_convert(tz) if aware else series


def _datetime_features(series: pd.Series) -> np.ndarray:
    """Calendar parts in local time, plus days since 1970-01-01 (UTC when tz-aware)."""
    dt = series.dt
    naive = dt.tz_convert(None) if dt.tz is not None else series
    parts = [dt.year, dt.month, dt.day, dt.day_of_week, dt.hour]
    parts.append((naive - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1))
    return np.column_stack([p.to_numpy(dtype=np.float64, na_value=np.nan) for p in parts])


def _timedelta_seconds(series: pd.Series, name: str) -> np.ndarray:
    if not pdt.is_timedelta64_dtype(series.dtype):
        try:
            series = pd.to_timedelta(series)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"Column {name!r} cannot be read as timedeltas: {exc}") from exc
    return series.dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan)


def _raw_features(series: pd.Series, column: _Column) -> np.ndarray:
    """The unscaled numeric features of one column, shape (n_samples, width)."""
    if column.kind == "datetime":
        return _datetime_features(_as_datetime(series, column.tz, column.name))
    if column.kind == "timedelta":
        values = _timedelta_seconds(series, column.name)
    else:
        values = _as_float(series, column.name)
    return values[:, None]


def _column_stats(values: np.ndarray, weight: np.ndarray) -> tuple[float, ...]:
    """q25, median, q75, std and mean of one raw feature's observed values.

    Quantiles use the inverted-CDF definition, which has an exact weighted form:
    integer sample weights give the same statistics as repeated rows.
    """
    observed = ~np.isnan(values)
    x, w = values[observed], weight[observed]
    if not len(x) or not w.sum() > 0:
        return (np.nan,) * 5
    if np.all(w == w[0]):  # unweighted: a partition instead of a full sort
        q25, median, q75 = np.quantile(x, [0.25, 0.5, 0.75], method="inverted_cdf")
    else:
        q25, median, q75 = np.quantile(x, [0.25, 0.5, 0.75], method="inverted_cdf", weights=w)
    mean = np.average(x, weights=w)
    std = np.sqrt(np.average((x - mean) ** 2, weights=w))
    return q25, median, q75, std, mean


def _robust_stats(raw: np.ndarray, is_bool: np.ndarray, weight: np.ndarray):
    """Fill value, center and scale of each raw feature.

    Numeric features are filled and centered by their (weighted) median and
    divided by the interquartile range / 1.349, or the standard deviation when
    that is zero, or 1 for constant columns. Booleans are filled by the share of
    True values and left unscaled. All-missing features get fill 0 and scale 1.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        stats = np.array([_column_stats(raw[:, j], weight) for j in range(raw.shape[1])])
        stats = stats.reshape(raw.shape[1], 5).T
        q25, median, q75, std, share_true = stats
        scale = (q75 - q25) / _IQR_PER_STD
        tiny = 1e-12 * np.maximum(1.0, np.abs(np.nan_to_num(median)))
        scale = np.where(np.isfinite(scale) & (scale > tiny), scale, std)
        scale = np.where(np.isfinite(scale) & (scale > tiny), scale, 1.0)
    fill = np.nan_to_num(np.where(is_bool, share_true, median), nan=0.0)
    center = np.where(is_bool, 0.0, fill)
    scale = np.where(is_bool, 1.0, scale)
    return fill, center, scale


def _smooth_clip(z: np.ndarray) -> np.ndarray:
    """``z / sqrt(1 + (z/3)**2)``: about ``z`` near 0, tending to +-3; no overflow.

    Overwrites ``z`` and returns float32 (the output's precision), computed
    with ``hypot``, which is several times faster here than a float64 ``sqrt``.
    """
    z /= _CLIP_BOUND
    np.clip(z, -1e18, 1e18, out=z)
    t = z.astype(np.float32)
    scale = np.hypot(np.float32(1.0), t)
    t /= scale
    t *= _CLIP_BOUND
    return t


# --------------------------------------------------- categorical features
def _categorical_values(series: pd.Series, as_str: bool) -> pd.Series:
    return series.astype(object).astype(str) if as_str else series


def _seen_categories(series: pd.Series, as_str: bool) -> tuple:
    """Distinct non-missing values, sorted by their str form."""
    values = _categorical_values(series[series.notna()], as_str)
    uniques = np.asarray(pd.unique(values), dtype=object).tolist()
    return tuple(sorted(uniques, key=str))


def _category_codes(series: pd.Series, column: _Column) -> np.ndarray:
    """0 for missing, 1 for categories not seen at fit, 2.. for the seen ones."""
    index = pd.Index(list(column.categories), dtype=object)
    codes = index.get_indexer(_categorical_values(series, column.as_str)) + _FIRST_SEEN_CODE
    codes[codes < _FIRST_SEEN_CODE] = UNSEEN_CODE
    codes[series.isna().to_numpy()] = MISSING_CODE
    return codes


class TabularEncoder(TransformerMixin, BaseEstimator):
    """Encode a mixed-type table as one float32 matrix for a neural network.

    Each input column is encoded by its kind:

    - **numeric** (ints, floats, nullable ints, object columns holding only
      numbers): missing values are replaced by the training median, then the
      column is centered by that median and divided by a robust scale, the
      interquartile range / 1.349 (the standard deviation when the range is
      zero, 1 for constant columns). With ``clip_numeric=True`` the result is
      then squashed smoothly into (-3, 3) by ``z / sqrt(1 + (z/3)**2)``, which
      barely changes values near 0 and tames outliers. Infinite values raise
      a ``ValueError``.
    - **boolean** (``bool``, nullable ``"boolean"``, object columns of
      ``True``/``False``): 0/1, missing values replaced by the training share
      of ``True``; not scaled.
    - **datetime** (tz-naive or tz-aware ``datetime64``): expanded into six
      numeric features, ``year``, ``month``, ``day``, ``weekday`` (Monday=0)
      and ``hour`` in the column's local time, and ``epoch_days``, days since
      1970-01-01 UTC (fractional); these are then treated as numeric. A
      tz-aware column is converted at transform to its time zone at fit.
    - **timedelta**: total seconds, then treated as numeric.
    - **categorical** (``category`` dtype, strings, or the columns named in
      ``categorical_features``): a column with at most
      ``max_onehot_cardinality`` distinct non-missing values at fit becomes
      one 0/1 column per category (missing values and categories not seen at
      fit give all zeros). A column with more becomes one integer code column
      for an embedding table: 0 for missing, 1 for a category not seen at fit,
      2, 3, ... for the seen categories sorted by their string form. Object
      columns mixing strings with numbers are categorical with every value
      converted to ``str``, with a ``UserWarning``.

    Every numeric, boolean, datetime or timedelta column with a missing value
    at fit also gets a 0/1 missing indicator; missing values in other columns
    at transform are imputed silently. The output is laid out as::

        [numeric features | one-hot columns | missing indicators | code columns]
        <- n_continuous_out_ ->
        <---------------- n_numeric_out_ ----------------------> <- cardinalities_ ->

    with columns in input order inside each block, so a network can feed the
    first ``n_numeric_out_`` columns to linear layers and each code column to
    an embedding table of size ``cardinalities_[i]``.

    Parameters
    ----------
    categorical_features : "from_dtype", array-like of str, int or bool, or None, \
            default="from_dtype"
        Which columns are categorical. ``"from_dtype"``: columns of
        ``category`` dtype and string (or object) columns holding strings.
        An array-like of column names, of integer positions, or a boolean mask
        over the columns: exactly those columns; every other column must then
        be numeric, boolean, datetime or timedelta. ``None``: no column.
    max_onehot_cardinality : int, default=8
        Categorical columns with at most this many distinct values at fit are
        one-hot encoded, the others become integer codes.
    clip_numeric : bool, default=True
        Squash scaled numeric features smoothly into (-3, 3).

    Attributes
    ----------
    n_continuous_out_ : int
        Number of leading output columns that hold scaled numeric features
        (the ones a network may embed periodically).
    n_numeric_out_ : int
        Number of output columns before the code columns.
    cardinalities_ : list of int
        For each code column, the size of its embedding table: the number of
        categories seen at fit plus 2 (for missing and unseen).
    categorical_features_ : ndarray of shape (n_features_in_,), dtype=bool
        Which input columns were encoded as categorical.
    categories_ : list of list
        For each categorical input column, in input order, its categories seen
        at fit, sorted by their string form.
    column_kinds_ : list of str
        The encoding of each input column: "numeric", "bool", "datetime",
        "timedelta", "onehot" or "code".
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` had string column names.

    See Also
    --------
    sklearn.compose.ColumnTransformer : Build such an encoding by hand.

    Examples
    --------
    >>> import pandas as pd
    >>> from sknn.preprocessing import TabularEncoder
    >>> X = pd.DataFrame({"age": [20.0, None, 40.0], "color": ["red", "blue", "red"]})
    >>> enc = TabularEncoder().fit(X)
    >>> enc.get_feature_names_out().tolist()
    ['num__age', 'cat__color_blue', 'cat__color_red', 'missing__age']
    >>> enc.transform(X).shape
    (3, 4)
    """

    _parameter_constraints: dict = {
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "max_onehot_cardinality": [Interval(Integral, 0, None, closed="left")],
        "clip_numeric": ["boolean"],
    }

    def __init__(
        self, categorical_features="from_dtype", max_onehot_cardinality=8, clip_numeric=True
    ):
        self.categorical_features = categorical_features
        self.max_onehot_cardinality = max_onehot_cardinality
        self.clip_numeric = clip_numeric

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []  # always float32
        return tags

    # ------------------------------------------------------------ public API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None) -> TabularEncoder:
        """Learn each column's encoding and statistics.

        Parameters
        ----------
        X : pandas DataFrame, array-like of shape (n_samples, n_features)
            Training data. Any object with a ``to_pandas`` method (such as a
            polars DataFrame) is converted first.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights for the fitted statistics (medians, quantiles, shares);
            integer weights give the same result as repeated rows.

        Returns
        -------
        self : TabularEncoder
            The fitted encoder.
        """
        frame = self._validate_frame(X, reset=True)
        self._fit_frame(frame, _check_sample_weight(sample_weight, frame, dtype=np.float64))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Fit to ``X`` and return its encoding (same as ``fit(X).transform(X)``).

        Parameters
        ----------
        X : pandas DataFrame, array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights for the fitted statistics (medians, quantiles, shares);
            integer weights give the same result as repeated rows.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out), dtype=float32
            The encoded data.
        """
        frame = self._validate_frame(X, reset=True)
        self._fit_frame(frame, _check_sample_weight(sample_weight, frame, dtype=np.float64))
        return self._encode(frame)

    def transform(self, X) -> np.ndarray:
        """Encode ``X`` with the fitted statistics.

        Parameters
        ----------
        X : pandas DataFrame, array-like of shape (n_samples, n_features)
            Data with the same columns as at fit.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out), dtype=float32
            Numeric features, one-hot columns, missing indicators, then
            integer codes (see the class description).
        """
        check_is_fitted(self)
        return self._transform(X, owner=self)

    def _transform(self, X, owner: BaseEstimator) -> np.ndarray:
        """:meth:`transform`, checking feature names and counts against ``owner``.

        An estimator that embeds this encoder passes itself, so that a wrong
        column gets an error naming the estimator the user called.
        """
        fast = self._transform_numeric_array(X, owner)
        if fast is not None:
            return fast
        return self._encode(self._validate_frame(X, reset=False, owner=owner))

    def _transform_numeric_array(self, X, owner: BaseEstimator) -> np.ndarray | None:
        """Fast path: plain numeric input to an all-numeric encoder.

        One vectorised pass over the array, without building a DataFrame or
        touching columns one by one (a one-row prediction is ~10x faster).
        Returns None when the input needs the general path.
        """
        if not self._all_numeric:
            return None
        if isinstance(X, pd.DataFrame):
            if not all(dtype.kind in "iuf" for dtype in X.dtypes):
                return None
        elif not (isinstance(X, np.ndarray) and X.dtype.kind in "iuf"):
            return None
        raw = validate_data(
            owner, X, reset=False, dtype=np.float64, ensure_all_finite=False, copy=False
        )
        missing = np.isnan(raw)
        if np.isinf(raw).any():
            cols = self._names(self._columns_where(np.isinf(raw)))
            raise ValueError(
                f"Columns {cols} contain inf or -inf; replace those values "
                "(for example with NaN, which is imputed) before passing them."
            )
        z = self._scaled_numeric(raw, missing)
        if len(self._indicator_index):
            z = np.concatenate([z, missing[:, self._indicator_index]], axis=1)
        return z.astype(np.float32, copy=False)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input column names; defaults to ``feature_names_in_``, or
            ``x0, x1, ...`` when fitted without names.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``num__<col>`` (``num__<col>_<part>`` for datetime parts),
            ``cat__<col>_<category>``, ``missing__<col>`` and ``code__<col>``,
            in output order.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        numeric, onehot, missing, codes = [], [], [], []
        for col in self._columns:
            name = names[col.index]
            if col.kind == "datetime":
                numeric += [f"num__{name}_{part}" for part in DATETIME_PARTS]
            elif col.kind == "onehot":
                onehot += [f"cat__{name}_{category}" for category in col.categories]
            elif col.kind == "code":
                codes.append(f"code__{name}")
            else:
                numeric.append(f"num__{name}")
            if col.has_missing:
                missing.append(f"missing__{name}")
        return np.asarray(numeric + onehot + missing + codes, dtype=object)

    # ------------------------------------------------------------ validation
    def _validate_frame(self, X, *, reset: bool, owner=None) -> pd.DataFrame:
        """Check the shape and column names of ``X`` and return it as a DataFrame."""
        owner = self if owner is None else owner
        if not isinstance(X, (pd.DataFrame, np.ndarray)) and callable(
            getattr(X, "to_pandas", None)
        ):
            X = X.to_pandas()  # polars, pyarrow
        if isinstance(X, pd.DataFrame):
            validate_data(owner, X, reset=reset, skip_check_array=True)
            _check_not_empty(X, owner)
            return X
        if isinstance(X, list):
            X = _array_from_list(X)
        X = validate_data(owner, X, reset=reset, dtype=None, ensure_all_finite=False)
        return pd.DataFrame(X)

    def _explicit_categorical(self, names: np.ndarray) -> np.ndarray | None:
        """Boolean mask from ``categorical_features``, or None for "from_dtype"."""
        spec = self.categorical_features
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
            if not hasattr(self, "feature_names_in_"):
                raise ValueError(
                    "categorical_features names columns, but X has no string column names; "
                    "pass a DataFrame with string column names, or integer positions."
                )
            bad = [str(s) for s in spec if s not in set(names)]
            if bad:
                raise ValueError(
                    f"categorical_features names columns {bad} that are not in X; "
                    f"its columns are {list(names)}."
                )
            spec = [list(names).index(s) for s in spec]
        else:
            raise ValueError(
                "categorical_features must be 'from_dtype', None, or an array-like of column "
                f"names, integer positions or booleans; got {self.categorical_features!r}."
            )
        mask[spec] = True
        return mask

    # ---------------------------------------------------------------- fitting
    def _plan_column(self, series: pd.Series, index: int, name: str, categorical) -> _Column:
        """Decide how one column is encoded; learn its categories or time zone."""
        kind = _dtype_kind(series, name)
        if kind == "empty":  # all missing: nothing says what it holds
            kind = "numeric" if categorical is False else "categorical"
        if categorical is False and kind in ("categorical", "mixed"):
            raise ValueError(
                f"Column {name!r} holds strings or categories but is not in "
                "categorical_features; add it there, or convert it to numbers."
            )
        if categorical is None:  # "from_dtype"
            categorical = kind in ("categorical", "mixed")
        if not categorical:
            tz = _to_datetime(series, name).dt.tz if kind == "datetime" else None
            return _Column(index, name, kind, tz=tz)
        if kind == "mixed":
            _warn_mixed(name)
        as_str = kind == "mixed"
        categories = _seen_categories(series, as_str)
        encoding = "onehot" if len(categories) <= self.max_onehot_cardinality else "code"
        return _Column(index, name, encoding, as_str=as_str, categories=categories)

    def _fit_frame(self, frame: pd.DataFrame, sample_weight=None) -> None:
        names = _check_feature_names_in(self, None)
        explicit = self._explicit_categorical(names)
        self._columns = [
            self._plan_column(
                frame.iloc[:, j], j, str(names[j]), None if explicit is None else bool(explicit[j])
            )
            for j in range(frame.shape[1])
        ]
        raw = self._raw_numeric(frame)
        for j in self._columns_where(np.isnan(raw)):
            self._columns[j].has_missing = True
        self._bool_features = self._feature_mask("bool")
        weight = np.ones(len(raw)) if sample_weight is None else sample_weight
        self._fill, self._center, self._scale = _robust_stats(raw, self._bool_features, weight)
        self._indicator_index = self._indicator_features()

        self._all_numeric = all(c.kind == "numeric" for c in self._columns)
        categorical = [c for c in self._columns if c.kind in ("onehot", "code")]
        self.column_kinds_ = [c.kind for c in self._columns]
        self.categorical_features_ = np.array(
            [c.kind in ("onehot", "code") for c in self._columns], dtype=bool
        )
        self.categories_ = [list(c.categories) for c in categorical]
        self.cardinalities_ = [
            len(c.categories) + _FIRST_SEEN_CODE for c in categorical if c.kind == "code"
        ]
        self.n_continuous_out_ = raw.shape[1]
        self.n_numeric_out_ = (
            raw.shape[1]
            + sum(len(c.categories) for c in categorical if c.kind == "onehot")
            + sum(c.has_missing for c in self._columns)
        )

    # ---------------------------------------------------------------- encoding
    def _numeric_columns(self) -> list[_Column]:
        """The columns that give raw numeric features, in input order."""
        return [c for c in self._columns if c.width]

    def _feature_owners(self) -> np.ndarray:
        """Per raw numeric feature, the index of its input column."""
        cols = self._numeric_columns()
        return np.repeat(np.array([c.index for c in cols], dtype=int), [c.width for c in cols])

    def _feature_mask(self, kind: str) -> np.ndarray:
        """Per raw numeric feature: does it come from a column of this kind?"""
        cols = self._numeric_columns()
        return np.repeat(
            np.array([c.kind == kind for c in cols], dtype=bool), [c.width for c in cols]
        )

    def _indicator_features(self) -> np.ndarray:
        """Position of the first raw feature of each column that has a missing indicator."""
        cols = self._numeric_columns()
        starts = np.cumsum([0] + [c.width for c in cols])[:-1]
        return starts[np.array([c.has_missing for c in cols], dtype=bool)]

    def _columns_where(self, flags: np.ndarray) -> list[int]:
        """Input columns with a flagged value (in a 2-D mask over raw features)."""
        return np.unique(self._feature_owners()[flags.any(axis=0)]).tolist()

    def _names(self, indices: list[int]) -> list[str]:
        return [self._columns[j].name for j in indices]

    def _raw_numeric(self, frame: pd.DataFrame) -> np.ndarray:
        """Unscaled numeric features of all numeric-kind columns; refuses infinities."""
        blocks = [_raw_features(frame.iloc[:, c.index], c) for c in self._numeric_columns()]
        raw = np.hstack(blocks) if blocks else np.empty((len(frame), 0))
        infinite = self._columns_where(np.isinf(raw))
        if infinite:
            raise ValueError(
                f"Columns {self._names(infinite)} contain inf or -inf; replace those values "
                "(for example with NaN, which is imputed) before passing them."
            )
        return raw

    def _scaled_numeric(self, raw: np.ndarray, missing: np.ndarray) -> np.ndarray:
        """Imputed, robustly scaled and (optionally) smoothly clipped numeric features.

        Works in place on one buffer: fresh large arrays cost more in page
        faults than the arithmetic on them.
        """
        z = np.array(raw, dtype=np.float64, copy=True)
        if missing.any():
            np.copyto(z, np.broadcast_to(self._fill, z.shape), where=missing)
        with np.errstate(over="ignore", invalid="ignore"):
            z -= self._center
            z /= self._scale
            if self.clip_numeric and z.size:
                if self._bool_features.any():
                    scaled = ~self._bool_features
                    z[:, scaled] = _smooth_clip(z[:, scaled])
                else:
                    z = _smooth_clip(z)
            # clipped features are bounded by 3, bools by 1: only NaN could be bad
            bad = np.isnan(z) if self.clip_numeric else ~(np.abs(z) <= _FLOAT32_MAX)
        too_large = self._columns_where(bad) if bad.any() else []
        if too_large:
            raise ValueError(
                f"Columns {self._names(too_large)} have values too large for float32 after "
                "scaling; set clip_numeric=True or rescale them."
            )
        return z

    def _encode(self, frame: pd.DataFrame) -> np.ndarray:
        """The output matrix: numeric, one-hot, missing indicators, codes."""
        raw = self._raw_numeric(frame)
        missing = np.isnan(raw)
        blocks = [self._scaled_numeric(raw, missing)]
        for col in self._columns:
            if col.kind == "onehot":
                codes = _category_codes(frame.iloc[:, col.index], col)
                seen = np.arange(len(col.categories)) + _FIRST_SEEN_CODE
                blocks.append(codes[:, None] == seen)
        blocks.append(missing[:, self._indicator_index])
        for col in self._columns:
            if col.kind == "code":
                blocks.append(_category_codes(frame.iloc[:, col.index], col)[:, None])
        return np.hstack([np.asarray(b, dtype=np.float32) for b in blocks])
