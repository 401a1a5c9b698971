"""Per-epoch training records."""

from __future__ import annotations

from typing import Any


class History(list):
    """A list with one dict per epoch.

    Keys: ``epoch``, ``train_loss`` (the task's plain loss, comparable with
    ``valid_loss``), ``valid_loss``, ``valid_score``, ``lr`` (the learning
    rate of that epoch: ``learning_rate`` times the schedule's factor) and
    ``seconds``; ``train_objective`` too when the optimized loss differs from
    the plain one (label smoothing). Validation entries are ``None`` without a
    validation set. ``best_epoch`` is the epoch whose weights early stopping
    kept (or the lowest training loss without validation), ``None`` before
    training ends.
    """

    best_epoch: int | None = None

    def column(self, key: str) -> list[Any]:
        """Return one key across all epochs, e.g. ``history.column("train_loss")``."""
        return [row.get(key) for row in self]

    def to_frame(self):
        """Return the history as a :class:`pandas.DataFrame`, one row per epoch."""
        import pandas as pd

        return pd.DataFrame(list(self))

    def plot(self, ax=None):
        """Plot the training and validation loss per epoch and mark the epoch kept.

        Needs matplotlib. Both curves are the plain loss (without label
        smoothing), so they can be compared. Returns the matplotlib axes.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:  # pragma: no cover - optional dependency
            raise ImportError("History.plot needs matplotlib: pip install matplotlib") from exc
        if ax is None:
            _, ax = plt.subplots()
        epochs = self.column("epoch")
        ax.plot(epochs, self.column("train_loss"), label="train loss")
        valid = self.column("valid_loss")
        if any(v is not None for v in valid):
            ax.plot(epochs, valid, label="validation loss")
        if self.best_epoch in epochs:
            row = self[epochs.index(self.best_epoch)]
            best = row["valid_loss"] if row.get("valid_loss") is not None else row["train_loss"]
            ax.axvline(self.best_epoch, color="gray", linestyle=":", linewidth=1)
            ax.plot(
                [self.best_epoch],
                [best],
                "o",
                color="black",
                label=f"weights kept (epoch {self.best_epoch})",
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.legend()
        return ax
