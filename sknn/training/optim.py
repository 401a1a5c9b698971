"""Building optimizers and taking steps with as little per-batch overhead as possible."""

from __future__ import annotations

from collections.abc import Iterable

import torch

OPTIMIZERS = {
    "adamw": torch.optim.AdamW,
    "adam": torch.optim.Adam,
    "sgd": torch.optim.SGD,
}


def make_optimizer(
    name: str,
    params: Iterable[torch.nn.Parameter],
    lr: float,
    weight_decay: float,
    device: torch.device,
) -> torch.optim.Optimizer:
    """Build a named optimizer, fused into one kernel where the backend supports it."""
    cls = OPTIMIZERS[name]
    kwargs = {"lr": lr, "weight_decay": weight_decay}
    if name == "sgd":
        kwargs["momentum"] = 0.9
    params = list(params)
    if device.type in ("cpu", "cuda"):
        try:
            return cls(params, fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError):
            pass
    return cls(params, **kwargs)


class Stepper:
    """Apply one gradient step for a loss.

    For a fused Adam/AdamW, the step computes the
    gradients with :func:`torch.autograd.grad` and calls the fused kernel on the
    optimizer's own state tensors. That skips ``zero_grad``, gradient
    accumulation and ``Optimizer.step``'s bookkeeping, which together cost more
    than the arithmetic on small networks. Any other optimizer takes the usual
    ``zero_grad(); backward(); step()`` path. Either way the optimizer's
    ``state`` stays the single source of truth (for warm starts and pickling).
    """

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self._kernel = self._fused_kernel(optimizer)
        if self._kernel is None:
            return
        self._params = [p for group in optimizer.param_groups for p in group["params"]]
        self._groups = []  # per group: (group, params, steps, exp_avgs, exp_avg_sqs, slice)
        start = 0
        for group in optimizer.param_groups:
            params = list(group["params"])
            for p in params:
                state = optimizer.state[p]
                if not state:
                    state["step"] = torch.tensor(0.0, dtype=torch.float32, device=p.device)
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            states = [optimizer.state[p] for p in params]
            self._groups.append(
                (
                    group,
                    params,
                    [s["step"] for s in states],
                    [s["exp_avg"] for s in states],
                    [s["exp_avg_sq"] for s in states],
                    slice(start, start + len(params)),
                )
            )
            start += len(params)

    @staticmethod
    def _fused_kernel(optimizer):
        if type(optimizer) not in (torch.optim.Adam, torch.optim.AdamW):
            return None
        params = []
        for group in optimizer.param_groups:
            if not group.get("fused") or group.get("amsgrad") or group.get("maximize"):
                return None
            if group.get("capturable") or group.get("differentiable"):
                return None
            params += group["params"]
        if not params or any(not p.requires_grad or p.dtype != torch.float32 for p in params):
            return None
        if len({p.device for p in params}) != 1:
            return None
        for p in params:
            state = optimizer.state.get(p)
            if state and (
                set(state) != {"step", "exp_avg", "exp_avg_sq"} or state["step"].device != p.device
            ):
                return None
        name = "_fused_adamw_" if type(optimizer) is torch.optim.AdamW else "_fused_adam_"
        return getattr(torch, name, None)

    def __call__(self, loss: torch.Tensor) -> None:
        """Backpropagate ``loss`` and update the parameters."""
        if self._kernel is None:
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            return
        grads = torch.autograd.grad(loss, self._params)
        for group, params, steps, exp_avgs, exp_avg_sqs, part in self._groups:
            beta1, beta2 = group["betas"]
            torch._foreach_add_(steps, 1)
            self._kernel(
                params,
                list(grads[part]),
                exp_avgs,
                exp_avg_sqs,
                [],
                steps,
                amsgrad=False,
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                weight_decay=group["weight_decay"],
                eps=group["eps"],
                maximize=False,
                grad_scale=None,
                found_inf=None,
            )
