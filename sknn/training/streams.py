"""Training data larger than memory: batches from chunks loaded a buffer at a time.

:class:`ChunkStream` is training data for the :class:`~sknn.training.Trainer`
(``len``, ``head``, ``batches``, as :class:`~sknn.training.TrainingData`)
whose rows live in chunks that a callable loads on demand (a partition of a
Dask DataFrame, read and encoded). Each epoch visits the chunks in a fresh
random order, ``buffer_chunks`` at a time: their rows are concatenated,
shuffled, and cut into batches, the rows left over carried into the next
buffer. The next buffer loads on a background thread while the current one
trains, so reading and encoding overlap with the optimizer's steps. Memory
holds at most two buffers, whatever the number of chunks. The chunk order
and every shuffle are drawn from the trainer's generator: a seeded fit is
reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import torch

from sknn.training.data import Batch, Inputs, TrainingData

# a stream whose rows all fit in this many bytes is kept in memory after the first epoch
CACHE_BYTES = 128 * 2**20


def _concat(parts: list[TrainingData]) -> TrainingData:
    if len(parts) == 1:
        return parts[0]
    X: Inputs
    if isinstance(parts[0].X, dict):
        X = {key: torch.cat([p.X[key] for p in parts]) for key in parts[0].X}  # type: ignore[index]
    else:
        X = torch.cat([p.X for p in parts])  # type: ignore[misc]
    weights = [p.weight for p in parts if p.weight is not None]
    weight = torch.cat(weights) if len(weights) == len(parts) else None
    return TrainingData(X, torch.cat([p.y for p in parts]), weight)


class ChunkStream:
    """Training rows in ``n_chunks`` chunks, each loaded by ``load(i)``.

    Parameters
    ----------
    load : callable
        ``load(i)`` returns chunk ``i`` as :class:`~sknn.training.TrainingData`
        on the training device (weights, when any, on the scale of the whole
        stream's mean 1). It runs on a background thread.
    n_chunks : int
        Number of chunks.
    n_rows : int
        Rows over all chunks (the training rows of an epoch).
    buffer_chunks : int, default=2
        Chunks shuffled together: more mix rows from more chunks, at the cost
        of memory (two buffers are held while the next one loads).
    prefetch : bool, default=True
        Load the next buffer while the current one trains.
    cache_bytes : int, default=CACHE_BYTES
        When every row of the stream fits in this many bytes (judged from
        the first chunk loaded), chunks stay in memory after their first
        load, so later epochs neither read nor encode them again.
    """

    def __init__(
        self,
        load: Callable[[int], TrainingData],
        n_chunks: int,
        n_rows: int,
        buffer_chunks: int = 2,
        prefetch: bool = True,
        cache_bytes: int = CACHE_BYTES,
    ):
        self.load = load
        self.n_chunks = n_chunks
        self.n_rows = n_rows
        self.buffer_chunks = max(1, buffer_chunks)
        self.prefetch = prefetch
        self.cache_bytes = cache_bytes
        self._caching: bool | None = None  # decided at the first chunk loaded
        self._cache: dict[int, TrainingData] = {}

    def _load(self, i: int) -> TrainingData:
        """Chunk ``i``: from the cache, or loaded (and cached when the whole stream fits)."""
        cached = self._cache.get(i)
        if cached is not None:
            return cached
        chunk = self.load(i)
        if self._caching is None and len(chunk):
            tensors = [*(chunk.X.values() if isinstance(chunk.X, dict) else [chunk.X]), chunk.y]
            per_row = sum(t.element_size() * t[0].numel() for t in tensors) + 4  # + a weight
            # all or nothing: only a stream whose every row fits the budget is kept
            self._caching = per_row * self.n_rows <= self.cache_bytes
        if self._caching:
            self._cache[i] = chunk
        return chunk

    def __len__(self) -> int:
        return self.n_rows

    def head(self, rows: int) -> TrainingData:
        """The first ``rows`` rows of the first non-empty chunk (the explosion baseline's)."""
        for i in range(self.n_chunks):
            chunk = self._load(i)
            if len(chunk):
                return chunk.head(rows)
        raise ValueError("Every chunk of the training data is empty.")

    def _buffers(self, order: list[int]) -> Iterator[TrainingData]:
        groups = [
            order[i : i + self.buffer_chunks] for i in range(0, len(order), self.buffer_chunks)
        ]

        def load_group(group: list[int]) -> TrainingData:
            return _concat([self._load(i) for i in group])

        if not self.prefetch:
            yield from (load_group(g) for g in groups)
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sknn-chunks") as pool:
            pending: Future | None = pool.submit(load_group, groups[0]) if groups else None
            for k in range(len(groups)):
                assert pending is not None
                current = pending.result()
                pending = pool.submit(load_group, groups[k + 1]) if k + 1 < len(groups) else None
                yield current

    def batches(
        self,
        batch_size: int,
        generator: torch.Generator | None,
        shuffle: bool,
        order: Callable[[int], torch.Tensor] | None = None,
    ) -> Iterator[Batch]:
        """One epoch's batches (see the module description); ``order`` is not used."""
        chunks = (
            torch.randperm(self.n_chunks, generator=generator).tolist()
            if shuffle
            else list(range(self.n_chunks))
        )
        carried: TrainingData | None = None
        for buffer in self._buffers(chunks):
            if carried is not None and len(carried):
                buffer = _concat([carried, buffer])
            if shuffle and len(buffer):
                buffer = buffer.take(
                    torch.randperm(len(buffer), generator=generator).to(buffer.y.device)
                )
            full = len(buffer) - len(buffer) % batch_size
            for start in range(0, full, batch_size):
                batch = buffer.take(slice(start, start + batch_size))
                yield batch.X, batch.y, batch.weight
            carried = buffer.take(slice(full, len(buffer)))
        if carried is not None and len(carried):
            yield carried.X, carried.y, carried.weight
