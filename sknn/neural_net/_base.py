"""The flagship estimators' story: validate, encode, plan, train, finish; and predict.

``fit``: the input path checks and encodes ``X`` and builds the network
(:mod:`._inputs`); the subclass encodes the targets; the plan splits the rows and builds
the optimizer, schedule and stopper (:mod:`._plan`); the :class:`~sknn.training.Trainer`
runs the epochs on the task's losses; ``_finish`` restores the best weights. A Dask
collection is fitted from a stream of its partitions (:mod:`._streamed`). ``predict``:
the input path encodes, the network runs, members combine, the output link answers.
"""

from __future__ import annotations

import contextlib
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from sknn.neural_net import _continue, _cross_fit, _plan, _shape, _untrained, _user_callbacks
from sknn.neural_net._data_parallel import train_on_dask
from sknn.neural_net._inputs import input_path
from sknn.neural_net._outcome import keep_weights, record_validation_scores
from sknn.neural_net._outputs import as_members
from sknn.neural_net._persistence import TorchStateMixin
from sknn.neural_net._routed import NestedParamsMixin, check_nested
from sknn.neural_net._streamed import fit_streamed
from sknn.neural_net._targets import warn_if_reordered
from sknn.nn import ACTIVATIONS
from sknn.sklearn_glue import array_api
from sknn.sklearn_glue import callbacks as sk_callbacks
from sknn.sklearn_glue.dask_collections import is_dask
from sknn.sklearn_glue.decorators import fit_context
from sknn.sklearn_glue.fit_state import restored_on_error
from sknn.sklearn_glue.input_types import ArrayLike, InputsLike, Self, TargetLike
from sknn.training import EarlyStopping, Trainer, resolve_device, torch_threads
from sknn.training.data import n_rows, take
from sknn.training.generator import seeded_torch
from sknn.training.losses import combine, task_loss
from sknn.training.optim import OPTIMIZERS
from sknn.training.schedules import SCHEDULES
from sknn.training.threads import macs_per_row, plan_threads


class BaseNeuralNet(
    NestedParamsMixin, TorchStateMixin, sk_callbacks.CallbackSupportMixin, BaseEstimator
):
    """Shared parameters, validation and the fit/predict plumbing."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "numeric_embedding": [StrOptions({"periodic", "piecewise", "auto"}), None],
        "feature_scale": ["boolean"],
        "n_ensemble": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "module": [None, callable],
        "frozen": [list, tuple, None],
        "lr_multipliers": [dict, None],
        "criterion": [None, callable],
        "learning_rate": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "lr_schedule": [StrOptions(set(SCHEDULES))],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "shuffle": ["boolean"],
        "device": [str, torch.device],
        "data_parallel": [StrOptions({"dask"}), None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "callbacks": [list, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes="auto",
        activation="relu",
        *,
        dropout=0.0,
        numeric_embedding="auto",
        feature_scale=True,
        n_ensemble="auto",
        optimizer="adamw",
        learning_rate="auto",
        weight_decay=1e-4,
        batch_size="auto",
        max_iter="auto",
        lr_schedule="cosine",
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=5,
        tol=1e-4,
        shuffle=True,
        device="auto",
        n_threads=None,
        data_parallel=None,
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
        self.n_threads = n_threads
        self.data_parallel = data_parallel
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.categorical_features = categorical_features
        self.module = module
        self.frozen = frozen
        self.lr_multipliers = lr_multipliers
        self.criterion = criterion
        # routed names, checked in fit and by set_params (scikit-learn's checks ask that
        # __init__ raise for nothing, even a name that is no parameter)
        for key, value in kwargs.items():
            setattr(self, key, value)

    # ----------------------------------------------------------------- hooks
    _y_numeric = False

    def _task(self) -> str:
        """``"multiclass"``, ``"multilabel"`` or ``"regression"``."""
        raise NotImplementedError

    def _encode_targets(self, y, *, reset: bool, classes=None, sample_weight=None):
        raise NotImplementedError

    def _target_weights(self, sample_weight: np.ndarray, y_encoded: np.ndarray) -> np.ndarray:
        return sample_weight

    def _stratify(self, y_encoded: np.ndarray):
        return None

    def _adapt_targets(self, y_encoded: np.ndarray) -> np.ndarray:
        """Targets in the form the fitted output kind trains on."""
        return y_encoded

    def _label_smoothing(self, held_out: bool, incremental: bool) -> float:
        return 0.0

    def _plain_loss(self):
        """The task's loss on one member's outputs, without label smoothing."""
        return task_loss(self._output_kind)

    def _score_fn(self):
        raise NotImplementedError

    def _calibrate(self, valid) -> None:
        """Adjust outputs on the validation data (if any) after a fit; classifiers do."""

    def _calibrates(self, *, held_out: bool, incremental: bool) -> bool:
        return False  # whether a temperature is fitted to the held-out rows after the fit

    # ------------------------------------------------------------ validation
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # sknn's own network reads tables (missing values, categories, text, sparse rows);
        # a module of one's own takes numeric arrays of any shape, or a dict of them
        own = self.module is None
        tags.input_tags.sparse = own
        tags.input_tags.allow_nan = own
        tags.input_tags.categorical = own
        tags.input_tags.string = own
        tags.input_tags.three_d_array = not own
        tags.input_tags.dict = not own
        tags.target_tags.multi_output = True
        tags.non_deterministic = False
        tags.array_api_support = True  # inputs of any namespace, answers in X's
        return tags

    def _encodes_tensors(self) -> bool:  # sknn's encoder takes tensors; a user's module numpy
        return self.module is None

    # -------------------------------------------------------------- fitting
    @array_api.fits_any_namespace
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: InputsLike, y: TargetLike, sample_weight: ArrayLike | None = None) -> Self:
        """Fit the network.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Training data: a table of any DataFrame library, or for a ``module``
            of your own any array whose first axis is samples, or a dict of them.
            A Dask DataFrame fits streamed, a few partitions in memory at a time
            (``y`` and ``sample_weight`` then Dask collections beside it).
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

    @sk_callbacks.with_callbacks
    def _fit(self, X, y, sample_weight, *, incremental: bool, classes=None):
        check_nested(self)  # before anything else: a bad routed name gets its own message
        if incremental and self.early_stopping is True:  # as scikit-learn's MLPs refuse it
            raise ValueError(
                "partial_fit does not support early_stopping=True: each call trains one pass "
                "over its rows, with no validation rows kept aside. Set early_stopping to "
                "'auto' or False, or call fit."
            )
        reuse = hasattr(self, "module_") and (incremental or self.warm_start)
        if reuse:
            reuse = _continue.can_continue(self, incremental)
        # all or nothing: a fit that raises leaves the model as it was before it
        in_place = ("module_", "optimizer_", "history_", "_rng") if reuse else ()
        with restored_on_error(self, in_place):
            if is_dask(X):  # one pass for the statistics, then training from the partitions
                return fit_streamed(self, X, y, sample_weight, reuse, incremental, classes)
            return self._fit_all(X, y, sample_weight, reuse, incremental, classes)

    def _fit_all(self, X, y, sample_weight, reuse: bool, incremental: bool, classes):
        raw = (X, y, sample_weight)  # what scikit-learn's callbacks see
        _user_callbacks.check_callbacks(self)
        _shape.checked_hidden_layer_sizes(self)  # a bad value fails before any work
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        warn_if_reordered(X, y=y, sample_weight=sample_weight)
        path = input_path(self)
        X, y = path.check(X, y, reset=not reuse)
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
        X = path.encode(X, reset=not reuse, sample_weight=sample_weight)
        if not reuse:
            self._rng = check_random_state(self.random_state)
        fold, train_idx, valid_idx = _cross_fit.fit_rows(  # fold: None, or cross-fitted
            self, n_rows(X), self._stratify(y_enc), incremental=incremental, reuse=reuse
        )
        device = resolve_device("cpu" if self.data_parallel else self.device)
        with contextlib.ExitStack() as seeded:  # torch seeded for the network (and dropout)
            seed = _plan.torch_seed(self._rng)
            seeded.enter_context(seeded_torch(seed, device))
            if not reuse:
                for name, value in _shape.network_choices(self, len(train_idx), fold).items():
                    setattr(self, name, value)
                self._n_build_features = X.shape[1] if getattr(X, "ndim", 0) == 2 else 0
                probe = path.tensors(X, train_idx[:2], device)
                _plan.new_network(
                    self, path, take(X, train_idx), sample_weight[train_idx], probe, device
                )
            else:
                _plan.continued_network(self, path, device)
            _plan.release_unless_drawing(self, seeded)
            y_enc = self._adapt_targets(y_enc)
            train, valid = _cross_fit.fit_data(
                self, path, (X, y_enc, sample_weight), (fold, train_idx, valid_idx), device
            )
            _untrained.count_rows(self, train, reuse)
            if self.data_parallel == "dask":  # the same training, on the cluster's workers
                train_on_dask(self, train, valid, seed, incremental)
            else:
                self._train(path, train, valid, device, seed, incremental, raw)
        return self

    def _train(self, path, train, valid, device, seed: int, incremental: bool, raw) -> None:
        """Train on ``train`` (in memory or a stream), watch ``valid``, then finish the fit."""
        self._optimizer_settings = _continue.settings(self, _continue.OPTIMIZER)
        self.device_ = device
        batch_size = _plan.batch_size(self, len(train))
        max_epochs = 1 if incremental else _plan.epochs(self, len(train), batch_size)
        self.learning_rate_ = _plan.learning_rate(self, batch_size, len(train), incremental)
        _plan.reset_learning_rate(self, self.optimizer_)
        stopper = _plan.stopper(self, incremental, has_valid=valid is not None)
        objective, plain, ensemble = _plan.losses(
            self, held_out=valid is not None, incremental=incremental
        )
        n_threads, tuner = plan_threads(
            3 * batch_size * self._macs_per_row(), device, self.n_threads
        )
        X, y, w = raw  # what scikit-learn's callbacks see
        reported = sk_callbacks.begin_fit(self, X, y, w, max_epochs, sk_callbacks.module_snapshot)
        trainer = Trainer(
            self.module_,
            objective,
            self.optimizer_,
            batch_size=batch_size,
            max_epochs=max_epochs,
            schedule=_plan.schedule(self, max_epochs, incremental),
            stopper=stopper,
            score_fn=_plan.members_score(self),
            callbacks=[*tuner, *_user_callbacks.callbacks(self, incremental), *reported],
            generator=torch.Generator().manual_seed(seed),
            shuffle=self.shuffle,
            eval_loss_fn=ensemble,
            report_loss_fn=plain,
            ranks=getattr(self, "_ranks", None),  # a data-parallel fit's rank
            owner=self,  # the estimator a callback scores, a clone's own
            start_epoch=_continue.held_epoch(self, incremental),
            sparse_tables=path.sparse_tables(self.module_),
        )
        self._training = True  # a callback's predictions run the live network, not a copy
        try:
            with torch_threads(n_threads):
                trainer.fit(train, valid, self.history_)
        finally:
            del self._training
        self.n_threads_ = tuner[0].n_threads if tuner else n_threads
        self._finish(trainer, stopper, has_valid=valid is not None)
        _untrained.settle(self)  # before calibrating: embeddings no row trained, at the mean
        if not incremental:
            self._calibrate(valid)
        sk_callbacks.end_fit(self)

    def _macs_per_row(self) -> int:
        """Multiply-adds per row (about the parameter count), cached per fit."""
        cached = self.__dict__.get("_n_params") or (None, 0)
        return cached[1] if cached[0] is self.module_ else macs_per_row(self.module_)

    def _finish(self, trainer: Trainer, stopper: EarlyStopping, *, has_valid: bool) -> None:
        """Restore the right weights, warn about anything unusual, set attributes."""
        keep_weights(self, trainer, stopper, has_valid=has_valid)
        self._fit_count = getattr(self, "_fit_count", 0) + 1
        self._n_params = (self.module_, macs_per_row(self.module_))
        self.n_iter_ = len(self.history_)
        self.loss_curve_ = self.history_.column("train_loss")
        self.best_epoch_ = stopper.best_epoch
        self.history_.best_epoch = stopper.best_epoch
        record_validation_scores(self, trainer, stopper, has_valid=has_valid)

    # ----------------------------------------------------------- prediction
    def _forward(self, X) -> torch.Tensor:
        """The combined network output for ``X``, ``(n, width)``, on the CPU.

        Up to a few thousand CPU rows of sknn's own network run in float64 on a cached copy
        (numpy where every layer allows; :mod:`sknn.nn.inference`): a row gets the same answer
        alone or in a batch, to float64's last bits; larger inputs run in float32 (2x faster).
        """
        check_is_fitted(self, "module_")
        path = input_path(self)
        X = path.encode_new(X)
        fit_count = None if self.__dict__.get("_training") else self._fit_count
        return self._combined(path.predict(X, fit_count, n_rows(X) * self._macs_per_row()))

    def _as_members(self, out: torch.Tensor) -> torch.Tensor:
        """Raw network outputs held to the output contract, as ``(n, k, width)`` members."""
        return as_members(out, self._output_kind, self._n_model_outputs)

    def _combined(self, out: torch.Tensor) -> torch.Tensor:
        """Raw network outputs as the members' combined ``(n, width)`` output."""
        return combine(self._as_members(out), self._output_kind)
