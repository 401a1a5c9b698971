"""Adam's steps for the embedding rows a batch did not meet, taken when they are met again.

Dense AdamW moves every row of an embedding table every step: a row no batch met
still follows its momentum (``exp_avg`` decays by ``beta1`` a step, ``exp_avg_sq``
by ``beta2``) and its weight decay. A table of 300,000 categories paid for this
on every batch (three quarters of an epoch's time in 1,000,000 rows). Trained by
its batches' rows only (:class:`RowTraining`, with
:class:`~sknn.training.optim.FusedAdam`), a row takes the steps it missed in one
go, in closed form, before anything reads it: when a batch looks it up, when the
rate or betas change, and at the end of each epoch. The result is dense AdamW's
to float rounding, up to the one term the closed form leaves out, ``eps`` beside
``sqrt(exp_avg_sq)``: it matters only where a row's gradients are within a few
orders of it (below about 1e-6), and such rows move a little further than dense
AdamW moves them. ``tests/test_embedding_rows.py`` compares the two.

The missed steps of one row, from its last step ``s`` to step ``s + K``, move it
by ``lr * m / sqrt(v) * c**K`` times the sum over ``k = 1 .. K`` of ``r**k``
times the bias correction ``sqrt(1 - beta2**(s+k)) / (1 - beta1**(s+k))``, where
``c = 1 - lr * weight_decay`` and ``r = beta1 / sqrt(beta2) / c``, and decay it
by ``c**K``. With ``Q[n]``, the sum over ``j > n`` of ``r**(j - n)`` times the
correction of step ``j``, that sum is ``Q[s] - r**K * Q[s + K]``: a table of
``Q`` (filled backwards, so no term is a difference of nearly equal numbers) up
to the step from which the correction is 1 to float64 rounding, and
``r / (1 - r)`` after.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import cast

import torch

ROW_STEP = "row_step"  # the optimizer state's key: the step each row last took
# the longest table of bias corrections kept (a beta2 of up to about 0.99993)
MAX_TABLE_STEPS = 2**19


def settings(group: dict) -> dict:
    """What a row's missed steps depend on: a parameter group's rate, decay and betas."""
    return {k: group[k] for k in ("lr", "weight_decay", "betas")}


def _table_steps(beta1: float, beta2: float) -> int:
    """The step from which ``beta1**j`` and ``beta2**j`` are below float64's rounding."""
    slowest = max(beta1, beta2)
    return 1 if slowest <= 0 else math.ceil(54 * math.log(2) / -math.log(slowest))


def takes_rows(group: dict, decoupled: bool) -> bool:
    """Whether a parameter group's missed steps have the closed form: a ``beta2`` above
    0 and of a table of at most :data:`MAX_TABLE_STEPS` corrections, steps that fade
    (``beta1 / sqrt(beta2)`` below the weight decay's factor ``1 - lr * weight_decay``)
    and no gradient from the weight decay itself (decoupled, as AdamW's, or none)."""
    beta1, beta2 = group["betas"]
    keep = 1 - group["lr"] * group["weight_decay"]
    return (
        0 < beta2 < 1
        and _table_steps(beta1, beta2) <= MAX_TABLE_STEPS
        and beta1 < keep * math.sqrt(beta2)
        and (decoupled or group["weight_decay"] == 0)
    )


def row_steps(state: dict, param: torch.Tensor) -> torch.Tensor:
    """Each row's last step (int64), every row current where the table is new to rows."""
    steps = state.get(ROW_STEP)
    if steps is None:
        now = int(state["step"].item())
        steps = state[ROW_STEP] = torch.full((param.shape[0],), now, device=param.device)
    return steps


def take_missed_steps(
    param: torch.Tensor, state: dict, rows: torch.Tensor, upto: int, group: dict
) -> None:
    """Bring ``rows`` of ``param`` (and their moments) to step ``upto``, as dense AdamW's
    steps without a gradient under ``group``'s :func:`settings` would have; ``state``
    is the parameter's optimizer state."""
    steps = row_steps(state, param)
    last = steps.index_select(0, rows)
    behind = last < upto
    if not bool(behind.any()):
        return
    rows, last = rows[behind], last[behind]
    beta1, beta2 = group["betas"]
    lr, decay = group["lr"], group["weight_decay"]
    missed = upto - last
    keep = 1 - lr * decay  # each step's weight decay (AdamW's, before its update)
    scale = lr * reach(last, missed, beta1 / math.sqrt(beta2) / keep, beta1, beta2)
    m = state["exp_avg"].index_select(0, rows)
    v = state["exp_avg_sq"].index_select(0, rows)
    direction = torch.where(v > 0, m / v.sqrt(), torch.zeros_like(m))
    shape = (-1,) + (1,) * (param.ndim - 1)
    missed_f = missed.to(torch.float64)
    moved = param.index_select(0, rows) - scale.to(param.dtype).view(shape) * direction
    moved *= (keep**missed_f).to(param.dtype).view(shape)
    param.index_copy_(0, rows, moved)
    state["exp_avg"].index_copy_(0, rows, m * (beta1**missed_f).to(m.dtype).view(shape))
    state["exp_avg_sq"].index_copy_(0, rows, v * (beta2**missed_f).to(v.dtype).view(shape))
    steps.index_fill_(0, rows, upto)


def reach(
    last: torch.Tensor, missed: torch.Tensor, ratio: float, beta1: float, beta2: float
) -> torch.Tensor:
    """How far the missed steps after step ``last`` carry ``m / sqrt(v)`` (in units of
    the rate), per row: the sum over ``j = last + 1 .. last + missed`` of
    ``ratio**(j - last)`` times the bias correction of step ``j``. ``ratio`` is
    ``beta1 / sqrt(beta2)`` over a step's weight-decay factor (below 1)."""
    table = _suffix_table(ratio, beta1, beta2, last.device)
    end = len(table) - 1
    start = table[last.clamp(max=end)]
    stop = table[(last + missed).clamp(max=end)]
    return start - ratio ** missed.to(torch.float64) * stop


@functools.lru_cache(maxsize=8)
def _suffix_table(ratio: float, beta1: float, beta2: float, device) -> torch.Tensor:
    """``Q[n]`` for ``n = 0 .. N``: the sum over ``j > n`` of ``ratio**(j - n)`` times the
    bias correction ``sqrt(1 - beta2**j) / (1 - beta1**j)``, which is 1 from step ``N``
    on (so ``Q[N] = ratio / (1 - ratio)``)."""
    steps = _table_steps(beta1, beta2)
    q = [0.0] * (steps + 1)
    q[steps] = ratio / (1 - ratio)
    for n in range(steps - 1, -1, -1):  # backwards: each entry a sum of positive terms
        j = n + 1
        q[n] = ratio * (math.sqrt(1 - beta2**j) / (1 - beta1**j) + q[n + 1])
    return torch.tensor(q, dtype=torch.float64, device=device)


class RowSteps:
    """What :class:`~sknn.training.optim.FusedAdam` adds to train tables by rows: it keeps
    each such table's :func:`settings` in ``_by_rows``, steps the rows its sparse
    gradients hold and brings the others to the current step when asked."""

    _by_rows: dict[torch.Tensor, dict]
    decoupled: bool
    state: dict
    param_groups: list[dict]

    def train_by_rows(self, param: torch.Tensor) -> bool:
        """Step ``param`` (an embedding table) by the rows its sparse gradients hold, the
        other rows taking their missed steps later (:mod:`sknn.training.lazy_rows`);
        ``False`` (and nothing changes) where its group's steps have no closed form."""
        group = self._group_of(param)
        if group is None or not takes_rows(group, self.decoupled):
            return False
        self._by_rows[param] = settings(group)
        return True

    def release_rows(self, param: torch.Tensor) -> None:
        """Bring every row of ``param`` to the current step and step it densely again."""
        self.bring_rows(param)
        self._by_rows.pop(param, None)

    def bring_rows(self, param: torch.Tensor, rows: torch.Tensor | None = None) -> None:
        """Bring ``rows`` (all by default) of a table trained by rows to the current step.

        If its group's rate, decay or betas changed since (a schedule, a callback), every
        row first takes its missed steps under the old ones; a table whose new ones have
        no closed form steps densely from then on.
        """
        taken = self._by_rows.get(param)
        state = self.state.get(param)
        if taken is None or state is None:
            return
        with torch.no_grad():
            self._bring(param, rows, state, taken)

    def _bring(self, param: torch.Tensor, rows, state: dict, taken: dict) -> None:
        group = cast(dict, self._group_of(param))
        now = int(state["step"].item())
        if settings(group) != taken:  # every row's missed steps under the old settings
            every = torch.arange(param.shape[0], device=param.device)
            take_missed_steps(param, state, every, now, taken)
            if not takes_rows(group, self.decoupled):
                self._by_rows.pop(param)
            else:
                self._by_rows[param] = settings(group)
            return  # every row is current
        if rows is None:
            rows = torch.arange(param.shape[0], device=param.device)
        take_missed_steps(param, state, rows, now, taken)

    def settle_rows(self) -> None:
        """Bring every row of the tables trained by rows to the current step."""
        for param in list(self._by_rows):
            self.bring_rows(param)

    def _sparse(self, group: dict, param: torch.Tensor, grad: torch.Tensor) -> torch.Tensor | None:
        """Step the rows a sparse gradient holds, each first brought to the step before
        (:meth:`bring_rows`): dense AdamW's result without touching the rows no batch
        meets. A table not trained by rows gets its gradient back dense."""
        grad = grad.coalesce()
        rows = grad.indices()[0]
        with torch.no_grad():
            state = self._state(param)
            self.bring_rows(param, rows)  # also starts the rows' steps of a new table
            if param not in self._by_rows:
                return grad.to_dense()
            now = int(state["step"].add_(1).item())
            taken = {name: state[name].index_select(0, rows) for name in ("exp_avg", "exp_avg_sq")}
            weights = param.index_select(0, rows)
            values = grad.values().to(param.dtype)
            self._step(group, [weights], [values], [taken], [state["step"]])
            param.index_copy_(0, rows, weights)
            for name, part in taken.items():
                state[name].index_copy_(0, rows, part)
            state[ROW_STEP].index_fill_(0, rows, now)
        return None

    def _group_of(self, param: torch.Tensor) -> dict | None:
        return next((g for g in self.param_groups if any(p is param for p in g["params"])), None)

    def _state(self, p: torch.Tensor) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def _step(self, group: dict, params: list, grads: list, states: list, steps: list) -> None:
        raise NotImplementedError


class RowTraining:
    """Embedding ``tables`` trained by their batches' rows only while a fit runs, where
    ``optimizer`` takes them (:meth:`~sknn.training.optim.FusedAdam.train_by_rows`:
    AdamW, or Adam without weight decay, with betas :func:`takes_rows` accepts);
    otherwise nothing changes.

    Each table sends sparse gradients (its ``sparse`` flag), and a hook brings the
    rows any lookup reads to the current step first (a row read before its missed
    steps would give another gradient, or another prediction, than dense AdamW's).
    :meth:`settle` brings every row to the current step (at the end of an epoch,
    before the rate changes and before anything reads the weights); :meth:`close`
    settles and gives the tables back as they were.
    """

    def __init__(self, tables: Iterable[torch.nn.Embedding], optimizer):
        self.optimizer = optimizer
        self.tables: list[torch.nn.Embedding] = []
        self._hooks: list = []
        tables = list(tables)
        if not tables or not hasattr(optimizer, "train_by_rows"):
            return
        for table in tables:
            if table.sparse or not optimizer.train_by_rows(table.weight):
                continue  # sparse already, not trained, or its group's steps have no closed form
            table.sparse = True
            self.tables.append(table)
            self._hooks.append(table.register_forward_pre_hook(self._bring_rows))

    def _bring_rows(self, table: torch.nn.Embedding, inputs: tuple) -> None:
        self.optimizer.bring_rows(table.weight, torch.unique(inputs[0]))

    def settle(self) -> None:
        """Bring every row of the tables to the optimizer's current step."""
        if self.tables:
            self.optimizer.settle_rows()

    def close(self) -> None:
        """Settle, then make the tables dense again and remove the hooks."""
        for hook in self._hooks:
            hook.remove()
        for table in self.tables:
            self.optimizer.release_rows(table.weight)
            table.sparse = False
        self.tables, self._hooks = [], []
