"""Building optimizers and taking steps with as little per-batch overhead as possible."""

from __future__ import annotations

from collections.abc import Iterable

import torch

OPTIMIZERS = ("adamw", "adam", "sgd")


class FusedAdam:
    """Adam or AdamW that calls torch's fused kernel directly.

    ``torch.optim.Optimizer`` imports ``torch._dynamo`` the first time it is used
    (about 1.5 s per process, paid again in every ``GridSearchCV`` worker) and
    adds bookkeeping to every step; on small networks both cost more than the
    arithmetic. This class keeps the same parameter groups, state and
    ``state_dict`` layout as ``torch.optim.Adam``/``AdamW``, and takes its
    gradients straight from :func:`torch.autograd.grad`.

    Parameters
    ----------
    params : iterable of tensors or of dicts
        Parameters, or parameter groups (dicts with ``"params"`` and overrides).
    lr, betas, eps, weight_decay :
        As in ``torch.optim.Adam``.
    decoupled : bool
        ``True`` for AdamW's decoupled weight decay, ``False`` for Adam's L2.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled: bool = True,
    ):
        groups = list(params)
        if groups and not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        self.param_groups = [
            {**self.defaults, **group, "params": list(group["params"])} for group in groups
        ]
        self.decoupled = decoupled
        self.state: dict[torch.Tensor, dict[str, torch.Tensor]] = {}
        self._kernel = torch._fused_adamw_ if decoupled else torch._fused_adam_

    @staticmethod
    def supports(params: Iterable[torch.Tensor]) -> bool:
        """Whether the fused kernel can run on these parameters."""
        params = list(params)
        if not params or not hasattr(torch, "_fused_adamw_"):
            return False
        devices = {p.device.type for p in params}
        return (
            devices <= {"cpu", "cuda"}
            and len({p.device for p in params}) == 1
            and all(p.dtype in (torch.float32, torch.float64) for p in params)
        )

    @property
    def params(self) -> list[torch.Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def _group_state(self, group):
        states = []
        for p in group["params"]:
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {
                    "step": torch.zeros((), dtype=torch.float32, device=p.device),
                    "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                    "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format),
                }
            states.append(state)
        return states

    def apply(self, grads: list[torch.Tensor]) -> None:
        """One update from ``grads``, ordered as :attr:`params`."""
        start = 0
        for group in self.param_groups:
            params = group["params"]
            states = self._group_state(group)
            steps = [s["step"] for s in states]
            torch._foreach_add_(steps, 1)
            beta1, beta2 = group["betas"]
            self._kernel(
                params,
                list(grads[start : start + len(params)]),
                [s["exp_avg"] for s in states],
                [s["exp_avg_sq"] for s in states],
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
            start += len(params)

    def step(self) -> None:
        """Update from the parameters' ``.grad`` (the usual optimizer protocol)."""
        params = self.params
        if any(p.grad is None for p in params):
            raise RuntimeError("FusedAdam.step needs .grad on every parameter.")
        self.apply([p.grad for p in params])

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    def state_dict(self) -> dict:
        """The same layout as ``torch.optim.Optimizer.state_dict``."""
        index = {id(p): i for i, p in enumerate(self.params)}
        groups = [
            {
                **{k: v for k, v in g.items() if k != "params"},
                "params": [index[id(p)] for p in g["params"]],
            }
            for g in self.param_groups
        ]
        state = {index[id(p)]: dict(s) for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        params = self.params
        for group, saved in zip(self.param_groups, state_dict["param_groups"], strict=True):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {
            params[int(i)]: {k: v.to(params[int(i)].device) for k, v in s.items()}
            for i, s in state_dict["state"].items()
        }


def make_optimizer(
    name: str,
    params,
    lr: float,
    weight_decay: float,
    device: torch.device,
    **kwargs,
):
    """Build a named optimizer: :class:`FusedAdam` where it runs, else ``torch.optim``.

    ``params`` may be parameters or parameter groups; ``kwargs`` go to the
    optimizer (``betas``, ``eps``, ``momentum``, ``nesterov``).
    """
    params = list(params)
    flat = (
        [p for g in params for p in g["params"]]
        if params and isinstance(params[0], dict)
        else params
    )
    if name in ("adam", "adamw") and FusedAdam.supports(flat):
        return FusedAdam(
            params, lr=lr, weight_decay=weight_decay, decoupled=name == "adamw", **kwargs
        )
    cls = {"adamw": torch.optim.AdamW, "adam": torch.optim.Adam, "sgd": torch.optim.SGD}[name]
    if name == "sgd":
        kwargs.setdefault("momentum", 0.9)
    if device.type in ("cpu", "cuda"):
        try:
            return cls(params, lr=lr, weight_decay=weight_decay, fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError):
            pass
    return cls(params, lr=lr, weight_decay=weight_decay, **kwargs)


class Stepper:
    """Apply one gradient step for a loss.

    A :class:`FusedAdam` gets its gradients from :func:`torch.autograd.grad`,
    skipping ``zero_grad`` and gradient accumulation; any other optimizer takes
    the usual ``zero_grad(); backward(); step()`` path.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self._fused = isinstance(optimizer, FusedAdam)
        self._params = optimizer.params if self._fused else None

    def __call__(self, loss: torch.Tensor) -> None:
        """Backpropagate ``loss`` and update the parameters."""
        if self._fused:
            self.optimizer.apply(list(torch.autograd.grad(loss, self._params)))
            return
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
