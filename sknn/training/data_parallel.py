"""Data-parallel training: each process trains on its share of every global batch.

``k`` processes (ranks) hold the same network, the same training data and the
same seed. Every epoch each of them draws the same row order and cuts the
same global batches; :class:`ShardedData` hands a rank its contiguous share
of each batch, and :class:`GradientAllReduce` sums the ranks' gradients, each
weighted by its share of the batch's weight, with one ``all_reduce`` before
the optimizer step. The update is then the one a single process makes on the
whole global batch (up to the order of float additions), the optimizer state
and the weights stay identical on every rank, and the loop itself
(:class:`~sknn.training.Trainer`) does not know it is one of several.

The process group is ``torch.distributed``'s, started by the caller (an
engine's workers: Dask, Ray); :func:`process_group` is a context for it.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator, Sequence

import torch
import torch.distributed as dist

from sknn.training.callbacks import TrainingInterrupted
from sknn.training.trainer import Batch, TrainingData, take


class ShardedData:
    """Rank ``rank`` of ``world``'s share of every global batch of ``data``.

    Every rank wraps the same ``data`` and draws the same row order (the same
    generator seed), so the global batches agree; a rank gets the rows
    ``[rank * b // world, (rank + 1) * b // world)`` of a batch of ``b`` rows.
    A rank whose share of a short last batch would be empty gets one row of it
    with a weight of 0 in the gradient sum (a loss over no rows is NaN).

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
        self.share: float | torch.Tensor = 1.0  # of the current batch's weight

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
            rows = len(y)
            start, stop = self.rank * rows // self.world, (self.rank + 1) * rows // self.world
            if stop == start:  # fewer rows than ranks: a stand-in row that counts for nothing
                self.share = 0.0
                part = slice(0, 1)
            else:
                part = slice(start, stop)
                if w is None:
                    self.share = (stop - start) / rows
                else:
                    self.share = w[part].sum() / w.sum()
            yield take(X, part), y[part], None if w is None else w[part]


class RankLost(TrainingInterrupted):
    """The gradient sum failed: another rank stopped answering. The trainer ends as
    on Ctrl-C, keeping the weights of the last step all ranks made together."""


class GradientAllReduce:
    """Sums the ranks' gradients, each times its share of the batch (one ``all_reduce``).

    Given as ``reduce_gradients`` to a :class:`~sknn.training.Trainer`: it is
    called with the gradients of the optimizer's parameters after each
    backward pass and returns those the step applies. A parameter without a
    gradient on this rank counts as zeros.

    Parameters
    ----------
    shards : ShardedData
        The training data of this rank, whose ``share`` weights its gradients.
    group : torch.distributed.ProcessGroup, optional
        The ranks to sum over; by default the whole default group.
    """

    def __init__(self, shards: ShardedData, group=None) -> None:
        self.shards, self.group = shards, group

    def __call__(
        self, grads: Sequence[torch.Tensor | None], params: Sequence[torch.Tensor]
    ) -> list[torch.Tensor]:
        filled = [
            torch.zeros_like(p) if g is None else g for g, p in zip(grads, params, strict=True)
        ]
        flat = torch.cat([g.reshape(-1) for g in filled]) * self.shards.share
        try:
            dist.all_reduce(flat, op=dist.ReduceOp.SUM, group=self.group)
        except RuntimeError as error:  # gloo's errors when a peer is gone or times out
            raise RankLost(f"a rank of the data-parallel group was lost ({error})") from error
        out, offset = [], 0
        for p in params:
            out.append(flat[offset : offset + p.numel()].view_as(p))
            offset += p.numel()
        return out


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
