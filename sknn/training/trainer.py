"""The training loop: whole tensors on the device, batches sliced by index."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from sknn.training.callbacks import Callback, TrainingInterrupted
from sknn.training.divergence import DivergenceGuard
from sknn.training.early_stopping import Stopper
from sknn.training.history import History
from sknn.training.optim import Stepper
from sknn.training.schedules import Schedule

# Rows per forward pass when evaluating. On a CPU, chunks of a few thousand
# rows keep each layer's activations in cache: 100,000 rows through a 3x256
# float64 net took 0.54-0.64 s (medians) in chunks of 1,024-4,096 rows against
# 0.76-0.88 s in chunks of 65,536 and 0.85 s for numpy's unchunked products
# (2 cores, torch 2.13). An accelerator wants large launches. Both bound memory.
CPU_EVAL_CHUNK = 4_096
ACCELERATOR_EVAL_CHUNK = 65_536

LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]
ScoreFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], float]


Inputs = torch.Tensor | dict[str, torch.Tensor]


def first_tensor(X: Inputs) -> torch.Tensor:
    """The tensor, or the first tensor of a dict of tensors."""
    return next(iter(X.values())) if isinstance(X, dict) else X


def n_rows(X: Inputs) -> int:
    """Number of samples of a tensor or of a dict of tensors (first axis)."""
    return first_tensor(X).shape[0]


def take(X: Inputs, rows) -> Inputs:
    """Rows of a tensor or of every tensor in a dict (an index tensor or a slice)."""
    if isinstance(X, dict):
        return {key: value[rows] for key, value in X.items()}
    return X[rows]


def call(module: nn.Module, X: Inputs) -> torch.Tensor:
    """Run ``module`` on a tensor, or on a dict of tensors as keyword arguments."""
    return module(**X) if isinstance(X, dict) else module(X)


Batch = tuple[Inputs, torch.Tensor, torch.Tensor | None]


@dataclass
class TrainingData:
    """Inputs, targets and optional per-sample weights, already on the device.

    ``weight`` must be normalised to mean 1 so that batch losses stay comparable.
    A :class:`~sknn.training.Trainer` asks any training data for the three
    methods below; :class:`~sknn.training.streams.ChunkStream` serves them
    from chunks loaded one buffer at a time instead.
    """

    X: Inputs
    y: torch.Tensor
    weight: torch.Tensor | None = None

    def __len__(self) -> int:
        return n_rows(self.X)

    def head(self, rows: int) -> TrainingData:
        """The first ``rows`` rows, in memory."""
        return self.take(slice(0, rows))

    def take(self, rows) -> TrainingData:
        """Rows ``rows`` (an index tensor or a slice) of inputs, targets and weights."""
        weight = None if self.weight is None else self.weight[rows]
        return TrainingData(take(self.X, rows), self.y[rows], weight)

    def batches(
        self,
        batch_size: int,
        generator: torch.Generator | None,
        shuffle: bool,
        order: Callable[[int], torch.Tensor] | None = None,
    ) -> Iterator[Batch]:
        """One epoch's batches: the rows in a fresh random order (``order(n)`` if
        given, else a permutation drawn from ``generator``), or as stored."""
        n = len(self)
        X, y, w = self.X, self.y, self.weight
        if shuffle:
            perm = (order(n) if order is not None else torch.randperm(n, generator=generator)).to(
                y.device, non_blocking=True
            )
            # one gather per epoch, then every batch is a free contiguous view
            X, y = take(X, perm), y[perm]
            w = None if w is None else w[perm]
        for start in range(0, n, batch_size):
            stop = start + batch_size
            yield take(X, slice(start, stop)), y[start:stop], None if w is None else w[start:stop]


def predict_in_chunks(module: nn.Module, X: Inputs, chunk: int | None = None) -> torch.Tensor:
    """Forward ``X`` through ``module`` in eval mode, without autograd.

    ``chunk`` rows at a time; by default a size suited to ``X``'s device.
    """
    if chunk is None:
        on_cpu = first_tensor(X).device.type == "cpu"
        chunk = CPU_EVAL_CHUNK if on_cpu else ACCELERATOR_EVAL_CHUNK
    was_training = module.training
    if was_training:
        module.eval()
    try:
        with torch.inference_mode():
            n = n_rows(X)
            if n <= chunk:
                return call(module, X)
            return torch.cat(
                [call(module, take(X, slice(i, i + chunk))) for i in range(0, n, chunk)]
            )
    finally:
        if was_training:
            module.train()


def weighted_mean(values: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``values`` along the first axis, weighted when ``weight`` is given."""
    if weight is None:
        return values.mean()
    return (values * weight).sum() / weight.sum()


class Trainer:
    """Fit a module by minibatch gradient descent.

    Parameters
    ----------
    module : nn.Module
        The network; trained in place.
    loss_fn : callable
        ``loss_fn(outputs, targets, weight)`` returning the (weighted) mean loss.
    optimizer : torch.optim.Optimizer
        Already built over ``module``'s parameters.
    batch_size : int
        Rows per gradient step.
    max_epochs : int
        Upper bound on passes over the training data.
    schedule : Schedule or None
        Per-epoch learning-rate schedule; ``None`` keeps the rate.
    stopper : Stopper
        Watches the quantity named by its ``monitor`` attribute (a key of the
        epoch record) through ``update(value, epoch, module)``, which returns
        ``True`` to stop; any object with that interface and a ``best_epoch``
        attribute will do.
    score_fn : callable, optional
        ``score_fn(outputs, targets, weight)`` for the validation score.
    callbacks : sequence of Callback
        Hooks called at the start, after each epoch and at the end.
    generator : torch.Generator
        Source of the shuffling permutations.
    shuffle : bool
        Reshuffle the training rows every epoch.
    order : callable, optional
        ``order(n_rows)`` returns the row order (an index tensor) of each epoch
        when shuffling; by default a fresh permutation drawn from ``generator``.
    eval_loss_fn : callable, optional
        The loss reported on validation data (default: ``loss_fn``), e.g.
        without the label smoothing of the training loss.
    report_loss_fn : callable, optional
        The loss recorded as ``train_loss``, computed without gradients on each
        batch's outputs, when it differs from the objective (e.g. the plain
        cross-entropy when training on smoothed labels); the objective is then
        recorded as ``train_objective``.
    stop_on_divergence : bool
        Stop as soon as a weight or an epoch's loss stops being finite, or a
        loss explodes (see :class:`~sknn.training.divergence.DivergenceGuard`):
        ``diverged`` is then set and ``divergence`` says why. ``False`` leaves
        the decision to the stopper.
    reduce_gradients : callable, optional
        ``reduce_gradients(grads, params)`` returns the gradients each step applies
        (:class:`~sknn.training.data_parallel.GradientAllReduce`: a sum over ranks).
    """

    def __init__(
        self,
        module: nn.Module,
        loss_fn: LossFn,
        optimizer: torch.optim.Optimizer,
        *,
        batch_size: int,
        max_epochs: int,
        schedule: Schedule | None = None,
        stopper: Stopper,
        score_fn: ScoreFn | None = None,
        callbacks: Sequence[Callback] = (),
        generator: torch.Generator | None = None,
        shuffle: bool = True,
        order: Callable[[int], torch.Tensor] | None = None,
        eval_loss_fn: LossFn | None = None,
        report_loss_fn: LossFn | None = None,
        stop_on_divergence: bool = True,
        reduce_gradients: Callable | None = None,
    ):
        self.module = module
        self.loss_fn = loss_fn
        self.eval_loss_fn = eval_loss_fn or loss_fn
        self.report_loss_fn = report_loss_fn
        self.optimizer = optimizer
        self.stepper = Stepper(optimizer, reduce_gradients)
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.schedule = schedule
        self.stopper = stopper
        self.score_fn = score_fn
        self.callbacks = list(callbacks)
        self._batch_begin_hooks = [
            cb.on_batch_begin
            for cb in self.callbacks
            if type(cb).on_batch_begin is not Callback.on_batch_begin
        ]
        self._batch_hooks = [
            cb.on_batch_end
            for cb in self.callbacks
            if type(cb).on_batch_end is not Callback.on_batch_end
        ]
        self.generator = generator
        self.shuffle = shuffle
        self.order = order
        self.stop_on_divergence = stop_on_divergence
        self.guard = DivergenceGuard()
        self.divergence: str | None = None
        # the dtype the epoch's losses are summed in: the network's
        floating = [p.dtype for p in module.parameters() if p.is_floating_point()]
        self._loss_dtype = floating[0] if floating else torch.float32
        self._device = next((p.device for p in module.parameters()), torch.device("cpu"))
        self.stopped_early = False
        self.stopped_by_callback = False
        self.interrupted: BaseException | None = None  # the KeyboardInterrupt, or the like
        self.diverged = False
        self.epoch = 0  # the epoch running (or last run)

    def _epoch(self, train: TrainingData) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One pass over ``train``: the mean objective and the mean reported loss (tensors)."""
        module, loss_fn, step = self.module, self.loss_fn, self.stepper
        report_fn = self.report_loss_fn
        begin_hooks, batch_hooks = self._batch_begin_hooks, self._batch_hooks
        # running sums in place: a list of per-batch 0-d tensors would pin small
        # blocks between the batches' activations and fragment the heap (+150 MB
        # of RSS over 780 batches, measured)
        # in the training dtype: a float32 sum of float64 losses rounds away
        # digits that scikit-learn's loss_curve_ keeps
        dtype, device = self._loss_dtype, self._device
        total = torch.zeros((), device=device, dtype=dtype)
        total_reported = (
            torch.zeros((), device=device, dtype=dtype) if report_fn is not None else None
        )
        n_batches = n = 0
        for X_batch, y_batch, w_batch in train.batches(
            self.batch_size, self.generator, self.shuffle, self.order
        ):
            if begin_hooks:
                begin = {"epoch": self.epoch, "batch": n_batches + 1}
                for hook in begin_hooks:
                    hook(begin)
            out = call(module, X_batch)
            rows = len(y_batch)
            loss = loss_fn(out, y_batch, w_batch)
            if total_reported is not None and report_fn is not None:
                with torch.no_grad():
                    total_reported.add_(report_fn(out.detach(), y_batch, w_batch), alpha=rows)
            step(loss)
            n_batches += 1
            n += rows
            total.add_(loss.detach(), alpha=rows)
            if batch_hooks:
                info = {"epoch": self.epoch, "batch": n_batches, "loss": loss.detach()}
                for hook in batch_hooks:
                    hook(info)
        objective = total / n
        return objective, None if total_reported is None else total_reported / n

    def _weights_finite(self) -> bool:
        """Whether every parameter is finite (the last step can overflow them)."""
        flags = [p.isfinite().all() for p in self.module.parameters()]
        return bool(torch.stack(flags).all()) if flags else True

    def _divergence(self, train_loss: float, valid_loss: float | None) -> str | None:
        """Why the epoch just run diverged, in words, or ``None``."""
        if not self._weights_finite():
            return "a weight became NaN or inf"
        return self.guard.check({"train_loss": train_loss, "valid_loss": valid_loss})

    def _loss_before_training(self, train: TrainingData) -> float:
        """The loss on the first rows of ``train`` before any step: the explosion baseline."""
        return self.evaluate(train.head(CPU_EVAL_CHUNK), score=False)[0]

    def evaluate(self, data: TrainingData, score: bool = True) -> tuple[float, float | None]:
        """Return the weighted mean loss and (unless ``score=False``) the score on ``data``."""
        outputs = predict_in_chunks(self.module, data.X)
        with torch.inference_mode():
            loss = self.eval_loss_fn(outputs, data.y, data.weight).item()
            if not score or self.score_fn is None:
                return loss, None
            return loss, self.score_fn(outputs, data.y, data.weight)

    def fit(self, train: TrainingData, valid: TrainingData | None, history: History) -> None:
        """Train until ``max_epochs``, early stopping, divergence or an interruption."""
        if self.schedule is not None:
            self.schedule.start(self.optimizer)
        first_epoch = len(history) + 1
        if self.stop_on_divergence:
            self.guard.begin(self._loss_before_training(train))
        for cb in self.callbacks:
            cb.on_train_begin({"max_epochs": self.max_epochs, "n_samples": len(train)})
        self.module.train()
        try:
            for offset in range(self.max_epochs):
                self.epoch = first_epoch + offset
                for cb in self.callbacks:
                    cb.on_epoch_begin(self.epoch)
                tic = time.perf_counter()
                lr = self._base_lr()
                objective, reported = self._epoch(train)
                train_loss = (objective if reported is None else reported).item()
                valid_loss = valid_score = None
                if valid is not None:
                    valid_loss, valid_score = self.evaluate(valid)
                    self.module.train()
                record: dict[str, Any] = {
                    "epoch": first_epoch + offset,
                    "train_loss": train_loss,
                    **({} if reported is None else {"train_objective": objective.item()}),
                    "valid_loss": valid_loss,
                    "valid_score": valid_score,
                    "lr": lr,
                    "seconds": time.perf_counter() - tic,
                }
                history.append(record)
                requested = [cb.on_epoch_end(record) is True for cb in self.callbacks]
                if any(requested):
                    self.stopped_by_callback = True
                loss = train_loss if valid is None else valid_loss
                if self.stop_on_divergence:
                    self.divergence = self._divergence(train_loss, valid_loss)
                    if self.divergence is not None:
                        self.diverged = True
                        break
                monitored = record[self.stopper.monitor]
                if self.stopper.update(monitored, record["epoch"], self.module):
                    self.stopped_early = True
                    break
                if self.stopped_by_callback:
                    break
                if self.schedule is not None:
                    self.schedule.step(self.optimizer, offset, loss)
        except (KeyboardInterrupt, TrainingInterrupted) as interruption:
            self.interrupted = interruption
        finally:
            self.module.eval()
            history.best_epoch = self.stopper.best_epoch
            info = {
                "best_epoch": self.stopper.best_epoch,
                "stopped_early": self.stopped_early,
                "reason": self.stop_reason(),
            }
            for cb in self.callbacks:
                cb.on_train_end(info)

    def stop_reason(self) -> str:
        """Why training ended, in words (for progress bars and logs)."""
        if self.interrupted:
            return f"interrupted in epoch {self.epoch}"
        if self.diverged:
            return f"stopped in epoch {self.epoch}: {self.divergence}"
        if self.stopped_by_callback and not self.stopped_early:
            return f"stopped in epoch {self.epoch} at a callback's request"
        if self.stopped_early:
            what = self.stopper.monitor.replace("_", " ")
            patience = getattr(self.stopper, "patience", None)
            since = f" for {patience} epochs" if patience else ""
            return (
                f"stopped early in epoch {self.epoch}: no {what} improvement{since}; "
                f"best epoch {self.stopper.best_epoch}"
            )
        return f"reached max_iter ({self.max_epochs} epochs)"

    def _base_lr(self) -> float:
        """The rate without per-group factors: the base learning rate x the schedule."""
        for group in self.optimizer.param_groups:
            factor = group.get("lr_multiplier", 1.0)
            if factor:
                return group["lr"] / factor
        return 0.0
