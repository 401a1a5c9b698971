"""Per-epoch training records."""

from __future__ import annotations

from typing import Any

# the keys an epoch's record may hold (validation's and train_objective not always)
_KEYS = {"epoch", "train_loss", "train_objective", "valid_loss", "valid_score", "lr", "seconds"}


class History(list):
    """A list with one dict per epoch.

    Keys: ``epoch``, ``train_loss`` (the task's plain loss), ``valid_loss``
    (the trainer's ``eval_loss_fn`` of the validation set: the plain loss, or
    after a fitted temperature), ``valid_score``, ``lr`` (the learning
    rate of that epoch: ``learning_rate`` times the schedule's factor) and
    ``seconds``; ``train_objective`` too when the optimized loss differs from
    the plain one (label smoothing). Validation entries are ``None`` without a
    validation set. ``best_epoch`` is the epoch whose weights early stopping
    kept (or the lowest training loss without validation), ``None`` before
    training ends.
    """

    best_epoch: int | None = None

    def column(self, key: str) -> list[Any]:
        """Return one key across all epochs, e.g. ``history.column("train_loss")``.

        ``None`` where an epoch lacks it (no validation); a key no epoch has
        and the list above does not name (a typo: ``"val_loss"``) raises a
        ``KeyError`` naming the keys.
        """
        if self and key not in _KEYS and not any(key in row for row in self):
            known = sorted(set().union(*self))
            raise KeyError(f"{key!r} is not a key of the history; its keys are {known}.")
        return [row.get(key) for row in self]

    def to_frame(self):
        """Return the history as a :class:`pandas.DataFrame`, one row per epoch
        (NaN where an epoch has no validation: the columns are numbers)."""
        import pandas as pd

        frame = pd.DataFrame(list(self))
        for key in frame.columns.intersection(["valid_loss", "valid_score"]):
            if frame[key].dtype == object:  # None, as no validation left it
                frame[key] = frame[key].astype("float64")
        return frame

    def plot(self, ax=None):
        """Plot the training and validation loss per epoch and mark the epoch kept.

        Needs matplotlib. Both curves are the plain loss (without label
        smoothing); where the validation loss is taken after a fitted
        temperature (a classifier with held-out rows), it sits below what the
        same weights score uncalibrated, so a gap between the curves is not all
        overfitting. Returns the matplotlib axes.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:  # pragma: no cover - optional dependency
            raise ImportError("History.plot needs matplotlib: pip install matplotlib") from exc
        if ax is None:
            _, ax = plt.subplots()
        from matplotlib.ticker import MaxNLocator

        epochs = self.column("epoch")
        marker = "o" if len(epochs) < 2 else None  # one epoch: a point, not a line
        ax.plot(epochs, self.column("train_loss"), marker=marker, label="train loss")
        valid = self.column("valid_loss")
        validated = any(v is not None for v in valid)
        if validated:
            ax.plot(epochs, valid, marker=marker, label="validation loss")
        if self.best_epoch in epochs:
            row = self[epochs.index(self.best_epoch)]
            best = row["valid_loss"] if row.get("valid_loss") is not None else row["train_loss"]
            ax.axvline(self.best_epoch, color="gray", linestyle=":", linewidth=1)
            # without validation the model holds the last epoch's weights, not these
            kind = "weights kept" if validated else "lowest training loss"
            label = f"{kind} (epoch {self.best_epoch})"
            ax.plot([self.best_epoch], [best], "o", color="black", label=label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.legend()
        return ax
