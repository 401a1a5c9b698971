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


class _RankData:
    """What both kinds of a rank's training data record for :class:`RankGroup`."""

    def __init__(self, rank: int, world: int) -> None:
        if not 0 <= rank < world:
            raise ValueError(f"rank must be in [0, world={world}), got {rank}.")
        self.rank, self.world = rank, world
        self.share, self.rows = 0.0, 0  # the current batch's weight and rows here
        self.more = True  # whether this rank has another batch this epoch
        self.any_more = True  # whether some rank has (set by RankGroup)

    def _counted(self, X, y, w) -> Batch:
        """Record a batch's rows and weight and pass it on."""
        self.rows = len(y)
        self.share = float(len(y)) if w is None else float(w.sum())
        return X, y, w

    def _stand_in(self, X, y, w) -> Batch:
        """The first row of ``X, y`` with a weight of 0: it counts for nothing."""
        self.share, self.rows = 0.0, 0
        dtype = torch.get_default_dtype() if w is None else w.dtype
        return take(X, slice(0, 1)), y[:1], torch.zeros(1, dtype=dtype)


class ShardedData(_RankData):
    """Rank ``rank`` of ``world``'s share of every global batch of ``data``.

    Every rank wraps the same ``data`` and draws the same row order (the same
    generator seed), so the global batches agree; a rank gets the rows
    ``[rank * b // world, (rank + 1) * b // world)`` of a batch of ``b`` rows.
    A rank whose share of a short last batch would be empty gets one row of it
    with a weight of 0 (a loss over no rows is NaN): a stand-in that counts
    neither in the gradient sum nor in the epoch's loss.

    The attributes :class:`RankGroup` reads after each batch: ``share`` (the
    weight of this rank's rows, their count when unweighted), ``rows`` (0 for
    a stand-in) and ``more`` (whether this rank has another batch this epoch).

    Parameters
    ----------
    data : TrainingData
        The whole training data, the same on every rank.
    rank, world : int
        This process's rank and the number of processes.
    """

    def __init__(self, data: TrainingData, rank: int, world: int) -> None:
        super().__init__(rank, world)
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def head(self, rows: int) -> TrainingData:
        return self.data.head(rows)

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
                yield self._stand_in(X, y, w)
                continue
            part = slice(start, stop)
            yield self._counted(take(X, part), y[part], None if w is None else w[part])


class RankStream(_RankData):
    """A rank's own training rows (its partitions), stepped in lockstep with the others.

    Each rank holds different rows, perhaps a different number of them: every
    step, each rank contributes a batch of its share of ``batch_size`` rows
    from its own ``data`` (a :class:`~sknn.training.streams.ChunkStream` of
    its partitions), and :class:`RankGroup` weighs the ranks' gradients by
    their rows' weight. A rank whose rows ran out steps with a stand-in row
    of zero weight until every rank's have; the epoch ends on every rank at
    the same step. The attributes are :class:`ShardedData`'s.

    Parameters
    ----------
    data : TrainingData or ChunkStream
        This rank's training rows.
    n_rows : int
        The training rows of all ranks together (the epoch's, as ``len``).
    head : TrainingData
        The same few rows on every rank: the divergence guard's baseline and
        the stand-in's row.
    rank, world : int
        This process's rank and the number of processes.
    """

    def __init__(self, data, n_rows: int, head: TrainingData, rank: int, world: int) -> None:
        super().__init__(rank, world)
        self.data, self.n_rows, self._head = data, n_rows, head

    def __len__(self) -> int:
        return self.n_rows

    def head(self, rows: int) -> TrainingData:
        return self._head.head(rows)

    def batches(
        self,
        batch_size: int,
        generator: torch.Generator | None,
        shuffle: bool,
        order=None,
    ) -> Iterator[Batch]:
        """This rank's batches of its share of ``batch_size`` rows (see the class)."""
        local = max(
            1, (self.rank + 1) * batch_size // self.world - self.rank * batch_size // self.world
        )
        own = iter(self.data.batches(local, generator, shuffle))
        upcoming = next(own, None)
        while True:
            current = upcoming
            upcoming = None if current is None else next(own, None)
            self.more = upcoming is not None
            if current is None:  # this rank's rows ran out before another's
                yield self._stand_in(self._head.X, self._head.y, self._head.weight)
            else:
                yield self._counted(*current)
            if not self.any_more:
                return


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
    shards : ShardedData or RankStream
        The training data of this rank, whose ``share`` weights its gradients.
    group : torch.distributed.ProcessGroup, optional
        The ranks to sum over; by default the whole default group.
    """

    def __init__(self, shards: _RankData, group=None) -> None:
        self.shards, self.group = shards, group
        self._step_rows = 0.0
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
        """The ranks' gradients (ordered as ``params``) averaged over the batch's weight.

        One ``all_reduce`` sums each rank's gradients times its ``share`` (its
        rows' weight), the shares, the rows, whether each rank has more, and
        which parameters have a gradient; the sum divided by the shares' is
        the gradient of the loss over every rank's rows together. A parameter
        no rank has a gradient for stays ``None`` (the optimizer leaves it and
        its state alone, as in one process); one some ranks lack counts as
        zeros there. A step whose rows all weigh nothing applies zeros.
        """
        shards = self.shards
        share = shards.share
        filled = [
            torch.zeros_like(p) if g is None else g for g, p in zip(grads, params, strict=True)
        ]
        flat = torch.cat([g.reshape(-1) for g in filled])
        flat = flat * share if share else torch.zeros_like(flat)  # a stand-in's NaN stays home
        counts = [share, shards.rows, float(shards.more)]
        present = [float(g is not None) for g in grads]
        flat = torch.cat([flat, torch.tensor(counts + present, dtype=flat.dtype)])
        self._sum(flat)
        n = len(params)
        total_share, total_rows, more, *anywhere = flat[-n - 3 :].tolist()
        flat = flat / total_share if total_share else torch.zeros_like(flat)
        self._step_rows = share / total_share * total_rows if total_share else 0.0
        shards.any_more = more > 0
        out: list[torch.Tensor | None] = []
        offset = 0
        for p, used in zip(params, anywhere, strict=True):
            out.append(flat[offset : offset + p.numel()].view_as(p) if used else None)
            offset += p.numel()
        return out

    def rows(self) -> float:
        """The rows of the epoch this rank's loss on the batch just stepped stands for:
        its share of the weight of every rank's rows, times their count."""
        return self._step_rows

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
