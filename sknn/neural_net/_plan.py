"""The training plan of a flagship fit: split, tensors, losses, optimizer, schedule, stopper.

Functions of the estimator's parameters and the prepared data; the fit in
:mod:`sknn.neural_net._base` calls them in order and hands the result to the
:class:`~sknn.training.Trainer`.
"""

from __future__ import annotations

import contextlib
import inspect
import math

import numpy as np
import torch
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split

from sknn.neural_net import _continue
from sknn.neural_net._criterion import criterion_contract, user_loss
from sknn.neural_net._custom import param_groups, refreeze
from sknn.neural_net._outputs import check_rows, probe_output_kind
from sknn.neural_net._routed import nested
from sknn.neural_net._shape import TINY_ROWS, micro
from sknn.training import EarlyStopping, History, TrainingData
from sknn.training.calibration import calibrated_loss
from sknn.training.device import exact_float
from sknn.training.losses import combined_loss, members_loss, out_of_fold, task_loss
from sknn.training.optim import make_optimizer
from sknn.training.optim_checks import finite_number
from sknn.training.schedules import Schedule

# "auto" early stopping holds out a validation set only when it would have at
# least this many rows: fewer make the stopping decision mostly noise.
MIN_AUTO_VALIDATION = 10
# Adam's second-moment memory: shorter than torch's 0.999, it adapts faster as
# the rate changes (RealMLP's choice)
ADAM_BETAS = (0.9, 0.95)


def auto_batch_size(n_train: int) -> int:
    """About 4% of the rows, as a power of two between 32 and 512.

    Steps of few rows are dominated by per-step work (a batch of 32 costs ~45
    us a row on one thread, one of 128 ~25 us); on the wide benchmark's tuning
    half 4% of the rows with the rate below took 0.66x the time of 1% and no
    table scored worse beyond 2 SE.
    """
    size = 2 ** round(math.log2(max(n_train, 1) / 25)) if n_train > 25 else 32
    return int(min(n_train, min(512, max(32, size))))


# learning_rate="auto": AUTO_RATE for batches of AUTO_RATE_BATCH rows, growing as
# (batch / AUTO_RATE_BATCH) ** AUTO_RATE_POWER, since a larger batch averages out more
# noise (4e-3 at 512 rows). Where that rule was not chosen (see learning_rate) the
# rule before round 6: EARLIER_RATE at 32 rows, growing with the square root
AUTO_RATE = 1.5e-3
AUTO_RATE_POWER = 0.35
AUTO_RATE_BATCH = 32
EARLIER_RATE = 1e-3
EARLIER_RATE_POWER = 0.5


def learning_rate(est, batch_size: int, n_train: int, incremental: bool = False) -> float:
    """``learning_rate``, or what ``"auto"`` makes of it for ``n_train`` rows in batches
    of ``batch_size`` (``incremental``: one ``partial_fit`` chunk).

    Chosen on the wide benchmark's tuning half, against the earlier rule
    (round 6): 1.5e-3 growing with the 0.35th power of the batch gave small
    tables, trained in batches of 32-64 rows, 1.5x and 1.35x the rate and
    left batches of 512 where they were. Mean accuracy / R^2 +0.0009, Boston
    +0.006 beyond 2 SE, no table worse beyond 2 SE, 0.93x the fit time
    (early stopping ends sooner). Twice the rate everywhere gained more on
    Boston and hpc_data (+0.009, +0.010) but lost wage and CPS1988 beyond
    2 SE; 2e-3 growing with the 0.25th power +0.0004. The earlier rule stays where the
    new one was not chosen or lost: under ``TINY_ROWS`` training rows (the
    tiny-tables benchmark's micro regressions, tuning half: -0.009 R^2 on
    average, hills -0.039), for a regressor's ``loss`` other than squared
    error and for a ``criterion`` (quantiles, 4 seeds: the median's test
    coverage off by 0.050 on average against 0.030), for a module of one's
    own, and for ``partial_fit``, whose chunks were never measured (and
    whose rate would otherwise jump with a chunk's size).
    """
    if est.learning_rate != "auto":
        return float(est.learning_rate)
    default_loss = est.criterion is None and (is_classifier(est) or est.loss == "squared_error")
    earlier = est.module is not None or incremental or micro(n_train) or not default_loss
    rate, power = (EARLIER_RATE, EARLIER_RATE_POWER) if earlier else (AUTO_RATE, AUTO_RATE_POWER)
    return rate * (batch_size / AUTO_RATE_BATCH) ** power


# max_iter="auto": epochs for sknn's own network and for a module of one's own,
# raised where a fit would take fewer optimizer steps than MIN_AUTO_STEPS
AUTO_EPOCHS = 40
AUTO_EPOCHS_MODULE = 200
MIN_AUTO_STEPS = 500


def epochs(est, n_train: int, batch_size: int) -> int:
    """The epochs a fit may run: ``max_iter``, or what ``"auto"`` resolves to.

    A tiny table gives a few batches an epoch: 40 epochs of 60 rows are 80
    optimizer steps, too few to fit even two features (make_circles, 10 splits:
    accuracy 0.79 against 0.88 with 500 steps). A module of one's own has
    no tuned budget: its schedule spans 200 epochs and early stopping ends it.
    """
    if est.max_iter != "auto":
        return int(est.max_iter)
    base = AUTO_EPOCHS if est.module is None else AUTO_EPOCHS_MODULE
    return max(base, math.ceil(MIN_AUTO_STEPS / math.ceil(n_train / batch_size)))


def batch_size(est, n_train: int) -> int:
    size = auto_batch_size(n_train) if est.batch_size == "auto" else est.batch_size
    return min(size, n_train)


def split(est, n_samples: int, stratify, incremental: bool, rng):
    """Indices of the training and (optional) validation rows, drawn by ``rng``."""
    all_idx = np.arange(n_samples)
    if incremental or est.early_stopping is False:
        return all_idx, None
    n_valid = math.ceil(est.validation_fraction * n_samples)
    if est.early_stopping == "auto" and n_valid < MIN_AUTO_VALIDATION:
        return all_idx, None
    if n_samples - n_valid < 1:
        raise ValueError(
            f"early_stopping=True holds out validation_fraction="
            f"{est.validation_fraction} of the {n_samples} samples, leaving none to "
            "train on; pass more samples or set early_stopping=False."
        )
    if n_valid < 2:  # as scikit-learn's MLPs refuse it
        raise ValueError(
            f"early_stopping=True holds out validation_fraction={est.validation_fraction} "
            f"of the {n_samples} samples: {n_valid} row, too few to judge an epoch by (a "
            "score of one row is undefined). Increase validation_fraction or the number of "
            "samples, or set early_stopping=False."
        )
    # a class of one row always trains (held out, no epoch would see it); the rest stratified
    lone = np.zeros(n_samples, dtype=bool)
    if stratify is not None:
        lone = np.bincount(stratify)[stratify] < 2
        counts = np.bincount(stratify[~lone])
        counts = counts[counts > 0]
        n_rest = n_samples - int(lone.sum())
        if not len(counts) or n_valid < len(counts) or n_rest - n_valid < len(counts):
            lone[:], stratify = False, None
        else:
            stratify = stratify[~lone]
    train, valid = train_test_split(
        all_idx[~lone],
        test_size=n_valid,
        random_state=rng.randint(np.iinfo(np.int32).max),
        stratify=stratify,
    )
    return np.concatenate([train, all_idx[lone]]), valid


def training_data(path, X, y_enc, weight, idx, device) -> TrainingData:
    """Rows ``idx`` as tensors on ``device``; weights normalized to mean 1."""
    w = weight[idx]
    w_t = None
    if not np.all(w == w[0]):
        w_t = torch.as_tensor(w / w.mean(), dtype=torch.float32, device=device)
    return TrainingData(
        X=path.tensors(X, idx, device),
        y=torch.as_tensor(y_enc[idx], device=device),
        weight=w_t,
    )


def new_network(est, path, X_build, weight_build, probe, device: torch.device) -> None:
    """A new network from training rows ``X_build`` (``probe``: two rows held to the
    output contract), its optimizer and an empty history, set on ``est``."""
    est.module_ = path.build(X_build, est._n_model_outputs, weight_build)
    est.module_.to(device)
    est._output_kind = probe_output_kind(est.module_, probe, est._task(), est._n_model_outputs)
    est.optimizer_ = build_optimizer(est, path, est.module_, device)
    est._network_settings = _continue.settings(est, _continue.NETWORK)
    est._frozen_patterns = list(est.frozen or ())
    est.history_ = History()


def continued_network(est, path, device: torch.device) -> None:
    """The fitted network, on ``device``, with a new optimizer if its settings changed."""
    if next(est.module_.parameters()).device != device:
        est._move_to(device)
    if _continue.optimizer_changed(est):  # honoured with a new optimizer
        # the fitted weights freeze and thaw by the new patterns (train a head, then all)
        refreeze(est.module_, getattr(est, "_frozen_patterns", ()), est.frozen or ())
        est._frozen_patterns = list(est.frozen or ())
        est.optimizer_ = build_optimizer(est, path, est.module_, device)


def build_optimizer(est, path, module: torch.nn.Module, device: torch.device):
    """The optimizer over the trainable parameters, with per-pattern rate factors.

    The user's ``lr_multipliers`` win over the network's own factors
    (``path.lr_multipliers``): one of these applies only to the trainable
    parameters no user pattern matches, and is dropped where it matches none
    (all frozen, or all the user's).
    """
    params = param_groups(
        module, checked_multipliers(est.lr_multipliers), path.lr_multipliers(module)
    )
    if not params:
        if not any(True for _ in module.parameters()):
            raise ValueError(
                "The module has no parameters (no layer with weights); nothing would train. "
                "Give it a trainable layer, e.g. torch.nn.Linear."
            )
        raise ValueError("Every parameter of the module is frozen; nothing would train.")
    kwargs = nested(est, "optimizer__")
    if est.optimizer in ("adam", "adamw"):
        kwargs.setdefault("betas", ADAM_BETAS)
    # every fit sets the groups' rates anew (reset_learning_rate, from the fit's own rows
    # and batch); this one only starts them
    rate = getattr(est, "learning_rate_", None) or learning_rate(est, AUTO_RATE_BATCH, TINY_ROWS)
    if isinstance(est.optimizer, type):
        return class_optimizer(est.optimizer, params, rate, est.weight_decay, kwargs)
    return make_optimizer(
        est.optimizer, params, rate, est.weight_decay, device, option_prefix="optimizer__", **kwargs
    )


def checked_multipliers(given) -> dict[str, float]:
    """``lr_multipliers`` as a dict, each factor a finite number >= 0 (0 freezes the rate)."""
    multipliers = dict(given or {})
    for pattern, factor in multipliers.items():
        if not isinstance(pattern, str):
            raise ValueError(
                f"lr_multipliers key {pattern!r} must be a glob pattern string of "
                "parameter names, such as 'backbone.*'."
            )
        value = finite_number(factor)
        if value is None or value < 0:
            raise ValueError(
                f"lr_multipliers[{pattern!r}]={factor!r} must be a finite number >= 0: it "
                "multiplies learning_rate (a negative factor would climb the loss). Use 0 "
                "to stop that group learning, or freeze it with frozen=[...]."
            )
        multipliers[pattern] = value
    return multipliers


def class_optimizer(cls: type, params, rate: float, weight_decay: float, kwargs: dict):
    """A ``torch.optim`` class (or one of the user's) built over ``params``.

    ``weight_decay`` is passed only where the class takes it; a class whose
    ``step`` needs a closure (``torch.optim.LBFGS``) is refused, as sknn's
    trainer steps without one.
    """
    name = getattr(cls, "__name__", repr(cls))
    step = getattr(cls, "step", None)
    try:
        arguments = list(inspect.signature(step).parameters.values())[1:] if step else []
    except (TypeError, ValueError):
        arguments = []
    if any(
        a.default is a.empty and a.kind in (a.POSITIONAL_ONLY, a.POSITIONAL_OR_KEYWORD)
        for a in arguments
    ):
        raise ValueError(
            f"optimizer={name} needs a closure at every step (it re-evaluates the loss), "
            "which sknn's trainer does not pass; use a first-order optimizer such as "
            "optimizer='adamw' or torch.optim.Adam."
        )
    if _takes_keyword(cls, "weight_decay"):
        kwargs = {"weight_decay": weight_decay, **kwargs}
    elif weight_decay != 0:
        raise ValueError(
            f"optimizer={name} takes no weight_decay argument, but weight_decay="
            f"{weight_decay!r}; set weight_decay=0, or use an optimizer class that takes "
            "weight_decay (e.g. torch.optim.AdamW)."
        )
    return cls(params, lr=rate, **kwargs)


def _takes_keyword(cls: type, name: str) -> bool:
    """Whether ``cls(...)`` takes ``name`` (or any keyword); True where its signature is unknown."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(
        p.kind is p.VAR_KEYWORD
        or (p.name == name and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        for p in parameters
    )


def losses(est, *, held_out: bool, incremental: bool):
    """The objective, the same loss without label smoothing, and the ensemble's loss.

    Each takes raw network outputs, checks them against the output contract
    and sees them as ``(batch, k, width)``: the first two train (and report)
    every member, the last scores the combined prediction (after its
    temperature, where one is fitted after the fit: :func:`after_temperature`). A ``criterion``
    replaces the task's loss in all three. ``held_out``: validation rows will
    fit a temperature, which undoes label smoothing; ``incremental``: a
    ``partial_fit``, which keeps the temperature fitted before.
    """
    kind, smoothing = est._output_kind, est._label_smoothing(held_out, incremental)
    plain = est._plain_loss()  # refuses a criterion beside another built-in loss
    if est.criterion is not None:
        plain = objective = user_loss(
            est.criterion, nested(est, "criterion__"), criterion_contract(kind)
        )
    else:
        objective = task_loss(kind, smoothing) if smoothing else plain

    def on_members(loss):
        def on_rows(out, y, weight):
            check_rows(tuple(out.shape), len(y))
            return loss(est._as_members(out), y, weight)

        return on_rows

    report = None if objective is plain else on_members(members_loss(plain))
    ensemble = on_members(combined_loss(plain, kind))
    if est._calibrates(held_out=held_out, incremental=incremental):
        ensemble = after_temperature(est)
    return on_members(members_loss(objective)), report, ensemble


def after_temperature(est):
    """The ensemble's validation loss after the temperature fitted to it: what early
    stopping judges a classifier by when a temperature calibrates it after the fit
    (see :func:`~sknn.training.calibration.calibrated_loss`)."""
    loss = task_loss(est._output_kind)

    def calibrated(out, y, weight):
        value = calibrated_loss(*temperature_inputs(est, out, y, weight), loss)
        return torch.tensor(value, dtype=torch.float64)

    return calibrated


def temperature_inputs(est, out: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None):
    """``(logits, y, weight)`` of validation outputs, in float64 (float32 on MPS, which
    has no float64), as temperature scaling takes them (see :func:`validation_output`)."""
    exact = exact_float(out.device)
    weight = None if weight is None else weight.to(exact)
    logits, rows = validation_output(est, out.to(exact), weight)
    return logits, (y.to(exact) if y.is_floating_point() else y), rows


def validation_output(est, out: torch.Tensor, weight: torch.Tensor | None):
    """The combined output and row weights of validation data: a cross-fitted row
    combines only the members that never trained on it (see
    :func:`~sknn.training.losses.out_of_fold`)."""
    return out_of_fold(est._as_members(out), est._output_kind, weight)


def members_score(est):
    """The validation score of the members' combined prediction, from raw outputs."""
    score = est._score_fn()

    def members(out, y, weight):
        combined, rows = validation_output(est, out, weight)
        return score(combined, y, rows)

    return members


def reset_learning_rate(est, optimizer) -> None:
    """Every group back to ``learning_rate_`` times its factor: a schedule is per fit."""
    for group in optimizer.param_groups:
        scaled = est.learning_rate_ * group.get("lr_multiplier", 1.0)
        group["lr"] = group["initial_lr"] = scaled


def schedule(est, max_epochs: int, incremental: bool) -> Schedule:
    return Schedule(
        "constant" if incremental else est.lr_schedule,
        max_epochs,
        patience=max(1, est.n_iter_no_change // 2),
    )


def stopper(est, incremental: bool, *, has_valid: bool) -> EarlyStopping:
    return EarlyStopping(
        None if incremental else est.n_iter_no_change,
        est.tol * getattr(est, "_tol_scale", 1.0),  # a log link's deviance at the mean
        monitor="valid_loss" if has_valid else "train_loss",
    )


def torch_seed(rng: np.random.RandomState) -> int:
    """The fit's seed for torch, drawn from its random stream."""
    return int(rng.randint(np.iinfo(np.int32).max))


def release_unless_drawing(est, seeded: contextlib.ExitStack) -> None:
    """Give torch's generator (and its lock) back unless training draws (dropout, a module)."""
    if est.module is None and est.dropout == 0:
        seeded.close()
