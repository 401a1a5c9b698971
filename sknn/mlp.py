"""Drop-in ``MLPClassifier``/``MLPRegressor``: scikit-learn's MLP API on the sknn engine.

Same parameters, defaults, validation, stopping rules and fitted attributes as
:mod:`sklearn.neural_network`; only ``device`` is added. Training runs on the
sknn trainer (float32 tensors, fused optimizer steps; ``lbfgs`` in float64).
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as _SkMLPClassifier
from sklearn.neural_network import MLPRegressor as _SkMLPRegressor
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_sample_weight

from sknn._base import _as_float32, _macs_per_row
from sknn.classifier import NeuralNetClassifier
from sknn.nn import MLP
from sknn.regressor import NeuralNetRegressor
from sknn.training import (
    Callback,
    EarlyStopping,
    History,
    recommended_threads,
    resolve_device,
    torch_threads,
)
from sknn.training.optim import make_optimizer
from sknn.training.schedules import InvScaling, Schedule, set_learning_rate
from sknn.training.trainer import weighted_mean

_STOCHASTIC = ("sgd", "adam")


def _glorot_(module: MLP, activation: str) -> None:
    """scikit-learn's initialisation: uniform Glorot, narrower for logistic units."""
    factor = 2.0 if activation == "logistic" else 6.0
    with torch.no_grad():
        for layer in module:
            if isinstance(layer, torch.nn.Linear):
                bound = math.sqrt(factor / (layer.in_features + layer.out_features))
                layer.weight.uniform_(-bound, bound)
                layer.bias.uniform_(-bound, bound)


def _linear_layers(module: torch.nn.Module) -> list[torch.nn.Linear]:
    return [m for m in module.modules() if isinstance(m, torch.nn.Linear)]


class _VerboseLines(Callback):
    """scikit-learn's MLP progress lines on stdout."""

    def on_epoch_end(self, record):
        print(f"Iteration {record['epoch']}, loss = {record['train_loss']:.8f}")
        if record.get("valid_score") is not None:
            print(f"Validation score: {record['valid_score']:f}")


class _SklearnMLPMixin:
    """Overrides of the sknn engine's hooks that reproduce scikit-learn's MLP."""

    module = None  # the drop-in MLPs always train their own network
    frozen = None
    lr_multipliers = None
    criterion = None

    def _check_solver(self):
        if self.solver not in _STOCHASTIC:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. {self.solver} "
                "is not stochastic."
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # numeric input only, as scikit-learn's MLP
        tags.input_tags.allow_nan = False
        tags.input_tags.categorical = False
        tags.input_tags.string = False
        return tags

    def _check_X_y(self, X, y=None, *, reset: bool):
        return self._validate_X(X, y, reset=reset)

    def _encode_X(self, X, *, reset: bool, sample_weight=None) -> np.ndarray:
        return _as_float32(X)

    def _encode_new_X(self, X) -> np.ndarray:
        return _as_float32(self._validate_X(X, reset=False)[0])

    # -------------------------------------------------------------- fitting
    def _fit(self, X, y, sample_weight, *, incremental: bool, classes=None):
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        self._incremental = incremental
        self._input_dtype = np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64
        if self.solver == "lbfgs":
            self._input_dtype = np.float64  # scikit-learn's L-BFGS works in float64
            return self._fit_lbfgs(X, y, sample_weight)
        first_fit = not hasattr(self, "module_") or not (incremental or self.warm_start)
        epochs_before = 0 if first_fit else len(self.history_)
        self._epochs_before = epochs_before
        if first_fit:
            self.t_ = 0
        super()._fit(X, y, sample_weight, incremental=incremental, classes=classes)
        epochs = len(self.history_) - epochs_before
        self.n_iter_ = epochs
        self.t_ += epochs * self._n_train
        self.loss_ = self.loss_curve_[-1]
        if self.early_stopping:
            self.best_loss_ = None
            valid = [s for s in self.validation_scores_ if s is not None]
            self.best_validation_score_ = max(valid) if valid else None
        else:
            self.best_loss_ = min(self.loss_curve_)
        self._set_sklearn_attributes()
        if not incremental and epochs == self.max_iter and not self._stopped:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _split(self, n_samples, y_enc, incremental):
        if incremental or not self.early_stopping:
            return np.arange(n_samples), None
        n_valid = math.ceil(self.validation_fraction * n_samples)
        if n_valid < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the "
                "size of your dataset."
            )
        return train_test_split(
            np.arange(n_samples),
            test_size=self.validation_fraction,
            random_state=self._rng.randint(np.iinfo(np.int32).max),
            stratify=self._stratify(y_enc),  # None for regression and multilabel
        )

    def _train_loss_fn(self):
        return self._loss_fn()  # no label smoothing, as in scikit-learn

    def _calibrate(self, trainer, valid):
        pass  # probabilities as scikit-learn's MLP computes them

    def _build_module(self, X_train, w_train, hidden):
        module = MLP(X_train.shape[1], self._n_model_outputs, hidden, self.activation)
        _glorot_(module, self.activation)
        return module

    def _param_groups(self, module):
        weights = [layer.weight for layer in _linear_layers(module)]
        biases = [layer.bias for layer in _linear_layers(module)]
        return [{"params": weights}, {"params": biases, "weight_decay": 0.0}]

    def _build_optimizer(self, module, device):
        if self.solver == "adam":
            kwargs = {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon}
        else:
            kwargs = {
                "momentum": self.momentum,
                "nesterov": self.nesterovs_momentum and self.momentum > 0,
            }
        groups = self._param_groups(module)
        return make_optimizer(self.solver, groups, self.learning_rate_init, 0.0, device, **kwargs)

    def _prepare_optimizer(self, batch_size: int) -> None:
        if not self._incremental and self._epochs_before > 0:
            # like scikit-learn, every (warm-started) fit starts a fresh optimizer
            self.optimizer_ = self._build_optimizer(self.module_, self.device_)
        lr = self.learning_rate_init
        if self.solver == "sgd" and self._incremental and self.t_ > 0:
            if self.learning_rate == "invscaling":
                lr = self.learning_rate_init / (self.t_ + 1) ** self.power_t
            elif self.learning_rate == "adaptive":
                lr = self.optimizer_.param_groups[0]["lr"]
        weights, biases = self.optimizer_.param_groups
        # scikit-learn adds alpha * W / batch_size to the weight gradients: an L2
        # term the optimizer applies as (non-decoupled) weight decay
        weights["weight_decay"] = self.alpha / batch_size
        set_learning_rate(self.optimizer_, lr)
        for group in (weights, biases):
            group["initial_lr"] = lr

    def _loss_penalty(self, batch_size: int):
        alpha = self.alpha

        def penalty() -> float:
            with torch.no_grad():
                total = sum(layer.weight.square().sum() for layer in _linear_layers(self.module_))
            return float(0.5 * alpha * total / batch_size)

        return penalty

    def _resolve_batch_size(self, n_train: int) -> int:
        self._n_train = n_train
        if self.batch_size == "auto":
            return min(200, n_train)
        if self.batch_size > n_train:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to "
                "be clipped",
                stacklevel=4,
            )
        return int(np.clip(self.batch_size, 1, n_train))

    def _build_schedule(self, max_epochs, n_train, incremental):
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            return InvScaling(n_train, self.power_t, samples_seen=self.t_)
        return Schedule("constant", max_epochs)

    def _build_stopper(self, incremental, *, has_valid):
        patience = None if self.n_iter_no_change == np.inf else int(self.n_iter_no_change) + 1
        self._stopped = False

        what = "Validation score" if has_valid else "Training loss"
        message = (
            f"{what} did not improve more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs."
        )

        def exhausted() -> bool:
            # scikit-learn's "adaptive" sgd divides the rate by 5 instead of stopping
            if self.solver == "sgd" and self.learning_rate == "adaptive":
                lr = self.optimizer_.param_groups[0]["lr"]
                if lr > 1e-6:
                    set_learning_rate(self.optimizer_, lr / 5.0)
                    if self.verbose:
                        print(f"{message} Setting learning rate to {lr / 5.0:f}")
                    return False
                if self.verbose:
                    print(f"{message} Learning rate too small. Stopping.")
            elif self.verbose:
                print(f"{message} Stopping.")
            self._stopped = True
            return True

        stopper = EarlyStopping(
            patience,
            self.tol,
            monitor="valid_score" if has_valid else "train_loss",
            on_exhausted=exhausted,
        )
        if self._epochs_before and getattr(self, "_stopping_state", None) is not None:
            # scikit-learn keeps its best loss and no-improvement count across
            # warm-started fits and partial_fit calls
            stopper.best_value, stopper.bad_epochs = self._stopping_state
        return stopper

    def _training_callbacks(self, incremental):
        return [_VerboseLines()] if self.verbose else []

    def _finish(self, trainer, stopper, *, has_valid):
        super()._finish(trainer, stopper, has_valid=has_valid)
        self._stopping_state = (stopper.best_value, stopper.bad_epochs)

    def _warn_interrupted(self, trainer, stopper, *, has_valid):
        warnings.warn("Training interrupted by user.", stacklevel=5)

    # ---------------------------------------------------------------- lbfgs
    def _fit_lbfgs(self, X, y, sample_weight):
        reuse = hasattr(self, "module_") and self.warm_start
        hidden = self._check_hidden_layer_sizes()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        X, y = self._validate_X(X, y, reset=not reuse)
        X = np.asarray(X, dtype=np.float64)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        y_enc = self._encode_targets(y, reset=not reuse, sample_weight=sample_weight)
        if not reuse:
            self._rng = check_random_state(self.random_state)
            self.t_ = 0
        device = resolve_device(self.device)
        with self._seeded_torch(device):
            if not reuse:
                self.module_ = self._build_module(X, sample_weight, hidden)
                self.history_ = History()
            module = self.module_.double().to(device)
            Xt = torch.as_tensor(X, device=device)
            yt = torch.as_tensor(y_enc, device=device)
            if yt.is_floating_point():
                yt = yt.double()
            w = sample_weight / sample_weight.mean()
            wt = None if np.all(w == 1.0) else torch.as_tensor(w, device=device)
            weight_sum = float(sample_weight.sum())  # scikit-learn divides the L2 term by it
            optimizer = torch.optim.LBFGS(
                module.parameters(),
                lr=1.0,
                max_iter=self.max_iter,
                max_eval=self.max_fun,
                tolerance_grad=self.tol,
                tolerance_change=np.finfo(np.float64).eps,
                history_size=10,
                line_search_fn="strong_wolfe",
            )
            loss_fn = self._loss_fn()
            layers = _linear_layers(module)

            def closure():
                optimizer.zero_grad()
                penalty = sum(layer.weight.square().sum() for layer in layers)
                loss = loss_fn(module(Xt), yt, wt) + 0.5 * self.alpha * penalty / weight_sum
                loss.backward()
                return loss

            n_params = sum(p.numel() for p in module.parameters())
            with torch_threads(recommended_threads(3 * len(X) * n_params, device)):
                loss = float(optimizer.step(closure).detach())
            state = optimizer.state[next(iter(module.parameters()))]
            self.n_iter_ = int(state.get("n_iter", 0))
            evals = int(state.get("func_evals", 0))
            self.loss_ = float(closure().detach())
            self.module_ = module.float()
        self.device_ = device
        self._fit_count = getattr(self, "_fit_count", 0) + 1
        if not math.isfinite(loss):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain "
                "large values and need to be preprocessed."
            )
        if self.n_iter_ >= self.max_iter or evals >= self.max_fun:
            reason = (
                "TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"
                if evals >= self.max_fun
                else "TOTAL NO. OF ITERATIONS REACHED LIMIT"
            )
            warnings.warn(
                f"lbfgs failed to converge after {self.n_iter_} iteration(s) "
                f"({evals} function evaluations): STOP: {reason}."
                "\n\nIncrease the number of iterations (max_iter) or scale the data "
                "as shown in:\n    https://scikit-learn.org/stable/modules/"
                "preprocessing.html",
                ConvergenceWarning,
                stacklevel=3,
            )
        self._set_sklearn_attributes()
        return self

    # ----------------------------------------------------------- attributes
    def _set_sklearn_attributes(self) -> None:
        layers = _linear_layers(self.module_)
        dtype = getattr(self, "_input_dtype", np.float64)
        self.coefs_ = [layer.weight.detach().cpu().numpy().T.astype(dtype) for layer in layers]
        self.intercepts_ = [layer.bias.detach().cpu().numpy().astype(dtype) for layer in layers]
        self.n_layers_ = len(layers) + 1
        self.n_outputs_ = layers[-1].out_features
        self.out_activation_ = self._out_activation()
        self._n_params = (self.module_, _macs_per_row(self.module_))

    def _check_hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if any(not isinstance(s, Integral) or s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return tuple(int(s) for s in sizes)


class MLPClassifier(_SklearnMLPMixin, NeuralNetClassifier):
    """Drop-in for :class:`sklearn.neural_network.MLPClassifier` on the sknn engine.

    Accepts exactly scikit-learn's parameters, with the same defaults, validation
    and meaning, and exposes the same fitted attributes (``coefs_``,
    ``intercepts_``, ``loss_``, ``loss_curve_``, ``best_loss_``,
    ``validation_scores_``, ``best_validation_score_``, ``t_``, ``n_iter_``,
    ``n_layers_``, ``n_outputs_``, ``out_activation_``, ``classes_``). The one
    addition is ``device`` (``"auto"`` uses CUDA/MPS when present).

    See :class:`sklearn.neural_network.MLPClassifier` for the parameters.
    Differences: ``adam``/``sgd`` train in float32 (``lbfgs`` in float64 with
    torch's L-BFGS and a strong-Wolfe line search), and ``loss_curve_`` adds the
    L2 term with each epoch's final weights rather than per batch.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sknn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(max_iter=300, random_state=0).fit(X, y)
    >>> clf.coefs_[0].shape
    (4, 100)
    """

    _parameter_constraints = {
        **_SkMLPClassifier._parameter_constraints,
        "device": [str, torch.device],
    }
    _binary_single_logit = True

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        device="auto",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.device = device

    class_weight = None  # scikit-learn's MLP has none; keeps the shared code simple

    def _out_activation(self) -> str:
        return "logistic" if self._logistic else "softmax"

    def _encode_targets(self, y, *, reset: bool, classes=None, sample_weight=None):
        if not reset and not self._incremental and not self._multilabel:
            present = np.unique(np.asarray(y).ravel())
            if not np.array_equal(present, self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {present}"
                )
        return super()._encode_targets(y, reset=reset, classes=classes, sample_weight=sample_weight)

    def _loss_fn(self):
        if self._multilabel:
            # scikit-learn sums the binary log-loss over labels
            def multilabel_log_loss(out, y, weight):
                per_sample = F.binary_cross_entropy_with_logits(out, y, reduction="none")
                return weighted_mean(per_sample.sum(dim=1), weight)

            return multilabel_log_loss
        return super()._loss_fn()

    def predict_proba(self, X) -> np.ndarray:
        """Probability estimates, in the dtype of ``coefs_`` (as scikit-learn)."""
        return super().predict_proba(X).astype(self._input_dtype, copy=False)

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        return super().predict_log_proba(X).astype(self._input_dtype, copy=False)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array of shape (n_classes,), default=None
            Classes across all calls; required on the first call.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        if not hasattr(self, "module_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)


class MLPRegressor(_SklearnMLPMixin, NeuralNetRegressor):
    """Drop-in for :class:`sklearn.neural_network.MLPRegressor` on the sknn engine.

    Same parameters (``loss`` first: ``"squared_error"`` or ``"poisson"``),
    defaults, validation and fitted attributes as scikit-learn's, plus
    ``device``. Targets are used as given (no internal standardization), as in
    scikit-learn. See :class:`MLPClassifier` for the differences in numerics.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sknn import MLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = MLPRegressor(max_iter=50, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints = {
        **_SkMLPRegressor._parameter_constraints,
        "device": [str, torch.device],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        device="auto",
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.device = device

    def _out_activation(self) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _encode_targets(self, y, *, reset: bool, classes=None, sample_weight=None):
        y2 = np.asarray(y, dtype=np.float64)
        y2 = y2.reshape(-1, 1) if y2.ndim == 1 else y2
        if self.loss == "poisson" and np.any(y2 < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson regression."
            )
        if reset:
            self.n_outputs_ = self._n_model_outputs = y2.shape[1]
            # scikit-learn trains on the targets as given
            self._y_mean = np.zeros(y2.shape[1])
            self._y_scale = np.ones(y2.shape[1])
        elif y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} target columns but this model was fitted on "
                f"{self.n_outputs_}."
            )
        return y2.astype(np.float32)

    def _loss_fn(self):
        if self.loss == "poisson":

            def half_poisson(out, y, weight):
                per_sample = (torch.special.xlogy(y, y) - y * out - y + torch.exp(out)).sum(dim=1)
                return weighted_mean(per_sample, weight)

            return half_poisson

        def half_squared_error(out, y, weight):
            return 0.5 * weighted_mean((out - y).square().mean(dim=1), weight)

        return half_squared_error

    def _score_fn(self):
        r2 = super()._score_fn()
        if self.loss != "poisson":
            return r2
        return lambda out, y, weight: r2(torch.exp(out), y, weight)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X) -> np.ndarray:
        """Predict using the multi-layer perceptron model."""
        out = self._forward(X).double()
        pred = torch.exp(out) if self.loss == "poisson" else out
        pred = pred.numpy().astype(self._input_dtype, copy=False)
        return pred.ravel() if pred.shape[1] == 1 else pred
