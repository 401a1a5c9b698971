"""Building optimizers and taking steps with as little per-batch overhead as possible."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import torch

from sknn.training import lazy_rows
from sknn.training.optim_checks import SGD_MOMENTUM, check_options

OPTIMIZERS = ("adamw", "adam", "sgd")


def _like(param: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """``grad`` copied into ``param``'s memory layout."""
    return torch.empty_like(param, memory_format=torch.preserve_format).copy_(grad)


class _FusedOptimizer:
    """Parameter groups, state and ``state_dict`` shared by the fused optimizers.

    ``torch.optim.Optimizer`` imports ``torch._dynamo`` the first time it is used
    (about 1.5 s per process, paid again in every ``GridSearchCV`` worker) and
    adds bookkeeping to every step; on small networks both cost more than the
    arithmetic. Subclasses call one of torch's fused kernels directly, keep the
    same parameter groups, state and ``state_dict`` layout as their
    ``torch.optim`` counterpart, and take gradients straight from
    :func:`torch.autograd.grad` through :meth:`apply`.
    """

    _kernel_name = ""

    def __init__(self, params, defaults: dict):
        groups = list(params)
        if groups and not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.defaults = defaults
        self.param_groups = [
            {**self.defaults, **group, "params": list(group["params"])} for group in groups
        ]
        self.state: dict[torch.Tensor, dict[str, torch.Tensor]] = {}

    @classmethod
    def supports(cls, params: Iterable[torch.Tensor]) -> bool:
        """Whether the fused kernel can run on these parameters."""
        params = list(params)
        if not params or not hasattr(torch, cls._kernel_name):
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

    def apply(self, grads: list[torch.Tensor | None]) -> None:
        """One update from ``grads``, ordered as :attr:`params`.

        A ``None`` gradient (a parameter the loss did not use, such as a
        pretrained model's unused pooler) leaves that parameter and its state
        alone, as torch's optimizers do. A gradient laid out otherwise than its
        parameter (a transposed view, which :func:`torch.autograd.grad` may
        return where ``.grad`` would not) is copied into the parameter's layout
        first: the fused kernels read memory in the parameter's order. A sparse
        gradient (an embedding table's) steps only its rows where the table is
        trained by rows (:class:`~sknn.training.lazy_rows.RowTraining`), and is
        made dense otherwise.
        """
        start = 0
        for group in self.param_groups:
            n = len(group["params"])
            pairs = list(zip(group["params"], grads[start : start + n], strict=True))
            start += n
            by_rows = False
            if any(g is not None and g.is_sparse for _, g in pairs):
                taken = []
                for p, g in pairs:
                    if g is not None and g.is_sparse:
                        g = self._sparse(group, p, g)
                        if g is None:  # its rows stepped
                            by_rows = True
                            continue
                    taken.append((p, g))
                pairs = taken
            chunk = [g if g is None or g.stride() == p.stride() else _like(p, g) for p, g in pairs]
            if not by_rows and all(g is not None for g in chunk):
                self._update(group, cast(list[torch.Tensor], chunk))
                continue
            used = [(p, g) for (p, _), g in zip(pairs, chunk, strict=True) if g is not None]
            if used:
                self._update({**group, "params": [p for p, _ in used]}, [g for _, g in used])

    def _sparse(self, group: dict, param: torch.Tensor, grad: torch.Tensor) -> torch.Tensor | None:
        """Take a sparse gradient: ``None`` where its rows were stepped, else it made
        dense (a table this optimizer does not train by rows steps as a dense one)."""
        return grad.to_dense()

    def _update(self, group: dict, grads: list[torch.Tensor]) -> None:
        raise NotImplementedError

    def step(self) -> None:
        """Update from the parameters' ``.grad`` (the usual optimizer protocol)."""
        self.apply([p.grad for p in self.params])

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


class FusedAdam(lazy_rows.RowSteps, _FusedOptimizer):
    """Adam or AdamW on torch's fused kernel, as ``torch.optim.Adam``/``AdamW``.

    Parameters
    ----------
    params : iterable of tensors or of dicts
        Parameters, or parameter groups (dicts with ``"params"`` and overrides).
    lr, betas, eps, weight_decay :
        As in ``torch.optim.Adam``.
    decoupled : bool
        ``True`` for AdamW's decoupled weight decay, ``False`` for Adam's L2.
    """

    _kernel_name = "_fused_adamw_"

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled: bool = True,
    ):
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)
        self.decoupled = decoupled
        self._kernel = torch._fused_adamw_ if decoupled else torch._fused_adam_
        self._by_rows: dict[torch.Tensor, dict] = {}  # tables trained by rows: their settings

    def _state(self, p: torch.Tensor) -> dict[str, torch.Tensor]:
        state = self.state.get(p)
        if state is None:
            state = self.state[p] = {
                "step": torch.zeros((), dtype=torch.float32, device=p.device),
                "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format),
            }
        return state

    def _update(self, group: dict, grads: list[torch.Tensor]) -> None:
        states = [self._state(p) for p in group["params"]]
        for state in states:  # every row steps: none is behind
            state.pop(lazy_rows.ROW_STEP, None)
        steps = [s["step"] for s in states]
        torch._foreach_add_(steps, 1)
        self._step(group, group["params"], grads, states, steps)

    def _step(self, group: dict, params: list, grads: list, states: list, steps: list) -> None:
        beta1, beta2 = group["betas"]
        self._kernel(
            params,
            grads,
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


class FusedSGD(_FusedOptimizer):
    """SGD with (Nesterov) momentum on torch's fused kernel, as ``torch.optim.SGD``.

    Parameters
    ----------
    params : iterable of tensors or of dicts
        Parameters, or parameter groups (dicts with ``"params"`` and overrides).
    lr, momentum, weight_decay, nesterov :
        As in ``torch.optim.SGD`` (no dampening).
    """

    _kernel_name = "_fused_sgd_"

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum requires a positive momentum.")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "dampening": 0.0,
        }
        super().__init__(params, defaults)

    def _update(self, group: dict, grads: list[torch.Tensor]) -> None:
        params = group["params"]
        momentum = group["momentum"]
        buffers: list[torch.Tensor] = []
        first_step = False
        if momentum != 0:
            states = [self.state.setdefault(p, {}) for p in params]
            first_step = any("momentum_buffer" not in s for s in states)
            if first_step:  # the kernel copies the gradient into fresh buffers
                for state, g in zip(states, grads, strict=True):
                    state["momentum_buffer"] = torch.empty_like(g)
            buffers = [s["momentum_buffer"] for s in states]
        torch._fused_sgd_(
            params,
            grads,
            buffers,
            weight_decay=group["weight_decay"],
            momentum=momentum,
            lr=group["lr"],
            dampening=group["dampening"],
            nesterov=group["nesterov"],
            maximize=False,
            is_first_step=first_step,
            grad_scale=None,
            found_inf=None,
        )


def make_optimizer(
    name: str,
    params,
    lr: float,
    weight_decay: float,
    device: torch.device,
    *,
    option_prefix: str = "",
    **kwargs,
):
    """Build a named optimizer: :class:`FusedAdam` where it runs, else ``torch.optim``.

    ``params`` may be parameters or parameter groups; ``kwargs`` go to the
    optimizer (``betas``, ``eps``, ``momentum``, ``nesterov``), checked by
    :func:`check_options`, whose messages put ``option_prefix`` before their
    names (``"optimizer__"`` for an estimator's).
    """
    check_options(name, kwargs, weight_decay, prefix=option_prefix)
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
    if name == "sgd":
        kwargs.setdefault("momentum", SGD_MOMENTUM)
        if FusedSGD.supports(flat):
            return FusedSGD(params, lr=lr, weight_decay=weight_decay, **kwargs)
    cls = {"adamw": torch.optim.AdamW, "adam": torch.optim.Adam, "sgd": torch.optim.SGD}[name]
    if device.type in ("cpu", "cuda"):
        try:
            return cls(params, lr=lr, weight_decay=weight_decay, fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError):
            pass
    return cls(params, lr=lr, weight_decay=weight_decay, **kwargs)


class Stepper:
    """Apply one gradient step for a loss.

    A fused optimizer (:class:`FusedAdam`, :class:`FusedSGD`) gets its gradients
    from :func:`torch.autograd.grad`, skipping ``zero_grad`` and gradient
    accumulation; any other optimizer takes the usual ``zero_grad();
    backward(); step()`` path.
    """

    def __init__(self, optimizer, reduce_gradients=None):
        self.optimizer = optimizer
        self.reduce_gradients = reduce_gradients
        self._fused = isinstance(optimizer, _FusedOptimizer)
        self._params = (
            optimizer.params
            if self._fused
            else [p for group in optimizer.param_groups for p in group["params"]]
        )

    def __call__(self, loss: torch.Tensor) -> None:
        """Backpropagate ``loss`` and update the parameters.

        With ``reduce_gradients`` (``f(grads, params) -> grads``, e.g. a sum over
        the ranks of a data-parallel fit), the step applies what it returns.
        """
        reduce = self.reduce_gradients
        if self._fused:
            grads = list(torch.autograd.grad(loss, self._params, allow_unused=True))
            self.optimizer.apply(grads if reduce is None else reduce(grads, self._params))
            return
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if reduce is not None:
            params = self._params
            for p, g in zip(params, reduce([p.grad for p in params], params), strict=True):
                p.grad = g
        self.optimizer.step()
