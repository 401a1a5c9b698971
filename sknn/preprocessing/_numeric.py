"""Numeric features: read, impute, robustly scale and smoothly clip.

Numeric, boolean, datetime and timedelta columns give raw float64 features
(one each, six for a datetime). At fit each feature learns a fill value,
center and scale from weighted quantiles; at transform missing values are
filled, features are scaled and optionally squashed into (-3, 3), and
infinite or float32-overflowing values are refused naming their columns.
:func:`encode_numeric_array` is the fitted encoder's one-pass path for a
plain numeric array.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import validate_data

from sknn.preprocessing._columns import ColumnPlan
from sknn.preprocessing._datetime import as_datetime, datetime_features, timedelta_seconds
from sknn.preprocessing._values import as_float
from sknn.sklearn_glue.feature_names import check_array_features

_IQR_PER_STD = 1.349  # interquartile range of a standard normal distribution
_FLOAT32_MAX = float(np.finfo(np.float32).max)
CLIP_BOUND = 3.0  # clip_numeric squashes scaled values into (-3, 3)
# ... and, when fitted on fewer than TINY_CLIP_ROWS rows, each feature into
# (-b, b) with b the larger of TINY_CLIP_BOUND and TINY_CLIP_REACH times the
# largest scaled value it was fitted on. On the tiny-tables benchmark's micro
# regressions (21-51 rows) the bound of 3 bent the linear trends they hold:
# 10 scored +0.011 R^2 on average on the six chosen on and +0.031 on the seven
# it was not chosen on, as much as no clip at all. A fixed 10 still bent a
# heavy-tailed column's trend (DAAG's races2000, a race of 95 km where the
# median is 6: R^2 0.71 behind scikit-learn's MLP), while no clip at all let
# an unseen extreme through unbounded (MASS's road: R^2 -28 on average);
# 1.5 times each feature's fitted reach, at most TINY_CLIP_MAX_BOUND:
# races2000 -0.13, road +0.56 (+0.61 with 10), the other 17 micro regressions
# within +-0.003 (uncapped, 2x: -0.08 and +0.44; 3x: -0.05 and +0.14). Without the
# ceiling one fitted value a thousand scales out (a typing error in a 40-row
# linear table) made training diverge; with 30 it scored as 10 did
TINY_CLIP_ROWS = 64
TINY_CLIP_BOUND = 10.0
TINY_CLIP_REACH = 1.5
TINY_CLIP_MAX_BOUND = 30.0


def clip_bounds(raw: np.ndarray, center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The smooth clip's bound per feature for an encoder fitted on ``raw``.

    Parameters
    ----------
    raw : ndarray of shape (n_rows, n_features)
        The fitted rows' unscaled features, NaN where missing.
    center, scale : ndarray of shape (n_features,)
        Their fitted robust centre and scale (:func:`robust_stats`).

    Returns
    -------
    bounds : ndarray of shape (n_features,), dtype=float64
        :data:`CLIP_BOUND` from :data:`TINY_CLIP_ROWS` rows; below, the larger of
        :data:`TINY_CLIP_BOUND` and :data:`TINY_CLIP_REACH` times the largest
        absolute value each feature was fitted on, at most
        :data:`TINY_CLIP_MAX_BOUND`.
    """
    n_rows, n_features = raw.shape
    if n_rows >= TINY_CLIP_ROWS:
        return np.full(n_features, CLIP_BOUND)
    with np.errstate(invalid="ignore", over="ignore"):
        magnitude = np.abs((raw - center) / scale)
    reach = np.max(np.where(np.isfinite(magnitude), magnitude, 0.0), axis=0, initial=0.0)
    return np.clip(TINY_CLIP_REACH * reach, TINY_CLIP_BOUND, TINY_CLIP_MAX_BOUND)


# ------------------------------------------------- raw features per column
def _raw_features(series: pd.Series, column: ColumnPlan) -> np.ndarray:
    """The unscaled numeric features of one column, shape (n_samples, width)."""
    if column.kind == "datetime":
        return datetime_features(as_datetime(series, column.tz, column.name))
    if column.kind == "timedelta":
        values = timedelta_seconds(series, column.name)
    else:
        values = as_float(series, column.name, column.kind)
    return values[:, None]


# ------------------------------------------- raw features of all columns
def _numeric_columns(columns: list[ColumnPlan]) -> list[ColumnPlan]:
    """The columns that give raw numeric features, in input order."""
    return [c for c in columns if c.width]


def _feature_owners(columns: list[ColumnPlan]) -> np.ndarray:
    """Per raw numeric feature, the index of its input column."""
    cols = _numeric_columns(columns)
    return np.repeat(np.array([c.index for c in cols], dtype=int), [c.width for c in cols])


def feature_mask(columns: list[ColumnPlan], kind: str) -> np.ndarray:
    """Per raw numeric feature: does it come from a column of this kind?"""
    cols = _numeric_columns(columns)
    return np.repeat(np.array([c.kind == kind for c in cols], dtype=bool), [c.width for c in cols])


def indicator_features(columns: list[ColumnPlan]) -> np.ndarray:
    """Position of the first raw feature of each column that has a missing indicator."""
    cols = _numeric_columns(columns)
    starts = np.cumsum([0] + [c.width for c in cols])[:-1]
    return starts[np.array([c.has_missing for c in cols], dtype=bool)]


def columns_where(columns: list[ColumnPlan], flags: np.ndarray) -> list[int]:
    """Input columns with a flagged value (in a 2-D mask over raw features)."""
    return np.unique(_feature_owners(columns)[flags.any(axis=0)]).tolist()


def _names(columns: list[ColumnPlan], indices: list[int]) -> list[str]:
    return [columns[j].name for j in indices]


def refuse_infinite(raw: np.ndarray, columns: list[ColumnPlan]) -> None:
    """Raise a ValueError naming the columns whose raw features hold inf or -inf.

    Parameters
    ----------
    raw : ndarray of shape (n_samples, n_raw_features)
        Unscaled numeric features.
    columns : list of ColumnPlan
        The plans of all input columns.
    """
    refuse_flagged_infinite(np.isinf(raw), columns)


def refuse_flagged_infinite(infinite: np.ndarray, columns: list[ColumnPlan]) -> None:
    """:func:`refuse_infinite` from a mask over raw features (any number of rows) of where
    the values are infinite."""
    if infinite.any():
        raise ValueError(
            f"Columns {_names(columns, columns_where(columns, infinite))} contain inf or -inf; "
            "replace those values "
            "(for example with NaN, which is imputed) before passing them."
        )


def raw_numeric(frame: pd.DataFrame, columns: list[ColumnPlan]) -> np.ndarray:
    """Unscaled numeric features of all numeric-kind columns; refuses infinities.

    Filled column by column into one array: no second copy of the table.
    """
    numeric = _numeric_columns(columns)
    raw = np.empty((len(frame), sum(c.width for c in numeric)))
    start = 0
    for c in numeric:
        raw[:, start : start + c.width] = _raw_features(frame.iloc[:, c.index], c)
        start += c.width
    refuse_infinite(raw, columns)
    return raw


# ------------------------------------------------------ statistics at fit
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


def robust_stats(
    raw: np.ndarray,
    is_bool: np.ndarray,
    weight: np.ndarray,
    columns: list[ColumnPlan] | None = None,
    own_samples: dict | None = None,
):
    """Fill value, center and scale of each raw feature.

    Numeric features are filled and centered by their (weighted) median and
    divided by the interquartile range / 1.349, or the standard deviation when
    that is zero, or 1 for constant columns. Booleans are filled by the share of
    True values and left unscaled. All-missing features get fill 0 and scale 1.
    ``own_samples``: ``{column index: (values, weights)}``, columns (of the
    plans ``columns``) whose features are read from a sample of their own
    observed values instead of ``raw`` (a streamed fit's mostly missing ones).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        stats = np.array([_column_stats(raw[:, j], weight) for j in range(raw.shape[1])])
        stats = stats.reshape(raw.shape[1], 5)
        if own_samples:
            owners = _feature_owners(columns or [])
            for j, (values, w) in own_samples.items():
                own_raw = _raw_features(values, columns[j])  # type: ignore[index]
                for k, feature in enumerate(np.flatnonzero(owners == j)):
                    stats[feature] = _column_stats(own_raw[:, k], w)
    return fill_center_scale(stats, is_bool)


def fill_center_scale(stats: np.ndarray, is_bool: np.ndarray):
    """:func:`robust_stats` from each feature's q25, median, q75, std and mean.

    Parameters
    ----------
    stats : ndarray of shape (n_features, 5)
        Per raw feature, as :func:`_column_stats` gives them (NaN for a feature
        without an observed, positively weighted value).
    is_bool : ndarray of shape (n_features,), dtype=bool
        Features of boolean columns.

    Returns
    -------
    fill, center, scale : ndarray of shape (n_features,)
    """
    with np.errstate(over="ignore", invalid="ignore"):
        q25, median, q75, std, share_true = np.asarray(stats, dtype=np.float64).T
        scale = (q75 - q25) / _IQR_PER_STD
        # a spread beyond float64's rounding of the feature's size is the feature's (1e-12
        # of the size made epoch nanoseconds within a millisecond a constant: R^2 0.82
        # against HGB's 0.994); below 1e-12 it is rounding's, as (0.1 + 0.2) - 0.3 is
        tiny = np.maximum(1e-12, 1e-14 * np.abs(np.nan_to_num(median)))
        scale = np.where(np.isfinite(scale) & (scale > tiny), scale, std)
        scale = np.where(np.isfinite(scale) & (scale > tiny), scale, 1.0)
    fill = np.nan_to_num(np.where(is_bool, share_true, median), nan=0.0)
    center = np.where(is_bool, 0.0, fill)
    scale = np.where(is_bool, 1.0, scale)
    return fill, center, scale


# ------------------------------------------------------ scaling at transform
# rows per block of the float32 clipping (a few MB of temporaries)
_CLIP_BLOCK = 65_536


def _smooth_clip(z: np.ndarray, bound: float | np.ndarray = CLIP_BOUND) -> np.ndarray:
    """``z / sqrt(1 + (z/b)**2)``: about ``z`` near 0, tending to +-``bound`` (one, or one
    per feature); no overflow.

    Overwrites ``z`` and returns float32 (the output's precision), computed
    with ``hypot``, which is several times faster here than a float64 ``sqrt``,
    in blocks of rows so that its temporaries stay small.
    """
    z /= bound
    np.clip(z, -1e18, 1e18, out=z)
    bound = np.asarray(bound, dtype=np.float32)
    out = np.empty(z.shape, dtype=np.float32)
    for start in range(0, len(z), _CLIP_BLOCK):
        t = out[start : start + _CLIP_BLOCK]
        t[...] = z[start : start + _CLIP_BLOCK]
        t /= np.hypot(np.float32(1.0), t)
        t *= bound
    return out


def _per_feature(bound: float | np.ndarray, keep: np.ndarray) -> float | np.ndarray:
    """The bounds of the features ``keep`` selects (a single bound serves all)."""
    return bound if np.ndim(bound) == 0 else np.asarray(bound)[keep]


def scaled_numeric(
    raw: np.ndarray,
    missing: np.ndarray,
    columns: list[ColumnPlan],
    *,
    fill: np.ndarray,
    center: np.ndarray,
    scale: np.ndarray,
    bool_features: np.ndarray,
    clip: bool,
    copy: bool = True,
    bound: float | np.ndarray = CLIP_BOUND,
) -> np.ndarray:
    """Imputed, robustly scaled and (optionally) smoothly clipped numeric features.

    Works in place on one buffer: fresh large arrays cost more in page
    faults than the arithmetic on them.

    Parameters
    ----------
    raw : ndarray of shape (n_samples, n_raw_features)
        Unscaled numeric features, NaN where missing.
    missing : ndarray of shape (n_samples, n_raw_features), dtype=bool
        Where ``raw`` is NaN.
    columns : list of ColumnPlan
        The plans of all input columns, to name the columns in errors.
    fill, center, scale : ndarray of shape (n_raw_features,)
        Per feature, from :func:`robust_stats`.
    bool_features : ndarray of shape (n_raw_features,), dtype=bool
        Features of boolean columns, which are never clipped.
    clip : bool
        Squash the scaled features smoothly into (-bound, bound).
    copy : bool, default=True
        ``False`` lets the computation overwrite ``raw`` (a float64 array the
        caller no longer needs) instead of copying it.
    bound : float or ndarray of shape (n_raw_features,), default=3.0
        The clip's bound, one or one per feature (:func:`clip_bounds` of the
        rows fitted on).

    Returns
    -------
    z : ndarray of shape (n_samples, n_raw_features)
        float64, or float32 when clipped.
    """
    z = np.array(raw, dtype=np.float64, copy=copy or raw.dtype != np.float64)
    if missing.any():
        np.copyto(z, np.broadcast_to(fill, z.shape), where=missing)
    with np.errstate(over="ignore", invalid="ignore"):
        z -= center
        z /= scale
        if clip and z.size:
            if bool_features.any():
                scaled = ~bool_features
                z[:, scaled] = _smooth_clip(z[:, scaled], _per_feature(bound, scaled))
            else:
                z = _smooth_clip(z, bound)
        # clipped features are bounded by the bound, bools by 1: only NaN could be bad
        bad = np.isnan(z) if clip else ~(np.abs(z) <= _FLOAT32_MAX)
    refuse_too_large(bad, columns)
    return z


def refuse_too_large(too_large: np.ndarray, columns: list[ColumnPlan]) -> None:
    """Raise a ValueError naming the columns flagged too large for float32 after scaling
    (in a mask over raw features, any number of rows)."""
    if too_large.any():
        raise ValueError(
            f"Columns {_names(columns, columns_where(columns, too_large))} have values too "
            "large for float32 after scaling; set clip_numeric=True or rescale them."
        )


def scaled_by(encoder, raw: np.ndarray, missing: np.ndarray, copy: bool = True) -> np.ndarray:
    """:func:`scaled_numeric` with a fitted encoder's statistics, clip and bounds."""
    return scaled_numeric(
        raw,
        missing,
        encoder._columns,
        fill=encoder._fill,
        center=encoder._center,
        scale=encoder._scale,
        bool_features=encoder._bool_features,
        clip=encoder.clip_numeric,
        bound=getattr(encoder, "clip_bound_", CLIP_BOUND),  # fitted before the bound was
        copy=copy,
    )


# ------------------------------------------------ the all-numeric fast path
def encode_numeric_array(encoder, X, owner) -> np.ndarray | None:
    """A fitted encoder's output for plain numeric input, when it is all-numeric.

    The fast path of ``TabularEncoder.transform``: one vectorised pass over
    the array, without building a DataFrame or touching columns one by one (a
    one-row prediction is ~10x faster). ``owner`` is the estimator whose
    feature names and count ``X`` is checked against. Returns None when the
    input needs the general path.
    """
    if not encoder._all_numeric:
        return None
    if isinstance(X, pd.DataFrame):
        if not all(dtype.kind in "iuf" for dtype in X.dtypes):
            return None
    elif not (isinstance(X, np.ndarray) and X.dtype.kind in "iuf"):
        return None
    if isinstance(X, np.ndarray) and X.ndim == 2 and len(X) and X.shape[1]:
        # a plain 2-D array needs only the feature checks: scikit-learn's full
        # validation costs more than the rest of a one-row prediction
        check_array_features(owner, X)
        raw = np.asarray(X, dtype=np.float64)
    else:
        raw = validate_data(
            owner, X, reset=False, dtype=np.float64, ensure_all_finite=False, copy=False
        )
    missing = np.isnan(raw)
    refuse_infinite(raw, encoder._columns)
    z = scaled_by(encoder, raw, missing)
    if len(encoder._indicator_index):
        z = np.concatenate([z, missing[:, encoder._indicator_index]], axis=1)
    return z.astype(np.float32, copy=False)
