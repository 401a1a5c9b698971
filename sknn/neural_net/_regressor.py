"""Regression: standardized targets, squared or absolute error or Huber's loss, R^2."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions

from sknn.neural_net._base import BaseNeuralNet
from sknn.neural_net._docs import document_parameters
from sknn.neural_net._links import RegressorLink
from sknn.neural_net._targets import standardization
from sknn.sklearn_glue.decorators import fit_context
from sknn.sklearn_glue.input_types import ArrayLike, InputsLike, Self, TargetLike
from sknn.sklearn_glue.targets import check_numeric_targets
from sknn.training.losses import absolute_error, huber
from sknn.training.metrics import r2_score


@document_parameters(
    early_stopping="""\
early_stopping : bool or "auto", default="auto"
    Hold out ``validation_fraction`` of the data, stop after
    ``n_iter_no_change`` epochs without a validation-loss improvement of
    ``tol``, and restore the best epoch's weights. ``"auto"`` does so
    whenever the validation set would have at least 10 rows.""",
    module="""\
module : torch.nn.Module class, factory or instance, default=None
    Your own network instead of the built-in tabular MLP, returning one
    value per target in standardized units: ``(n,)`` or ``(n, 1)`` for one
    target, ``(n, n_outputs)``, or ``(n, k, ...)`` of those for a k-member
    ensemble; any other shape is a ``ValueError`` at the first batch of
    ``fit`` and at prediction. See :class:`NeuralNetClassifier` for how it
    is built and fed.""",
    criterion="""\
criterion : torch loss class or callable, default=None
    A loss of your own (a torch loss class, built with ``reduction="none"``
    and ``criterion__*``, or a callable); it compares outputs with the
    standardized targets. Only with ``loss="squared_error"``.""",
    loss="""\
loss : {"squared_error", "absolute_error", "huber"}, default="squared_error"
    What training minimizes (and early stopping watches, on the validation
    rows), on the standardized targets: the squared error (the mean's
    loss); the absolute error (the median's: a noisy, heavy-tailed target
    pulls less); or Huber's loss, quadratic within ``huber_delta`` of the
    target and linear beyond. ``score`` stays R^2, as scikit-learn's.""",
    huber_delta="""\
huber_delta : float > 0 or None, default=None
    With ``loss="huber"``: where the loss turns from quadratic to linear, in
    the targets' own units (the same value for every output). ``None``:
    Huber's 1.345 robust standard deviations of each target (1.4826 times
    its median absolute deviation), which a few wild targets do not inflate.""",
)
class NeuralNetRegressor(RegressorMixin, BaseNeuralNet):
    """A neural-network regressor with scikit-learn's estimator API.

    Single- and multi-output regression with a PyTorch multilayer perceptron.
    Targets are standardized internally (with the sample weights) and mapped
    back at prediction time, so their scale never affects training.
    ``X`` may be a numpy array or a pandas DataFrame with numeric, boolean,
    categorical, string and datetime columns and missing values: every table
    goes through a :class:`~sknn.preprocessing.TabularEncoder`, so no
    preprocessing is needed in front. The defaults follow published tabular
    deep-learning recipes (RealMLP and TabM): piecewise-linear numeric
    embeddings, a learned per-feature scale and an implicit ensemble of 8
    networks of one hidden layer.

    %(parameters)s

    Attributes
    ----------
    module_ : torch.nn.Module
        The fitted network; outputs standardized targets, shaped ``(n, k, width)`` for the
        built-in network (``k`` ensemble members).
    %(fitted)s
    validation_scores_ : list of float or None
        Validation R^2 per epoch, when early stopping is active.
    best_validation_score_ : float or None
        Validation R^2 of the restored epoch.
    n_outputs_ : int
        Number of targets.

    See Also
    --------
    NeuralNetClassifier : The classification counterpart.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sknn import NeuralNetRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = NeuralNetRegressor(max_iter=20, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _y_numeric = True

    _parameter_constraints = {
        **BaseNeuralNet._parameter_constraints,
        "loss": [StrOptions({"squared_error", "absolute_error", "huber"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither"), None],
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
        callbacks=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        categorical_features="from_dtype",
        module=None,
        frozen=None,
        lr_multipliers=None,
        criterion=None,
        loss="squared_error",
        huber_delta=None,
        **kwargs,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            dropout=dropout,
            numeric_embedding=numeric_embedding,
            feature_scale=feature_scale,
            n_ensemble=n_ensemble,
            optimizer=optimizer,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            batch_size=batch_size,
            max_iter=max_iter,
            lr_schedule=lr_schedule,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            shuffle=shuffle,
            device=device,
            n_threads=n_threads,
            callbacks=callbacks,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            categorical_features=categorical_features,
            module=module,
            frozen=frozen,
            lr_multipliers=lr_multipliers,
            criterion=criterion,
            **kwargs,
        )
        self.loss = loss
        self.huber_delta = huber_delta

    def _added_param_defaults(self) -> dict:
        return {"loss": "squared_error", "huber_delta": None}  # added for issue 33

    def _plain_loss(self):
        """The chosen loss on standardized targets (``huber_delta`` rescaled to them)."""
        if self.criterion is not None and self.loss != "squared_error":
            raise ValueError(
                f"loss={self.loss!r} and a criterion both say what to minimize; pass one: "
                "loss= for the built-in losses, or criterion= with loss='squared_error'."
            )
        if self.loss == "absolute_error":
            return absolute_error()
        if self.loss == "huber":
            own = self.huber_delta
            # a model saved before huber existed has no robust default: 1.345 sd
            default = getattr(self, "_huber_default", 1.345)
            delta = default if own is None else own / self._y_scale
            return huber(np.broadcast_to(delta, (self.n_outputs_,)).tolist())
        return super()._plain_loss()

    def _encode_targets(self, y, *, reset: bool, classes=None, sample_weight=None):
        y = np.asarray(y, dtype=np.float64)
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        if reset:
            self.n_outputs_ = y2.shape[1]
            self._n_model_outputs = self.n_outputs_
            self._y_mean, self._y_scale = standardization(y2, sample_weight)
            # Huber's classic 1.345 robust standard deviations (1.4826 MAD), in
            # standardized units; the standard deviation itself where the MAD is 0
            mad = 1.4826 * np.median(np.abs(y2 - np.median(y2, axis=0)), axis=0)
            self._huber_default = 1.345 * np.where(mad > 0, mad, self._y_scale) / self._y_scale
        elif y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} target columns but this model was fitted on "
                f"{self.n_outputs_}."
            )
        return ((y2 - self._y_mean) / self._y_scale).astype(np.float32)

    def _task(self) -> str:
        return "regression"

    def _score_fn(self):
        return r2_score

    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X: InputsLike, y: TargetLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Train for one epoch on ``(X, y)``.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or dict of arrays
            Training data, as for :meth:`fit`.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets. The first call sets the target standardization.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: InputsLike) -> np.ndarray:
        """Predicted targets.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or dict of arrays
            The samples, as given to :meth:`fit`.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions in the targets' own units.
        """
        out = self._forward(X)
        return RegressorLink(self._y_mean, self._y_scale).values(out)

    def score(self, X: InputsLike, y: TargetLike, sample_weight: ArrayLike | None = None) -> float:
        """The coefficient of determination R^2 of :meth:`predict` on ``X`` against ``y``.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or dict of arrays
            The samples, as given to :meth:`fit`.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The true targets (for several outputs, R^2 is averaged over them
            uniformly, as scikit-learn does).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        score : float
            1 for perfect predictions, 0 for predicting the mean; lower is worse.
        """
        check_numeric_targets(y, type(self).__name__)
        return float(super().score(X, y, sample_weight=sample_weight))
