"""Cross-fitting: on small tables every row trains some members and validates the others.

Where ``early_stopping="auto"`` would hold out one validation split, a table
of at most :data:`CROSS_FIT_ROWS` rows (fewer than 5,000 for a classifier) is
cut into :data:`CROSS_FIT_FOLDS` folds instead, and the network's members into
as many groups, each with embeddings and hidden layers of its own
(``TabularMLP(n_groups=...)``). The training and validation data then hold
every row, weighted per row and member: a member of group ``g`` trains on the
rows outside fold ``g`` and validates fold ``g`` (see :func:`sknn.training.losses.out_of_fold`).
"""

from __future__ import annotations

import inspect

import numpy as np
import torch
from sklearn.base import is_classifier

from sknn.neural_net import _continue, _plan, _shape
from sknn.preprocessing._user_warnings import warn_user
from sknn.training import TrainingData

# early_stopping="auto" up to CROSS_FIT_ROWS rows (where it would hold out a
# validation split): cross-fitting. The rows fall into CROSS_FIT_FOLDS folds and
# the members into as many groups with hidden layers of their own; group g trains
# on the rows outside fold g, and each row is validated on the group that never
# trained on it. Every row trains and every row validates. On the wide
# benchmark's tuning half, over one held-out split: four separate networks
# +0.0032 mean R^2 / accuracy (Boston +0.037, Housing +0.018, ames and hpc_data
# +0.008), one network of four groups +0.0024 (Boston +0.037) when the groups
# still shared their embeddings. Those leaked: a row's label reached its own
# group through a category embedding the other groups trained (unique-ID
# categories and coin-flip labels validated at 0.60-0.67), so every group now
# has its own. As built, in one run beside the defaults before it (python
# benchmarks/accuracy.py --wide): tuning half +0.0029 (3 tables better beyond
# 2 SE, none worse), report half +0.0049 (5 better, none worse), 1.08-1.13x
# the fit time. Auto members: one a group. Round 5 took it from under 5,000 rows
# to 20,000 (the wide benchmark caps training there): on the tuning half's 10
# tables of 5,000 rows and more, in a screen against the held-out split,
# DoctorContacts +0.078 R^2 and VietNamI +0.012 (both behind
# HistGradientBoosting before), mean +0.0093, no table worse by more than 0.0004.
# The gains were the regressions': its classification tables moved -0.0004 to
# +0.0002 (the report half's wa_churn +0.0026 within noise) at 1.3-1.7x the fit
# time, so classifiers keep the held-out split from CROSS_FIT_ROWS_CLASSIFIER.
CROSS_FIT_ROWS = 20_000
CROSS_FIT_ROWS_CLASSIFIER = 4_999
CROSS_FIT_FOLDS = 4
# ... and from CROSS_FIT_MIN_ROWS rows. Until round 7 it began where a held-out
# split would have had 10 rows (91 rows at validation_fraction=0.1), though out
# of fold every row validates, and tables of 64-90 rows trained their whole
# schedule unchecked. On the tiny-tables benchmark's tuning half (10 splits)
# from 64: four real regressions of 82-110 rows R^2 +0.04 to +0.78 (Leinhardt
# from 0.37 behind scikit-learn's MLP to 0.41 ahead, planets from 0.35 behind
# to level), three 100-row toy classifications -0.025 to +0.010 (moons: still
# 0.08 ahead). Below 64 rows (folds of 5-15 rows) it was a lottery: npk and
# airmay +0.8, aircraft -1.7 R^2 (mean -0.05 over 18 micro regressions)
CROSS_FIT_MIN_ROWS = _shape.TINY_ROWS


def cross_fit_folds(
    est, n_samples: int, stratify, *, incremental: bool, reuse: bool, rng
) -> np.ndarray | None:
    """Each row's fold (``0..folds-1``, stratified) when this fit cross-fits, else None
    (see :func:`n_folds`)."""
    folds = n_folds(est, n_samples, incremental=incremental, reuse=reuse)
    if folds == 1:
        return None
    order = rng.permutation(n_samples)
    if stratify is not None:  # each class dealt round the folds in turn
        order = order[np.argsort(stratify[order], kind="stable")]
    fold = np.empty(n_samples, dtype=np.int64)
    fold[order] = np.arange(n_samples) % folds
    return fold


def n_folds(est, n_samples: int, *, incremental: bool, reuse: bool) -> int:
    """How many folds a fit of ``n_samples`` rows cross-fits in (1: it does not).

    A new network cross-fits under ``early_stopping="auto"`` on tables of
    :data:`CROSS_FIT_MIN_ROWS` to :data:`CROSS_FIT_ROWS` rows
    (:data:`CROSS_FIT_ROWS_CLASSIFIER` for a classifier), when its members divide into
    the folds' groups (and numbers are not embedded periodically); a warm
    start continues a cross-fitted network the same way. A partial fit, a
    data-parallel fit, a module of one's own, a ``criterion`` given as a
    callable (it may return one number a batch) and ``loss="quantile"`` (its
    conformalized band) never do.
    """
    if incremental or est.early_stopping != "auto" or est.module is not None:
        return 1
    if est.data_parallel:
        return 1
    if est.criterion is not None and not isinstance(est.criterion, type):
        return 1  # a callable may answer one number a batch: no per-row weights
    if getattr(est, "loss", None) == "quantile":
        # conformalized quantiles calibrate the band that predicts: one group's
        # out-of-fold band is wider than the four groups' average, and over-covered
        # (regression_losses.py: 0.92-0.94 where a held-out split gave 0.89-0.90)
        return 1
    if n_samples < CROSS_FIT_MIN_ROWS:
        return 1
    if reuse:
        return getattr(est, "n_groups_", 1)
    k = CROSS_FIT_FOLDS if est.n_ensemble == "auto" else int(est.n_ensemble)
    fits = (
        n_samples <= (CROSS_FIT_ROWS_CLASSIFIER if is_classifier(est) else CROSS_FIT_ROWS)
        and k % CROSS_FIT_FOLDS == 0
        and _shape.numeric_embedding(est, n_samples) != "periodic"  # learned before its cosine
    )
    return CROSS_FIT_FOLDS if fits else 1


def fit_rows(est, n_samples: int, stratify, *, incremental: bool, reuse: bool):
    """``(fold, train_idx, valid_idx)``: each row's fold and every row when this fit
    cross-fits, else no folds and :func:`~sknn.neural_net._plan.split`'s rows."""
    rng = _split_rng(est, reuse)
    fold = cross_fit_folds(est, n_samples, stratify, incremental=incremental, reuse=reuse, rng=rng)
    if fold is None:
        train, valid = _plan.split(est, n_samples, stratify, incremental, rng)
        held_out = (
            None if valid is None else f"validation_fraction={est.validation_fraction} of the rows"
        )
        _continue.note_held_out(est, held_out, n_samples, reuse=reuse)
        return None, train, valid
    _warn_if_fraction_unused(est, n_samples)
    _continue.note_held_out(
        est, f"{int(fold.max()) + 1} cross-fitted folds", n_samples, reuse=reuse
    )
    every = np.arange(n_samples)
    return fold, every, every


def _split_rng(est, reuse: bool):
    """The generator that deals the validation rows (or the folds).

    A fresh fit deals them from the estimator's generator and keeps its state;
    a warm start replays that state, so the same rows validate again: a new
    deal would train every group on rows it had validated, and the validation
    score, the best epoch and the temperature would watch rows the network
    had learned (on coin-flip labels the score climbed from 0.55 to 0.92 in
    six warm starts).
    """
    if not reuse or not hasattr(est, "_split_state"):
        est._split_state = est._rng.get_state()
        return est._rng
    replayed = np.random.RandomState()
    replayed.set_state(est._split_state)
    return replayed


def _warn_if_fraction_unused(est, n_samples: int) -> None:
    """A ``validation_fraction`` of the user's own would be ignored, silently, by a cross-fit."""
    default = inspect.signature(type(est)).parameters["validation_fraction"].default
    if est.validation_fraction == default:
        return
    warn_user(
        f"validation_fraction={est.validation_fraction!r} has no effect on this fit: with "
        f'early_stopping="auto", a table of {n_samples} rows is cross-fitted instead (every '
        f"row validates, in {CROSS_FIT_FOLDS} folds, the members that never trained on it). "
        "Pass early_stopping=True to hold out validation_fraction of the rows."
    )


def cross_fitted_data(path, X, y_enc, weight, fold, n_members: int, device):
    """Training and validation data of a cross-fitted fit: every row in both.

    Their weights are ``(rows, members)``: a member of group ``g`` trains on
    the rows outside fold ``g`` and is what validates fold ``g``.
    """
    folds = int(fold.max()) + 1
    group = np.arange(n_members) // (n_members // folds)  # each member's group
    w = weight / weight.mean()
    inside = fold[:, None] == group[None, :]  # (rows, members)
    X_t = path.tensors(X, slice(None), device)
    y_t = torch.as_tensor(y_enc, device=device)

    def weighted(mask):
        return torch.as_tensor(w[:, None] * mask, dtype=torch.float32, device=device)

    # validated out of fold only: each row through the one group that never trained
    # on it (TabularMLP's ``fold``), not through every group
    valid_X = {"x": X_t, "fold": torch.as_tensor(fold, device=device)}
    return (
        TrainingData(X=X_t, y=y_t, weight=weighted(~inside)),
        TrainingData(X=valid_X, y=y_t, weight=weighted(inside)),
    )


def fit_data(est, path, data, rows, device):
    """The training and (or None) validation data of a fit.

    ``data`` is ``(X, y_enc, weight)``, ``rows`` what :func:`fit_rows` returned.
    """
    X, y_enc, weight = data
    fold, train_idx, valid_idx = rows
    if fold is not None:
        return cross_fitted_data(path, X, y_enc, weight, fold, est.n_ensemble_, device)
    train = _plan.training_data(path, X, y_enc, weight, train_idx, device)
    if valid_idx is None:
        return train, None
    return train, _plan.training_data(path, X, y_enc, weight, valid_idx, device)
