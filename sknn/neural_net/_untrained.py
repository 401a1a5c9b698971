"""Category embeddings that no training row reached, settled where the trained ones are.

A category embedded by sknn's network (a column of more than
``max_onehot_cardinality`` categories) has an embedding row per code: one per
category seen at fit, one for categories never seen, one for missing values.
A row no training row reaches keeps its random initial vector, so a category
unseen at fit (or a missing value in a column that had none) got an arbitrary,
often confident answer that changed with ``random_state`` alone: P(class 1)
from 0.01 to 0.93 over six seeds on classes of prior 0.5, where a one-hot
column (all zeros for such a value) answers near the prior. Every fit counts
the rows reaching each code (per group of members: a cross-fitted group
never trains on the rows of its own fold) and, once its weights are kept,
sets the rows it never trained to the trained rows' count-weighted mean: such
a value is answered as an average category of its column.

A fit continued (``warm_start``, ``partial_fit``) adds its counts to the
earlier fits'. A Dask DataFrame streamed is counted as each partition is first
read (its training rows of positive weight, as in memory); streamed
data-parallel, on workers whose counts do not come back, every category the
encoder saw is taken as trained, and the unseen code is settled, and the
missing one where the pass saw no missing value. A model saved before counts
existed is left as it is.
"""

from __future__ import annotations

import threading

import numpy as np
import torch

from sknn.nn.tabular import TabularMLP, code_counts, settle_untrained_codes
from sknn.preprocessing._categorical import MISSING_CODE, UNSEEN_CODE

_COUNTS = "_code_counts"  # per embedded column, (cardinality, n_groups) rows reaching each code


def _embedded(est) -> TabularMLP | None:
    module = getattr(est, "module_", None)
    return module if isinstance(module, TabularMLP) and len(module.embeddings) else None


def _record(est, counts: list[np.ndarray] | None, reuse: bool) -> None:
    before = getattr(est, _COUNTS, None) if reuse else []
    if counts is None or before is None:  # nothing embedded, or earlier fits not counted
        setattr(est, _COUNTS, None)
    elif not before:
        setattr(est, _COUNTS, counts)
    else:
        setattr(est, _COUNTS, [a + b for a, b in zip(before, counts, strict=True)])


def count_rows(est, train, reuse: bool) -> None:
    """Count the training rows reaching each code (``train``: the fit's training data)."""
    module = _embedded(est)
    if module is None or not isinstance(train.X, torch.Tensor):
        _record(est, None, reuse)
        return
    counts = code_counts(module, train.X, train.weight)
    _record(est, [c.numpy() for c in counts], reuse)


def count_streamed(est, reuse: bool, had_missing: list[bool]) -> None:
    """A streamed fit's counts: every code trained but the unseen one's, and the missing
    one's where its column (``had_missing``: each embedded column's) had none."""
    module = _embedded(est)
    if module is None:
        _record(est, None, reuse)
        return
    counts = []
    for emb, missing in zip(module.embeddings, had_missing, strict=True):
        size = int(emb.get_parameter("weight").shape[0])
        count = np.ones((size, module.n_groups), dtype=np.int64)
        count[UNSEEN_CODE] = 0
        count[MISSING_CODE] = int(missing)
        counts.append(count)
    _record(est, counts, reuse)


def stream_counter(est, reuse: bool):
    """Counts for a fit streamed in this process, filled as its partitions are first
    read: the function that adds one partition's training rows (``add(i, data)``), or
    None where nothing is embedded or earlier fits were not counted."""
    module = _embedded(est)
    if module is None:
        _record(est, None, reuse)
        return None
    sizes = [int(emb.get_parameter("weight").shape[0]) for emb in module.embeddings]
    _record(est, [np.zeros((size, module.n_groups), dtype=np.int64) for size in sizes], reuse)
    totals, counted, lock = getattr(est, _COUNTS), set(), threading.Lock()
    if totals is None:
        return None

    def add(i: int, data) -> None:
        with lock:  # the stream reads ahead on a thread of its own
            if i in counted:
                return
            counted.add(i)
            for total, count in zip(totals, code_counts(module, data.X, data.weight), strict=True):
                total += count.numpy()

    return add


def settle(est) -> None:
    """Set the embedding rows no training row reached to the trained rows' mean."""
    module, counts = _embedded(est), getattr(est, _COUNTS, None)
    if module is not None and counts is not None:
        settle_untrained_codes(module, [torch.from_numpy(c) for c in counts])
