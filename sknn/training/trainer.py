"""The training loop: epochs of gradient steps over training data, validated and stopped."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from sknn.training.callbacks import Callback, TrainingInterrupted
from sknn.training.data import (
    CPU_EVAL_CHUNK,
    TrainingData,
    call,
    predict_in_chunks,
    short_tail_joined,
)
from sknn.training.divergence import DivergenceGuard
from sknn.training.early_stopping import EarlyStopping, Stopper
from sknn.training.history import History
from sknn.training.lazy_rows import RowTraining
from sknn.training.optim import Stepper
from sknn.training.schedules import Schedule

LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]
ScoreFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], float]


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
    ranks : RankGroup, optional
        This process's data-parallel group
        (:class:`~sknn.training.data_parallel.RankGroup`): each step applies
        ``ranks.gradients(grads, params)``, a batch's loss counts for
        ``ranks.rows()`` rows of the epoch, and each epoch records the loss
        totals ``ranks.epoch_sums(total, reported, rows)`` sums over the ranks.
    owner : object, optional
        What is being fitted (an estimator), given to the callbacks'
        ``on_train_begin`` as ``info["estimator"]``.
    start_epoch : int, optional
        A continued fit's starting weights are those of this epoch: with
        validation data they are judged first, as that epoch, so the fit keeps
        them unless one of its epochs does better (a warm start with too high
        a rate ended worse than it began); ``start_record`` holds their
        validation loss and score, on this fit's validation data.
    sparse_tables : sequence of nn.Embedding, default=()
        Embedding tables of ``module`` trained by their batches' rows only, where
        the optimizer takes sparse gradients and the fit is not data-parallel
        (see :class:`~sknn.training.lazy_rows.RowTraining`); otherwise dense.
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
        ranks: Any = None,
        owner: Any = None,
        start_epoch: int | None = None,
        sparse_tables: Sequence[nn.Embedding] = (),
    ):
        self.module = module
        self.loss_fn = loss_fn
        self.eval_loss_fn = eval_loss_fn or loss_fn
        self.report_loss_fn = report_loss_fn
        self.optimizer = optimizer
        self.ranks, self.owner, self.start_epoch = ranks, owner, start_epoch
        self.finished = 0  # epochs of this fit that ended (an interruption may come first)
        self.start_record: dict[str, Any] | None = None  # the starting weights, as judged
        self.stepper = Stepper(optimizer, None if ranks is None else ranks.gradients)
        self.sparse_tables = list(sparse_tables) if ranks is None else []
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
        self._batch_norm = any(isinstance(m, _BatchNorm) for m in module.modules())
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
        batches = train.batches(self.batch_size, self.generator, self.shuffle, self.order)
        if self._batch_norm:  # it cannot train on a last batch of one row
            batches = short_tail_joined(batches, 2)
        for X_batch, y_batch, w_batch in batches:
            if begin_hooks:
                begin = {"epoch": self.epoch, "batch": n_batches + 1}
                for hook in begin_hooks:
                    hook(begin)
            out = call(module, X_batch)
            loss = loss_fn(out, y_batch, w_batch)
            if report_fn is not None:
                with torch.no_grad():
                    reported = report_fn(out.detach(), y_batch, w_batch)
            step(loss)
            # a data-parallel rank's batch stands for its share of all ranks' rows
            rows = len(y_batch) if self.ranks is None else self.ranks.rows()
            if total_reported is not None:
                total_reported.add_(reported, alpha=rows)
            n_batches += 1
            n += rows
            total.add_(loss.detach(), alpha=rows)
            if batch_hooks:
                info = {"epoch": self.epoch, "batch": n_batches, "loss": loss.detach()}
                for hook in batch_hooks:
                    hook(info)
        if self.ranks is not None:  # the whole global batches' losses, alike on every rank
            total, total_reported, n = self.ranks.epoch_sums(total, total_reported, n)
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

    def _diverge(self, why: str, train: TrainingData, valid: TrainingData | None) -> None:
        """Record a divergence; without validation rows, check the best epoch's weights too.

        Without validation rows the best epoch is judged by its running training
        loss, which the epoch's last steps can outrun (weights blown up after the
        last loss was taken): those weights are loaded and their loss on the
        first rows checked, and forgotten when it exploded as well.
        """
        self.diverged, self.divergence = True, why
        stopper = self.stopper
        if valid is not None or not isinstance(stopper, EarlyStopping):
            return
        if not stopper.restore(self.module):
            return
        loss = self._loss_on_first_rows(train)
        if self.guard.check({"train_loss": loss}) is not None:
            self.divergence = (
                f"{why}; the weights of epoch {stopper.best_epoch} had diverged "
                f"already: their loss on the first rows is {loss:.3g}"
            )
            stopper.forget()

    def _loss_on_first_rows(self, train: TrainingData) -> float:
        """The training loss (as ``train_loss`` reports it) on the first rows of ``train``:
        before any step, the explosion baseline. Not ``eval_loss_fn``, which may fit
        something to the rows it scores (a temperature)."""
        head = train.head(CPU_EVAL_CHUNK)
        outputs = predict_in_chunks(self.module, head.X)
        with torch.inference_mode():
            return (self.report_loss_fn or self.loss_fn)(outputs, head.y, head.weight).item()

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
        self._validated = valid is not None  # the best epoch's weights are the ones kept
        watched = getattr(self.stopper, "monitor", "")
        if valid is None and watched.startswith("valid_"):
            raise ValueError(
                f"The stopper watches {watched!r}, which needs validation data: pass valid "
                "(a TrainingData), or monitor 'train_loss'."
            )
        if self.stop_on_divergence:
            self.guard.begin(self._loss_on_first_rows(train))
        if self.start_epoch is not None and valid is not None and watched.startswith("valid_"):
            start_loss, start_score = self.evaluate(valid)
            self.start_record = {"valid_loss": start_loss, "valid_score": start_score}
            if self.start_record[watched] is not None:
                self.stopper.update(self.start_record[watched], self.start_epoch, self.module)
        begin: dict[str, Any] = {"max_epochs": self.max_epochs, "n_samples": len(train)}
        if self.owner is not None:
            begin["estimator"] = self.owner
        for cb in self.callbacks:
            cb.on_train_begin(dict(begin))  # each its own, as before
        self.module.train()
        by_rows = RowTraining(self.sparse_tables, self.optimizer)
        try:
            for offset in range(self.max_epochs):
                self.epoch = first_epoch + offset
                for cb in self.callbacks:
                    cb.on_epoch_begin(self.epoch)
                tic = time.perf_counter()
                lr = self._base_lr()
                objective, reported = self._epoch(train)
                by_rows.settle()  # rows no batch met take their steps before anything reads them
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
                self.finished += 1
                try:
                    requested = [cb.on_epoch_end(record) is True for cb in self.callbacks]
                except (KeyboardInterrupt, TrainingInterrupted):
                    # the history holds this epoch: the stopper records it too, so that
                    # the weights kept are those of the best epoch the history shows;
                    # a diverged epoch is recorded as the divergence it is
                    why = None
                    if self.stop_on_divergence:
                        why = self._divergence(train_loss, valid_loss)
                    if why is None:
                        self.stopper.update(
                            record[self.stopper.monitor], record["epoch"], self.module
                        )
                    else:
                        self._diverge(why, train, valid)
                    raise
                if any(requested):
                    self.stopped_by_callback = True
                loss = train_loss if valid is None else valid_loss
                if self.stop_on_divergence:
                    why = self._divergence(train_loss, valid_loss)
                    if why is not None:
                        self._diverge(why, train, valid)
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
            by_rows.settle()  # the interrupted epoch's rows, before any weights are restored
            if self.stop_on_divergence and not self.diverged and not self._weights_finite():
                self._diverge("a weight became NaN or inf", train, valid)  # mid-epoch
        except Exception as error:  # a callback's, or the data's: the bar says so
            self.failure = f"{type(error).__name__}: {error}"
            raise
        finally:
            by_rows.close()  # an interrupted epoch's rows too
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
        if getattr(self, "failure", None):
            return f"failed in epoch {self.epoch}: {self.failure}"
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
        best = self.stopper.best_epoch
        kept = f"; best epoch {best}" if getattr(self, "_validated", False) and best else ""
        return f"reached max_iter ({self.max_epochs} epochs){kept}"

    def _base_lr(self) -> float:
        """The rate without per-group factors: the base learning rate x the schedule."""
        for group in self.optimizer.param_groups:
            factor = group.get("lr_multiplier", 1.0)
            if factor:
                return group["lr"] / factor
        return 0.0
