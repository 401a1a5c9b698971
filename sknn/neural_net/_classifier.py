"""Classification: label encoding, cross-entropy, probabilities."""

from __future__ import annotations

import functools
from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import column_or_1d

from sknn.neural_net._base import BaseNeuralNet
from sknn.neural_net._classifier_docs import CLASSIFIER_PARAMETERS
from sknn.neural_net._docs import document_parameters
from sknn.neural_net._inputs import few_rows_on_one_thread
from sknn.neural_net._links import ClassifierLink
from sknn.neural_net._plan import temperature_inputs
from sknn.neural_net._targets import (
    by_class_weight,
    check_partial_fit_call,
    class_codes,
    label_kind,
    multilabel_indicators,
)
from sknn.preprocessing._user_warnings import warn_user
from sknn.sklearn_glue import array_api
from sknn.sklearn_glue.dask_collections import is_dask, lazy_on_dask, streamed_accuracy
from sknn.sklearn_glue.decorators import fit_context
from sknn.sklearn_glue.input_types import ArrayLike, InputsLike, Self, TargetLike
from sknn.sklearn_glue.targets import check_labels
from sknn.training.calibration import fit_temperature
from sknn.training.data import predict_in_chunks
from sknn.training.losses import task_loss
from sknn.training.metrics import accuracy

# label_smoothing="auto" where held-out rows fit a temperature that undoes it
AUTO_LABEL_SMOOTHING = 0.1


@document_parameters(**CLASSIFIER_PARAMETERS)
class NeuralNetClassifier(ClassifierMixin, BaseNeuralNet):
    """A neural-network classifier with scikit-learn's estimator API.

    Binary, multiclass (labels of any type) and multilabel (a 2-D 0/1 ``y``)
    classification with a PyTorch multilayer perceptron, trained by AdamW on
    minibatches with early stopping that restores the best epoch's weights.
    The defaults follow published tabular deep-learning recipes (RealMLP and
    TabM; see ``benchmarks/results/accuracy.md`` for how they score): piecewise-linear
    numeric embeddings, a learned per-feature scale, an implicit ensemble of 8
    networks of one hidden layer and label smoothing.
    ``X`` may be a numpy array or a pandas DataFrame with numeric, boolean,
    categorical, string and datetime columns and missing values: every table
    goes through a :class:`~sknn.preprocessing.TabularEncoder` (robust scaling
    with smooth clipping, imputation plus missing indicators, one-hot or
    embedded categories), so no preprocessing is needed in front.

    %(parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel ``y``, the column indices).
    module_ : torch.nn.Module
        The fitted network; outputs logits, shaped ``(n, k, width)`` for the
        built-in network (``k`` ensemble members).
    %(fitted)s
    validation_scores_ : list of float or None
        Validation accuracy per epoch validated (a later ``partial_fit`` or
        warm start without validation keeps them), else None.
    best_validation_score_ : float or None
        Validation accuracy of the restored epoch.
    label_smoothing_ : float
        The label smoothing the last fit trained with (see ``label_smoothing``).
    temperature_ : float
        Divides the logits in :meth:`predict_proba` (temperature scaling):
        fitted on the validation split to minimize its log-loss, shrunk
        towards 1 when that split is small; 1 without a validation split or
        with a ``criterion`` (whose outputs need not be logits). It never
        changes :meth:`predict`; ``partial_fit`` keeps it. Early stopping
        judges each epoch after a temperature fitted the same way.

    See Also
    --------
    NeuralNetRegressor : The regression counterpart.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sknn import NeuralNetClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = NeuralNetClassifier(max_iter=50, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints = {
        **BaseNeuralNet._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
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
        class_weight=None,
        label_smoothing="auto",
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
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = False  # multilabel only, as scikit-learn's MLPClassifier
        return tags

    # --------------------------------------------------------------- targets
    def _encode_targets(self, y, *, reset: bool, classes=None, sample_weight=None):
        if reset:
            self._multilabel = label_kind(y, type(self).__name__) == "multilabel"
            if self._multilabel:
                self.classes_ = np.arange(np.shape(y)[1])
            else:
                y = column_or_1d(y, warn=True)
                self.classes_ = np.unique(y if classes is None else np.asarray(classes))
                if len(self.classes_) < 2:
                    raise ValueError(
                        f"{type(self).__name__} needs samples of at least 2 classes, but the "
                        f"data contains only one class: {self.classes_.tolist()[0]!r}."
                    )
            self._n_model_outputs = len(self.classes_)
        if not self._multilabel:
            return class_codes(column_or_1d(y, warn=True), self.classes_)
        return multilabel_indicators(y, len(self.classes_))

    def _target_weights(self, sample_weight, y_encoded):
        if self.class_weight is None:
            return sample_weight
        if self._multilabel:
            raise ValueError("class_weight is not supported for multilabel targets.")
        return by_class_weight(sample_weight, self.class_weight, self.classes_, y_encoded)

    def _stratify(self, y_encoded):
        return None if self._multilabel else y_encoded

    def _task(self) -> str:
        return "multilabel" if self._multilabel else "multiclass"

    def _adapt_targets(self, y_encoded):
        # a custom module with one logit for two classes trains on 0/1 targets
        if self._output_kind == "binary" and y_encoded.ndim == 1:
            return y_encoded.astype(np.float32)[:, None]
        return y_encoded

    def _label_smoothing(self, held_out: bool, incremental: bool) -> float:
        """The smoothing this fit trains with, kept as ``label_smoothing_``; a value set by
        hand where no temperature is fitted or kept to undo it is told."""
        smoothing: float
        if self.label_smoothing != "auto":
            smoothing = self.label_smoothing
            kept = incremental and getattr(self, "temperature_", 1.0) != 1.0
            if smoothing and not held_out and not kept and self.criterion is None:
                warn_user(
                    f"label_smoothing={smoothing} pulls predict_proba towards uniform "
                    "probabilities, and this fit holds out no rows to fit the temperature "
                    "that undoes it (at 1% positives the mean probability was 0.057): pass "
                    "label_smoothing='auto' (0 here) or 0, or hold out validation rows."
                )
        elif incremental and "label_smoothing_" in vars(self):  # its kept temperature's
            smoothing = float(vars(self)["label_smoothing_"])
        else:
            smoothing = AUTO_LABEL_SMOOTHING if held_out and not self._multilabel else 0.0
        self.label_smoothing_ = 0.0 if self.criterion is not None else float(smoothing)
        return smoothing

    def _score_fn(self):
        return functools.partial(
            accuracy, by_threshold=self._output_kind in ("binary", "multilabel")
        )

    def _calibrate(self, valid) -> None:
        """Fit ``temperature_`` on the validation split (temperature scaling).

        See :func:`sknn.training.calibration.fit_temperature`.
        """
        self.temperature_ = 1.0
        if not self._calibrates(held_out=valid is not None, incremental=False):
            return
        out = predict_in_chunks(self.module_, valid.X)
        logits, y, weight = temperature_inputs(self, out, valid.y, valid.weight)
        self.temperature_ = fit_temperature(logits, y, weight, task_loss(self._output_kind))

    def _calibrates(self, *, held_out: bool, incremental: bool) -> bool:
        return held_out and not incremental and self.criterion is None

    @array_api.fits_any_namespace
    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X: InputsLike,
        y: TargetLike,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> Self:
        """Train for one epoch on ``(X, y)``.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or dict of arrays
            Training data, as for :meth:`fit`.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Targets.
        classes : array-like of shape (n_classes,), default=None
            All labels that will ever appear; required on the first call for
            single-label targets; later calls may repeat it (a different set
            is a ``ValueError``) or leave it out.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        check_partial_fit_call(
            self.class_weight,
            classes,
            y,
            self.classes_ if hasattr(self, "module_") else None,
            streamed=is_dask(X),
        )
        self._fit(X, y, sample_weight, incremental=True, classes=classes)
        self.temperature_ = getattr(self, "temperature_", 1.0)  # a first call calibrates nothing
        return self

    # ----------------------------------------------------------- prediction
    def _output_link(self) -> ClassifierLink:
        return ClassifierLink(self.classes_, self._output_kind, getattr(self, "temperature_", 1.0))

    @array_api.answers_in_namespace
    @lazy_on_dask
    @few_rows_on_one_thread
    def predict_proba(self, X: InputsLike) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or dict of arrays
            The samples, as given to :meth:`fit`.
            A Dask DataFrame or Array gives a lazy Dask Array, partition by partition.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_`` (for multilabel targets,
            each label's probability on its own).
        """
        logits = self._forward(X).double()
        return self._output_link().proba(logits)

    @array_api.answers_in_namespace
    @lazy_on_dask
    @few_rows_on_one_thread
    def predict_log_proba(self, X: InputsLike) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or dict of arrays
            The samples, as given to :meth:`fit`.
            A Dask DataFrame or Array gives a lazy Dask Array, partition by partition.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        logits = self._forward(X).double()
        return self._output_link().log_proba(logits)

    @array_api.answers_in_namespace
    @lazy_on_dask
    @few_rows_on_one_thread
    def predict(self, X: InputsLike) -> np.ndarray:
        """Predicted labels.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or dict of arrays
            The samples, as given to :meth:`fit`.
            A Dask DataFrame or Array gives a lazy Dask Array, partition by partition.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_`` (a 0/1 matrix for multilabel targets).
        """
        logits = self._forward(X)
        return self._output_link().labels(logits)

    @array_api.scores_any_namespace
    def score(self, X: InputsLike, y: TargetLike, sample_weight: ArrayLike | None = None) -> float:
        """Accuracy of :meth:`predict` on ``X`` against ``y``.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or dict of arrays
            The samples, as given to :meth:`fit`.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The true labels (for multilabel targets every label of a row must
            be right: subset accuracy).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        score : float
            The (weighted) share of rows predicted right.
        """
        if is_dask(X):  # one partition at a time
            return streamed_accuracy(self, X, y, sample_weight)
        check_labels(y)
        return float(super().score(X, y, sample_weight=sample_weight))
