"""What the drop-in ``MLPClassifier`` and ``MLPRegressor`` share: fitting and the forward pass.

The estimators follow scikit-learn's ``BaseMultilayerPerceptron`` step by step
(validation, initialisation from the same random stream, the same validation
split and shuffling, the same stopping rule) so that the same ``random_state``
gives the same model up to rounding; each epoch runs on sknn's
:class:`~sknn.training.Trainer` in the input's float dtype.
"""

from __future__ import annotations

import warnings
from abc import ABCMeta, abstractmethod

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.utils import check_random_state
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import (
    _check_sample_weight,
    validate_data,
)

from sknn.mlp._lbfgs import LbfgsObjective, NumpyObjective, minimize_lbfgs, pack, unpack
from sknn.mlp._network import (
    ACTIVATIONS,
    build_module,
    forward_numpy,
    init_coefs,
)
from sknn.mlp._stochastic import fit_stochastic
from sknn.mlp._warnings import warn_as_sklearn
from sknn.sklearn_glue import array_api
from sknn.sklearn_glue.callbacks import CallbackSupportMixin, begin_fit, end_fit, with_callbacks
from sknn.sklearn_glue.dask_collections import refuse_dask
from sknn.sklearn_glue.decorators import fit_context
from sknn.sklearn_glue.feature_names import check_array_features
from sknn.sklearn_glue.fit_state import restored_on_error
from sknn.sklearn_glue.input_types import ArrayLike, MatrixLike, Self, TargetLike
from sknn.training import resolve_device
from sknn.training.data import predict_in_chunks
from sknn.training.device import available_or_cpu
from sknn.training.threads import recommended_threads, torch_threads

_STOCHASTIC_SOLVERS = ("sgd", "adam")
# predictions costing fewer multiply-adds run in numpy, straight from coefs_
_NUMPY_MACS = 10_000_000


class BaseMultilayerPerceptron(
    array_api.NumpyStateMixin, CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base class of the drop-in MLPs; use :class:`MLPClassifier` or :class:`MLPRegressor`."""

    coefs_: list[np.ndarray]  # fitted: one weight matrix a layer
    intercepts_: list[np.ndarray]

    # scikit-learn's own constraint objects: the same checks, and its messages to the
    # letter (a set literal compiled in another module iterates its options otherwise)
    _parameter_constraints: dict = {
        **SklearnMLPClassifier._parameter_constraints,
        "device": [str, torch.device],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        device,
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
        self.loss = loss
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

    # ------------------------------------------------------ subclass hooks
    @abstractmethod
    def _validate_input(self, X, y, incremental: bool, reset: bool):
        """Validated ``X`` and the encoded targets (labels binarized for classifiers)."""

    @abstractmethod
    def _output_activation(self) -> str:
        """scikit-learn's name of the output activation, once targets are encoded."""

    @abstractmethod
    def _validation_score(self):
        """The score watched by early stopping, as ``score(outputs, y, weight)``."""

    # ------------------------------------------------------------- fitting
    @array_api.fits_any_namespace
    @fit_context(prefer_skip_nested_validation=True)
    @refuse_dask
    def fit(self, X: MatrixLike, y: TargetLike, sample_weight: ArrayLike | None = None) -> Self:
        """Fit the model to data matrix ``X`` and targets ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            Returns a trained MLP model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _check_solver(self) -> bool:
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. {self.solver} "
                "is not stochastic."
            )
        return True

    @with_callbacks
    def _fit(self, X, y, sample_weight=None, incremental=False):
        # all or nothing: a fit that raises leaves the model as it was; a
        # warm start or partial fit trains these in place
        in_place = ("coefs_", "intercepts_", "_optimizer", "loss_curve_", "validation_scores_")
        with restored_on_error(self, in_place):
            return self._fit_all(X, y, sample_weight, incremental)

    def _fit_all(self, X, y, sample_weight, incremental: bool):
        raw = (X, y, sample_weight)  # what scikit-learn's callbacks see
        hidden = self.hidden_layer_sizes
        hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
        if np.any(np.array(hidden) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden}.")
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        fitted = hidden if first_pass else [c.shape[1] for c in self.coefs_[:-1]]
        if fitted != hidden:
            # scikit-learn's MLP keeps training the fitted layers too, without a word
            warnings.warn(
                f"{'partial_fit' if incremental else 'warm_start=True'} continues the fitted "
                f"layers of sizes {tuple(fitted)}; hidden_layer_sizes={tuple(hidden)} takes "
                "effect in a fit with warm_start=False.",
                UserWarning,
                stacklevel=4,
            )
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        device = resolve_device(self.device)  # before any fitted state: a bad device leaves none
        if sample_weight is not None:
            # stricter than scikit-learn, which fits negative weights silently
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        self.n_outputs_ = y.shape[1]
        layer_units = [X.shape[1], *hidden, self.n_outputs_]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y, layer_units, X.dtype)
        if self.solver in _STOCHASTIC_SOLVERS:
            fit_stochastic(self, X, y, sample_weight, incremental, device, raw)
        else:
            begin_fit(self, *raw, 0, snapshot=None)  # one task: L-BFGS's steps are scipy's
            self._fit_lbfgs(X, y, sample_weight, device)
        self.device_ = str(device)
        weights = [*self.coefs_, *self.intercepts_]
        if not all(np.isfinite(w).all() for w in weights):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain "
                "large values and need to be preprocessed."
            )
        end_fit(self)
        return self

    def _initialize(self, y, layer_units, dtype) -> None:
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        self.coefs_, self.intercepts_ = init_coefs(
            layer_units, self.activation, self._random_state, dtype
        )
        self._best_coefs = [c.copy() for c in self.coefs_]
        self._best_intercepts = [b.copy() for b in self.intercepts_]
        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_: list[float] = []
            self._no_improvement_count = 0
            self.validation_scores_: list[float] | None
            self.best_validation_score_: float | None
            self.best_loss_: float | None
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _lbfgs_objective(self, X, y, sample_weight, device) -> LbfgsObjective | NumpyObjective:
        """The full-batch objective: numpy on the CPU (as fast as scikit-learn's
        on small networks, faster than torch's float64 on large ones), torch elsewhere."""
        y = np.asarray(y)
        args = (
            self.coefs_,
            self.intercepts_,
            self.activation,
            self.out_activation_,
            self.alpha,
            X,
            y.reshape(-1, 1) if y.ndim == 1 else y,
            sample_weight,
        )
        if torch.device(device).type == "cpu":
            return NumpyObjective(*args)
        return LbfgsObjective(*args, device)  # each keeps a sparse X sparse

    def _fit_lbfgs(self, X, y, sample_weight, device) -> None:
        result = minimize_lbfgs(
            self._lbfgs_objective(X, y, sample_weight, device),
            pack(self.coefs_, self.intercepts_),
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.n_iter_ = _check_optimize_result("lbfgs", result, self.max_iter)
        for warning in caught:  # from scikit-learn's module, as its own MLP's are
            warn_as_sklearn(warning.message, warning.category)
        self.loss_ = np.float64(result.fun)  # as scikit-learn types it
        # float64, whatever the input's dtype: scipy works on a float64 vector
        self.coefs_, self.intercepts_ = unpack(result.x, self.coefs_, self.intercepts_)

    def _loss_grad_lbfgs(
        self,
        packed_coef_inter,
        X,
        y,
        sample_weight,
        activations,
        deltas,
        coef_grads,
        intercept_grads,
    ):
        """The L-BFGS objective at ``packed_coef_inter``: ``(loss, packed gradient)``.

        scikit-learn's signature; the last four arguments (its work buffers) are
        not needed. Like scikit-learn, loads the packed weights into ``coefs_``
        and ``intercepts_``.
        """
        objective = self._lbfgs_objective(X, y, sample_weight, torch.device("cpu"))
        self.coefs_, self.intercepts_ = unpack(packed_coef_inter, self.coefs_, self.intercepts_)
        return objective(packed_coef_inter)

    # ---------------------------------------------------------- prediction
    def _validate_for_predict(self, X):
        """``X`` checked as scikit-learn's MLP checks it before predicting.

        A finite float matrix needs only the feature checks: the full
        validation costs more than the rest of a one-row prediction. Anything
        else takes scikit-learn's path, which also raises its errors.
        """
        if (
            isinstance(X, np.ndarray)
            and X.ndim == 2
            and X.size
            and X.dtype in (np.float32, np.float64)
            and np.isfinite(X).all()
        ):
            check_array_features(self, X)
            return X
        return validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)

    def _forward_pass_fast(self, X, check_input: bool = True) -> np.ndarray:
        """The output activations for ``X`` (small inputs in numpy, large ones in torch)."""
        if check_input:
            X = self._validate_for_predict(X)
        macs = X.shape[0] * sum(W.size for W in self.coefs_)
        device = available_or_cpu(getattr(self, "device_", "cpu"))
        if sp.issparse(X) or (device.type == "cpu" and macs < _NUMPY_MACS):
            return forward_numpy(
                X, self.coefs_, self.intercepts_, self.activation, self.out_activation_
            )
        # in the wider of X's and the weights' dtypes, as numpy computes them in scikit-learn
        # (float64 rows for a float32 fit came out 1.8e-7 off, in float32)
        wider = np.result_type(X.dtype, self.coefs_[0].dtype)
        dtype = torch.float64 if wider == np.float64 else torch.float32
        module = build_module(self.coefs_, self.intercepts_, self.activation, device).to(dtype)
        with torch_threads(recommended_threads(macs, device)):
            out = predict_in_chunks(module, torch.as_tensor(X, dtype=dtype, device=device))
        values = out.cpu().numpy().astype(wider)
        return ACTIVATIONS[self.out_activation_](values)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True  # inputs of any namespace, answers in X's
        return tags
