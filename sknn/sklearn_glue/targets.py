"""Targets refused before scikit-learn converts them: missing labels, mixed types, text.

scikit-learn sorts class labels (``np.unique``), which fails deep inside numpy
on ``None`` among strings (``'<' not supported between 'NoneType' and
'str'``), on pandas' ``NA`` (``boolean value of NA is ambiguous``) or on
strings mixed with numbers; a list such as ``["a", 1]`` is even read silently
as the strings ``"a"`` and ``"1"``. A regressor's ``None`` becomes NaN and
only shows as a diverged fit. These checks look at the targets as the user
gave them (a list, an array, a pandas, polars or pyarrow column or table)
and say what is wrong, in which rows, and how to fix it.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
from scipy import sparse

_SHOWN = 5  # rows named in a message


_TEMPORAL = (datetime.date, datetime.time, datetime.timedelta, np.datetime64, np.timedelta64)


def _values(y) -> np.ndarray | None:
    """``y`` as an array that keeps each value's own type, or None when it has no rows."""
    if y is None or sparse.issparse(y):
        return None
    try:
        if isinstance(y, (list, tuple)):
            # without dtype=object numpy reads ["a", 1] as the strings "a" and "1"
            return np.asarray(y, dtype=object)
        values = np.asarray(y)
    except (TypeError, ValueError):
        return None  # scikit-learn's own check names what it cannot read
    return values if values.ndim and values.size else None


def _missing_rows(values: np.ndarray) -> np.ndarray:
    """Row positions holding None, NaN, NaT or pandas' NA in any column."""
    if values.dtype.kind in "fc":
        missing = np.isnan(values)
    elif values.dtype.kind in "OMm":
        missing = np.asarray(pd.isna(values), dtype=bool)
    else:
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(missing.reshape(len(values), -1).any(axis=1))


def _rows(rows: np.ndarray) -> str:
    shown = ", ".join(str(r) for r in rows[:_SHOWN])
    return shown + (f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else "")


def _refuse_missing(values: np.ndarray, what: str, noun: str, fix: str) -> None:
    rows = _missing_rows(values)
    if len(rows):
        s = "" if len(rows) == 1 else "s"
        raise ValueError(
            f"{what} has {len(rows)} missing {noun}{s} (None, NaN or NA) of {len(values)} "
            f"(rows counted by position from 0, not by index label), in row{s} "
            f"{_rows(rows)}. {fix}."
        )


def _drop_rows(fill: str) -> str:
    return (
        "Drop those rows from X and y first (e.g. keep = y.notna(); X, y = X[keep], "
        f"y[keep]), or {fill}"
    )


def _is_text(value) -> bool:
    return isinstance(value, (str, bytes))


def check_labels(y, what: str = "y") -> None:
    """Refuse class labels that are missing or that mix strings with other types.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Class labels as the user passed them (or the ``classes`` argument of
        ``partial_fit``).
    what : str, default="y"
        The argument's name, used in the messages.

    Raises
    ------
    ValueError
        If a label is None, NaN or NA (naming how many and which rows), or if
        strings are mixed with numbers or other types (naming the types).
    """
    values = _values(y)
    if values is None:
        return
    fix = (
        _drop_rows("fill them with a label of their own")
        if what == "y"
        else f"List only real labels in {what}"
    )
    _refuse_missing(values, what, "label", fix)
    if values.dtype.kind != "O":
        return
    flat = values.ravel()
    text = np.fromiter((_is_text(v) for v in flat), dtype=bool, count=len(flat))
    if text.any() and not text.all():
        other = flat[~text]
        kinds = "/".join(sorted({type(v).__name__ for v in other}))
        n_text = int(text.sum())
        raise ValueError(
            f"{what} mixes label types: {n_text} string{'s' * (n_text != 1)} and "
            f"{len(other)} label{'s' * (len(other) != 1)} of type {kinds} "
            f"(e.g. {flat[text][0]!r} and {other[0]!r}). Labels must be all strings or all "
            "numbers: convert them to one type first, e.g. "
            f"{what}.astype(str) for pandas or np.asarray({what}, dtype=str)."
        )


def check_numeric_targets(y, estimator_name: str) -> None:
    """Refuse regression targets that are missing or that are text.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets as the user passed them.
    estimator_name : str
        The regressor's class name, used in the messages.

    Raises
    ------
    ValueError
        If a target is None, NaN or NA (naming how many and which rows), or
        if targets are strings.
    """
    values = _values(y)
    if values is None:
        return
    _refuse_missing(values, "y", "target", _drop_rows("fill them (e.g. with the mean of y)"))
    # read as nanoseconds they trained silently, answering in nanoseconds
    temporal = values.dtype.kind == "O" and isinstance(values.flat[0], _TEMPORAL)
    if values.dtype.kind in "mM" or temporal:
        raise ValueError(
            f"{estimator_name} needs numeric targets, but y holds dates or durations. "
            "Convert them to numbers in the unit you mean first, e.g. "
            "(y - y.min()) / pd.Timedelta('1D') for days."
        )
    if values.dtype.kind in "US":
        example = values.ravel()[0]
    elif values.dtype.kind == "O":
        example = next((v for v in values.ravel() if _is_text(v)), None)
        if example is None:
            return
    else:
        return
    raise ValueError(
        f"{estimator_name} needs numeric targets, but y holds text (e.g. {str(example)!r}). "
        "Convert y to numbers first (e.g. pd.to_numeric(y) or np.asarray(y, dtype=float)); "
        "for class labels use a classifier."
    )
