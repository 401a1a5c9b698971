"""The drop-in ``MLPClassifier``."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from sknn.mlp._base import BaseMultilayerPerceptron
from sknn.mlp._losses import accuracy
from sknn.sklearn_glue import array_api
from sknn.sklearn_glue.dask_collections import refuse_dask
from sknn.sklearn_glue.decorators import available_if, fit_context
from sknn.sklearn_glue.input_types import ArrayLike, MatrixLike, Self, TargetLike
from sknn.sklearn_glue.targets import check_labels


class MLPClassifier(ClassifierMixin, BaseMultilayerPerceptron):
    """Multi-layer perceptron classifier: scikit-learn's ``MLPClassifier`` on PyTorch.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier`: the same
    parameters, defaults, validation, errors, warnings, stopping rules and
    fitted attributes (including the private ones code reads in practice:
    ``_optimizer.learning_rate``, ``_no_improvement_count``, ``coefs_`` and
    ``intercepts_`` that can be set before ``partial_fit``). With the same
    ``random_state`` it draws the same initial weights, validation split and
    shuffling as scikit-learn, so the two train the same model up to rounding.
    Training runs on PyTorch in the input's float dtype (float32 input trains
    in float32); ``device`` is the one addition.

    Parameters
    ----------
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
        Hold out ``validation_fraction`` of the data (stratified for binary
        targets), stop when the validation accuracy fails to improve by
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
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    loss_ : float
        The loss of the last epoch (or of the L-BFGS solution).
    best_loss_ : float or None
        Minimum training loss; ``None`` with early stopping.
    loss_curve_ : list of float
        Training loss per epoch (stochastic solvers).
    validation_scores_ : list of float or None
        Validation accuracy per epoch, with early stopping.
    best_validation_score_ : float or None
        Best validation accuracy, with early stopping.
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
        ``"softmax"`` (multiclass) or ``"logistic"`` (binary and multilabel).
    device_ : str
        The device the last fit ran on.

    See Also
    --------
    MLPRegressor : The regression counterpart.
    sknn.NeuralNetClassifier : sknn's own classifier, with strong tabular defaults.

    Notes
    -----
    In float64 on a CPU or CUDA device, a fit is scikit-learn's to rounding: the same Adam and
    SGD steps (a short last batch and sample weights included), L-BFGS iterations,
    ``loss_curve_`` (log-losses clipped at eps, several targets' squared errors averaged while
    stepping by their sum, as scikit-learn does) and stopping epoch. Differences: on another
    device ``"adam"`` is torch's (``epsilon`` after the bias correction); negative
    ``sample_weight`` is refused; a fit that raises keeps the model fitted before it;
    ``partial_fit`` with ``"lbfgs"`` raises the ``AttributeError`` scikit-learn means to (it
    never calls its check, and fits in full); an early-stopped warm start that beats no
    earlier epoch keeps the best weights (scikit-learn's, aliasing ``coefs_``, are the last).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sknn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(max_iter=300, random_state=0).fit(X, y)
    >>> clf.coefs_[0].shape
    (4, 100)
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
    """

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
            loss="log_loss",
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

    def _validate_input(self, X, y, incremental, reset):
        check_labels(y)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        # bool keeps float32 data from being upcast
        return X, self._label_binarizer.transform(y).astype(bool)

    def _output_activation(self) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _validation_score(self):
        return accuracy(self.out_activation_, len(self.classes_))

    @available_if(lambda est: est._check_solver())
    @array_api.fits_any_namespace
    @fit_context(prefer_skip_nested_validation=True)
    @refuse_dask
    def partial_fit(
        self,
        X: MatrixLike,
        y: TargetLike,
        sample_weight: ArrayLike | None = None,
        classes: ArrayLike | None = None,
    ) -> Self:
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array of shape (n_classes,), default=None
            Classes across all calls to ``partial_fit``, e.g.
            ``np.unique(y_all)``; required on the first call, then optional.
            ``y`` need not contain every class.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        if self._first_partial_fit(classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def _first_partial_fit(self, classes) -> bool:
        """Set ``classes_`` on the first call; refuse other ``classes`` later."""
        previous = getattr(self, "classes_", None)
        if classes is not None:
            check_labels(classes, "classes")
        if previous is None and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if classes is None:
            return False
        if previous is not None:
            if not np.array_equal(previous, unique_labels(classes)):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on last call to partial_fit, "
                    f"was: {previous!r}"
                )
            return False
        self.classes_ = unique_labels(classes)
        return True

    @array_api.answers_in_namespace
    @refuse_dask
    def predict(self, X: MatrixLike) -> np.ndarray:
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        check_is_fitted(self)
        y_pred = self._forward_pass_fast(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    @array_api.answers_in_namespace
    @refuse_dask
    def predict_proba(self, X: MatrixLike) -> np.ndarray:
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
        """
        check_is_fitted(self)
        y_pred = self._forward_pass_fast(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    @array_api.answers_in_namespace
    @refuse_dask
    def predict_log_proba(self, X: MatrixLike) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    @array_api.scores_any_namespace
    @refuse_dask
    def score(self, X: MatrixLike, y: TargetLike, sample_weight: ArrayLike | None = None) -> float:
        """Mean accuracy of :meth:`predict` on ``X`` against ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels (subset accuracy for multilabel targets).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            The (weighted) share of rows predicted right.
        """
        check_labels(y)
        return float(super().score(X, y, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
