"""The stochastic solvers (``"sgd"``, ``"adam"``): scikit-learn's epoch loop on sknn's Trainer."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sknn.mlp._epoch_end import SklearnEpochEnd
from sknn.mlp._losses import LOSS_FUNCTIONS
from sknn.mlp._network import build_module, linear_layers, read_weights
from sknn.mlp._optimizers import AdamOptimizer, SGDOptimizer
from sknn.mlp._warnings import warn_as_sklearn
from sknn.nn import SparseRows
from sknn.sklearn_glue.callbacks import begin_fit
from sknn.training import History, Trainer, TrainingData
from sknn.training.threads import recommended_threads, torch_threads


def fit_stochastic(est, X, y, sample_weight, incremental: bool, device, raw=None) -> None:
    """Train the MLP ``est`` with its stochastic solver, as scikit-learn's ``_fit_stochastic``.

    A fresh optimizer for every ``fit`` (the same one across ``partial_fit``
    calls), scikit-learn's validation split, the epochs on sknn's
    :class:`~sknn.training.Trainer`, then the best weights (early stopping) or
    the last ones written back to ``coefs_`` and ``intercepts_``. ``raw`` is
    ``(X, y, sample_weight)`` as passed to ``fit``, for scikit-learn's callbacks.
    """
    if not incremental or not hasattr(est, "_optimizer"):
        est._optimizer = _new_optimizer(est)
    if est.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    if est.early_stopping:
        train, valid = _split(est, X, y, sample_weight)
    else:
        train, valid = (X, y, sample_weight), None
    n_samples = train[0].shape[0]
    batch_size = _batch_size(est, n_samples)
    dtype = est.coefs_[0].dtype
    module = build_module(est.coefs_, est.intercepts_, est.activation, device)
    # the L2 term's strength changes by batch (alpha / sw_sum): _with_l2 sets it
    optimizer = est._optimizer.start(module, 0.0, device)
    epoch_end = SklearnEpochEnd(
        est,
        est._optimizer,
        n_samples,
        early_stopping=est.early_stopping,
        float32_targets=str(getattr(y, "dtype", "")).endswith("float32"),
    )
    max_epochs = 1 if incremental else est.max_iter

    def snapshot(est):  # coefs_ and intercepts_ as trained so far
        return dict(zip(("coefs_", "intercepts_"), read_weights(module, dtype), strict=True))

    raw_X, raw_y, raw_weight = raw or (X, y, sample_weight)
    reported = begin_fit(est, raw_X, raw_y, raw_weight, max_epochs, snapshot)
    trainer = Trainer(
        module,
        _with_l2(LOSS_FUNCTIONS[est.out_activation_], module, est.alpha, optimizer),
        optimizer,
        batch_size=batch_size,
        max_epochs=max_epochs,
        stopper=epoch_end,
        score_fn=est._validation_score(),
        callbacks=[epoch_end, *reported],
        shuffle=est.shuffle,
        order=_SklearnOrder(n_samples, est._random_state) if est.shuffle else None,
        stop_on_divergence=False,
    )
    est.n_iter_ = 0
    n_params = sum(p.numel() for p in module.parameters())
    with torch_threads(recommended_threads(3 * batch_size * n_params, device)):
        trainer.fit(
            _tensors(train, dtype, device),
            None if valid is None else _tensors(valid, dtype, device),
            History(),
        )
    est._optimizer.finish()
    if trainer.interrupted:
        warn_as_sklearn("Training interrupted by user.")
    elif not incremental and not epoch_end.stopped and est.n_iter_ == est.max_iter:
        warn_as_sklearn(
            f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and "
            "the optimization hasn't converged yet.",
            ConvergenceWarning,
        )
    if est.early_stopping:
        if epoch_end.best_state is not None:
            module.load_state_dict(epoch_end.best_state)
            est._best_coefs, est._best_intercepts = read_weights(module, dtype)
        est.coefs_ = [c.copy() for c in est._best_coefs]
        est.intercepts_ = [b.copy() for b in est._best_intercepts]
    else:
        est.coefs_, est.intercepts_ = read_weights(module, dtype)


def _new_optimizer(est):
    if est.solver == "sgd":
        return SGDOptimizer(
            est.learning_rate_init,
            est.learning_rate,
            est.momentum,
            est.nesterovs_momentum,
            est.power_t,
        )
    return AdamOptimizer(est.learning_rate_init, est.beta_1, est.beta_2, est.epsilon)


def _split(est, X, y, sample_weight):
    """scikit-learn's validation split: the same rows for the same random_state."""
    # only binary targets are stratified, as in scikit-learn
    stratify = y if is_classifier(est) and est.n_outputs_ == 1 else None
    arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
    parts = train_test_split(
        *arrays,
        random_state=est._random_state,
        test_size=est.validation_fraction,
        stratify=stratify,
    )
    if parts[1].shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' or the "
            "size of your dataset."
        )
    train, valid = parts[0::2], parts[1::2]
    if sample_weight is None:
        train, valid = (*train, None), (*valid, None)
    elif not np.any(valid[2]):  # as scikit-learn's validation score raises, before training
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return train, valid


def _batch_size(est, n_samples: int) -> int:
    if est.batch_size == "auto":
        return min(200, n_samples)
    if est.batch_size > n_samples:
        warn_as_sklearn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
        )
    return int(np.clip(est.batch_size, 1, n_samples))


class _SklearnOrder:
    """Each epoch's row order, drawn as scikit-learn's MLP draws it.

    scikit-learn reshuffles the previous epoch's order with
    ``sklearn.utils.shuffle(order, random_state=rng)``, one permutation per epoch.
    """

    def __init__(self, n_samples: int, random_state: np.random.RandomState):
        self.order = np.arange(n_samples)
        self.random_state = random_state

    def __call__(self, n_samples: int) -> torch.Tensor:
        permutation = np.arange(n_samples)
        self.random_state.shuffle(permutation)
        self.order = self.order[permutation]
        return torch.from_numpy(self.order)


def _with_l2(loss, module: torch.nn.Module, alpha: float, optimizer):
    """``loss`` plus scikit-learn's L2 term, ``alpha / 2 * ||W||^2 / sw_sum``, per batch.

    ``sw_sum`` is the batch's summed sample weight (its row count without
    weights), so a row of weight 2 acts exactly as two rows and a short last
    batch gets its own term. The term's gradient, ``alpha / sw_sum * W``, is
    the optimizer's weight decay on the weights' group, set for each batch
    (in the fused kernel: cheaper than differentiating the term, which cost
    18% of a digits fit); its value, for the weights the batch sees, joins
    the reported loss as scikit-learn's ``loss_curve_`` has it.
    """
    weights = [layer.weight for layer in linear_layers(module)]
    decayed = optimizer.param_groups[0]  # the weights (BaseOptimizer.start)
    assert decayed["params"][0] is weights[0]
    if alpha == 0:
        return loss

    def with_l2(out, y, weight):
        value = loss(out, y, weight)  # first: a batch weighing nothing raises as in scikit-learn
        rows = out.shape[0] if weight is None else float(weight.sum())
        decayed["weight_decay"] = alpha / rows
        with torch.no_grad():
            squares = torch.stack(torch._foreach_norm(weights)).square().sum()
        return value + (0.5 * alpha / rows) * squares

    return with_l2


def _tensors(rows: tuple, dtype, device) -> TrainingData:
    X, y, sample_weight = rows
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32

    def tensor(array):
        if sp.issparse(array):  # kept sparse: the first layer meets the non-zeros
            return SparseRows.from_scipy(array, dtype=torch_dtype, device=device)
        array = np.asarray(array)
        # torch would share a read-only buffer, and takes no negative strides (X[::-1])
        if not array.flags.writeable or min(array.strides, default=0) < 0:
            array = array.copy()
        return torch.as_tensor(array, dtype=torch_dtype, device=device)

    return TrainingData(
        X=tensor(X),
        y=tensor(y),
        weight=None if sample_weight is None else tensor(sample_weight),
    )
