"""Regression: standardized targets, squared error, R^2."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin, _fit_context

from sknn._base import BaseNeuralNet
from sknn._links import RegressorLink
from sknn._targets import standardization
from sknn.training.metrics import r2_score


class NeuralNetRegressor(RegressorMixin, BaseNeuralNet):
    """A neural-network regressor with scikit-learn's estimator API.

    Single- and multi-output regression with a PyTorch multilayer perceptron.
    Targets are standardized internally (with the sample weights) and mapped
    back at prediction time, so their scale never affects training.
    ``X`` may be a numpy array or a pandas DataFrame with numeric, boolean,
    categorical, string and datetime columns and missing values: every table
    goes through a :class:`~sknn.preprocessing.TabularEncoder`, so no
    preprocessing is needed in front. The defaults follow published tabular
    deep-learning recipes (RealMLP and TabM): periodic numeric embeddings, a
    learned per-feature scale and an implicit ensemble of 8 networks.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(256, 256)
        Width of each hidden layer.
    activation : {"relu", "gelu", "silu", "selu", "tanh", "logistic", "identity"}, \
            default="relu"
        Activation between layers.
    dropout : float, default=0.0
        Dropout probability after each hidden layer.
    numeric_embedding : {"periodic"} or None, default="periodic"
        ``"periodic"`` embeds each scaled numeric feature as itself plus
        learned periodic functions of it (RealMLP's PBLD embedding, 4 values
        per feature), which lets the network fit sharp, non-monotone effects
        of single features; ``None`` feeds the scaled values directly.
    feature_scale : bool, default=True
        Multiply the embedded input by a learned per-feature factor before the
        hidden layers (RealMLP's "front scale", trained at 6 times the
        learning rate), so the network can quickly mute uninformative columns.
    n_ensemble : int, default=8
        Members of an implicit ensemble (TabM-mini): each member multiplies
        the embedded input by its own vector, all share the hidden layers,
        each has its own output layer; training minimizes the mean of the
        members' losses and predictions average their probabilities (their
        values, for regression). Training and prediction cost grow about
        linearly with it; 1 gives a single network. ``numeric_embedding``,
        ``feature_scale`` and ``n_ensemble`` shape the built-in network only:
        a custom ``module`` is used as given.
    optimizer : {"adamw", "adam", "sgd"}, default="adamw"
        Optimizer; fused into one kernel per step where torch supports it.
    learning_rate : float, default=1e-3
        Base learning rate.
    weight_decay : float, default=1e-4
        Weight decay (decoupled for AdamW, L2 for Adam and SGD).
    batch_size : int or "auto", default="auto"
        Rows per gradient step; ``"auto"`` uses about 1% of the training rows,
        rounded to a power of two between 32 and 256.
    max_iter : int, default=200
        Maximum number of epochs (and the length of the cosine schedule).
    lr_schedule : {"cosine", "constant", "plateau"}, default="cosine"
        Per-epoch learning-rate schedule.
    early_stopping : bool or "auto", default="auto"
        Hold out ``validation_fraction`` of the data, stop after
        ``n_iter_no_change`` epochs without a validation-loss improvement of
        ``tol``, and restore the best epoch's weights. ``"auto"`` does so
        whenever the validation set would have at least 10 rows.
    validation_fraction : float, default=0.1
        Share of the data held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Minimum improvement of the monitored loss.
    shuffle : bool, default=True
        Reshuffle the training rows every epoch.
    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA or MPS when present, else the CPU.
    callbacks : list of sknn.training.Callback, default=None
        Extra hooks called at the start, after each epoch and at the end.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout and the validation split.
    verbose : int, default=0
        0 prints nothing, 1 shows a progress bar, 2 also prints every epoch.
    warm_start : bool, default=False
        Continue from the previous fit's weights and optimizer state.
    categorical_features : "from_dtype", array-like of str, int or bool, or None, \
            default="from_dtype"
        Which columns are categorical: ``"from_dtype"`` takes ``category``,
        ``object`` and string columns of a DataFrame; or a list of column names,
        indices, or a boolean mask (integer-coded categoricals can be named
        here); ``None`` treats every column as numeric. Categories with at most
        8 levels are one-hot encoded, larger ones get learned embeddings; missing
        and unseen categories have their own codes. See
        :class:`~sknn.preprocessing.TabularEncoder`.
    module : torch.nn.Module class, factory or instance, default=None
        Your own network instead of the built-in tabular MLP, returning one
        value per target (in standardized units); see
        :class:`NeuralNetClassifier` for how it is built and fed.
    frozen : list of str, default=None
        Glob patterns of parameter names to freeze.
    lr_multipliers : dict of str to float, default=None
        Glob pattern of parameter names -> factor on ``learning_rate``.
    criterion : torch loss class or callable, default=None
        Another loss than squared error (e.g. ``torch.nn.HuberLoss``), built
        with ``reduction="none"`` and ``criterion__*``; it compares outputs
        with the standardized targets.
    **kwargs : ``module__*``, ``optimizer__*`` and ``criterion__*`` parameters
        Passed to the module's constructor, the optimizer and the criterion.

    Attributes
    ----------
    module_ : torch.nn.Module
        The fitted network; outputs standardized targets, shaped ``(n, k, width)`` for the
        built-in network (``k`` ensemble members).
    encoder_ : sknn.TabularEncoder
        The fitted table encoder (absent with a custom ``module``).
    optimizer_ : torch.optim.Optimizer or sknn.training.optim.FusedAdam
        The optimizer with its state, so that ``warm_start`` and
        ``partial_fit`` continue where the last fit stopped.
    device_ : torch.device
        The device the network lives on.
    history_ : sknn.training.History
        One dict per epoch: ``train_loss`` (the plain loss, comparable with
        ``valid_loss``), ``valid_loss``, ``valid_score``, ``lr`` (the
        learning rate of the epoch: ``learning_rate`` times the schedule),
        ``seconds``, and ``train_objective`` when label smoothing changes
        the loss being minimized; ``history_.plot()`` draws the losses and
        marks the best epoch.
    loss_curve_ : list of float
        ``train_loss`` per epoch.
    validation_scores_ : list of float or None
        Validation R^2 per epoch, when early stopping is active.
    best_validation_score_ : float or None
        Validation R^2 of the restored epoch.
    best_epoch_ : int or None
        Epoch with the lowest monitored loss (the validation loss with early
        stopping, else the training loss); with early stopping the model holds
        its weights.
    n_iter_ : int
        Epochs trained so far.
    n_outputs_ : int
        Number of targets.
    n_features_in_ : int
        Number of input features.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` had string column names.

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

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None) -> NeuralNetRegressor:
        """Train for one epoch on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
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

    def predict(self, X) -> np.ndarray:
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
