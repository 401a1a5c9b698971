"""Training data on the device: tensors (or dicts of them), sliced into batches by index."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn

# Rows per forward pass when evaluating. On a CPU, chunks of a few thousand
# rows keep each layer's activations in cache: 100,000 rows through a 3x256
# float64 net took 0.54-0.64 s (medians) in chunks of 1,024-4,096 rows against
# 0.76-0.88 s in chunks of 65,536 and 0.85 s for numpy's unchunked products
# (2 cores, torch 2.13). An accelerator wants large launches. Both bound memory.
CPU_EVAL_CHUNK = 4_096
ACCELERATOR_EVAL_CHUNK = 65_536


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


def _joined(a: Batch, b: Batch) -> Batch:
    Xa, ya, wa = a
    Xb, yb, wb = b
    X = (
        {key: torch.cat([Xa[key], Xb[key]]) for key in Xa}
        if isinstance(Xa, dict) and isinstance(Xb, dict)
        else torch.cat([Xa, Xb])  # type: ignore[list-item]
    )
    w = None if wa is None or wb is None else torch.cat([wa, wb])
    return X, torch.cat([ya, yb]), w


def short_tail_joined(batches: Iterator[Batch], min_rows: int) -> Iterator[Batch]:
    """The batches, a last one of fewer than ``min_rows`` rows joined to the one before.

    Batch normalisation cannot train on one row (torch raises); joining keeps
    every row in every epoch, where dropping the batch would lose it.
    """
    held = next(batches, None)
    if held is None:
        return
    for batch in batches:
        if n_rows(batch[0]) < min_rows:
            held = _joined(held, batch)
            continue
        yield held
        held = batch
    yield held


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
            # each chunk's answer is copied into one output allocated up front:
            # answers kept alive one by one between the chunks' freed activations
            # fragmented the heap, holding up to 3 GB for a 1,000,000-row call
            first = call(module, take(X, slice(0, chunk)))
            out = first.new_empty((n, *first.shape[1:]))
            out[:chunk] = first
            del first
            for i in range(chunk, n, chunk):
                out[i : i + chunk] = call(module, take(X, slice(i, i + chunk)))
            return out
    finally:
        if was_training:
            module.train()


def weighted_mean(values: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``values`` along the first axis, weighted when ``weight`` is given."""
    if weight is None:
        return values.mean()
    total = weight.sum()  # rows of zero weight only: a loss of 0, not 0 / 0
    return (values * weight).sum() / torch.where(total == 0, 1.0, total)
