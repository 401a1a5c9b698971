"""What scikit-learn's MLP does after each epoch, as a callback and stopper for the Trainer.

After every epoch scikit-learn's MLP records the loss (and the validation
score), counts epochs without an improvement larger than ``tol``, lets the
optimizer update its rate, and asks the optimizer whether to stop once the
count exceeds ``n_iter_no_change``. The counters live on the estimator, under
scikit-learn's names, so they carry over between warm-started fits and
``partial_fit`` calls as they do there.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import is_classifier
from torch import nn

from sknn.training.callbacks import Callback


class SklearnEpochEnd(Callback):
    """scikit-learn's end-of-epoch bookkeeping and stopping rule.

    Pass it to :class:`~sknn.training.Trainer` both as a callback (it records
    the epoch on the estimator) and as the stopper (it decides whether to go on).

    Parameters
    ----------
    estimator : BaseMultilayerPerceptron
        Receives ``n_iter_``, ``t_``, ``loss_``, ``loss_curve_``,
        ``validation_scores_``, ``best_loss_``, ``best_validation_score_`` and
        ``_no_improvement_count``.
    optimizer : sknn.mlp._optimizers.BaseOptimizer
        Updates the rate at each epoch's end and decides whether to stop.
    n_train : int
        Training rows per epoch (added to ``t_``).
    early_stopping : bool
        Watch the validation score instead of the training loss.
    float32_targets : bool
        The targets are float32 (with float32 rows, a regressor's losses are).
    """

    def __init__(
        self, estimator, optimizer, n_train: int, *, early_stopping: bool, float32_targets: bool
    ):
        self.estimator = estimator
        self.optimizer = optimizer
        self.n_train = n_train
        self.early_stopping = early_stopping
        self.monitor = "valid_score" if early_stopping else "train_loss"
        self.best_epoch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.stopped = False
        # scikit-learn's losses are numpy scalars of its arithmetic's dtype: a
        # regressor's float32 rows and targets keep float32; float64 targets (beside
        # float32 rows) and a classifier's 0/1 labels (int64) make float64
        regressor_in_float32 = (
            estimator.coefs_[0].dtype == np.float32
            and float32_targets
            and not is_classifier(estimator)
        )
        self.loss_type = np.float32 if regressor_in_float32 else np.float64

    def on_epoch_end(self, record) -> None:
        est = self.estimator
        est.n_iter_ += 1
        est.t_ += self.n_train
        est.loss_ = self.loss_type(record["train_loss"])
        est.loss_curve_.append(est.loss_)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
        if self.early_stopping:
            est.validation_scores_.append(record["valid_score"])
            if est.verbose:
                print(f"Validation score: {record['valid_score']:f}")

    def update(self, value: float, epoch: int, module: nn.Module) -> bool:
        """Count the epoch (improved or not); return ``True`` to stop."""
        est = self.estimator
        # comparisons with NaN are False, as in scikit-learn: a NaN resets the count
        if self.early_stopping:
            improved_by_tol = not value < est.best_validation_score_ + est.tol
            if value > est.best_validation_score_:
                est.best_validation_score_ = value
                self._keep_best(epoch, module)
        else:
            improved_by_tol = not value > est.best_loss_ - est.tol
            if value < est.best_loss_:
                est.best_loss_ = self.loss_type(value)
                self.best_epoch = epoch
        est._no_improvement_count = 0 if improved_by_tol else est._no_improvement_count + 1
        self.optimizer.iteration_ends(est.t_)
        if est._no_improvement_count > est.n_iter_no_change:
            what = "Validation score" if self.early_stopping else "Training loss"
            msg = (
                f"{what} did not improve more than tol={est.tol:f} for "
                f"{est.n_iter_no_change} consecutive epochs."
            )
            if self.optimizer.trigger_stopping(msg, est.verbose):
                self.stopped = True
                return True
            est._no_improvement_count = 0
        return False

    def _keep_best(self, epoch: int, module: nn.Module) -> None:
        self.best_epoch = epoch
        self.best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
