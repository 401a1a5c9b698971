"""Adam's steps for the embedding rows a batch did not meet, taken when they are met again.

Dense AdamW moves every row of an embedding table every step: a row no batch met
still follows its momentum (``exp_avg`` decays by ``beta1`` a step, ``exp_avg_sq``
by ``beta2``) and its weight decay. A table of 300,000 categories paid for this
on every batch (three quarters of an epoch's time in 1,000,000 rows). Trained by
its batches' rows only (:meth:`~sknn.training.optim.FusedAdam.apply` with sparse
gradients), a row takes the steps it missed in one go, in closed form, when a
batch meets it again or when the epoch ends (before its rate changes and before
anything reads the weights). The result is dense AdamW's up to the one term the
closed form leaves out, ``eps`` beside ``sqrt(exp_avg_sq)`` (the drift of the
bias correction is tabled exactly). ``eps`` matters only where a row's gradients
are within a few orders of it (below about 1e-6): such rows move a little further
than dense AdamW moves them. ``tests/test_embedding_rows.py`` compares the two.

The missed steps of one row, from its last step ``s`` to step ``s + K``, with
``r = beta1 / sqrt(beta2)`` (below 1, or rows are not trained this way), move it
by the sum over ``k = 1 .. K`` of ``lr * c**(K - k) * r**k * m / sqrt(v)`` times the
bias correction of step ``s + k``, and decay it by ``c**K``, where
``c = 1 - lr * weight_decay``: a geometric sum, with the correction tabled for the
first :data:`BIAS_STEPS` steps and 1 after.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

import torch

ROW_STEP = "row_step"  # the optimizer state's key: the step each row last took
# from this step on Adam's bias correction is 1 to float64 rounding for betas of up
# to (0.9, 0.95); a larger beta2 keeps a correction that the closed form leaves out
BIAS_STEPS = 1024


def takes_rows(group: dict, decoupled: bool) -> bool:
    """Whether a parameter group's missed steps have the closed form: steps that fade
    (``beta1 / sqrt(beta2)`` below the weight decay's factor ``1 - lr * weight_decay``)
    and no gradient from the weight decay itself (decoupled, as AdamW's, or none)."""
    beta1, beta2 = group["betas"]
    keep = 1 - group["lr"] * group["weight_decay"]
    return beta1 / math.sqrt(beta2) < keep and (decoupled or group["weight_decay"] == 0)


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
    steps without a gradient would have; ``state`` is the parameter's optimizer state."""
    steps = row_steps(state, param)
    last = steps.index_select(0, rows)
    behind = last < upto
    if not bool(behind.any()):
        return
    rows, last = rows[behind], last[behind]
    beta1, beta2 = group["betas"]
    lr, decay = group["lr"], group["weight_decay"]
    missed = (upto - last).to(torch.float64)
    keep = 1 - lr * decay  # each step's weight decay (AdamW's, before its update)
    scale = lr * reach(last, missed, beta1 / math.sqrt(beta2) / keep, beta1, beta2)
    m = state["exp_avg"].index_select(0, rows)
    v = state["exp_avg_sq"].index_select(0, rows)
    direction = torch.where(v > 0, m / v.sqrt(), torch.zeros_like(m))
    shape = (-1,) + (1,) * (param.ndim - 1)
    moved = param.index_select(0, rows) - scale.to(param.dtype).view(shape) * direction
    moved *= (keep**missed).to(param.dtype).view(shape)
    param.index_copy_(0, rows, moved)
    state["exp_avg"].index_copy_(0, rows, m * (beta1**missed).to(m.dtype).view(shape))
    state["exp_avg_sq"].index_copy_(0, rows, v * (beta2**missed).to(v.dtype).view(shape))
    steps.index_fill_(0, rows, upto)


def reach(
    last: torch.Tensor, missed: torch.Tensor, ratio: float, beta1: float, beta2: float
) -> torch.Tensor:
    """How far the missed steps after step ``last`` carry ``m / sqrt(v)``, per row:
    the sum over ``j = last + 1 .. last + missed`` of ``ratio**(j - last)`` times the
    bias correction ``sqrt(1 - beta2**j) / (1 - beta1**j)`` (taken as 1 from step
    :data:`BIAS_STEPS` on, where it is 1 to float64 rounding). ``ratio`` is
    ``beta1 / sqrt(beta2)`` over a step's weight-decay factor ``1 - lr * weight_decay``,
    which the moved row is multiplied by ``missed`` times after."""
    prefix = _corrected_prefix(ratio, beta1, beta2, last.device)
    end = last + missed.to(torch.int64)
    early_end = end.clamp(max=BIAS_STEPS)
    early_start = last.clamp(max=BIAS_STEPS)
    early = (prefix[early_end] - prefix[early_start]) / ratio ** last.clamp(max=BIAS_STEPS).to(
        torch.float64
    )
    # the rest, with the correction at 1: ratio**k for k = skip + 1 .. missed
    skip = (BIAS_STEPS - last).clamp(min=0).to(torch.float64)
    late = (ratio ** (skip + 1) - ratio ** (missed + 1)).clamp(min=0) / (1 - ratio)
    return early + torch.where(missed > skip, late, torch.zeros_like(late))


@functools.lru_cache(maxsize=8)
def _corrected_prefix(ratio: float, beta1: float, beta2: float, device) -> torch.Tensor:
    """``P[n]``: the sum over ``j = 1 .. n`` of ``ratio**j`` times the bias correction."""
    j = torch.arange(1, BIAS_STEPS + 1, dtype=torch.float64)
    terms = ratio**j * torch.sqrt(1 - beta2**j) / (1 - beta1**j)
    return torch.cat([torch.zeros(1, dtype=torch.float64), terms.cumsum(0)]).to(device)


def settle(param: torch.Tensor, state: dict, group: dict) -> None:
    """Bring every row of a table trained by rows to the parameter's current step."""
    if ROW_STEP not in state:
        return
    rows = torch.arange(param.shape[0], device=param.device)
    take_missed_steps(param, state, rows, int(state["step"].item()), group)


class RowTraining:
    """Embedding ``tables`` trained by their batches' rows only while a fit runs, where
    ``optimizer`` takes sparse gradients (:class:`~sknn.training.optim.FusedAdam`,
    its groups as :func:`takes_rows` asks); otherwise nothing changes.

    Each table sends sparse gradients (its ``sparse`` flag), and a hook brings the
    rows a batch looks up to the current step before the batch reads them (a row
    read before its missed steps would give another gradient than dense AdamW's).
    :meth:`settle` brings every row to the current step (at the end of an epoch,
    before the rate changes and before anything reads the weights); :meth:`close`
    settles and gives the tables back as they were. An optimizer that takes no
    sparse gradients (SGD, any ``torch.optim`` class) keeps the tables dense.
    """

    def __init__(self, tables: Iterable[torch.nn.Embedding], optimizer):
        self.optimizer = optimizer
        self.tables: list[torch.nn.Embedding] = []
        self._hooks: list = []
        if not getattr(optimizer, "takes_sparse_rows", False):
            return
        groups = {id(p): g for g in optimizer.param_groups for p in g["params"]}
        for table in tables:
            group = groups.get(id(table.weight))
            if table.sparse or group is None:  # sparse already, or not trained
                continue
            table.sparse = True
            self.tables.append(table)
            self._hooks.append(table.register_forward_pre_hook(self._bring_rows(group)))

    def _bring_rows(self, group: dict):
        def hook(table: torch.nn.Embedding, inputs: tuple) -> None:
            state = self.optimizer.state.get(table.weight)
            if state is None or not torch.is_grad_enabled():
                return
            rows = torch.unique(inputs[0])
            with torch.no_grad():
                take_missed_steps(table.weight, state, rows, int(state["step"].item()), group)

        return hook

    def settle(self) -> None:
        """Bring every row of the tables to the optimizer's current step."""
        if self.tables:
            self.optimizer.settle_rows()

    def close(self) -> None:
        """Settle, then make the tables dense again and remove the hooks."""
        self.settle()
        for hook in self._hooks:
            hook.remove()
        for table in self.tables:
            table.sparse = False
        self.tables, self._hooks = [], []
