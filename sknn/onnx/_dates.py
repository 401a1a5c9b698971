"""Datetime and timedelta columns in an exported graph: int64 nanoseconds in, numbers out.

A datetime column's input is int64 nanoseconds since 1970-01-01, ``-2**63``
(pandas' NaT) where missing: for a tz-naive column its wall-clock time; for a
tz-aware one the instant, in UTC. Either is what pandas stores
(``X[col].dt.as_unit("ns").array.asi8``), what :func:`sknn.onnx.input_feed`
writes, and what a deployment elsewhere computes from its own timestamps.
The graph computes the parts ``predict`` computes: year, month, day, weekday
and hour in the column's time (a tz-aware column's instant plus its zone's
UTC offset), with integer arithmetic (H. Hinnant's days-to-civil algorithm,
exact over the whole range of int64 nanoseconds, 1677 to 2262; a date outside
it is refused by :func:`~sknn.onnx.input_feed`), and days since 1970-01-01 in UTC. A zone
whose offset changes (daylight saving, as Europe/Oslo's, or once in its
history, as Asia/Tokyo's in 1948) takes its table into the graph, read from
pandas' own conversion over 1677 to 2262 (so the graph's hours are
``predict``'s, whichever tz library gave the zone): the offset at the start of
each 32 days and the changes within them, looked up by two Gathers; UTC and
fixed offsets ("+05:30") are one constant. A timedelta column's input is int64
nanoseconds, its number in the graph its seconds.
"""

from __future__ import annotations

import datetime
import functools

import numpy as np
import pandas as pd

from sknn.preprocessing._datetime import as_datetime, numpy_temporal

NAT = np.iinfo(np.int64).min  # pandas' and numpy's missing datetime or timedelta
_NS_PER_DAY = 86_400 * 10**9
_NS_PER_HOUR = 3_600 * 10**9
_NS_PER_SECOND = 10**9
_SAMPLE_NS = 48 * _NS_PER_HOUR  # a zone's offsets are sampled this often, changes then sought
_BUCKET_NS = 32 * _NS_PER_DAY  # a zone's table: its offset at each start, changes within
_FIRST_BUCKET = pd.Timestamp.min.value // _BUCKET_NS
# the column's input kinds, and the description each input carries in the graph
TEMPORAL_KINDS = {
    "datetime": "int64 nanoseconds since 1970-01-01 in wall-clock time (tz-naive), "
    f"{NAT} where missing",
    "datetime_utc": "int64 nanoseconds since 1970-01-01 UTC (the instant of a tz-aware "
    f"datetime), {NAT} where missing",
    "timedelta": f"int64 nanoseconds, {NAT} where missing",
}


def temporal_kind(col) -> str:
    """The input kind of a datetime or timedelta column's plan (see :data:`TEMPORAL_KINDS`)."""
    if col.kind == "timedelta":
        return "timedelta"
    return "datetime" if col.tz is None else "datetime_utc"


def zone_offsets(col) -> int | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A tz-aware datetime column's UTC offsets in nanoseconds, as pandas gives them
    (kept for the last zones asked that can be hashed: zoneinfo's, pytz's).

    One integer for a zone whose offset never changes over the years a
    datetime64 holds (UTC, "+05:30"). Otherwise the zone's table, read from
    pandas' own conversion (so from whichever tz library the column's zone
    comes from): the offset at the start of each bucket of :data:`_BUCKET_NS`
    (before a change at that instant), and the instants and changes of offset
    within it, ``(n_buckets, k)``, padded with the largest int64 and 0. The
    offsets are sampled every :data:`_SAMPLE_NS` and each change found to the
    second: every zone of the tz database changes at whole seconds, and no two
    changes are closer than 95 hours (Africa/Freetown's in the 1930s, the
    closest in the 2025 database), so no change hides between two samples.
    """
    try:
        return _zone_table(col.tz)
    except TypeError:  # a zone object that cannot be hashed
        return _zone_table.__wrapped__(col.tz)


@functools.lru_cache(maxsize=8)
def _zone_table(zone) -> int | tuple[np.ndarray, np.ndarray, np.ndarray]:
    lowest, highest = pd.Timestamp.min.value + _NS_PER_DAY * 2, pd.Timestamp.max.value
    grid = np.arange(-(-lowest // _SAMPLE_NS) * _SAMPLE_NS, highest - _NS_PER_DAY * 2, _SAMPLE_NS)
    offsets = _offsets(grid, zone)
    changed = np.flatnonzero(np.diff(offsets))
    if changed.size == 0:
        return int(offsets[0])
    before, after = grid[changed], grid[changed + 1]  # the change is in (before, after]
    while np.any(after - before > _NS_PER_SECOND):
        middle = before + (after - before) // 2 // _NS_PER_SECOND * _NS_PER_SECOND
        unchanged = _offsets(middle, zone) == offsets[changed]
        before, after = np.where(unchanged, middle, before), np.where(unchanged, after, middle)
    buckets = after // _BUCKET_NS - _FIRST_BUCKET
    width = int(np.bincount(buckets).max())
    n_buckets = highest // _BUCKET_NS - _FIRST_BUCKET + 1
    starts = (np.arange(1, n_buckets) + _FIRST_BUCKET) * _BUCKET_NS  # the first's is < -2**63
    starts = np.concatenate([[np.iinfo(np.int64).min], starts])
    change = offsets[changed + 1] - offsets[changed]
    offset_after = np.concatenate([offsets[:1], offsets[0] + np.cumsum(change)])
    start_offsets = offset_after[np.searchsorted(after, starts)]  # before a change at start
    instants = np.full((n_buckets, width), np.iinfo(np.int64).max)
    changes = np.zeros((n_buckets, width), dtype=np.int64)
    slot = np.arange(len(buckets)) - np.searchsorted(buckets, buckets)  # i-th in its bucket
    instants[buckets, slot] = after
    changes[buckets, slot] = change
    return start_offsets, instants, changes


def _offsets(instants: np.ndarray, zone) -> np.ndarray:
    """UTC offsets in nanoseconds of ``zone`` at ``instants`` (int64 nanoseconds UTC)."""
    utc = pd.DatetimeIndex(instants.astype("datetime64[ns]")).tz_localize("UTC")
    return utc.tz_convert(zone).tz_localize(None).asi8 - utc.asi8


class _Nodes:
    """ONNX nodes and int64 constants of one column's arithmetic, named after the column."""

    def __init__(self, prefix: str):
        self.prefix, self._count = prefix, 0
        self.nodes: list = []
        self.initializers: list = []

    def constant(self, value, dtype=np.int64) -> str:
        from onnx import numpy_helper

        name = f"{self.prefix}_c{len(self.initializers)}"
        self.initializers.append(numpy_helper.from_array(np.array(value, dtype=dtype), name))
        return name

    def op(self, op_type: str, *inputs: str, **attributes) -> str:
        from onnx import helper

        self._count += 1
        name = f"{self.prefix}_{op_type.lower()}{self._count}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [name], **attributes))
        return name

    def floor_div(self, a: str, b: int) -> str:
        """``a // b`` rounded down for any sign of ``a`` and ``b > 0`` (ONNX's Div
        truncates), without overflow at the ends of int64."""
        from onnx import TensorProto

        divisor = self.constant(b)
        inexact = self.op("Not", self.op("Equal", self.op("Mod", a, divisor), self.constant(0)))
        below = self.op("And", self.op("Less", a, self.constant(0)), inexact)
        return self.op(
            "Sub", self.op("Div", a, divisor), self.op("Cast", below, to=TensorProto.INT64)
        )

    def div(self, a: str, b: int) -> str:
        """``a // b`` for ``a >= 0``."""
        return self.op("Div", a, self.constant(b))

    def mul(self, a: str, b: int) -> str:
        return self.op("Mul", a, self.constant(b))

    def add(self, a: str, b: int) -> str:
        return self.op("Add", a, self.constant(b))


def _civil(g: _Nodes, days: str) -> tuple[str, str, str]:
    """Year, month and day (int64) of ``days`` since 1970-01-01 (Hinnant's civil_from_days)."""
    from onnx import TensorProto

    z = g.add(days, 719_468)
    era = g.floor_div(z, 146_097)
    doe = g.op("Sub", z, g.mul(era, 146_097))  # day of the era, 0..146096
    yoe = g.div(
        g.op(
            "Sub",
            g.op("Add", g.op("Sub", doe, g.div(doe, 1_460)), g.div(doe, 36_524)),
            g.div(doe, 146_096),
        ),
        365,
    )  # year of the era, 0..399
    year = g.op("Add", yoe, g.mul(era, 400))
    start = g.op("Sub", g.op("Add", g.mul(yoe, 365), g.div(yoe, 4)), g.div(yoe, 100))
    doy = g.op("Sub", doe, start)  # day of the year from March 1st, 0..365
    mp = g.div(g.add(g.mul(doy, 5), 2), 153)  # month from March, 0..11
    day = g.add(g.op("Sub", doy, g.div(g.add(g.mul(mp, 153), 2), 5)), 1)
    late = g.op("Cast", g.op("GreaterOrEqual", mp, g.constant(10)), to=TensorProto.INT64)
    month = g.op("Sub", g.add(mp, 3), g.mul(late, 12))
    early = g.op("Cast", g.op("LessOrEqual", month, g.constant(2)), to=TensorProto.INT64)
    return g.op("Add", year, early), month, day


def _offset(g: _Nodes, col, instant: str) -> str:
    """The UTC offset (int64 nanoseconds) of a tz-aware column's zone at ``instant``:
    a constant, or its bucket's starting offset plus the changes it has passed."""
    from onnx import TensorProto

    offsets = zone_offsets(col)
    if isinstance(offsets, int):
        return g.constant(offsets)
    start_offsets, instants, changes = offsets
    bucket = g.op(
        "Clip",
        g.add(g.floor_div(instant, _BUCKET_NS), -_FIRST_BUCKET),
        g.constant(0),
        g.constant(len(start_offsets) - 1),
    )  # (batch, 1)
    passed = g.op(
        "GreaterOrEqual",
        g.op("Unsqueeze", instant, g.constant([2])),
        g.op("Gather", g.constant(instants), bucket),
    )  # (batch, 1, width)
    moved = g.op(
        "Mul",
        g.op("Cast", passed, to=TensorProto.INT64),
        g.op("Gather", g.constant(changes), bucket),
    )
    return g.op(
        "Add",
        g.op("Gather", g.constant(start_offsets), bucket),
        g.op("ReduceSum", moved, g.constant([2]), keepdims=0),
    )


def temporal_nodes(col, source: str, target: str, numbers: int) -> tuple[list, list]:
    """Nodes and constants mapping a datetime or timedelta column's int64 input ``source``
    to its raw numbers ``target``, ``(batch, width)`` of ONNX type ``numbers``, NaN where
    the input is missing: the parts of :data:`DATETIME_PARTS`, or a timedelta's seconds."""
    from onnx import TensorProto, helper

    g = _Nodes(target)
    missing = g.op("Equal", source, g.constant(NAT))
    value = g.op("Where", missing, g.constant(0), source)  # any day: its answer is replaced
    double = TensorProto.DOUBLE
    if col.kind == "timedelta":
        features = [g.op("Div", g.op("Cast", value, to=double), g.constant(1e9, np.float64))]
    else:
        local = value if col.tz is None else g.op("Add", value, _offset(g, col, value))
        days = g.floor_div(local, _NS_PER_DAY)
        hour = g.div(g.op("Mod", local, g.constant(_NS_PER_DAY)), _NS_PER_HOUR)  # Mod: >= 0
        weekday = g.op("Mod", g.add(days, 3), g.constant(7))  # 1970-01-01 was a Thursday
        year, month, day = _civil(g, days)
        parts = [g.op("Cast", p, to=double) for p in (year, month, day, weekday, hour)]
        utc_days = g.op("Div", g.op("Cast", value, to=double), g.constant(_NS_PER_DAY, np.float64))
        features = [*parts, utc_days]
    raw = g.op("Concat", *features, axis=1) if len(features) > 1 else features[0]
    nan = g.constant(np.nan, np.float64)
    answer = g.op("Where", missing, nan, raw)
    g.nodes.append(helper.make_node("Cast", [answer], [target], to=numbers))
    return g.nodes, g.initializers


def temporal_input(series: pd.Series, name: str, kind: str) -> np.ndarray:
    """A datetime or timedelta column as the int64 nanoseconds its input ``kind`` takes."""
    series = numpy_temporal(series)
    if kind == "timedelta":
        if not pd.api.types.is_timedelta64_dtype(series.dtype):
            try:
                series = pd.to_timedelta(series)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"Column {name!r} cannot be read as timedeltas: {exc}") from exc
    else:
        zone = datetime.UTC if kind == "datetime_utc" else None
        series = as_datetime(series, zone, name)  # refuses a zone the fit did not have
    if not series.notna().any():
        return np.full(len(series), NAT, dtype=np.int64)
    if kind == "datetime_utc":  # the instant, as pandas stores it
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)  # type: ignore[union-attr]
    try:
        return series.dt.as_unit("ns").to_numpy().view(np.int64)
    except (pd.errors.OutOfBoundsDatetime, pd.errors.OutOfBoundsTimedelta) as exc:
        raise ValueError(
            f"Column {name!r} holds values that int64 nanoseconds, the graph's input, cannot "
            "hold (dates from 1677-09-22 to 2262-04-11, durations within 292 years): "
            f"{exc}. Replace them before feeding the graph (a 9999-12-31 placeholder by "
            "NaT, for instance); predict reads them."
        ) from exc
