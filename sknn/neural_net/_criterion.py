"""A user's ``criterion``: built with per-sample losses, and checked on its first batch.

A criterion that does not fit the task fails (or, worse, broadcasts) deep inside
training; these checks turn that into a ``ValueError`` naming the shapes it got
and what the estimator passes it, before the first optimizer step.
"""

from __future__ import annotations

import torch

_TORCH_ERRORS = (RuntimeError, ValueError, IndexError, TypeError)


def user_loss(spec, params: dict, expects: str):
    """A ``loss(outputs, targets, weight)`` from a torch loss class or a callable.

    Parameters
    ----------
    spec : type or callable
        A torch loss class (built with ``reduction="none"`` and ``params`` so
        that per-sample losses can carry sample weights) or a callable that
        returns per-sample losses (or a scalar, when no sample weights are used).
    params : dict
        The ``criterion__*`` parameters, for a class only.
    expects : str
        What the estimator passes the criterion, for the error messages.

    Returns
    -------
    loss : callable
        ``loss(out, y, weight)``, the weighted mean of the per-sample losses.
    """
    if isinstance(spec, type):
        criterion = spec(reduction="none", **params)
    else:
        if params:
            raise ValueError(
                f"criterion__ parameters {sorted(params)} need criterion to be a class."
            )
        criterion = spec
    name = getattr(spec, "__name__", type(spec).__name__)
    first = True

    def loss(out: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
        nonlocal first
        got = f"outputs {tuple(out.shape)} {out.dtype} and targets {tuple(y.shape)} {y.dtype}"
        try:
            values = criterion(out, y)
        except _TORCH_ERRORS as exc:
            raise ValueError(
                f"criterion {name} failed on the network's {got}: {exc}. {expects}"
            ) from exc
        if not isinstance(values, torch.Tensor):
            raise TypeError(
                f"criterion {name} returned {type(values).__name__}, not a torch tensor of "
                "per-sample losses; compute the loss with torch operations."
            )
        if values.ndim and not _per_sample(values.shape, out.shape, y.shape):
            raise ValueError(
                f"criterion {name} returned losses of shape {tuple(values.shape)} for {got}: "
                "not one loss per row (or per output), so the outputs and targets were "
                f"probably broadcast against each other. {expects}"
            )
        if first and out.requires_grad:
            first = False
            _check_gradient(name, values, out, expects)
        if values.ndim == 0:
            if weight is not None:
                raise ValueError(
                    "criterion returned one number per batch, so sample weights cannot be "
                    "applied; pass the loss class (sknn builds it with reduction='none')."
                )
            return values
        per_sample = values.reshape(len(values), -1).mean(dim=1)
        if weight is None:
            return per_sample.mean()
        return (per_sample * weight).sum() / weight.sum()

    return loss


def criterion_contract(kind: str) -> str:
    """What the estimator passes a criterion for an output ``kind``, in words."""
    got = {
        "softmax": "logits (n, n_classes) and class indices (n,) of dtype int64",
        "binary": "one logit (n, 1) and 0/1 targets (n, 1) of dtype float32",
        "multilabel": "logits (n, n_labels) and 0/1 targets (n, n_labels) of dtype float32",
    }.get(kind, "outputs (n, n_targets) and targets (n, n_targets) of dtype float32")
    return f"The criterion gets {got}, and returns one loss per row (or per output)."


def _per_sample(shape, out_shape, y_shape) -> bool:
    """One loss per row (``(n,)``, or ``(n, 1)``-like) or per output element."""
    rows = out_shape[0]
    return shape[0] == rows and (shape.numel() == rows or shape in (out_shape, y_shape))


def _check_gradient(name: str, values: torch.Tensor, out: torch.Tensor, expects: str) -> None:
    """Refuse a criterion that training cannot move: no gradient reaches the outputs."""
    if not values.requires_grad:
        raise ValueError(
            f"criterion {name} returned losses that do not depend on the network's outputs "
            "(they carry no gradient): compute them with torch operations on the outputs, "
            "without .detach(), .item() or numpy."
        )
    (grad,) = torch.autograd.grad(values.sum(), out, retain_graph=True, allow_unused=True)
    if grad is None or not bool(torch.any(grad != 0)):
        raise ValueError(
            f"criterion {name} has a zero gradient for every output of the first batch, so "
            "training would not change the network (for example, CrossEntropyLoss over a "
            f"single output is always 0). {expects}"
        )
