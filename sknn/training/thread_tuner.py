"""Choosing torch's CPU thread count by timing it during training, again and again.

A static rule cannot know whether the machine is busy: measured on 2 cores,
two threads were about 18% faster than one on a quiet machine for a large
network, but 4-5x slower (up to 24x) when another process held a core, because
an OpenMP thread spin-waits for a core it does not get. So the count is
measured: during training, blocks of batches alternate between one thread and
the ceiling (the caller's limit), the faster median batch time wins, and the
trial is repeated every ten seconds so that the choice follows the load.

On the CPU the chosen count does not change the arithmetic of small steps
(matrix products split rows, not sums): up to about a thousand rows times
ensemble members a batch, fits with the same ``random_state`` give the same
model whatever the load (checked in ``tests/test_threads.py``). In larger
steps torch sums some gradients in an order that follows the threads, so
the last digits follow the load; ``n_threads`` pins the count.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import torch

from sknn.training.callbacks import Callback


class ThreadTuner(Callback):
    """A callback that keeps torch's thread count at the faster of 1 and ``ceiling``.

    Parameters
    ----------
    ceiling : int
        The most threads to use: the caller's limit (``torch.get_num_threads()``,
        which reflects ``OMP_NUM_THREADS``, threadpoolctl and joblib's workers).
    block : int
        Batches per block of a trial; blocks alternate between the two counts,
        and all but a block's first batch are timed.
    rounds : int
        Blocks per count in a trial.
    margin : float
        More threads must be at least this much faster (0.9: 10% faster) to
        win; ties go to one thread, which cannot stall behind a busy core.
    recheck_seconds : float
        Training time between trials; the first decision, taken while the
        process is still warming up, is checked again after a second.
    warmup : int
        Batches skipped before the first trial (allocations, first calls, the
        thread pool's start).
    clock : callable
        Returns seconds; :func:`time.perf_counter` (replaceable in tests).

    Attributes
    ----------
    n_threads : int
        The count in use now.
    trials : list of dict
        One record per finished trial: ``{"one": s, "many": s, "chosen": n}``
        with median seconds per batch.
    """

    def __init__(
        self,
        ceiling: int,
        *,
        block: int = 5,
        rounds: int = 3,
        margin: float = 0.9,
        recheck_seconds: float = 10.0,
        warmup: int = 8,
        clock=time.perf_counter,
    ):
        self.ceiling = max(1, int(ceiling))
        self.block = block
        self.rounds = rounds
        self.margin = margin
        self.recheck_seconds = recheck_seconds
        self.warmup = warmup
        self.clock = clock
        self.n_threads = self.ceiling
        self.trials: list[dict[str, Any]] = []
        self._times: dict[int, list[float]] | None = None
        self._in_trial = 0  # batches into the current trial
        self._skip = warmup
        self._next_trial = 0.0
        self._tic = 0.0

    # ------------------------------------------------------------- hooks
    def on_train_begin(self, info: dict[str, Any]) -> None:
        self._set(self.n_threads)
        self._next_trial = self.clock()

    def on_batch_begin(self, info: dict[str, Any]) -> None:
        if self.ceiling == 1:
            return
        if self._times is None:
            if self._skip > 0 or self.clock() < self._next_trial:
                return
            self._times, self._in_trial = {1: [], self.ceiling: []}, 0
        self._set(self._arm())
        self._tic = self.clock()

    def on_batch_end(self, info: dict[str, Any]) -> None:
        if self._times is None:
            self._skip = max(0, self._skip - 1)
            return
        # the first batch after a switch pays for waking (or parking) threads: untimed
        if self._in_trial % self.block:
            self._times[self.n_threads].append(self.clock() - self._tic)
        self._in_trial += 1
        if self._decided():
            self._finish_trial()

    # ----------------------------------------------------------- helpers
    def _arm(self) -> int:
        """The count for the next batch: blocks alternate, many threads first."""
        return self.ceiling if (self._in_trial // self.block) % 2 == 0 else 1

    def _decided(self) -> bool:
        assert self._times is not None  # only called inside a trial
        one, many = self._times[1], self._times[self.ceiling]
        timed = self.block - 1  # per block
        if len(one) >= timed and len(many) >= timed:
            # a lopsided first round needs no second (a busy core: many threads stall)
            ratio = statistics.median(many) / statistics.median(one)
            if ratio > 2.0 or ratio < 0.5:
                return True
        return len(one) >= self.rounds * timed and len(many) >= self.rounds * timed

    def _finish_trial(self) -> None:
        assert self._times is not None  # only called inside a trial
        one = statistics.median(self._times[1])
        many = statistics.median(self._times[self.ceiling])
        chosen = self.ceiling if many < self.margin * one else 1
        self.trials.append({"one": one, "many": many, "chosen": chosen})
        self._set(chosen)
        self._times = None
        wait = min(1.0, self.recheck_seconds) if len(self.trials) == 1 else self.recheck_seconds
        self._next_trial = self.clock() + wait

    def _set(self, n: int) -> None:
        if torch.get_num_threads() != n:
            torch.set_num_threads(n)
        self.n_threads = n
