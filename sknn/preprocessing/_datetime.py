"""Datetime and timedelta columns as numbers.

A datetime column expands into the :data:`DATETIME_PARTS` features (calendar
parts in the column's local time, then days since 1970-01-01), converted at
transform to the time zone it had at fit; a timedelta column becomes its total
seconds. Both are then scaled like any numeric feature. pyarrow-backed
timestamp, date and duration columns (``pd.ArrowDtype``, as
``read_parquet(dtype_backend="pyarrow")`` gives them) are read as their
numpy-backed equivalents, a period column (``pd.PeriodDtype``) as each
period's start; numbers are refused, since their unit is unknown.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
from pandas.api import types as pdt

_PANDAS_2 = int(pd.__version__.split(".")[0]) < 3

# Numeric features a datetime column expands into, in output order.
DATETIME_PARTS = ("year", "month", "day", "weekday", "hour", "epoch_days")
# pandas.api.types.infer_dtype results of an object column holding numbers.
_NUMBER_VALUES = frozenset({"integer", "floating", "mixed-integer-float", "decimal", "boolean"})


def numpy_temporal(series: pd.Series) -> pd.Series:
    """A pyarrow-backed timestamp, date or duration column as numpy-backed, a period column
    as its start; others as they are.

    Parameters
    ----------
    series : pandas Series
        Any column.

    Returns
    -------
    series : pandas Series
        ``datetime64`` (with its time zone, if any) for a pyarrow timestamp or
        date column or a period column (each period's start), ``timedelta64``
        for a pyarrow duration column, missing values as NaT; ``series``
        itself for any other dtype.
    """
    dtype = series.dtype
    if is_period(dtype) and not isinstance(dtype, pd.PeriodDtype):  # a pyarrow-backed one
        import pyarrow as pa  # type: ignore[import-untyped]

        series = pd.Series(pa.array(series.array).to_pandas(), index=series.index)
    if is_period(series.dtype):  # a period as its start
        return series.dt.to_timestamp()
    if not isinstance(dtype, pd.ArrowDtype) or dtype.kind not in "mM":
        return series
    zone = getattr(dtype.pyarrow_dtype, "tz", None)
    if zone:
        return series.astype(pd.DatetimeTZDtype(unit=dtype.pyarrow_dtype.unit, tz=zone))
    return series.astype(dtype.numpy_dtype)  # type: ignore[attr-defined]  # dates: at midnight


def is_period(dtype) -> bool:
    """Whether the dtype holds periods: pandas' own, or pyarrow-backed
    (``read_parquet(dtype_backend="pyarrow")`` of a Period column)."""
    if isinstance(dtype, pd.PeriodDtype):
        return True
    arrow = getattr(dtype, "pyarrow_dtype", None)
    return type(arrow).__name__ == "ArrowPeriodType"  # pandas' extension type in pyarrow


def _holds_numbers(series: pd.Series) -> bool:
    """Whether the column holds observed numbers (or booleans), by dtype or by value."""
    if pdt.is_numeric_dtype(series.dtype):
        return bool(series.notna().any())
    if not pdt.is_object_dtype(series.dtype):
        return False
    observed = series[series.notna()]
    return bool(len(observed)) and pdt.infer_dtype(observed, skipna=True) in _NUMBER_VALUES


def _refuse_numbers(series: pd.Series, name: str, kind: str) -> None:
    """Numbers for a datetime or timedelta column: their unit (s, ms, ns, days) is unknown."""
    if not _holds_numbers(series):
        return
    convert = "pd.to_datetime" if kind == "datetime" else "pd.to_timedelta"
    raise ValueError(
        f"Column {name!r} was {kind} at fit but now holds numbers ({series.dtype}), whose "
        f"unit is unknown. Convert it to {kind}s before passing it, e.g. "
        f"X[{name!r}] = {convert}(X[{name!r}], unit='s') for seconds."
    )


def _to_datetime(series: pd.Series, name: str, zoned: bool = False) -> pd.Series:
    """The column as datetime64; ``zoned``: it was tz-aware at fit, so values with
    different UTC offsets (a zone's winter and summer times) are read in UTC."""
    series = numpy_temporal(series)
    if pdt.is_datetime64_any_dtype(series.dtype):
        return series
    _refuse_numbers(series, name, "datetime")
    strings = _holds_strings(series)
    try:
        with _pandas_2_offset_warnings_silenced():
            parsed = _parse_iso8601(series, name) if strings else _parse(series, name)
        mixed = not pdt.is_datetime64_any_dtype(parsed.dtype)  # pandas 2: objects, an offset each
        if _PANDAS_2 and strings and (mixed or parsed.dt.tz is not None):
            _refuse_strings_without_offset(series, parsed, name)  # pandas 3 refuses them itself
        if mixed:
            raise ValueError(
                f"Column {name!r} holds datetimes of several UTC offsets; read them in UTC "
                f"first: X[{name!r}] = pd.to_datetime(X[{name!r}], utc=True)."
            )
        return parsed
    except ValueError:
        if not (zoned and _each_has_an_offset(series)):
            raise
        return pd.to_datetime(series, utc=True, format="ISO8601" if strings else None)


@contextlib.contextmanager
def _pandas_2_offset_warnings_silenced():
    """pandas 2 warns of mixed UTC offsets where pandas 3 raises; both are told by
    :func:`_to_datetime`. Nothing to silence under pandas 3 (``catch_warnings`` is not
    thread-safe, and a streamed fit parses on its prefetching thread)."""
    if not _PANDAS_2:
        yield
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*mixed time zones", FutureWarning)
        yield


def _parse(series: pd.Series, name: str) -> pd.Series:
    try:
        return pd.to_datetime(series)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Column {name!r} cannot be read as datetimes: {exc}") from exc


def _each_has_an_offset(series: pd.Series) -> bool:
    """Whether every value pandas reads as a date names its UTC offset (read one by one:
    rarely needed; ``""`` and ``"NaT"`` are missing values, as pandas reads them)."""
    try:
        stamps = (pd.Timestamp(v) for v in series[series.notna()])
        return all(stamp is pd.NaT or stamp.tzinfo is not None for stamp in stamps)
    except (ValueError, TypeError):
        return False


# the usual form of an offset at the end of a string: a time of day, then "Z" or an offset
# from UTC ("+01:00", "+0100", "-05"); other forms pandas reads are checked one by one
_OFFSET_AT_END = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)\s*$"


def _refuse_strings_without_offset(series: pd.Series, parsed: pd.Series, name: str) -> None:
    """Refuse date strings of which some name a UTC offset and others none: pandas 2
    read the latter in another row's offset (pandas 3 refuses them itself, so this
    regex over every string runs under pandas 2 only)."""
    dates = series[parsed.notna().to_numpy()].astype(str)  # "", "NaT": missing, as read
    unusual = dates[~dates.str.contains(_OFFSET_AT_END, regex=True).to_numpy()]
    if not _each_has_an_offset(unusual):
        raise ValueError(
            f"Column {name!r} holds date strings with a UTC offset and others without one, "
            "whose time zone is unknown; give every value its offset."
        )


def _holds_strings(series: pd.Series) -> bool:
    observed = series[series.notna()]
    return bool(len(observed)) and pdt.infer_dtype(observed, skipna=True) == "string"


def _parse_iso8601(series: pd.Series, name: str) -> pd.Series:
    """Strings for a datetime column: ISO 8601 only, the one format whose reading does not
    depend on the other rows (pandas guesses "01/02/2020" as January, or as February
    once "13/02/2020" is in the batch)."""
    try:
        return pd.to_datetime(series, format="ISO8601")
    except (ValueError, TypeError) as exc:
        first_line = str(exc).split(". You might")[0].splitlines()[0].rstrip(". ")
        raise ValueError(
            f"Column {name!r} was datetime at fit and now holds strings, which are read "
            f"as ISO 8601 dates only: {first_line}. Other formats are ambiguous (is "
            f"01/02/2020 January or February?); convert the column first, e.g. "
            f"X[{name!r}] = pd.to_datetime(X[{name!r}], format='%d/%m/%Y')."
        ) from exc


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


def saved_zone(tz: object) -> object:
    """A time zone as skops can save it: dateutil's zone files (``tz_localize("dateutil/...")``,
    ``dateutil.tz.gettz``), whose ``__slots__`` skops could not read, by their pandas name
    ``"dateutil/<key>"``; every other zone (zoneinfo's, fixed offsets, None) as it is."""
    filename = getattr(tz, "_filename", None)
    if type(tz).__name__ != "tzfile" or not isinstance(filename, str):
        return tz
    key = filename.split("zoneinfo/", 1)[1] if "zoneinfo/" in filename else filename
    return f"dateutil/{key}"


def loaded_zone(saved: object) -> object:
    """The time zone :func:`saved_zone` saved (the same dateutil zone from its name)."""
    if isinstance(saved, str) and saved.startswith("dateutil/"):
        return pd.Timestamp(0, tz=saved).tz
    return saved


def as_datetime(series: pd.Series, tz, name: str) -> pd.Series:
    """Column as datetime64, converted to the time zone ``tz`` it had at fit."""
    series = _to_datetime(series, name, zoned=tz is not None)
    aware = series.dt.tz is not None
    if aware != (tz is not None) and not series.notna().any():  # missing values have no zone
        return series.dt.tz_localize(None if aware else tz)
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
    series = numpy_temporal(series)
    if not series.notna().any():  # only missing values (pandas may call them datetimes)
        return np.full(len(series), np.nan)
    if not pdt.is_timedelta64_dtype(series.dtype):
        _refuse_numbers(series, name, "timedelta")
        try:
            series = pd.to_timedelta(series)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"Column {name!r} cannot be read as timedeltas: {exc}") from exc
    return series.dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan)
