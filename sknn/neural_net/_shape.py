"""The built-in network's shape for a table: widths, numeric embedding, members.

What ``hidden_layer_sizes``, ``numeric_embedding`` and ``n_ensemble`` (or
their ``"auto"``) make of a table of ``n_train`` training rows. A fit stores
the choices as fitted attributes (:func:`network_choices`), and a saved model
is rebuilt from them alone.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

# hidden_layer_sizes="auto" and numeric_embedding="auto": below TINY_ROWS training
# rows the network is one hidden layer of TINY_HIDDEN units fed the scaled
# numbers as they are; from there one layer of AUTO_HIDDEN with piecewise-linear
# embeddings. 16 quantile bins of a few dozen rows hold 2-3 rows each: per-feature
# lookup tables that fit the noise of a micro table
TINY_ROWS = 64
TINY_HIDDEN = (64,)
AUTO_HIDDEN = (256,)
AUTO_EMBEDDING = "piecewise"


def micro(n_train: int) -> bool:
    """Whether ``n_train`` training rows make a micro table, which every ``"auto"``
    (network, members, and the learning rate in :mod:`~sknn.neural_net._plan`) treats
    as its own case."""
    return n_train < TINY_ROWS


def checked_hidden_layer_sizes(est) -> tuple[int, ...] | None:
    """The widths asked for (checked), or None for ``"auto"``."""
    sizes = est.hidden_layer_sizes
    if isinstance(sizes, str) and sizes == "auto":
        return None
    sizes = (sizes,) if isinstance(sizes, Integral | bool) else tuple(sizes)
    if not all(isinstance(s, Integral) and not isinstance(s, bool) and int(s) > 0 for s in sizes):
        raise ValueError(
            "hidden_layer_sizes must be a positive int or a sequence of positive "
            f"ints, got {est.hidden_layer_sizes!r}."
        )
    return tuple(int(s) for s in sizes)


def hidden_layers(est, n_train: int) -> tuple[int, ...]:
    """The hidden layer widths: ``hidden_layer_sizes``, or what ``"auto"`` makes of it.

    On 6 regression tables of 35-51 rows (the tiny benchmark's tuning half)
    one layer of 64 without numeric embeddings scored +0.009 R^2 above
    scikit-learn's MLP on average, the defaults for larger tables -0.060;
    32 or 128 units did worse than 64 (-0.017, -0.008).
    """
    if est.module is not None:
        return ()
    checked = checked_hidden_layer_sizes(est)
    if checked is None:  # "auto"
        return TINY_HIDDEN if micro(n_train) else AUTO_HIDDEN
    return checked


def fitted_sparse(est) -> bool:
    """Whether the estimator's encoder was fitted on a sparse matrix (and keeps rows sparse)."""
    return getattr(getattr(est, "encoder_", None), "sparse_input_", False)


def numeric_embedding(est, n_train: int) -> str | None:
    """``numeric_embedding``, or what ``"auto"`` makes of it (see :func:`hidden_layers`).

    A sparse ``X`` (its encoder fitted sparse) takes none: its columns meet the
    first layer as they are, their non-zeros only.
    """
    if est.module is not None:
        return None
    if fitted_sparse(est):
        if est.numeric_embedding not in ("auto", None):
            raise ValueError(
                f"numeric_embedding={est.numeric_embedding!r} embeds each column through "
                "a function of its value, which sparse X (kept sparse, its zeros never "
                "stored) cannot feed. Use numeric_embedding='auto' or None with sparse "
                "X, or pass X.toarray() for the embeddings."
            )
        return None
    if est.numeric_embedding == "auto":
        return None if micro(n_train) else AUTO_EMBEDDING
    return est.numeric_embedding


# values per numeric column of each embedding: the column itself and width - 1
# learned functions of it. Models saved before the width was a fitted choice
# had 4 for both, which is what they load with
EMBEDDING_WIDTHS = {"piecewise": 4, "periodic": 4}
LEGACY_EMBEDDING_WIDTH = 4


def embedding_width(embedding: str | None) -> int | None:
    """Values per numeric column of ``embedding`` (None: no embedding).

    Piecewise-linear embeddings 8 wide gained on the wide benchmark's tuning
    half (mean +0.0020; hpc_data, deliveries, DoctorContacts better beyond
    2 SE) but not on its report half, and with more epochs on small tables
    they cost 1.6x the fit time there (see
    benchmarks/results/accuracy_wide_diagnosis.md, round 3): 4 stays.
    """
    return None if embedding is None else EMBEDDING_WIDTHS[embedding]


# n_ensemble="auto": the implicit ensemble's members by training rows. Members
# cut variance, which small tables have much of; on large ones they mostly cost
# (the shared layers run once per member)
AUTO_MEMBERS = 8
AUTO_MEMBERS_LARGE = 4
AUTO_MEMBERS_LARGE_ROWS = 2_000
AUTO_MEMBERS_TINY = 16  # under TINY_ROWS training rows


def members(est, n_train: int, groups: int = 1) -> int:
    """``n_ensemble``, or what ``"auto"`` makes of it for ``n_train`` training rows.

    A cross-fitted fit (``groups > 1``) has one member a group. Otherwise
    16 under ``TINY_ROWS`` training rows, 8 below 2,000, 4 from there. On the wide
    benchmark's tuning half (9 tables of 8,000 rows or more) 4 members took
    0.51x the fit time of 8 at a mean R^2/accuracy change of -0.0001; on
    tables of 1,300 to 1,700 training rows (breast_cancer, digits, HMDA) 4
    members lost 0.002-0.004 accuracy. 2 members where one split is held out
    (5,000 rows and more), tried beside cross-fitting: on the 9 such tuning
    tables mean +0.0024 at 0.47-0.77x the time (DoctorContacts +0.023), but
    GSS7402 -0.004 beyond 2 SE, and on the report half hotel_rates -0.003
    (behind HistGradientBoosting beyond 2 SE with it): 4 stay.
    The 16 under ``TINY_ROWS``: on the tiny-tables benchmark's 16
    micro regressions of 20-51 rows (tuning half; 10 splits each) R^2 +0.036
    on average against 8 (from 0.019 behind scikit-learn's MLP to 0.017
    ahead), better on 8 tables (airmay, steamUse, petrol beyond 2 SE) and
    worse on 6 (none beyond 2 SE), worst split -2.00 against -2.77 (R^2 on
    a fold of 4-10 rows); 32 members +0.029, 16 with weight decay 1 +0.046
    (on the strength of one table, airmay). On npk and road, added to the
    benchmark after the choice, 16 members +0.071 and +0.023 against 8.
    A module of one's own is one network.
    """
    if est.module is not None:
        return 1
    if est.n_ensemble != "auto":
        return int(est.n_ensemble)
    if groups > 1:  # cross-fitted: one member a group
        return groups
    if micro(n_train):
        return AUTO_MEMBERS_TINY
    return AUTO_MEMBERS if n_train < AUTO_MEMBERS_LARGE_ROWS else AUTO_MEMBERS_LARGE


def network_choices(est, n_train: int, fold: np.ndarray | None = None) -> dict:
    """The built-in network's shape for ``n_train`` training rows, as fitted attributes.

    ``n_ensemble_``, ``n_groups_`` (a cross-fitted fit's folds, from each
    row's ``fold``; else 1),
    ``hidden_layer_sizes_``, ``numeric_embedding_`` and
    ``numeric_embedding_width_``: what the parameters, or their ``"auto"``,
    make of the table. The network is built, and rebuilt when a saved model
    is loaded, from these alone.
    """
    embedding = numeric_embedding(est, n_train)
    groups = 1 if fold is None else int(fold.max()) + 1
    return {
        "n_ensemble_": members(est, n_train, groups),
        "n_groups_": groups,
        "hidden_layer_sizes_": hidden_layers(est, n_train),
        "numeric_embedding_": embedding,
        "numeric_embedding_width_": embedding_width(embedding),
    }
