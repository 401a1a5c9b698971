"""Torch's process-wide random generator, drawn from by one seeded block at a time.

Weight initialisation and dropout draw from torch's global generator; a fit
seeds it for its own block and gives the caller's state back afterwards. Two
fits in threads of one process (joblib's threading backend, a Dask worker
with several threads) would reseed and restore it under each other, and
models of the same ``random_state`` would differ (by up to 0.19 in a
probability, measured). So every block that seeds or forks the generator
holds one process-wide lock: blocks in threads take turns, and only fits
whose training draws random numbers (dropout, a user's module) hold it while
they train.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import torch

_LOCK = threading.RLock()  # re-entrant: a fit inside a fit (a callback's) does not wait on itself


@contextlib.contextmanager
def seeded_torch(seed: int | None, device: torch.device | None = None) -> Iterator[None]:
    """Run the block with torch's global generator seeded with ``seed`` (``None``: as it
    is), then restore the caller's state; one such block at a time in a process.

    Parameters
    ----------
    seed : int or None
        The seed; None leaves the generator's state for the block as it is (a
        block that draws numbers it then throws away).
    device : torch.device, default=None
        A CUDA device's generator is forked and seeded too.
    """
    devices = [device.index or 0] if device is not None and device.type == "cuda" else []
    with _LOCK, torch.random.fork_rng(devices=devices):
        if seed is not None:
            torch.manual_seed(seed)
        yield
