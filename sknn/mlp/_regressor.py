"""The drop-in ``MLPRegressor``."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from sknn.mlp._base import BaseMultilayerPerceptron
from sknn.mlp._losses import r2
from sknn.sklearn_glue import array_api
from sknn.sklearn_glue.dask_collections import refuse_dask
from sknn.sklearn_glue.decorators import available_if, fit_context
from sknn.sklearn_glue.input_types import ArrayLike, MatrixLike, Self, TargetLike
from sknn.sklearn_glue.targets import check_numeric_targets


class MLPRegressor(RegressorMixin, BaseMultilayerPerceptron):
    """Multi-layer perceptron regressor: scikit-learn's ``MLPRegressor`` on PyTorch.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor`: the same
    parameters, defaults, validation, errors, warnings, stopping rules and
    fitted attributes, and the same model as scikit-learn's for the same
    ``random_state`` up to rounding (see :class:`MLPClassifier`). Targets are
    used as given, without standardization, as in scikit-learn. Training runs
    on PyTorch in the input's float dtype; ``device`` is the one addition.

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default="squared_error"
        Half the squared error with an identity output, or half the Poisson
        deviance with an exponential output (non-negative targets: negative
        ones are refused, where scikit-learn trains on them).
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers.
    solver : {"lbfgs", "sgd", "adam"}, default="adam"
        ``"adam"`` and ``"sgd"`` train on minibatches; ``"lbfgs"`` runs
        scipy's L-BFGS-B on the full batch (often better on small data).
    alpha : float, default=0.0001
        Strength of the L2 regularization, divided by the batch's sample size
        (or weight) when added to the loss.
    batch_size : int or "auto", default="auto"
        Minibatch size for the stochastic solvers; ``"auto"`` is
        ``min(200, n_samples)``. Ignored by ``"lbfgs"``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule for ``"sgd"``: constant; ``learning_rate_init / (t + 1) **
        power_t`` after each epoch (``t`` = samples seen); or divided by 5
        whenever ``n_iter_no_change`` epochs fail to improve by ``tol``.
    learning_rate_init : float, default=0.001
        Initial learning rate of ``"sgd"`` and ``"adam"``.
    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.
    max_iter : int, default=200
        Epochs of the stochastic solvers; iterations of ``"lbfgs"``.
    shuffle : bool, default=True
        Shuffle the samples every epoch (stochastic solvers).
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the validation split and the shuffling.
    tol : float, default=1e-4
        Training stops (or, with ``learning_rate="adaptive"``, the rate drops)
        when the loss or validation score fails to improve by ``tol`` for
        ``n_iter_no_change`` consecutive epochs.
    verbose : bool, default=False
        Print progress messages to stdout.
    warm_start : bool, default=False
        Reuse the previous solution as the starting point of the next fit.
    momentum : float, default=0.9
        Momentum of ``"sgd"``, in [0, 1].
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum (``"sgd"`` with ``momentum > 0``).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when the
        validation R^2 fails to improve by
        ``tol`` for ``n_iter_no_change`` epochs, and keep the best epoch's
        weights. Stochastic solvers only.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimates, in [0, 1).
    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    n_iter_no_change : int or np.inf, default=10
        Epochs without an improvement of ``tol`` before stopping.
    max_fun : int, default=15000
        Maximum number of loss evaluations of ``"lbfgs"``.
    device : str or torch.device, default="auto"
        Where training runs: ``"auto"`` takes CUDA or Apple's MPS when present,
        else the CPU (a torch tensor given on a GPU under Array API dispatch
        trains on that GPU). Fitted weights are numpy arrays, usable anywhere.

    Attributes
    ----------
    loss_ : float
        The loss of the last epoch (or of the L-BFGS solution).
    best_loss_ : float or None
        Minimum training loss; ``None`` with early stopping.
    loss_curve_ : list of float
        Training loss per epoch (stochastic solvers).
    validation_scores_ : list of float or None
        Validation R^2 per epoch, with early stopping.
    best_validation_score_ : float or None
        Best validation R^2, with early stopping.
    t_ : int
        Training samples seen (stochastic solvers).
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape ``(fan_in, fan_out)``: the weights of layer ``i``.
    intercepts_ : list of ndarray
        ``intercepts_[i]``: the bias vector of layer ``i + 1``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` had string column names.
    n_iter_ : int
        Epochs (or L-BFGS iterations) run by the last fit.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs.
    out_activation_ : str
        ``"identity"``, or ``"exp"`` with the Poisson loss.
    device_ : str
        The device the last fit ran on.

    See Also
    --------
    MLPClassifier : The classification counterpart, and the differences from
        scikit-learn's numerics.
    sknn.NeuralNetRegressor : sknn's own regressor, with strong tabular defaults.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sknn import MLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = MLPRegressor(max_iter=50, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

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
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            device=device,
        )

    _parameter_constraints = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "loss": SklearnMLPRegressor._parameter_constraints["loss"],  # its messages too
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self.loss == "poisson"  # negative targets refused
        return tags

    def _validate_input(self, X, y, incremental, reset):
        check_numeric_targets(y, type(self).__name__)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson regression."
            )
        return X, y

    def _output_activation(self) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _validation_score(self):
        return r2(self.out_activation_)

    @available_if(lambda est: est._check_solver())
    @array_api.fits_any_namespace
    @fit_context(prefer_skip_nested_validation=True)
    @refuse_dask
    def partial_fit(
        self, X: MatrixLike, y: TargetLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Update the model with a single epoch over the given data.

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
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    @array_api.answers_in_namespace
    @refuse_dask
    def predict(self, X: MatrixLike) -> np.ndarray:
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        check_is_fitted(self)
        y_pred = self._forward_pass_fast(X)
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred

    @array_api.scores_any_namespace
    @refuse_dask
    def score(self, X: MatrixLike, y: TargetLike, sample_weight: ArrayLike | None = None) -> float:
        """The coefficient of determination R^2 of :meth:`predict` on ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True values (R^2 averaged uniformly over several outputs).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            1 for perfect predictions, 0 for predicting the mean; lower is worse.
        """
        check_numeric_targets(y, type(self).__name__)
        return float(super().score(X, y, sample_weight=sample_weight))
