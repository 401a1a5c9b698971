"""The estimator core shared by the classifier and the regressor.

Data flows one way: validation -> target encoding -> tensors -> trainer ->
fitted attributes. Subclasses only say how targets are encoded, which loss and
score apply, and how raw outputs are decoded.
"""

from __future__ import annotations

import contextlib
import copy
import math
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    _check_y,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from sknn._custom import (
    build_module,
    check_inputs,
    check_nested,
    extra_params,
    freeze,
    nested,
    param_groups,
    to_tensors,
    user_loss,
)
from sknn._inference import inference_copy
from sknn.nn import ACTIVATIONS, TabularMLP
from sknn.preprocessing import TabularEncoder
from sknn.training import (
    Callback,
    EarlyStopping,
    History,
    ProgressBar,
    Trainer,
    TrainingData,
    recommended_threads,
    resolve_device,
    torch_threads,
)
from sknn.training.optim import OPTIMIZERS, make_optimizer
from sknn.training.schedules import SCHEDULES, Schedule
from sknn.training.trainer import n_rows, predict_in_chunks, take

# "auto" early stopping holds out a validation set only when it would have at
# least this many rows: fewer make the stopping decision mostly noise.
_MIN_AUTO_VALIDATION = 10
# predictions on at most this many CPU rows are computed in float64 (see _forward)
_EXACT_ROWS = 4096
# below this many multiply-adds a prediction runs with the caller's thread setting
_TINY_MACS = 1_000_000


def _auto_batch_size(n_train: int) -> int:
    """About 1% of the rows, as a power of two between 32 and 256."""
    size = 2 ** round(math.log2(max(n_train, 1) / 100)) if n_train > 100 else 32
    return int(min(n_train, min(256, max(32, size))))


class BaseNeuralNet(BaseEstimator):
    """Shared parameters, validation and the fit/predict plumbing."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "numeric_embedding": [StrOptions({"periodic"}), None],
        "feature_scale": ["boolean"],
        "n_ensemble": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "module": [None, callable],
        "frozen": [list, tuple, None],
        "lr_multipliers": [dict, None],
        "criterion": [None, callable],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "lr_schedule": [StrOptions(set(SCHEDULES))],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "shuffle": ["boolean"],
        "device": [str, torch.device],
        "callbacks": [list, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(256, 256),
        activation="relu",
        *,
        dropout=0.0,
        numeric_embedding="periodic",
        feature_scale=True,
        n_ensemble=8,
        optimizer="adamw",
        learning_rate=1e-3,
        weight_decay=1e-4,
        batch_size="auto",
        max_iter=200,
        lr_schedule="cosine",
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        shuffle=True,
        device="auto",
        callbacks=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        categorical_features="from_dtype",
        module=None,
        frozen=None,
        lr_multipliers=None,
        criterion=None,
        **kwargs,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.numeric_embedding = numeric_embedding
        self.feature_scale = feature_scale
        self.n_ensemble = n_ensemble
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.lr_schedule = lr_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.shuffle = shuffle
        self.device = device
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.categorical_features = categorical_features
        self.module = module
        self.frozen = frozen
        self.lr_multipliers = lr_multipliers
        self.criterion = criterion
        for key, value in kwargs.items():  # module__*/optimizer__*; checked in fit
            setattr(self, key, value)

    # ------------------------------------------------------ nested parameters
    def get_params(self, deep=True):
        """Parameters, including nested ``module__*`` and ``optimizer__*`` ones."""
        params = super().get_params(deep=deep)
        params.update(extra_params(self))
        return params

    def set_params(self, **params):
        """Set parameters; ``module__*``/``optimizer__*`` reach the module/optimizer.

        Nested names are checked when fitting (scikit-learn requires ``__init__``
        and ``set_params`` never to raise).
        """
        declared = set(self._get_param_names())
        extra = {k: v for k, v in params.items() if k not in declared and "__" in k}
        for key, value in extra.items():
            setattr(self, key, value)
        return super().set_params(**{k: v for k, v in params.items() if k not in extra})

    # ----------------------------------------------------------------- hooks
    # Subclasses implement these five.
    def _encode_targets(self, y, *, reset: bool, classes=None, sample_weight=None):
        raise NotImplementedError

    def _target_weights(self, sample_weight: np.ndarray, y_encoded: np.ndarray) -> np.ndarray:
        return sample_weight

    def _stratify(self, y_encoded: np.ndarray):
        return None

    def _loss_fn(self):
        raise NotImplementedError

    def _score_fn(self):
        raise NotImplementedError

    # ------------------------------------------------------------ validation
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.target_tags.multi_output = True
        tags.non_deterministic = False
        return tags

    def _check_hidden_layer_sizes(self) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, Integral) else tuple(sizes)
        if not all(isinstance(s, Integral) and s > 0 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must be a positive int or a sequence of positive "
                f"ints, got {self.hidden_layer_sizes!r}."
            )
        return tuple(int(s) for s in sizes)

    def _check_X_y(self, X, y=None, *, reset: bool):
        """Check feature names and counts, ``y`` and their lengths; ``X`` stays raw."""
        if self.module is not None:
            X = check_inputs(X)
            if reset and isinstance(X, np.ndarray) and X.ndim == 2:
                self.n_features_in_ = X.shape[1]
            if y is not None:
                y = _check_y(y, multi_output=True, y_numeric=self._y_numeric, estimator=self)
                if len(y) != n_rows(X):
                    raise ValueError(
                        f"X has {n_rows(X)} samples but y has {len(y)}; they must match."
                    )
            return X, y
        if sp.issparse(X):
            X = X.toarray()
        if getattr(X, "ndim", 2) == 2:
            # feature names and counts, with this estimator's own messages
            validate_data(self, X, reset=reset, skip_check_array=True)
        if y is not None:
            y = _check_y(y, multi_output=True, y_numeric=self._y_numeric, estimator=self)
            check_consistent_length(X, y)
        return X, y

    def _encode_new_X(self, X) -> np.ndarray:
        """Check and encode ``X`` at prediction time (one validation pass)."""
        if self.module is not None:
            return self._check_X_y(X, reset=False)[0]
        if sp.issparse(X):
            X = X.toarray()
        return self.encoder_._transform(X, owner=self)

    def _encode_X(self, X, *, reset: bool, sample_weight=None) -> np.ndarray:
        """Encode a checked ``X`` into the network's float32 input.

        The flagship estimators run every table through a
        :class:`~sknn.preprocessing.TabularEncoder` fitted on the first fit (with
        the final sample and class weights): robust scaling and smooth clipping
        of numeric columns, imputation with missing indicators, one-hot or
        embedded categorical columns.
        """
        if self.module is not None:
            return X  # a user's module takes its input as given
        if not reset:
            return self.encoder_.transform(X)
        self.encoder_ = TabularEncoder(categorical_features=self.categorical_features)
        return self.encoder_.fit_transform(X, sample_weight=sample_weight)

    _y_numeric = False

    # -------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, applied to the training loss and to the
            validation loss and score.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight, *, incremental: bool, classes=None):
        reuse = hasattr(self, "module_") and (incremental or self.warm_start)
        check_nested(self)
        hidden = self._check_hidden_layer_sizes()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        X, y = self._check_X_y(X, y, reset=not reuse)
        sample_weight = _check_sample_weight(
            sample_weight,
            np.empty((n_rows(X), 0)) if isinstance(X, dict) else X,
            dtype=np.float64,
            ensure_non_negative=True,
        )
        if not sample_weight.sum() > 0:
            raise ValueError(
                "sample_weight sums to zero; at least one sample needs a positive weight."
            )
        y_enc = self._encode_targets(
            y, reset=not reuse, classes=classes, sample_weight=sample_weight
        )
        sample_weight = self._target_weights(sample_weight, y_enc)
        X = self._encode_X(X, reset=not reuse, sample_weight=sample_weight)
        if not reuse:
            self._rng = check_random_state(self.random_state)

        train_idx, valid_idx = self._split(n_rows(X), y_enc, incremental)
        device = resolve_device(self.device)
        with self._seeded_torch(device) as seed:
            if not reuse:
                self.module_ = self._build_module(
                    take(X, train_idx), sample_weight[train_idx], hidden
                ).to(device)
                self.optimizer_ = self._build_optimizer(self.module_, device)
                self.history_ = History()
            elif next(self.module_.parameters()).device != device:
                self._move_to(device)
            self.device_ = device
            train = self._to_tensors(X, y_enc, sample_weight, train_idx, device)
            valid = (
                None
                if valid_idx is None
                else self._to_tensors(X, y_enc, sample_weight, valid_idx, device)
            )
            batch_size = self._batch_size(len(train))
            max_epochs = 1 if incremental else self.max_iter
            self._reset_learning_rate()
            stopper = self._build_stopper(incremental, has_valid=valid is not None)
            train_loss, eval_loss = self._training_loss()
            trainer = Trainer(
                self.module_,
                train_loss,
                self.optimizer_,
                batch_size=batch_size,
                max_epochs=max_epochs,
                schedule=self._build_schedule(max_epochs, incremental),
                stopper=stopper,
                score_fn=self._score_fn(),
                callbacks=self._training_callbacks(incremental),
                generator=torch.Generator().manual_seed(seed),
                shuffle=self.shuffle,
                eval_loss_fn=eval_loss,
            )
            n_threads = recommended_threads(3 * batch_size * self._n_weights(), device)
            with torch_threads(n_threads):
                trainer.fit(train, valid, self.history_)
        self._finish(trainer, stopper, has_valid=valid is not None)
        if not incremental:
            self._calibrate(trainer, valid)
        return self

    # ------------------------------------------------- training components
    def _build_module(self, X_train, w_train, hidden: tuple[int, ...]) -> torch.nn.Module:
        """The network: the user's module, or embeddings for the encoder's codes + MLP."""
        if self.module is not None:
            inferred = {"n_outputs": self._n_model_outputs}
            if isinstance(X_train, np.ndarray) and X_train.ndim == 2:
                inferred["n_features_in"] = X_train.shape[1]
            if hasattr(self, "classes_"):
                inferred["n_classes"] = len(self.classes_)
            module = build_module(self.module, inferred, nested(self, "module__"))
            freeze(module, self.frozen or ())
            return module
        encoder = self.encoder_
        return TabularMLP(
            encoder.n_numeric_out_,
            encoder.cardinalities_,
            self._n_model_outputs,
            hidden,
            self.activation,
            self.dropout,
            n_periodic=encoder.n_continuous_out_ if self.numeric_embedding == "periodic" else 0,
            feature_scale=self.feature_scale,
            n_ensemble=self.n_ensemble,
            combine=self._combine,
        )

    # how an ensemble's members are combined at prediction (see TabularMLP)
    _combine = "mean"

    def _build_optimizer(self, module: torch.nn.Module, device: torch.device):
        multipliers = dict(self.lr_multipliers or {})
        if self.module is None and hasattr(module, "lr_multipliers"):
            for pattern, factor in module.lr_multipliers().items():
                multipliers.setdefault(pattern, factor)
        params = param_groups(module, multipliers)
        if not params:
            raise ValueError("Every parameter of the module is frozen; nothing would train.")
        kwargs = nested(self, "optimizer__")
        if self.optimizer in ("adam", "adamw"):
            # a shorter second-moment memory adapts faster as the rate changes
            kwargs.setdefault("betas", (0.9, 0.95))
        if isinstance(self.optimizer, type):
            kwargs.setdefault("weight_decay", self.weight_decay)
            return self.optimizer(params, lr=self.learning_rate, **kwargs)
        return make_optimizer(
            self.optimizer, params, self.learning_rate, self.weight_decay, device, **kwargs
        )

    def _training_loss(self):
        """The losses to train on and to evaluate with.

        The task's loss (the training one may add label smoothing), or the
        user's ``criterion`` (with ``criterion__*``); ensemble outputs train
        every member on the mean of their losses.
        """
        if self.criterion is not None:
            loss = user_loss(self.criterion, nested(self, "criterion__"))
            return per_member(loss), loss
        return per_member(self._train_loss_fn()), self._loss_fn()

    def _train_loss_fn(self):
        return self._loss_fn()

    def _reset_learning_rate(self) -> None:
        """Reset the learning rate: a schedule is per fit, and partial_fit keeps it."""
        for group in self.optimizer_.param_groups:
            scaled = self.learning_rate * group.get("lr_multiplier", 1.0)
            group["lr"] = group["initial_lr"] = scaled

    def _batch_size(self, n_train: int) -> int:
        size = _auto_batch_size(n_train) if self.batch_size == "auto" else self.batch_size
        return min(size, n_train)

    def _build_schedule(self, max_epochs: int, incremental: bool):
        return Schedule(
            "constant" if incremental else self.lr_schedule,
            max_epochs,
            patience=max(1, self.n_iter_no_change // 2),
        )

    def _build_stopper(self, incremental: bool, *, has_valid: bool) -> EarlyStopping:
        return EarlyStopping(
            None if incremental else self.n_iter_no_change,
            self.tol,
            monitor="valid_loss" if has_valid else "train_loss",
        )

    def _training_callbacks(self, incremental: bool) -> list[Callback]:
        callbacks: list[Callback] = list(self.callbacks or [])
        if self.verbose and not incremental:
            callbacks.insert(0, ProgressBar(print_epochs=self.verbose >= 2))
        return callbacks

    @contextlib.contextmanager
    def _seeded_torch(self, device: torch.device):
        """Seed torch from the estimator's RNG without touching the caller's RNG state.

        Yields the seed, for generators that need their own copy.
        """
        seed = int(self._rng.randint(np.iinfo(np.int32).max))
        fork_devices = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed)
            yield seed

    def _split(self, n_samples: int, y_enc: np.ndarray, incremental: bool):
        """Indices of the training and (optional) validation rows."""
        all_idx = np.arange(n_samples)
        if incremental or self.early_stopping is False:
            return all_idx, None
        n_valid = math.ceil(self.validation_fraction * n_samples)
        if self.early_stopping == "auto" and n_valid < _MIN_AUTO_VALIDATION:
            return all_idx, None
        if n_samples - n_valid < 1:
            raise ValueError(
                f"early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction} of the {n_samples} samples, leaving none to "
                "train on; pass more samples or set early_stopping=False."
            )
        stratify = self._stratify(y_enc)
        if stratify is not None:
            counts = np.bincount(stratify)
            counts = counts[counts > 0]
            if counts.min() < 2 or n_valid < len(counts) or n_samples - n_valid < len(counts):
                stratify = None
        return train_test_split(
            all_idx,
            test_size=n_valid,
            random_state=self._rng.randint(np.iinfo(np.int32).max),
            stratify=stratify,
        )

    @staticmethod
    def _to_tensors(X, y_enc, weight, idx, device) -> TrainingData:
        w = weight[idx]
        w_t = None
        if not np.all(w == w[0]):
            w_t = torch.as_tensor(w / w.mean(), dtype=torch.float32, device=device)
        return TrainingData(
            X=to_tensors(X, idx, device),
            y=torch.as_tensor(y_enc[idx], device=device),
            weight=w_t,
        )

    def _n_weights(self) -> int:
        """Multiply-adds per row (about the parameter count), cached per fit."""
        cached = self.__dict__.get("_n_params")
        if cached is None or cached[0] is not self.module_:
            return _macs_per_row(self.module_)
        return cached[1]

    def _finish(self, trainer: Trainer, stopper: EarlyStopping, *, has_valid: bool) -> None:
        """Restore the right weights, warn about anything unusual, set attributes."""
        last = self.history_[-1]["epoch"] if self.history_ else 0
        if trainer.diverged:
            if not stopper.restore(self.module_):
                del self.module_
                raise ValueError(
                    f"Training diverged in epoch {last} (the loss became NaN or inf) before "
                    "any finite epoch was recorded; lower learning_rate, or check X and y "
                    "for extreme values."
                )
            warnings.warn(
                f"Training diverged in epoch {last} (non-finite loss); the weights of "
                f"epoch {stopper.best_epoch} were restored. Consider a lower learning_rate.",
                RuntimeWarning,
                stacklevel=3,
            )
        elif has_valid:
            stopper.restore(self.module_)
        if trainer.interrupted:
            kept = f"the best epoch ({stopper.best_epoch})" if has_valid else "the last epoch"
            warnings.warn(
                f"Training interrupted by KeyboardInterrupt in epoch {trainer.epoch}; keeping "
                f"the weights of {kept}.",
                RuntimeWarning,
                stacklevel=3,
            )
        self._fit_count = getattr(self, "_fit_count", 0) + 1
        self._n_params = (self.module_, _macs_per_row(self.module_))
        self.n_iter_ = len(self.history_)
        self.loss_curve_ = self.history_.column("train_loss")
        self.best_epoch_ = stopper.best_epoch
        if has_valid:
            self.validation_scores_ = self.history_.column("valid_score")
            best = [r for r in self.history_ if r["epoch"] == stopper.best_epoch]
            self.best_validation_score_ = best[0]["valid_score"] if best else None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _calibrate(self, trainer: Trainer, valid: TrainingData | None) -> None:
        """Adjust outputs on the validation data (if any) after a fit; classifiers do."""

    # ----------------------------------------------------------- prediction
    def _forward(self, X) -> torch.Tensor:
        """Raw network outputs for ``X``, on the CPU.

        Up to ``_EXACT_ROWS`` rows on the CPU are computed in float64, by a
        cached copy of the network (in numpy when every layer allows it; see
        :mod:`sknn._inference`), so a row predicted alone or in a small batch
        gets the same answer. Larger inputs use float32, about twice as fast.
        """
        check_is_fitted(self, "module_")
        X = self._encode_new_X(X)
        if self.module is not None:  # a user's module runs as built, in float32
            module, Xt = self.module_, to_tensors(X, slice(None), self.device_)
        elif self.device_.type == "cpu" and len(X) <= _EXACT_ROWS:
            copied = inference_copy(self.module_, self._fit_count)
            X64 = X.astype(np.float64)
            if copied.numpy is not None:
                return torch.from_numpy(copied.numpy(X64))
            module, Xt = copied.torch, torch.from_numpy(X64)
        else:
            module, Xt = self.module_, torch.from_numpy(X).to(self.device_)
        macs = n_rows(X) * self._n_weights()
        if macs < _TINY_MACS:
            # too small for torch to parallelise; changing the thread count
            # would cost more (~45 us) than the whole forward pass
            out = predict_in_chunks(module, Xt)
        else:
            # mid-size inputs run on one thread: a spare thread only adds a
            # spin-wait, which stalls badly when another process holds a core
            with torch_threads(recommended_threads(macs, self.device_)):
                out = predict_in_chunks(module, Xt)
        return out.cpu() if out.device.type != "cpu" else out

    # ---------------------------------------------------------- persistence
    def _move_to(self, device: torch.device) -> None:
        self.module_.to(device)
        if getattr(self, "optimizer_", None) is not None:
            self.optimizer_ = self._rebuild_optimizer(self.optimizer_.state_dict(), device)
        self.device_ = device

    def _rebuild_optimizer(self, state: dict, device: torch.device):
        """A fresh optimizer over ``module_`` carrying over ``state``."""
        optimizer = self._build_optimizer(self.module_, device)
        optimizer.load_state_dict(state)
        return optimizer

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_n_params", None)  # refers to the live module; recomputed on demand
        if "module_" in state:
            # store on the CPU so that a model fitted on a GPU loads anywhere
            state["module_"] = copy.deepcopy(self.module_).cpu()
            if getattr(self, "optimizer_", None) is not None:
                state["optimizer_"] = _state_to_cpu(self.optimizer_.state_dict())
            state["device_"] = str(self.device_)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "module_" not in state:
            return
        saved = torch.device(state["device_"])
        usable = saved.type == "cpu" or (saved.type == "cuda" and torch.cuda.is_available())
        device = saved if usable else torch.device("cpu")
        self.module_ = state["module_"].to(device)
        if isinstance(state.get("optimizer_"), dict):
            self.optimizer_ = self._rebuild_optimizer(state["optimizer_"], device)
        self.device_ = device


def _macs_per_row(module: torch.nn.Module) -> int:
    """The module's own estimate when it has one (ensembles reuse weights), else its size."""
    if hasattr(module, "macs_per_row"):
        return int(module.macs_per_row())
    return sum(p.numel() for p in module.parameters())


def per_member(loss):
    """Apply ``loss`` to every member of an ensemble output ``(batch, k, n)``.

    The mean over the ``k * batch`` rows is the mean of the members' losses;
    plain ``(batch, n)`` outputs pass through unchanged.
    """

    def loss_fn(out, y, weight):
        if out.ndim == 3 and y.ndim < 3:
            k = out.shape[1]
            out = out.flatten(0, 1)
            y = y.repeat_interleave(k, dim=0)
            weight = None if weight is None else weight.repeat_interleave(k)
        return loss(out, y, weight)

    return loss_fn


def _state_to_cpu(obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _state_to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_state_to_cpu(v) for v in obj]
    return obj
