"""Categories in a saved state: values skops rebuilds without a type to trust, compactly.

pandas' Timestamps, Timedeltas and Periods, Decimals and times are saved as strings
with their kind beside them (skops cannot rebuild a Timestamp at all). Many string
categories (:data:`PACKED_MIN`, an ID-like column of 100,000 levels) are saved
packed: their UTF-8 bytes and lengths as two arrays, which skops stores as two
``.npy`` files, instead of one JSON node per category (65 MB of schema for
100,000 categories, saved twice: in the column plan and the encoder's
``categories_``).
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pandas as pd

# from this many categories, all plain strings, a saved state packs them
PACKED_MIN = 1_000
PACKED = "packed utf-8"  # the kinds' marker of packed categories


def _period(text: str) -> pd.Period:
    freq, value = text.split("|", 1)
    return pd.Period(value, freq=freq)


# category types skops would not rebuild (pandas' Timestamp, Timedelta) or would list as
# untrusted, by name: their saved string and how it is read back
_SAVED_SCALARS: dict[type, tuple[str, Callable[[Any], str], Callable[[str], Any]]] = {
    pd.Timestamp: ("timestamp", pd.Timestamp.isoformat, pd.Timestamp),
    pd.Timedelta: ("timedelta", pd.Timedelta.isoformat, pd.Timedelta),
    pd.Period: ("period", lambda p: f"{p.freqstr}|{p}", _period),
    decimal.Decimal: ("decimal", str, decimal.Decimal),
    datetime.time: ("time", datetime.time.isoformat, datetime.time.fromisoformat),
}
_READ_BACK = {kind: read for kind, _, read in _SAVED_SCALARS.values()}


def saved_categories(categories: tuple) -> tuple[Any, list[str] | str | None]:
    """Categories as a saved state holds them: pandas' Timestamps, Timedeltas and Periods,
    Decimals and times as strings, which skops loads without a type to trust (it cannot
    rebuild a Timestamp or a Timedelta at all), and which kind each was (None when none);
    :data:`PACKED_MIN` or more plain strings packed (:data:`PACKED`)."""
    if len(categories) >= PACKED_MIN and all(type(c) is str for c in categories):
        encoded = [c.encode("utf-8", "surrogatepass") for c in categories]
        packed = {
            "utf8": np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(),
            "lengths": np.array([len(e) for e in encoded], dtype=np.int64),
        }
        return packed, PACKED
    kinds = [_SAVED_SCALARS[type(c)][0] if type(c) in _SAVED_SCALARS else "" for c in categories]
    if not any(kinds):
        return categories, None
    saved = tuple(
        _SAVED_SCALARS[type(c)][1](c) if kind else c
        for c, kind in zip(categories, kinds, strict=True)
    )
    return saved, kinds


def upgraded_categories(categories: tuple) -> tuple:
    """Categories saved before dates and durations were compared as pandas Timestamps and
    Timedeltas (12eb437 and earlier), as they are compared now, in the same order: a
    Period as its start, a ``datetime.date`` or numpy datetime as a Timestamp, a
    ``datetime.timedelta`` or numpy duration as a Timedelta."""

    def upgraded(c):
        if isinstance(c, pd.Period):
            return c.start_time
        if isinstance(c, datetime.date | np.datetime64) and not isinstance(c, pd.Timestamp):
            return pd.Timestamp(c)
        if isinstance(c, datetime.timedelta | np.timedelta64) and not isinstance(c, pd.Timedelta):
            return pd.Timedelta(c)
        return c

    return tuple(upgraded(c) for c in categories)


def restored_categories(saved, kinds: list[str] | str | None) -> tuple:
    """The categories :func:`saved_categories` saved, of their own types again (a
    tz-aware Timestamp at its UTC offset: equal, and of the same str form)."""
    if kinds == PACKED:
        data = np.asarray(saved["utf8"], dtype=np.uint8).tobytes()
        ends = np.cumsum(saved["lengths"]).tolist()
        starts = [0, *ends[:-1]]
        return tuple(
            data[a:b].decode("utf-8", "surrogatepass") for a, b in zip(starts, ends, strict=True)
        )
    if not kinds:
        return saved
    return tuple(_READ_BACK[k](c) if k else c for c, k in zip(saved, kinds, strict=True))


def loaded_categories(state: dict) -> tuple:
    """The categories of a saved column plan's ``state``, its ``_category_types`` taken
    out; a state saved before them (12eb437 or earlier) upgraded."""
    if "_category_types" not in state:
        return upgraded_categories(state["categories"])
    return restored_categories(state["categories"], state.pop("_category_types"))


class SavedCategories:
    """A mixin saving an encoder's ``categories_`` as :func:`saved_categories` does."""

    def __getstate__(self) -> dict:
        state = cast(dict, super().__getstate__())
        if "categories_" in state:
            saved = [saved_categories(tuple(c)) for c in state["categories_"]]
            state["categories_"] = [c if isinstance(c, dict) else list(c) for c, _ in saved]
            state["_category_types"] = [kinds for _, kinds in saved]
        return state

    def __setstate__(self, state: dict) -> None:
        kinds = state.pop("_category_types", None)
        if kinds is not None:
            pairs = zip(state["categories_"], kinds, strict=True)
            state["categories_"] = [
                list(restored_categories(c if k == PACKED else tuple(c), k)) for c, k in pairs
            ]
        elif "categories_" in state:  # saved before: the categories as now compared
            state["categories_"] = [
                list(upgraded_categories(tuple(c))) for c in state["categories_"]
            ]
        super().__setstate__(state)  # type: ignore[misc]
