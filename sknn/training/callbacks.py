"""Training callbacks: small hooks the trainer calls at fixed points."""

from __future__ import annotations

import inspect
import sys
from typing import Any


class TrainingInterrupted(Exception):
    """Raised inside training (by a hook or a gradient step) to stop it as Ctrl-C does:
    the :class:`~sknn.training.Trainer` ends, keeping the weights trained so far."""


class Callback:
    """Base class; override the hooks you need.

    ``on_train_begin(info)`` gets a dict with ``max_epochs`` and ``n_samples``,
    and ``estimator``, the estimator being fitted, when an estimator trains
    (keep it there to score each epoch: one kept from ``__init__`` is, in a
    ``clone`` or a cross-validation fold, a copy of the original, unfitted);
    ``on_epoch_begin(epoch)`` the 1-based epoch number;
    ``on_batch_begin(info)`` a dict with ``epoch`` and ``batch``;
    ``on_batch_end(info)`` a dict with ``epoch``, ``batch`` and ``loss`` (a
    detached 0-d tensor: call ``.item()`` only if you need the number, it
    waits for the device);
    ``on_epoch_end(record)`` the epoch's history row (returning ``True``
    stops training after this epoch, keeping the weights early stopping
    would keep);
    ``on_train_end(info)`` a dict with ``best_epoch``, ``stopped_early`` and
    ``reason`` (why training ended, in words).
    A ``KeyboardInterrupt`` raised from a hook stops training like Ctrl-C.
    Batch hooks are only called when a callback overrides them, so the fast
    path pays nothing for them.
    """

    def __repr__(self) -> str:
        """The class and its constructor's plain arguments (an estimator's repr shows
        its callbacks: no memory address that changes from run to run)."""
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        held = vars(self) if hasattr(self, "__dict__") else {}  # no property is run
        shown = [
            f"{name}={held[name]!r}"
            for name in names
            if isinstance(held.get(name), bool | int | float | str)
        ]
        return f"{type(self).__name__}({', '.join(shown)})"

    def on_train_begin(self, info: dict[str, Any]) -> None:
        """Called once before the first epoch."""

    def on_epoch_begin(self, epoch: int) -> None:
        """Called at the start of each epoch."""

    def on_batch_begin(self, info: dict[str, Any]) -> None:
        """Called before each gradient step."""

    def on_batch_end(self, info: dict[str, Any]) -> None:
        """Called after each gradient step."""

    def on_epoch_end(self, record: dict[str, Any]) -> bool | None:
        """Called after each epoch with its history row; ``True`` stops training."""

    def on_train_end(self, info: dict[str, Any]) -> None:
        """Called once after the last epoch."""


class ProgressBar(Callback):
    """A live tqdm bar over epochs showing the latest losses.

    Parameters
    ----------
    print_epochs : bool
        Also print one line per epoch (``verbose >= 2``).
    bar : bool, default=True
        Show the bar; without it only the epoch lines are printed (what
        ``partial_fit`` shows: one epoch a call, where a bar would say nothing).
    """

    def __init__(self, print_epochs: bool = False, bar: bool = True):
        self.print_epochs = print_epochs
        self.bar = bar
        self._bar = None

    def on_train_begin(self, info: dict[str, Any]) -> None:
        if not self.bar:
            return
        from tqdm.auto import tqdm

        self._bar = tqdm(total=info["max_epochs"], unit="epoch", file=sys.stderr, leave=True)

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        shown = {
            key: f"{record[key]:.4f}"
            for key in ("train_loss", "valid_loss", "valid_score")
            if record.get(key) is not None
        }
        if self._bar is not None:
            self._bar.set_postfix(shown, refresh=False)
            self._bar.update(1)
        if self.print_epochs:
            text = ", ".join(f"{k}={v}" for k, v in shown.items())
            line = f"epoch {record['epoch']}: {text}, {record['seconds']:.2f}s"
            if self._bar is not None:
                self._bar.write(line, file=sys.stderr)
            else:
                print(line, file=sys.stderr)

    def on_train_end(self, info: dict[str, Any]) -> None:
        if self._bar is not None:
            # a bar that ends part-way says why rather than looking stuck
            # close() draws it once more, with the reason (a refresh here drew the last
            # line twice in a log)
            self._bar.set_description_str(info.get("reason", ""), refresh=False)
            self._bar.close()
            self._bar = None
