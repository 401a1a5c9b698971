"""Stopping when a monitored quantity stops improving, keeping the best weights."""

from __future__ import annotations

import math

import torch
from torch import nn


class EarlyStopping:
    """Track the best epoch of a monitored quantity and its weights.

    Parameters
    ----------
    patience : int or None
        Epochs without an improvement larger than ``tol`` before stopping;
        ``None`` never stops (the best weights are still tracked).
    tol : float
        Minimum improvement that resets the patience counter.
    higher_is_better : bool
        ``True`` for scores, ``False`` for losses.
    """

    def __init__(self, patience: int | None, tol: float, higher_is_better: bool = False):
        self.patience = patience
        self.tol = tol
        self.sign = 1.0 if higher_is_better else -1.0
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_epochs = 0

    def update(self, value: float, epoch: int, module: nn.Module) -> bool:
        """Record an epoch's value; return ``True`` when training should stop."""
        if not math.isfinite(value):
            return True
        if self.best_value is None:
            improved_by_tol = True
        else:
            gain = self.sign * (value - self.best_value)
            improved_by_tol = gain > self.tol
            if gain <= 0:
                self.bad_epochs += 1
                return self.patience is not None and self.bad_epochs >= self.patience
        if improved_by_tol:
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        self.best_value = value
        self.best_epoch = epoch
        self.best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
        return self.patience is not None and self.bad_epochs >= self.patience

    def restore(self, module: nn.Module) -> bool:
        """Load the best weights into ``module``; ``False`` if none were recorded."""
        if self.best_state is None:
            return False
        module.load_state_dict(self.best_state)
        return True
