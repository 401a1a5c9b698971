"""Picking torch's intra-op thread count for the problem at hand.

Small layers spend their time in kernel launches, not arithmetic: extra threads
only add synchronisation, and a busy core turns a two-thread spin-wait into a
stall. Large matrix products do scale with cores. The caller's setting is always
restored, and the ceiling is ``torch.get_num_threads()``, which already reflects
``OMP_NUM_THREADS`` and the limits joblib sets inside its workers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from sknn.training.thread_tuner import ThreadTuner

# Multiply-adds per step below which one thread wins (measured on 2 cores:
# a 64-64 MLP at batch 128 runs ~1.5x faster on 1 thread; a 3x256 MLP at
# batch 256 runs faster on 2).
_SINGLE_THREAD_MACS = 20_000_000


def recommended_threads(macs_per_step: float, device: torch.device | None = None) -> int:
    """Threads to use for a step costing ``macs_per_step`` multiply-adds."""
    available = torch.get_num_threads()
    if device is not None and device.type != "cpu":
        return available
    if macs_per_step < _SINGLE_THREAD_MACS:
        return 1
    return available


def macs_per_row(module: torch.nn.Module) -> int:
    """Multiply-adds of one row's forward pass, roughly.

    The module's own ``macs_per_row()`` when it has one (an ensemble reuses its
    shared layers once per member), else its parameter count.
    """
    own = getattr(module, "macs_per_row", None)
    if callable(own):
        return int(own())
    return sum(p.numel() for p in module.parameters())


def plan_threads(macs_per_step: float, device: torch.device, pinned: int | None = None):
    """The thread count to start a fit with, and the tuner that adjusts it (if any).

    Returns ``(n_threads, [tuner])`` or ``(n_threads, [])``: a pinned count as
    given; the device's own count off the CPU; one thread for small steps
    (more only add synchronisation); otherwise the caller's ceiling, with a
    :class:`~sknn.training.thread_tuner.ThreadTuner` that times one thread
    against it during training and keeps the faster.
    """
    if pinned is not None:
        return int(pinned), []
    n_threads = recommended_threads(macs_per_step, device)
    if device.type != "cpu" or n_threads == 1:
        return n_threads, []
    return n_threads, [ThreadTuner(n_threads)]


@contextlib.contextmanager
def torch_threads(n_threads: int) -> Iterator[None]:
    """Run the block with ``n_threads`` intra-op threads, then restore."""
    previous = torch.get_num_threads()
    if n_threads != previous:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:  # whatever the block set (the tuner changes it while training)
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)
