"""Stopping when a monitored quantity stops improving, keeping the best weights."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Protocol

import torch
from torch import nn


class Stopper(Protocol):
    """What the :class:`~sknn.training.Trainer` asks of the object that stops it.

    :class:`EarlyStopping` is one; the drop-in MLPs bring scikit-learn's rule.
    """

    monitor: str  # the key of the epoch record it watches
    best_epoch: int | None

    def update(self, value: float, epoch: int, module: nn.Module) -> bool:
        """Record an epoch's monitored ``value``; ``True`` to stop training."""
        ...


MONITORED = frozenset({"valid_loss", "valid_score", "train_loss"})  # keys of each epoch's record


class EarlyStopping:
    """Track the best epoch of a monitored quantity and its weights.

    Parameters
    ----------
    patience : int or None
        Epochs without an improvement larger than ``tol`` before stopping (at
        least 1); ``None`` never stops (the best weights are still tracked).
    tol : float
        Minimum improvement that resets the patience counter (at least 0).
    monitor : {"valid_loss", "valid_score", "train_loss"}
        The history key to watch; scores are better when higher, losses lower.
        A ``valid_*`` key needs validation data (``Trainer.fit`` refuses it
        without).
    """

    def __init__(
        self,
        patience: int | None,
        tol: float,
        monitor: str = "valid_loss",
    ):
        if monitor not in MONITORED:
            raise ValueError(f"monitor must be one of {sorted(MONITORED)}, got {monitor!r}.")
        if patience is not None and (
            isinstance(patience, bool) or not isinstance(patience, Integral) or patience < 1
        ):
            raise ValueError(f"patience must be an int of at least 1 or None, got {patience!r}.")
        if isinstance(tol, bool) or not (isinstance(tol, Real) and math.isfinite(tol) and tol >= 0):
            raise ValueError(f"tol must be a finite number of at least 0, got {tol!r}.")
        self.patience: int | None = patience
        self.tol: float = tol
        self.monitor = monitor
        self.sign: float = 1.0 if monitor.endswith("score") else -1.0
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_epochs: int = 0

    def update(self, value: float, epoch: int, module: nn.Module) -> bool:
        """Record an epoch's value; return ``True`` when training should stop."""
        if not math.isfinite(value):
            return True
        gain = math.inf if self.best_value is None else self.sign * (value - self.best_value)
        self.bad_epochs = 0 if gain > self.tol else self.bad_epochs + 1
        if gain > 0:
            self.best_value = value
            self.best_epoch = epoch
            self.best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
        return self.patience is not None and self.bad_epochs >= self.patience

    def forget(self) -> None:
        """Drop the best epoch and its weights (found diverged after all)."""
        self.best_value = self.best_epoch = self.best_state = None
        self.bad_epochs = 0

    def restore(self, module: nn.Module) -> bool:
        """Load the best weights into ``module``; ``False`` if none were recorded."""
        if self.best_state is None:
            return False
        module.load_state_dict(self.best_state)
        return True
