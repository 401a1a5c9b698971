"""Regression: a loss of the location or of counts and amounts, predictions, intervals, R^2."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sknn.neural_net import _intervals
from sknn.neural_net._base import BaseNeuralNet
from sknn.neural_net._docs import document_parameters
from sknn.neural_net._inputs import few_rows_on_one_thread
from sknn.neural_net._links import RegressorLink
from sknn.neural_net._regression_losses import (
    LOG_LINK,
    PARAMETER_DOCS,
    check_loss_params,
    check_targets,
    quantile_levels,
    quantiles_score,
    robust_huber_delta,
    target_encoding,
    tol_scale,
    training_loss,
)
from sknn.sklearn_glue import array_api
from sknn.sklearn_glue.dask_collections import is_dask, lazy_on_dask, streamed_r2
from sknn.sklearn_glue.decorators import fit_context
from sknn.sklearn_glue.input_types import ArrayLike, InputsLike, Self, TargetLike
from sknn.sklearn_glue.targets import check_numeric_targets
from sknn.training.losses import ordered_quantiles
from sknn.training.metrics import d2_pinball, r2_score


@document_parameters(**PARAMETER_DOCS)
class NeuralNetRegressor(RegressorMixin, BaseNeuralNet):
    """A neural-network regressor with scikit-learn's estimator API.

    Single- and multi-output regression with a PyTorch multilayer perceptron,
    of the mean (squared error), the median (absolute error), a robust
    location (Huber), quantiles, or the mean of counts and positive amounts
    (Poisson, Gamma, Tweedie deviances with a log link); conformal
    prediction intervals (:meth:`predict_interval`). Targets are encoded
    internally (standardized, or divided by their mean for a log link, with
    the sample weights) and mapped back at prediction time, so their scale
    never affects training. ``X`` may be a numpy array or a pandas DataFrame with numeric, boolean,
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
        :meth:`score` (R^2, or D^2 pinball) of each epoch validated (a later
        ``partial_fit`` or warm start without validation keeps them), or None.
    best_validation_score_ : float or None
        That score of the restored epoch.
    n_outputs_ : int
        Number of targets.
    quantiles_ : ndarray or None
        With a list of quantiles, their levels in the order of ``predict``'s
        last axis; None otherwise.
    conformity_scores_ : ndarray of shape (n_validation, n_outputs) or None
        The validation rows' conformity scores that calibrate
        :meth:`predict_interval`, in the targets' units (for a log-link loss,
        in units of ``prediction ** (power / 2)``, the loss's standard
        deviation's shape); None when the last fit held out no rows, and
        after ``partial_fit``.
    conformity_weights_ : ndarray of shape (n_validation,) or None
        Those rows' sample weights, which weigh their scores (rows of weight
        0 calibrate nothing); None when all are equal.

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
        "loss": [StrOptions({*LOG_LINK, "squared_error", "absolute_error", "huber", "quantile"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither"), None],
        "quantile": [Interval(Real, 0, 1, closed="neither"), "array-like", None],
        "power": [Interval(Real, 1, None, closed="left"), None],
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
        loss="squared_error",
        huber_delta=None,
        quantile=None,
        power=None,
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
            data_parallel=data_parallel,
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
        self.quantile = quantile
        self.power = power

    def _added_param_defaults(self) -> dict:
        # added for issue 33
        added = {"loss": "squared_error", "huber_delta": None, "quantile": None, "power": None}
        return {**super()._added_param_defaults(), **added}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self.loss in LOG_LINK
        # scored by D^2 pinball, lower than R^2 for the same fit (0.49 where R^2 is 0.72)
        tags.regressor_tags.poor_score = self.loss == "quantile"
        return tags

    def _plain_loss(self):
        """The chosen loss on the encoded targets (see :mod:`._regression_losses`)."""
        return training_loss(self) or super()._plain_loss()

    def _encode_targets(
        self, y, *, reset: bool, classes=None, sample_weight=None, sample: bool = False
    ):
        """``sample``: ``y`` is a streamed fit's sample; the pass's exact mean is checked."""
        y = np.asarray(y, dtype=np.float64)
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        check_loss_params(self)  # every fit: a warm start or partial_fit may have new ones
        check_targets(self.loss, self.power, y2, sample_weight, whole=reset and not sample)
        if reset:
            self.n_outputs_ = y2.shape[1]
            levels, several = quantile_levels(self.quantile)
            self.quantiles_ = levels if self.loss == "quantile" and several else None
            self._one_level = None if several or self.loss != "quantile" else float(levels[0])
            self._n_quantiles = len(levels) if self.loss == "quantile" else 1
            self._n_model_outputs = self.n_outputs_ * self._n_quantiles
            self._log_link = self.loss in LOG_LINK
            self._y_mean, self._y_scale = target_encoding(self.loss, y2, sample_weight)
            self._huber_default = robust_huber_delta(y2, self._y_scale, sample_weight)
            self._tol_scale = tol_scale(self, (y2 - self._y_mean) / self._y_scale, sample_weight)
        elif y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} target columns but this model was fitted on "
                f"{self.n_outputs_}."
            )
        return ((y2 - self._y_mean) / self._y_scale).astype(np.float32)

    def _task(self) -> str:
        return "log_regression" if self.loss in LOG_LINK else "regression"

    def _as_members(self, out):
        """Members' outputs, each output's quantiles sorted (they never cross)."""
        return ordered_quantiles(super()._as_members(out), getattr(self, "_n_quantiles", 1))

    def _score_fn(self):
        """The validation score: R^2 of the predictions (D^2 pinball of several quantiles)."""
        if (levels := self._levels()) is not None:
            return lambda out, y, weight: d2_pinball(out, y, weight, np.sort(levels).tolist())
        if getattr(self, "_log_link", False):
            return lambda out, y, weight: r2_score(out.exp(), y, weight)
        return r2_score

    def _output_link(self) -> RegressorLink:
        return RegressorLink(
            self._y_mean,
            self._y_scale,
            log=getattr(self, "_log_link", False),
            levels=getattr(self, "quantiles_", None),
        )

    def _calibrate(self, valid) -> None:
        """Keep the validation rows' conformity scores for :meth:`predict_interval`."""
        self.conformity_scores_ = self.conformity_weights_ = None
        if valid is not None:
            _intervals.calibrate(self, valid)

    @array_api.fits_any_namespace
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
        self._fit(X, y, sample_weight, incremental=True)
        self.conformity_scores_ = self.conformity_weights_ = None  # of the network before
        return self

    @array_api.answers_in_namespace
    @lazy_on_dask
    @few_rows_on_one_thread
    def predict(self, X: InputsLike) -> np.ndarray:
        """Predicted targets.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or dict of arrays
            The samples, as given to :meth:`fit`.
            A Dask DataFrame or Array gives a lazy Dask Array, partition by partition.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions in the targets' own units. With a list of quantiles,
            a last axis of them in the list's order: ``(n_samples,
            n_quantiles)`` for one target, else ``(n_samples, n_outputs,
            n_quantiles)``.
        """
        out = self._forward(X)  # checks that the model is fitted
        return self._output_link().values(out)

    @array_api.answers_in_namespace
    @lazy_on_dask
    @few_rows_on_one_thread
    def predict_interval(self, X: InputsLike, coverage: float | None = None) -> np.ndarray:
        """Prediction intervals, calibrated on the validation rows (split conformal).

        With ``loss="quantile"`` and two levels or more: the band from the
        lowest to the highest quantile, widened or narrowed so that it
        covers the validation targets at ``coverage`` (conformalized
        quantile regression). Otherwise: the prediction plus and minus the
        conformal quantile of the validation rows' absolute residuals (for
        Poisson, Gamma and Tweedie, residuals in units of ``prediction **
        (power / 2)``, so a row's width follows its mean's spread). On
        new rows like the validation rows, the interval holds the target with
        probability at least ``coverage``. Log-link losses never give a
        bound below 0.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or dict of arrays
            The samples, as given to :meth:`fit`.
            A Dask DataFrame or Array gives a lazy Dask Array, partition by partition.
        coverage : float in (0, 1) or None, default=None
            The share of targets the intervals should hold. None: the span of
            the outermost quantiles (0.9 for ``quantile=[0.05, 0.95]``), or
            0.9 for the other losses.

        Returns
        -------
        intervals : ndarray of shape (n_samples, 2) or (n_samples, n_outputs, 2)
            Lower and upper bounds, in the targets' own units.

        Raises
        ------
        ValueError
            When the fit held out no validation rows (``early_stopping=False``,
            a table too small for ``"auto"``, or after ``partial_fit``) and
            the loss is not a band of quantiles: nothing calibrates the width.
        """
        check_is_fitted(self, "module_")
        band = self._n_quantiles > 1
        if coverage is None:
            coverage = float(np.ptp(np.asarray(self.quantiles_))) if band else 0.9
        coverage = _intervals.check_coverage(coverage)
        scores = getattr(self, "conformity_scores_", None)
        if scores is None:
            _intervals.uncalibrated(band, coverage, self.quantiles_)
        pred = self._output_link().values_tensor(self._forward(X).double()).numpy()
        weights = getattr(self, "conformity_weights_", None)
        power = getattr(self, "_conformity_power", 0.0)  # 0: a model saved before it
        bounds = _intervals.interval(
            pred, scores, coverage, band=band, positive=self._log_link, weights=weights, power=power
        )
        return bounds[:, 0] if self.n_outputs_ == 1 else bounds

    @array_api.scores_any_namespace
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
            1 for perfect predictions, 0 for predicting the mean; lower is
            worse. With ``loss="quantile"``, R^2's counterpart for quantiles:
            scikit-learn's ``d2_pinball_score`` of each level (the share of
            the pinball loss of the targets' own quantile that the
            predictions remove), averaged over levels and outputs, so that a
            search ranks quantile models by what they fit.
        """
        levels = self._levels()
        if is_dask(X) and levels is None:  # one partition at a time
            return streamed_r2(self, X, y, sample_weight, shift=self._y_mean)
        if is_dask(X):
            raise ValueError(
                "score of quantiles needs each target's quantiles, which one pass over "
                "a Dask collection cannot give exactly; score a computed sample instead."
            )
        check_numeric_targets(y, type(self).__name__)
        if levels is None:
            return float(super().score(X, y, sample_weight=sample_weight))
        return quantiles_score(y, self.predict(X), levels, sample_weight)

    def _levels(self) -> np.ndarray | None:
        """The quantile levels the fit predicts, in predict's order (one or several)."""
        one = self.__dict__.get("_one_level")  # not in models saved before it was kept
        return np.array([one]) if one else getattr(self, "quantiles_", None)
