"""Encoder statistics from a stream of partitions: exact column facts and a row sample.

A table too large for memory is fitted from one pass over its partitions
(:func:`sknn.sklearn_glue.dask_collections.fold_partitions`), each summarized
into a :class:`StreamSummary` and folded into one:

- **exact facts** per column (:class:`ColumnFacts`): its kind, the distinct
  observed values of a categorical column (so every category is known,
  however rare), the observed and infinite counts (the all-missing warning,
  the missing indicators, the refusal of infinite values before training);
- **a uniform sample of the rows of positive weight, with their weights**
  (each row gets a uniform key, and the ``SAMPLE_ROWS`` largest keys are
  kept, which merges across partitions; the keys and weights are kept beside
  the rows, never in a column a table could also have). Weighted medians,
  quartiles, shares of booleans and the piecewise-linear embedding's bin
  edges are read from it, as a fit in memory reads them from every row: on
  a table of at most ``SAMPLE_ROWS`` such rows, exactly those. For a sample
  of ``n`` rows drawn uniformly, the Dvoretzky-Kiefer-Wolfowitz inequality
  bounds every quantile's rank error at once: with probability 0.99 at most
  ``sqrt(ln(2 / 0.01) / (2 n))``, 0.0051 for ``n = 100,000`` (half a
  percentile; for equal weights). That bound counts the sampled rows where
  a column is observed: a mostly missing column (fewer than
  ``OWN_SAMPLE_ROWS`` observed values in the sample, more in the table) gets
  a sample of its own observed rows from a second pass over it alone, so its
  statistics rest on at least ``min(observed, 20,000)`` values (rank error
  at most 0.0115, none when all are kept). The ID-like warning reads the
  sample's share of distinct values. (A weight-proportional sample, A-ES, fitted
  unweighted, was the first design: it kept rows of weight 0 whenever the
  table had fewer rows than the sample, so their weights were lost.)

A sample is a well-kept, dependency-free sketch whose error is a textbook
bound, and it serves every statistic the encoder needs, bin edges of the
encoded features included; a KLL sketch (Apache DataSketches) would give
smaller rank errors per byte but one sketch per feature, another dependency,
and no row sample for the network's first batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from sknn.preprocessing._categorical import distinct_values
from sknn.preprocessing._columns import ColumnFacts, dtype_kind, encoder_categorical
from sknn.preprocessing._datetime import is_period
from sknn.preprocessing._user_warnings import warn_user

SAMPLE_ROWS = 100_000
OWN_SAMPLE_ROWS = 20_000


@dataclass
class _Column:
    kind: str
    values: set | None  # distinct observed values, for a categorical candidate
    n_observed: int
    n_infinite: int


@dataclass
class StreamSummary:
    """One partition's (or several partitions') facts and sample."""

    n_rows: int
    columns: list[_Column]
    sample: pd.DataFrame  # the rows kept
    keys: np.ndarray  # their sampling keys (the largest are kept)
    weights: np.ndarray  # their sample weights
    extra: dict  # what the caller adds per partition (target facts, validation rows)
    # mostly missing columns' own samples of observed rows, by column (see stream_summary)
    own_samples: dict = field(default_factory=dict)


def _merged_kind(a: str, b: str) -> str:
    if a == b or b == "empty":
        return a
    if a == "empty":
        return b
    if {a, b} == {"bool", "numeric"}:  # a file's 0/1 as booleans: numbers, as in memory
        return "numeric"
    return "mixed"


def summarize(
    frame: pd.DataFrame,
    candidates: np.ndarray,
    keys: np.ndarray,
    weights: np.ndarray,
    sample_rows: int = SAMPLE_ROWS,
    extra: dict | None = None,
) -> StreamSummary:
    """A partition's facts and its rows of the ``sample_rows`` largest ``keys``.

    ``candidates`` marks the columns that may be categorical (their distinct
    values are kept); ``keys`` are the rows' keys (see :func:`sample_keys`:
    ``-inf`` for a row of weight 0, never kept), ``weights`` their weights.
    """
    columns = []
    for j in range(frame.shape[1]):
        series = frame.iloc[:, j]
        observed = series[series.notna()]
        infinite = 0
        if pdt.is_float_dtype(series.dtype):
            infinite = int(np.isinf(observed.to_numpy(dtype=np.float64)).sum())
        values = set(distinct_values(observed)) if candidates[j] else None
        kind = dtype_kind(series, str(frame.columns[j]))
        columns.append(_Column(kind, values, int(len(observed)), infinite))
    top = np.argsort(-keys, kind="stable")[:sample_rows]
    top = top[keys[top] > -np.inf]
    extra = dict(extra or {})
    return StreamSummary(len(frame), columns, frame.iloc[top], keys[top], weights[top], extra)


def fold(a: StreamSummary, b: StreamSummary, sample_rows: int = SAMPLE_ROWS) -> StreamSummary:
    """Two summaries as one: facts added, values united, the larger keys kept."""
    columns = [
        _Column(
            _merged_kind(x.kind, y.kind),
            None if x.values is None else x.values | (y.values or set()),
            x.n_observed + y.n_observed,
            x.n_infinite + y.n_infinite,
        )
        for x, y in zip(a.columns, b.columns, strict=True)
    ]
    sample = pd.concat([a.sample, b.sample])
    keys, weights = np.concatenate([a.keys, b.keys]), np.concatenate([a.weights, b.weights])
    if len(sample) > sample_rows:
        top = np.argsort(-keys, kind="stable")[:sample_rows]
        sample, keys, weights = sample.iloc[top], keys[top], weights[top]
    extra = {key: a.extra[key] + b.extra[key] for key in a.extra}
    return StreamSummary(a.n_rows + b.n_rows, columns, sample, keys, weights, extra)


def sample_keys(weight: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uniform keys in [0, 1) for the rows of positive weight; -inf for the others."""
    return np.where(weight > 0, rng.random(len(weight)), -np.inf)


def column_facts(summary: StreamSummary) -> list[ColumnFacts]:
    """Each column's exact facts, categories sorted as a fit on the whole table sorts them."""
    facts = []
    for column in summary.columns:
        categories = None
        if column.values is not None:
            values = column.values
            if column.kind == "mixed":
                values = {str(v) for v in values}
            categories = tuple(sorted(values, key=str))
        n_missing = summary.n_rows - column.n_observed
        facts.append(ColumnFacts(column.kind, categories, column.n_observed, n_missing))
    return facts


def refuse_no_rows(summary: StreamSummary, who: str) -> None:
    """Refuse a Dask table without a row (a filter that left every partition empty), as
    scikit-learn refuses an empty pandas frame."""
    if summary.n_rows == 0:
        raise ValueError(
            f"Found a Dask DataFrame with 0 rows (every partition is empty), while a minimum "
            f"of 1 is required by {who}. Check the filter that made it, e.g. with len(ddf)."
        )


def refuse_infinite(summary: StreamSummary, names) -> None:
    """Refuse infinite values anywhere in the stream, before any training."""
    bad = [str(names[j]) for j, c in enumerate(summary.columns[: len(names)]) if c.n_infinite]
    if bad:
        raise ValueError(
            f"Columns {bad} contain inf or -inf; replace those values (for example with NaN, "
            "which is imputed) before passing them."
        )


def _read_as(values: set) -> tuple[str, str] | None:
    """What a Dask column's strings read as, and the conversion that gives it back: only
    'True' and 'False' (booleans), numbers (Decimals, numbers among strings) or ISO dates
    (``datetime.date`` objects); None for other strings and for codes with leading zeros."""
    if values <= {"True", "False"}:
        return "booleans", ".astype('boolean')"
    strings = pd.Series(sorted(values), dtype=object)
    if not strings.str.match(r"^[+-]?0\d").any() and pd.to_numeric(strings, "coerce").notna().all():
        return "numbers", ".astype(float)"
    try:
        dates = pd.to_datetime(strings, format="ISO8601", errors="coerce", utc=True)
    except (ValueError, TypeError, OverflowError):
        return None
    return ("dates", ".pipe(pd.to_datetime)") if dates.notna().all() else None


def warn_objects_made_strings(summary: StreamSummary, meta: pd.DataFrame) -> None:
    """Warn of string columns whose every value reads as a boolean, a number or a date:
    Dask makes pandas' object columns strings (its ``dataframe.convert-string``), booleans,
    Decimals and ``datetime.date`` included, which then fit as categories (not as the
    pandas frame's kinds) and no longer meet the pandas frame's values."""
    for j, name in enumerate(meta.columns):
        values, dtype = summary.columns[j].values, meta.dtypes.iloc[j]
        if not (pdt.is_string_dtype(dtype) and not pdt.is_object_dtype(dtype) and values):
            continue  # a string dtype (an object column is read as pandas reads it)
        read = _read_as({str(v) for v in values})
        if read is not None:
            what, convert = read
            warn_user(
                f"Column {name!r} of the Dask DataFrame holds strings that all read as {what}, "
                f"so it is encoded as a category. If it held {what} in pandas (an object "
                "column), Dask made them strings under its 'dataframe.convert-string' "
                f"setting: convert it before dd.from_pandas (X[{name!r}] = X[{name!r}]"
                f"{convert}), or create the Dask DataFrame within "
                "dask.config.set({'dataframe.convert-string': False})."
            )


def candidate_columns(meta: pd.DataFrame, explicit: np.ndarray | None) -> np.ndarray:
    """The columns whose distinct values a pass keeps: all but numbers, booleans and
    times, unless ``categorical_features`` names them."""
    numeric = np.array(
        [
            pdt.is_numeric_dtype(dtype)
            or pdt.is_datetime64_any_dtype(dtype)
            or pdt.is_timedelta64_dtype(dtype)
            or is_period(dtype)
            for dtype in meta.dtypes
        ],
        dtype=bool,
    )
    if explicit is not None:  # the named ones, and strings (refused by name when unnamed)
        return explicit | ~numeric
    return ~numeric


def stream_summary(
    X,
    weight=None,
    *,
    seed: int,
    candidates: np.ndarray,
    others=(),
    beside=None,
    extra=None,
    own_samples: bool = True,
) -> tuple[StreamSummary, int]:
    """One pass over Dask ``X`` (and ``others``, zipped partition by partition).

    ``beside(X_part, *other_parts)`` returns columns (a dict) summarized and
    sampled beside ``X``'s (an estimator's targets); ``extra(i, frame)`` a dict
    of values folded with ``+`` into the summary's ``extra``; ``own_samples``:
    whether mostly missing columns get their own samples (what an encoder fits
    from; a continued fit keeps its encoder). Returns the folded summary and
    the number of partitions.
    """
    from sknn.sklearn_glue.dask_collections import fold_partitions

    collections = (X, *others) if weight is None else (X, *others, weight)

    def rows(X_part, rest) -> tuple[pd.DataFrame, np.ndarray]:
        w = np.ones(len(X_part)) if weight is None else np.asarray(rest[-1], dtype=np.float64)
        if beside is None:
            return X_part, w
        return X_part.reset_index(drop=True).assign(**beside(X_part, *rest)), w

    def one(i, X_part, *rest):
        frame, w = rows(X_part, rest)
        marks = np.r_[candidates, np.zeros(frame.shape[1] - len(candidates), dtype=bool)]
        keys = sample_keys(w, np.random.default_rng([seed, i, 1]))
        added = {} if extra is None else extra(i, frame)
        return summarize(frame, marks, keys, w, extra=added)

    summary, n_partitions = fold_partitions(one, fold, *collections)
    _complete_drifted_columns(summary, X)
    sparse = _sparse_columns(summary, X.shape[1]) if own_samples else []
    if sparse:  # a second pass over those columns alone (and the targets beside them)

        def own(i, X_part, *rest) -> list[StreamSummary]:
            frame, w = rows(X_part, rest)
            rng = np.random.default_rng([seed, i, 2])
            return [_observed_rows(frame, k, len(sparse), w, rng) for k in range(len(sparse))]

        def merged(a: list[StreamSummary], b: list[StreamSummary]) -> list[StreamSummary]:
            return [fold(x, y, OWN_SAMPLE_ROWS) for x, y in zip(a, b, strict=True)]

        projected = X[[X.columns[j] for j in sparse]]
        samples, _ = fold_partitions(own, merged, projected, *collections[1:])
        summary.own_samples = dict(zip(sparse, samples, strict=True))
    return summary, n_partitions


def _sparse_columns(summary: StreamSummary, n_x: int) -> list[int]:
    """Numeric, boolean and time columns of which the row sample holds fewer observed
    values than ``OWN_SAMPLE_ROWS`` while the table has more (mostly missing columns)."""
    sparse = []
    for j, column in enumerate(summary.columns[:n_x]):
        if column.values is not None or column.kind in ("empty", "mixed", "categorical"):
            continue  # categories are exact; nothing observed has no statistics
        held = int(summary.sample.iloc[:, j].notna().sum())
        if held < min(column.n_observed, OWN_SAMPLE_ROWS):
            sparse.append(j)
    return sparse


def _observed_rows(frame, k: int, n_own: int, w: np.ndarray, rng) -> StreamSummary:
    """A partition's sample of the rows where column ``k`` of ``frame`` is observed:
    that column and the columns after the ``n_own`` projected ones (the targets)."""
    columns = frame.iloc[:, [k, *range(n_own, frame.shape[1])]]
    keys = np.where(columns.iloc[:, 0].notna().to_numpy(), sample_keys(w, rng), -np.inf)
    marks = np.zeros(columns.shape[1], dtype=bool)
    return summarize(columns, marks, keys, w, sample_rows=OWN_SAMPLE_ROWS)


def _complete_drifted_columns(summary: StreamSummary, X) -> None:
    """The distinct values of columns whose type changes between partitions.

    Parquet files written separately may hold a column as integers in some and
    strings in others: the meta said numbers, so the pass kept no values, yet
    the column is categorical ("mixed", as the whole table in memory is). A
    second pass over those columns alone reads every value, so no rare
    category is left to the sample's chance.
    """
    from sknn.sklearn_glue.dask_collections import fold_partitions

    drifted = [
        j
        for j, c in enumerate(summary.columns[: X.shape[1]])
        if c.kind == "mixed" and c.values is None
    ]
    if not drifted:
        return

    def distinct(i, part) -> list[set]:
        return [set(distinct_values(part.iloc[:, k])) for k in range(part.shape[1])]

    def union(a: list[set], b: list[set]) -> list[set]:
        return [x | y for x, y in zip(a, b, strict=True)]

    values, _ = fold_partitions(distinct, union, X[[X.columns[j] for j in drifted]])
    for j, seen in zip(drifted, values, strict=True):
        summary.columns[j].values = seen


def fit_encoder_on_stream(encoder, X, sample_weight=None, seed: int = 0, summary=None, weigh=None):
    """Fit ``encoder`` (a TabularEncoder) on Dask ``X`` from one pass (see the module).

    ``summary``: a pass already made by the caller (an estimator's, whose
    sample carries the targets in columns after ``X``'s); ``weigh(rows,
    weights)``: the weights to fit sampled rows with instead of their own (an
    estimator's, times its class weights; ``rows`` hold the targets).
    """
    from dask.dataframe.utils import meta_nonempty

    from sknn.preprocessing._frame import validate_frame
    from sknn.sklearn_glue.dask_collections import require_dask, require_dask_frame

    require_dask_frame(X, type(encoder).__name__)
    meta = X._meta
    validate_frame(meta_nonempty(meta), encoder, reset=True)  # names and counts, from the meta
    names = np.asarray(meta.columns, dtype=object)
    if summary is None:
        require_dask("sample_weight", sample_weight)
        candidates = candidate_columns(meta, encoder_categorical(encoder, names))
        summary, _ = stream_summary(X, sample_weight, seed=seed, candidates=candidates)
        warn_objects_made_strings(summary, meta)
    n = len(names)
    refuse_no_rows(summary, type(encoder).__name__)
    refuse_infinite(summary, names)

    def weights_of(part: StreamSummary) -> np.ndarray:
        return part.weights if weigh is None else weigh(part.sample, part.weights)

    sample = summary.sample.iloc[:, :n].set_axis(meta.columns, axis=1)
    own = {j: (s.sample.iloc[:, 0], weights_of(s)) for j, s in summary.own_samples.items()}
    encoder._fit_frame(sample, weights_of(summary), column_facts(summary)[:n], own)
    return summary
