"""Regression: standardized targets, squared error, R^2."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin

from sknn.neural_net._base import BaseNeuralNet
from sknn.neural_net._docs import document_parameters
from sknn.neural_net._links import RegressorLink
from sknn.neural_net._targets import standardization
from sknn.sklearn_glue.decorators import fit_context
from sknn.sklearn_glue.input_types import ArrayLike, InputsLike, Self, TargetLike
from sknn.sklearn_glue.targets import check_numeric_targets
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
    Another loss than squared error (e.g. ``torch.nn.HuberLoss``), built
    with ``reduction="none"`` and ``criterion__*``; it compares outputs
    with the standardized targets.""",
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

    def _encode_targets(self, y, *, reset: bool, classes=None, sample_weight=None):
        y = np.asarray(y, dtype=np.float64)
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        if reset:
            self.n_outputs_ = y2.shape[1]
            self._n_model_outputs = self.n_outputs_
            self._y_mean, self._y_scale = standardization(y2, sample_weight)
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
