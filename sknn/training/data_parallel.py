"""Data-parallel training: each process trains on its share of every global batch.

``k`` processes (ranks) hold the same network, the same training data and the
same seed. Every epoch each of them draws the same row order and cuts the
same global batches; :class:`ShardedData` hands a rank its contiguous share
of each batch, and :class:`RankGroup` sums the ranks' gradients, each
weighted by its share of the batch's weight, with one ``all_reduce`` before
the optimizer step (and the epoch's loss totals after the epoch). The update
is then the one a single process makes on the whole global batch (up to the
order of float additions), the optimizer state, the weights and the recorded
losses stay identical on every rank, so every rank stops alike, and the loop
itself (:class:`~sknn.training.Trainer`) does not know it is one of several.

The process group is ``torch.distributed``'s, started by the caller (an
engine's workers: Dask, Ray); :func:`process_group` is a context for it.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Iterator, Sequence

import torch
import torch.distributed as dist

from sknn.training.callbacks import TrainingInterrupted
from sknn.training.data import Batch, TrainingData, take


class ShardedData:
    """Rank ``rank`` of ``world``'s share of every global batch of ``data``.

    Every rank wraps the same ``data`` and draws the same row order (the same
    generator seed), so the global batches agree; a rank gets the rows
    ``[rank * b // world, (rank + 1) * b // world)`` of a batch of ``b`` rows.
    A rank whose share of a short last batch would be empty gets one row of it
    with a weight of 0 (a loss over no rows is NaN): a stand-in that counts
    neither in the gradient sum nor in the epoch's loss. ``share`` is the
    rank's share of the current batch's weight and ``batch_rows`` the batch's
    rows: the rank's loss counts for ``share * batch_rows`` rows of the epoch.

    Parameters
    ----------
    data : TrainingData
        The whole training data, the same on every rank.
    rank, world : int
        This process's rank and the number of processes.
    """

    def __init__(self, data: TrainingData, rank: int, world: int) -> None:
        if not 0 <= rank < world:
            raise ValueError(f"rank must be in [0, world={world}), got {rank}.")
        self.data, self.rank, self.world = data, rank, world
        self.share: float = 1.0  # of the current batch's weight
        self.batch_rows = 0  # of the current global batch

    def __len__(self) -> int:
        return len(self.data)

    def head(self, rows: int) -> TrainingData:
        return self.data.head(rows)

    def take(self, rows) -> TrainingData:
        return self.data.take(rows)

    def batches(
        self,
        batch_size: int,
        generator: torch.Generator | None,
        shuffle: bool,
        order=None,
    ) -> Iterator[Batch]:
        """This rank's share of each global batch (see the class)."""
        for X, y, w in self.data.batches(batch_size, generator, shuffle, order):
            rows = self.batch_rows = len(y)
            start, stop = self.rank * rows // self.world, (self.rank + 1) * rows // self.world
            if stop == start:  # fewer rows than ranks: a stand-in row that counts for nothing
                self.share = 0.0
                stand_in = torch.zeros(1, dtype=torch.get_default_dtype() if w is None else w.dtype)
                yield take(X, slice(0, 1)), y[:1], stand_in
                continue
            part = slice(start, stop)
            if w is None:
                self.share = (stop - start) / rows
            else:  # a slice of zero weight (or a batch of it) counts for nothing too
                total = float(w.sum())
                self.share = float(w[part].sum()) / total if total else 0.0
            yield take(X, part), y[part], None if w is None else w[part]


class RankLost(TrainingInterrupted):
    """The gradient sum failed: another rank stopped answering. The trainer ends as
    on Ctrl-C, keeping the weights of the last step all ranks made together."""


class RankGroup:
    """What a rank sums with the others: each step's gradients and each epoch's losses.

    Given as ``ranks`` to a :class:`~sknn.training.Trainer`. After each
    backward pass :meth:`gradients` sums the ranks' gradients, each times its
    share of the batch's weight (one ``all_reduce``); after each epoch
    :meth:`epoch_sums` sums the ranks' loss totals, so every rank records the
    whole epoch's ``train_loss`` and decides early stopping, divergence and a
    plateau schedule alike.

    Parameters
    ----------
    shards : ShardedData
        The training data of this rank, whose ``share`` weights its gradients.
    group : torch.distributed.ProcessGroup, optional
        The ranks to sum over; by default the whole default group.
    """

    def __init__(self, shards: ShardedData, group=None) -> None:
        self.shards, self.group = shards, group
        self.lost = False  # whether a sum failed: another rank is gone

    def _sum(self, flat: torch.Tensor) -> None:
        try:
            dist.all_reduce(flat, op=dist.ReduceOp.SUM, group=self.group)
        except RuntimeError as error:  # gloo's errors when a peer is gone or times out
            self.lost = True
            # gloo's first line, without its source location: "Connection closed by peer ..."
            cause = re.sub(r"^\[[^\]]*\]\s*", "", str(error).strip())[:120]
            raise RankLost(f"a rank of the data-parallel group was lost ({cause})") from error

    def gradients(
        self, grads: Sequence[torch.Tensor | None], params: Sequence[torch.Tensor]
    ) -> list[torch.Tensor | None]:
        """The weighted sum over the ranks of ``grads`` (ordered as ``params``).

        A parameter no rank has a gradient for stays ``None`` (the optimizer
        leaves it and its state alone, as in one process); one some ranks lack
        counts as zeros there.
        """
        share = self.shards.share
        flat = torch.cat(
            [
                (torch.zeros_like(p) if g is None else g).reshape(-1)
                for g, p in zip(grads, params, strict=True)
            ]
        )
        flat = flat * share if share else torch.zeros_like(flat)  # a stand-in's NaN stays home
        present = torch.tensor([g is not None for g in grads], dtype=flat.dtype)
        flat = torch.cat([flat, present])
        self._sum(flat)
        out: list[torch.Tensor | None] = []
        offset = 0
        for p, anywhere in zip(params, flat[-len(params) :].tolist(), strict=True):
            out.append(flat[offset : offset + p.numel()].view_as(p) if anywhere else None)
            offset += p.numel()
        return out

    def rows(self) -> float:
        """The rows of the epoch the current batch's loss on this rank stands for:
        its share of the global batch's rows (the ranks' add up to the batch's)."""
        return self.shards.share * self.shards.batch_rows

    def epoch_sums(
        self, total: torch.Tensor, reported: torch.Tensor | None, rows: float
    ) -> tuple[torch.Tensor, torch.Tensor | None, float]:
        """The ranks' summed loss totals (each loss times :meth:`rows`) and rows."""
        values = [total, torch.zeros(()) if reported is None else reported, rows]
        flat = torch.stack([torch.as_tensor(v, dtype=torch.float64) for v in values])
        self._sum(flat)
        summed = flat[0].to(total.dtype)
        return summed, None if reported is None else flat[1].to(reported.dtype), flat[2].item()


@contextlib.contextmanager
def process_group(address: str, rank: int, world: int, timeout_s: float = 300.0) -> Iterator[None]:
    """A ``gloo`` process group of ``world`` ranks meeting at ``tcp://address``.

    Parameters
    ----------
    address : str
        ``host:port`` where rank 0 listens and the others connect.
    rank, world : int
        This process's rank and the number of processes.
    timeout_s : float
        How long a collective may wait for the other ranks before it fails
        (a rank lost mid-fit then raises instead of hanging).
    """
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://{address}",
        rank=rank,
        world_size=world,
        timeout=datetime.timedelta(seconds=timeout_s),
    )
    try:
        yield
    finally:
        dist.destroy_process_group()
