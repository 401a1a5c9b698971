"""Checking an optimizer's options before any step: the values ``torch.optim`` refuses."""

from __future__ import annotations

import math

# the momentum "sgd" uses unless told otherwise
SGD_MOMENTUM = 0.9


def finite_number(value) -> float | None:
    """``value`` as a float, or None for a bool, a string, a non-finite or a non-number."""
    if isinstance(value, (bool, str, bytes)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def check_options(name: str, options: dict, weight_decay: float = 0.0, prefix: str = "") -> None:
    """Refuse the values ``torch.optim`` would refuse (and a momentum above 1), for a
    named optimizer.

    The fused optimizers skip ``torch.optim``'s own checks, so a negative
    ``eps`` or momentum, or a beta outside ``[0, 1)``, would otherwise train
    silently badly or diverge.

    Parameters
    ----------
    name : {"adamw", "adam", "sgd"}
        The optimizer.
    options : dict
        Its keyword arguments (``betas``, ``eps``, ``momentum``, ``nesterov``).
    weight_decay : float, default=0.0
        The weight decay, which must be finite and non-negative.
    prefix : str, default=""
        Put before an option's name in messages (``"optimizer__"`` for an estimator).

    Raises
    ------
    ValueError
        Naming the option, its value and the range it must be in.
    """
    decay = finite_number(weight_decay)
    if decay is None or decay < 0:
        raise ValueError(f"weight_decay={weight_decay!r} must be a finite number >= 0.")
    if "eps" in options:
        eps = finite_number(options["eps"])
        if eps is None or eps < 0:
            raise ValueError(
                f"{prefix}eps={options['eps']!r} must be a finite number >= 0 (it keeps "
                f"{name}'s division stable); the default is 1e-8."
            )
    if "betas" in options:
        betas = options["betas"]
        pair = [finite_number(b) for b in betas] if isinstance(betas, (tuple, list)) else []
        if len(pair) != 2 or any(b is None or not 0 <= b < 1 for b in pair):
            raise ValueError(
                f"{prefix}betas={betas!r} must be a pair (beta1, beta2) of numbers, each "
                "in [0, 1), such as (0.9, 0.95)."
            )
    if "momentum" in options:
        momentum = finite_number(options["momentum"])
        if momentum is None or not 0 <= momentum <= 1:  # above 1 the steps grow without end
            raise ValueError(
                f"{prefix}momentum={options['momentum']!r} must be a number in [0, 1], "
                f"such as {SGD_MOMENTUM} (the default)."
            )
    nesterov = options.get("nesterov", False)
    if not isinstance(nesterov, bool):
        raise ValueError(f"{prefix}nesterov={nesterov!r} must be True or False.")
    momentum = options.get("momentum", SGD_MOMENTUM if name == "sgd" else 0.0)
    if nesterov and momentum <= 0:
        raise ValueError(
            f"{prefix}nesterov=True requires a positive momentum, got {prefix}momentum="
            f"{momentum!r}; set {prefix}momentum > 0 (e.g. {SGD_MOMENTUM}) or "
            f"{prefix}nesterov=False."
        )
