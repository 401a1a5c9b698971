"""Per-epoch training records."""

from __future__ import annotations

from typing import Any


class History(list):
    """A list with one dict per epoch.

    Keys: ``epoch``, ``train_loss``, ``valid_loss``, ``valid_score``, ``lr`` and
    ``seconds``; validation entries are ``None`` when no validation set is used.
    """

    def column(self, key: str) -> list[Any]:
        """Return one key across all epochs, e.g. ``history.column("train_loss")``."""
        return [row.get(key) for row in self]

    def to_frame(self):
        """Return the history as a :class:`pandas.DataFrame`, one row per epoch."""
        import pandas as pd

        return pd.DataFrame(list(self))

    def plot(self, ax=None):
        """Plot train and validation loss per epoch (needs matplotlib)."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:  # pragma: no cover - optional dependency
            raise ImportError("History.plot needs matplotlib: pip install matplotlib") from exc
        if ax is None:
            _, ax = plt.subplots()
        epochs = self.column("epoch")
        ax.plot(epochs, self.column("train_loss"), label="train loss")
        if any(v is not None for v in self.column("valid_loss")):
            ax.plot(epochs, self.column("valid_loss"), label="validation loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.legend()
        return ax
