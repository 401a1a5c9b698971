"""Fitting a flagship estimator on a Dask collection: one pass, then a stream of partitions.

Memory holds a few partitions at a time, never the table:

1. **One pass** over the partitions (:func:`sknn.preprocessing._streamed.stream_summary`)
   gathers the encoder's exact column facts and a weighted sample of 100,000
   rows (targets and weights beside them), the targets' exact facts (the
   classes and their counts; the weighted moments that standardize regression
   targets; every target checked against the loss) and the validation rows.
2. **Validation rows**: each row draws a uniform ``u`` from a generator seeded
   by ``random_state`` and its partition's position; the rows with the
   smallest ``u`` below ``validation_fraction``, at most
   ``MAX_VALIDATION_ROWS``, are kept aside once, in memory, and every epoch
   leaves them out of training (the same ``u`` is drawn again).
3. **The encoder** fits from the facts and the sample (weighed by
   ``class_weight`` as in memory), the bin edges from the encoded sample.
4. **Training** runs the usual :class:`~sknn.training.Trainer` on a
   :class:`~sknn.training.streams.ChunkStream`: partitions in a fresh seeded
   order each epoch, two at a time shuffled together, the next two read and
   encoded on a background thread. Early stopping, best-epoch restore,
   calibration and the thread policy are the in-memory fit's.

Continuing a fitted model (``partial_fit``, or a fit with ``warm_start=True``)
runs the same pass, which checks every partition's targets against the fitted
ones before any training and picks the validation rows (none for
``partial_fit``: one epoch at a constant rate); the encoder, the target
encoding and the network are kept. The result is the same kind of fitted
estimator as an in-memory fit; a table its pandas frame's fit would cross-fit
(see :func:`~sknn.neural_net._cross_fit.n_folds`) is gathered after the pass
and fitted in memory, the very model its pandas frame gets.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from sknn.neural_net import _continue, _plan, _shape, _untrained, _user_callbacks
from sknn.neural_net._cross_fit import n_folds
from sknn.neural_net._data_parallel import train_on_dask
from sknn.neural_net._inputs import _warn_unseen, input_path, new_encoder
from sknn.neural_net._regression_losses import check_loss_params
from sknn.neural_net._streamed_targets import (
    W_COLUMN,
    Y_PREFIX,
    balanced_factors,
    check_continued_targets,
    check_partition_targets,
    class_weighed_rows,
    encode_targets,
    quietly_encoded,
    target_facts,
    targets_beside,
    targets_of_partition,
    weighed,
)
from sknn.preprocessing._categorical import unseen_values
from sknn.preprocessing._columns import explicit_categorical
from sknn.preprocessing._streamed import (
    candidate_columns,
    column_facts,
    fit_encoder_on_stream,
    refuse_no_rows,
    stream_summary,
    warn_objects_made_strings,
)
from sknn.sklearn_glue.callbacks import refuse_scoring_of_dask
from sknn.sklearn_glue.dask_collections import (
    partition_loader,
    persisted_rows,
    require_dask,
    require_dask_frame,
)
from sknn.sklearn_glue.dask_pairing import gathered
from sknn.training import TrainingData
from sknn.training.data import CPU_EVAL_CHUNK
from sknn.training.data_parallel import RankStream
from sknn.training.device import resolve_device
from sknn.training.generator import seeded_torch
from sknn.training.streams import ChunkStream

MAX_VALIDATION_ROWS = 100_000
BUFFER_PARTITIONS = 2
GATHER_BYTES = 256 * 2**20
_SEEDS = np.iinfo(np.int32).max


class _Smallest:
    """The rows of smallest ``u`` (at most ``limit``) and how many rows were candidates."""

    def __init__(self, u: np.ndarray, rows: pd.DataFrame, limit: int, n_candidates: int):
        keep = np.argsort(u, kind="stable")[:limit]
        self.u, self.rows, self.limit, self.n_candidates = (
            u[keep],
            rows.iloc[keep],
            limit,
            n_candidates,
        )

    def __add__(self, other: _Smallest) -> _Smallest:
        rows = pd.concat([self.rows, other.rows])
        u = np.concatenate([self.u, other.u])
        return _Smallest(u, rows, self.limit, self.n_candidates + other.n_candidates)


def _refuse(est, X, y, sample_weight) -> None:
    require_dask_frame(X, type(est).__name__)
    if est.module is not None:
        raise ValueError(
            "A module of your own is fed arrays in memory; fit it on a computed sample, or "
            "use sknn's own network (module=None) to stream a Dask DataFrame."
        )
    require_dask("y", y)
    require_dask("sample_weight", sample_weight)


def _uniform(seed: int, i: int, n: int) -> np.ndarray:
    """The validation draw of partition ``i``'s rows (the same at every pass)."""
    return np.random.default_rng([seed, i]).random(n)


def fit_streamed(est, X, y, sample_weight, reuse: bool, incremental: bool, classes=None):
    """Fit ``est`` on Dask ``X`` and ``y`` (see the module).

    ``reuse``: continue the fitted network (``partial_fit``, or a warm start)
    with its encoder and target encoding; ``incremental``: one epoch at a
    constant rate, no validation rows (``partial_fit``); ``classes``: the
    labels a first ``partial_fit`` names. The process's warning filters are
    left as found: Dask computes partitions on threads, where its own and
    scikit-learn's ``catch_warnings`` can leave a filter behind.
    """
    with warnings.catch_warnings():
        return _fit_streamed(est, X, y, sample_weight, reuse, incremental, classes)


def _fit_streamed(est, X, y, sample_weight, reuse: bool, incremental: bool, classes):
    _refuse(est, X, y, sample_weight)
    _user_callbacks.check_callbacks(est)
    _shape.checked_hidden_layer_sizes(est)
    from dask.dataframe.utils import meta_nonempty

    meta = X._meta
    validate_data(est, meta_nonempty(meta), reset=not reuse, skip_check_array=True)
    if est._y_numeric:
        check_loss_params(est)
    rng = est._rng if reuse else check_random_state(est.random_state)
    # peeked: a table gathered into memory then draws from the generator as its pandas
    # frame's fit does; a streamed fit makes the draw for real below
    seed = int(copy.deepcopy(rng).randint(_SEEDS))
    if reuse and getattr(est, "_stream_seed", None) is not None:
        seed = est._stream_seed  # a warm start validates on the rows the first fit held out
    fraction = 0.0 if est.early_stopping is False or incremental else est.validation_fraction
    encoder = est.encoder_ if reuse else new_encoder(est)
    names = np.asarray(meta.columns, dtype=object)
    named = hasattr(est, "feature_names_in_")  # the new encoder has no names yet
    candidates = candidate_columns(
        meta, explicit_categorical(encoder.categorical_features, names, named)
    )
    n_targets = 1 if y.ndim == 1 else y.shape[1]
    y_columns = [f"{Y_PREFIX}{k}" for k in range(n_targets)]

    def extra(i: int, frame: pd.DataFrame) -> dict:
        y2, weight = frame[y_columns].to_numpy(), frame[W_COLUMN].to_numpy()
        if np.isnan(weight).any():  # a Dask Series joined by index: rows of X without one
            raise ValueError(
                "sample_weight is missing for some rows of X: it holds NaN, or its index does "
                "not match X's (Dask lines them up by index). Take it from the same Dask "
                "DataFrame as X, e.g. ddf['weight']."
            )
        if not np.all(np.isfinite(weight) & (weight >= 0)):
            raise ValueError("sample_weight must be finite and 0 or more in every partition.")
        check_partition_targets(est, y2, weight)
        u = _uniform(seed, i, len(frame))
        picked = u < fraction
        valid = _Smallest(u[picked], frame[picked], MAX_VALIDATION_ROWS, int(picked.sum()))
        weights = np.array([weight.sum(), (weight**2).sum()])
        return {"valid": valid, "targets": target_facts(est, y2, weight), "weights": weights}

    summary, n_partitions = stream_summary(
        X,
        sample_weight,
        seed=seed,
        candidates=candidates,
        others=(y,),
        beside=targets_beside(n_targets),
        extra=extra,
        own_samples=not reuse,  # a continued fit keeps its encoder
    )
    refuse_no_rows(summary, type(est).__name__)
    if not reuse:
        warn_objects_made_strings(summary, meta)
    if not summary.extra["weights"][0] > 0:
        raise ValueError("sample_weight sums to zero; at least one sample needs a positive weight.")
    if _small_enough_to_gather(est, summary.n_rows, X.shape[1], reuse, incremental):
        # a small table cross-fits in memory (and a cross-fitted model continues so):
        # the very model its pandas frame gets
        X, y, *weight = gathered(X, y, *([] if sample_weight is None else [sample_weight]))
        return est._fit_all(X, y, weight[0] if weight else None, reuse, incremental, classes)
    refuse_scoring_of_dask(est)
    rng.randint(_SEEDS)  # the draw the seed was peeked from
    est._rng, est._stream_seed = rng, seed
    if reuse:
        check_continued_targets(est, summary, y_columns)
        _warn_unseen(_new_categories(est.encoder_, summary))
    else:
        est.encoder_ = encoder
        encode_targets(est, summary, y_columns, y.ndim == 1, classes)
        balanced = balanced_factors(est, summary.extra["targets"])
        # the encoder's statistics weigh the sampled rows by class_weight, as in memory
        weigh = functools.partial(
            class_weighed_rows, est, balanced, y_columns=y_columns, one_d=y.ndim == 1
        )
        fit_encoder_on_stream(encoder, X, summary=summary, weigh=weigh)
    return _train_on_stream(
        est, X, y, sample_weight, summary, seed, fraction, y_columns, reuse, incremental
    )


def _new_categories(encoder, summary) -> dict[str, list]:
    """The categories of the pass (exact) that the fitted encoder has not seen, by column."""
    found = {}
    for plan in encoder._columns:
        values = summary.columns[plan.index].values
        if plan.kind in ("onehot", "code") and values:
            new = unseen_values(pd.Series(list(values), dtype=object), plan)
            if new:
                found[plan.name] = new
    return found


def _small_enough_to_gather(
    est, n_rows: int, n_columns: int, reuse: bool, incremental: bool
) -> bool:
    """Whether an in-memory fit of the table would cross-fit (or continue a cross-fitted
    model), and the table is small (:data:`GATHER_BYTES` at most, as float64): then it
    is fitted in memory."""
    folds = n_folds(est, n_rows, incremental=incremental, reuse=reuse)
    return folds > 1 and n_rows * (n_columns + 2) * 8 <= GATHER_BYTES


def _train_on_stream(
    est, X, y, sample_weight, summary, seed, fraction, y_columns, reuse, incremental
):
    """Build the network from the sample (or continue it) and train it on the partitions."""
    path, encoder, n_x = input_path(est), est.encoder_, X.shape[1]
    one_d = y.ndim == 1
    pick = summary.extra["valid"]
    n_valid = len(pick.u)
    use_valid = fraction > 0 and n_valid > 0
    if est.early_stopping == "auto" and n_valid < _plan.MIN_AUTO_VALIDATION:
        use_valid = False
    if est.early_stopping is True and fraction > 0 and n_valid < 2:  # as in memory
        raise ValueError(
            f"early_stopping=True holds out each row with chance validation_fraction="
            f"{est.validation_fraction}, and {n_valid} of the {summary.n_rows} rows were: too "
            "few to judge an epoch by. Increase validation_fraction or the number of rows, "
            "or set early_stopping=False."
        )
    threshold = float(pick.u.max()) if use_valid else -1.0  # rows with u <= it validate
    held_out = f"validation_fraction={fraction} of the rows, as a stream draws them"
    _continue.note_held_out(est, held_out if use_valid else None, summary.n_rows, reuse=reuse)
    n_train = summary.n_rows - (n_valid if use_valid else 0)
    weight_sum, weight_squares = summary.extra["weights"]
    weighted = sample_weight is not None and not np.isclose(
        weight_squares * summary.n_rows, weight_sum**2
    )
    weighted = weighted or getattr(est, "class_weight", None) is not None
    mean_weight = weight_sum / summary.n_rows
    device = resolve_device("cpu" if est.data_parallel else est.device)

    def targets(y2, w):
        return quietly_encoded(est, y2[:, 0] if one_d else y2, w)

    balanced = balanced_factors(est, summary.extra["targets"])

    def data(X_frame, y2, w) -> TrainingData:
        codes = targets(y2, w)
        w = weighed(est, balanced, w, codes)
        if len(X_frame):
            X_enc = encoder._transform(X_frame, owner=est)
        else:  # an empty partition (or every row of one held out): no rows, not an error
            X_enc = np.empty((0, len(encoder.get_feature_names_out())), dtype=np.float32)
        w_t = torch.as_tensor(w / mean_weight, dtype=torch.float32, device=device)
        return TrainingData(
            torch.as_tensor(X_enc, device=device),
            torch.as_tensor(est._adapt_targets(codes), device=device),
            w_t if weighted else None,
        )

    loader, n_partitions = partition_loader(
        X, y, *([] if sample_weight is None else [sample_weight])
    )

    def load(i: int, parts: tuple | None = None) -> TrainingData:
        """Partition ``i``, encoded: computed here, or ``parts`` as a rank received it."""
        parts = loader(i) if parts is None else parts
        X_part = parts[0]
        y2 = targets_of_partition(parts[1], len(X_part), len(y_columns))
        w = np.ones(len(X_part)) if len(parts) < 3 else np.asarray(parts[2], dtype=np.float64)
        keep = np.flatnonzero(_uniform(seed, i, len(X_part)) > threshold)
        rows = data(X_part.iloc[keep], y2[keep], w[keep])
        if count is not None:  # in this process: each partition's rows counted once
            count(i, rows)
        return rows

    def held_rows(rows: pd.DataFrame) -> TrainingData:
        """Rows kept by the pass (inputs, then targets and weight beside them), encoded."""
        X_rows = rows.iloc[:, :n_x].set_axis(X.columns, axis=1)
        return data(X_rows, rows[y_columns].to_numpy(), rows[W_COLUMN].to_numpy())

    sample = summary.sample
    X_build = encoder._transform(sample.iloc[:, :n_x].set_axis(X.columns, axis=1), owner=est)
    with contextlib.ExitStack() as seeded:  # torch seeded for the network (and dropout)
        torch_seed = _plan.torch_seed(est._rng)
        seeded.enter_context(seeded_torch(torch_seed, device))
        if reuse:
            _plan.continued_network(est, path, device)
        else:
            for name, value in _shape.network_choices(est, n_train).items():
                setattr(est, name, value)
            est._n_build_features = X_build.shape[1]
            probe = torch.as_tensor(X_build[:2], device=device)
            # the bin edges weigh the sample's rows by class_weight too, as in memory
            w_build = class_weighed_rows(est, balanced, sample, summary.weights, y_columns, one_d)
            _plan.new_network(est, path, X_build, w_build, probe, device)
        _plan.release_unless_drawing(est, seeded)
        valid = held_rows(pick.rows) if use_valid else None
        count = None
        if est.data_parallel == "dask":
            facts = column_facts(summary)[:n_x]
            had = [facts[c.index].n_missing > 0 for c in encoder._columns if c.kind == "code"]
            _untrained.count_streamed(est, reuse, had)
        else:
            count = _untrained.stream_counter(est, reuse)
        if est.data_parallel == "dask":  # each worker streams its own partitions
            head = held_rows(sample.iloc[:CPU_EVAL_CHUNK])
            ranks = functools.partial(_rank_stream, load, n_partitions, n_train, head)
            held = persisted_rows(X, y, *([] if sample_weight is None else [sample_weight]))
            train_on_dask(est, ranks, valid, torch_seed, incremental, persisted=held)
            return est
        stream = ChunkStream(load, n_partitions, n_train, BUFFER_PARTITIONS)
        est._train(path, stream, valid, device, torch_seed, incremental, (X, y, sample_weight))
    return est


def _rank_stream(load, n_partitions: int, n_train: int, head, rank: int, world: int, parts=None):
    """Rank ``rank`` of ``world``'s own rows, built on its worker: partitions ``rank``,
    ``rank + world``, ... streamed as in one process, stepped with the other ranks.

    ``parts``: those partitions as the rank received them, for collections persisted on
    the cluster (which only the cluster's scheduler can compute); else each is computed
    on the worker when the stream reaches it.
    """
    mine = list(range(rank, n_partitions, world))
    about = n_train * len(mine) // max(1, n_partitions)  # its rows, for the cache's budget

    def fetch(j: int) -> TrainingData:
        return load(mine[j], None if parts is None else parts[j])

    stream = ChunkStream(fetch, len(mine), about, BUFFER_PARTITIONS)
    return RankStream(stream, n_train, head, rank, world)
