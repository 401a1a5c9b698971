"""Learning-rate schedules, applied once per epoch."""

from __future__ import annotations

import math

SCHEDULES = ("constant", "cosine", "plateau")


class Schedule:
    """Scale each parameter group's base learning rate per epoch.

    Parameters
    ----------
    kind : {"constant", "cosine", "plateau"}
        ``"cosine"`` anneals from the base rate to 0 over ``max_epochs``;
        ``"plateau"`` halves the rate after ``patience`` epochs without a new best
        of the monitored quantity.
    max_epochs : int
        Length of the cosine cycle.
    patience : int
        Epochs without improvement before a plateau halving.
    """

    def __init__(self, kind: str, max_epochs: int, patience: int = 5):
        if kind not in SCHEDULES:
            raise ValueError(f"Unknown schedule {kind!r}; choose one of {SCHEDULES}.")
        self.kind = kind
        self.max_epochs = max(1, max_epochs)
        self.patience = max(1, patience)
        self.factor = 1.0
        self._best = math.inf
        self._bad = 0

    def start(self, optimizer) -> None:
        """Remember each group's base learning rate."""
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])

    def step(self, optimizer, epoch: int, monitored: float | None = None) -> None:
        """Set the learning rate for the epoch after ``epoch`` (0-based)."""
        if self.kind == "constant":
            return
        if self.kind == "cosine":
            progress = min(1.0, (epoch + 1) / self.max_epochs)
            self.factor = 0.5 * (1.0 + math.cos(math.pi * progress))
        elif monitored is not None:
            if monitored < self._best:
                self._best, self._bad = monitored, 0
            else:
                self._bad += 1
                if self._bad >= self.patience:
                    self.factor *= 0.5
                    self._bad = 0
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"] * self.factor
