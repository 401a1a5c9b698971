"""Choosing the torch device, and the float type it computes exactly in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import torch

# where the data of the fit in progress lives, when that is an accelerator
_DATA_DEVICE: ContextVar[torch.device | None] = ContextVar("sknn_data_device", default=None)


@contextmanager
def data_on(device: torch.device | None) -> Iterator[None]:
    """Within the block, ``"auto"`` resolves to ``device`` (a GPU the data lives on).

    Parameters
    ----------
    device : torch.device or None
        The accelerator holding the caller's data; ``None`` or the CPU changes
        nothing (data in host memory trains where ``"auto"`` always says).
    """
    on_accelerator = device is not None and device.type != "cpu"
    token = _DATA_DEVICE.set(device if on_accelerator else None)
    try:
        yield
    finally:
        _DATA_DEVICE.reset(token)


def _available() -> str:
    """The devices this machine can serve, for error messages."""
    names = ["'cpu'"]
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        names.append("'cuda'" + (f" ('cuda:0' to 'cuda:{count - 1}')" if count > 1 else ""))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        names.append("'mps'")
    return ", ".join(names)


def resolve_device(device: str | torch.device) -> torch.device:
    """Turn ``"auto"`` (or any torch device spec) into a :class:`torch.device`.

    ``"auto"`` picks the accelerator the data lives on (inside :func:`data_on`),
    else CUDA when available, then Apple's MPS, else the CPU. A device this
    machine cannot serve (no CUDA, a GPU index out of range, no
    MPS, another backend) is a ``ValueError`` naming the ones it can, raised
    before any training.
    """
    if isinstance(device, str) and device == "auto":
        followed = _DATA_DEVICE.get()
        if followed is not None:
            return followed
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu', 'cuda', "
            "'cuda:0' or 'mps'."
        ) from exc
    problem = None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            problem = "CUDA is not available on this machine"
        elif resolved.index is not None and resolved.index >= torch.cuda.device_count():
            problem = f"this machine has {torch.cuda.device_count()} CUDA device(s)"
    elif resolved.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            problem = "Apple's MPS is not available on this machine"
    elif resolved.type != "cpu":
        problem = f"sknn runs on the CPU, CUDA or MPS, not {resolved.type!r}"
    if problem:
        raise ValueError(
            f"device={device!r} was requested but {problem}; available here: "
            f"{_available()}. Use device='auto' to pick the best of them."
        )
    return resolved


def available_or_cpu(device: str | torch.device) -> torch.device:
    """``device`` where it exists on this machine, else the CPU.

    For a model saved on a GPU (or Apple's MPS) and loaded where there is none.
    """
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        return torch.device("cpu")
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            return torch.device("cpu")
    return device


def exact_float(device: torch.device) -> torch.dtype:
    """float64 where ``device`` has it; float32 on MPS, which has none."""
    return torch.float32 if device.type == "mps" else torch.float64
