"""scikit-learn's stochastic optimizers: their state and rate rules, torch's update kernels.

An MLP's ``_optimizer`` is one of these, as in scikit-learn, so code that reads
``_optimizer.learning_rate`` or resets ``velocities`` (SGD) or ``t``, ``ms`` and
``vs`` (Adam) works unchanged. The state is kept in numpy, in scikit-learn's
layout (one array per entry of ``coefs_ + intercepts_``), so a fitted model
holds no torch object; during a fit it lives in a torch optimizer over the
network, between :meth:`~BaseOptimizer.start` and :meth:`~BaseOptimizer.finish`.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from sknn.mlp._network import linear_layers
from sknn.training.optim import FusedAdam, make_optimizer


class BaseOptimizer:
    """Learning rate, stopping rule and the bridge to a torch optimizer.

    Parameters
    ----------
    learning_rate_init : float
        The initial learning rate.
    """

    def __init__(self, learning_rate_init: float = 0.1):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self._torch: torch.optim.Optimizer | None = None  # the optimizer of the fit in progress

    def iteration_ends(self, time_step: int) -> None:
        """Update the learning rate after an epoch; ``time_step`` counts samples seen."""

    def trigger_stopping(self, msg: str, verbose: bool) -> bool:
        """Whether training stops now that the loss or score stopped improving."""
        if verbose:
            print(msg + " Stopping.")
        return True

    def start(self, module: nn.Module, weight_decay: float, device: torch.device):
        """A torch optimizer over ``module`` carrying this optimizer's state.

        ``weight_decay`` applies to the weights (not the intercepts): it adds
        ``weight_decay * W`` to their gradients, scikit-learn's L2 term.
        """
        layers = linear_layers(module)
        groups = [
            {"params": [layer.weight for layer in layers], "weight_decay": weight_decay},
            {"params": [layer.bias for layer in layers], "weight_decay": 0.0},
        ]
        self._torch = self._make(groups, device)
        self._n_layers = len(layers)
        return self._torch

    def finish(self) -> None:
        """Store the torch optimizer's state in scikit-learn's layout and let it go."""
        self._torch = None

    def _params(self) -> list[torch.Tensor]:
        assert self._torch is not None, "called between start() and finish() only"
        return [p for group in self._torch.param_groups for p in group["params"]]

    def _to_sklearn(self, i: int, tensor: torch.Tensor) -> np.ndarray:
        array = tensor.detach().cpu().numpy()
        return np.array(array.T if i < self._n_layers else array)

    def _to_torch(self, i: int, array: np.ndarray, like: torch.Tensor) -> torch.Tensor:
        array = np.asarray(array)
        tensor = torch.as_tensor(array.T if i < self._n_layers else array)
        return tensor.to(device=like.device, dtype=like.dtype).contiguous()

    def _make(self, groups, device):
        raise NotImplementedError

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_torch"] = None
        return state


class SGDOptimizer(BaseOptimizer):
    """Stochastic gradient descent with momentum, as scikit-learn's ``SGDOptimizer``.

    Parameters
    ----------
    learning_rate_init : float
        The initial learning rate.
    lr_schedule : {"constant", "adaptive", "invscaling"}
        ``"invscaling"`` sets the rate to ``learning_rate_init / (t + 1) **
        power_t`` after every epoch (``t`` = samples seen); ``"adaptive"``
        divides it by 5 instead of stopping when training stalls, until it
        falls below 1e-6.
    momentum : float
        Momentum, in [0, 1].
    nesterov : bool
        Nesterov's momentum.
    power_t : float
        The exponent of ``"invscaling"``.

    Attributes
    ----------
    learning_rate : float
        The current learning rate.
    velocities : list of ndarray or None
        scikit-learn's velocities (already scaled by the rate), one per entry of
        ``coefs_ + intercepts_``; ``None`` before the first step.
    """

    def __init__(
        self,
        learning_rate_init: float = 0.1,
        lr_schedule: str = "constant",
        momentum: float = 0.9,
        nesterov: bool = True,
        power_t: float = 0.5,
    ):
        super().__init__(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocities: list[np.ndarray] | None = None

    def iteration_ends(self, time_step: int) -> None:
        if self.lr_schedule == "invscaling":
            self._set_rate(float(self.learning_rate_init) / (time_step + 1) ** self.power_t)

    def trigger_stopping(self, msg: str, verbose: bool) -> bool:
        if self.lr_schedule != "adaptive":
            return super().trigger_stopping(msg, verbose)
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self._set_rate(self.learning_rate / 5.0)
        if verbose:
            print(msg + f" Setting learning rate to {self.learning_rate:f}")
        return False

    def _set_rate(self, lr: float) -> None:
        """Change the rate, keeping the step scikit-learn would take.

        scikit-learn stores its velocity already scaled by the rate
        (``v = momentum * v - lr * grad``); torch stores the unscaled sum and
        multiplies by the current rate, so its buffers are rescaled by
        ``old / new``.
        """
        old, self.learning_rate = self.learning_rate, lr
        if self._torch is None:
            return
        for group in self._torch.param_groups:
            group["lr"] = lr
        if lr > 0 and old != lr:
            for p in self._params():
                buffer = self._torch.state.get(p, {}).get("momentum_buffer")
                if buffer is not None:
                    buffer.mul_(old / lr)

    def _make(self, groups, device):
        momentum = float(self.momentum)
        optimizer = make_optimizer(
            "sgd",
            groups,
            self.learning_rate,
            0.0,
            device,
            momentum=momentum,
            nesterov=bool(self.nesterov and momentum > 0),
        )
        params = [p for group in groups for p in group["params"]]
        if momentum > 0 and self.velocities is not None:
            for i, (p, v) in enumerate(zip(params, self.velocities, strict=True)):
                buffer = self._to_torch(i, v, p) / -self.learning_rate
                optimizer.state[p] = {"momentum_buffer": buffer}
        return optimizer

    def finish(self) -> None:
        if self._torch is not None and self.momentum > 0:
            velocities = []
            for i, p in enumerate(self._params()):
                buffer = self._torch.state.get(p, {}).get("momentum_buffer")
                v = torch.zeros_like(p) if buffer is None else -self.learning_rate * buffer
                velocities.append(self._to_sklearn(i, v))
            self.velocities = velocities
        super().finish()


class AdamOptimizer(BaseOptimizer):
    """Adam, as scikit-learn's ``AdamOptimizer``, on torch's fused kernel.

    Parameters
    ----------
    learning_rate_init : float
        The base learning rate.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates.
    epsilon : float
        Added to the root of the (uncorrected) second moment, where
        scikit-learn adds it: ``lr_t * m / (sqrt(v) + epsilon)``. torch's
        kernel adds its ``eps`` after the bias correction, so each step runs
        it with ``epsilon / sqrt(1 - beta_2**t)``, the same update.

    Attributes
    ----------
    learning_rate : float
        The bias-corrected rate of the last step,
        ``learning_rate_init * sqrt(1 - beta_2**t) / (1 - beta_1**t)``.
    t : int
        Steps taken.
    ms, vs : list of ndarray or None
        First and second moment estimates, one per entry of
        ``coefs_ + intercepts_``; ``None`` before the first step.
    """

    def __init__(
        self,
        learning_rate_init: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
    ):
        super().__init__(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.ms: list[np.ndarray] | None = None
        self.vs: list[np.ndarray] | None = None

    def _make(self, groups, device):
        params = [p for group in groups for p in group["params"]]
        if ScikitLearnAdam.supports(params):
            optimizer = ScikitLearnAdam(
                groups, self.learning_rate_init, (self.beta_1, self.beta_2), self.epsilon, self.t
            )
        else:  # another device: torch's Adam, epsilon after the bias correction
            optimizer = make_optimizer(
                "adam",
                groups,
                self.learning_rate_init,
                0.0,
                device,
                betas=(self.beta_1, self.beta_2),
                eps=self.epsilon,
            )
        if self.t > 0 and self.ms is not None and self.vs is not None:
            for i, (p, m, v) in enumerate(zip(params, self.ms, self.vs, strict=True)):
                optimizer.state[p] = {
                    "step": torch.tensor(float(self.t), dtype=torch.float32, device=p.device),
                    "exp_avg": self._to_torch(i, m, p),
                    "exp_avg_sq": self._to_torch(i, v, p),
                }
        return optimizer

    def finish(self) -> None:
        if self._torch is not None:
            params = self._params()
            found = [self._torch.state.get(p) for p in params]
            if all(found):
                states = cast(list[dict[str, Any]], found)
                self.t = int(float(states[0]["step"]))
                self.ms = [self._to_sklearn(i, s["exp_avg"]) for i, s in enumerate(states)]
                self.vs = [self._to_sklearn(i, s["exp_avg_sq"]) for i, s in enumerate(states)]
            if self.t > 0:
                self.learning_rate = (
                    self.learning_rate_init
                    * np.sqrt(1 - self.beta_2**self.t)
                    / (1 - self.beta_1**self.t)
                )
        super().finish()


class ScikitLearnAdam(FusedAdam):
    """Adam with scikit-learn's epsilon, on torch's fused kernel.

    scikit-learn steps by ``lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m /
    (sqrt(v) + epsilon)``; torch's kernel by ``lr / (1 - beta_1**t) * m /
    (sqrt(v) / sqrt(1 - beta_2**t) + eps)``. The two agree when ``eps =
    epsilon / sqrt(1 - beta_2**t)``, which changes every step, so each step
    passes its own.

    Parameters
    ----------
    params : iterable of tensors or of dicts
        Parameters or parameter groups.
    lr : float
        ``learning_rate_init``.
    betas : tuple of float
        ``(beta_1, beta_2)``.
    epsilon : float
        scikit-learn's ``epsilon``.
    t : int
        Steps already taken (a warm start or a partial fit goes on counting).
    """

    def __init__(self, params, lr: float, betas: tuple[float, float], epsilon: float, t: int):
        super().__init__(params, lr=lr, betas=betas, eps=epsilon, decoupled=False)
        self.epsilon = epsilon
        self.t = t

    def apply(self, grads: list[torch.Tensor | None]) -> None:
        self.t += 1  # one step of every group
        super().apply(grads)

    def _update(self, group: dict, grads: list[torch.Tensor]) -> None:
        eps = self.epsilon / math.sqrt(1.0 - group["betas"][1] ** self.t)
        super()._update({**group, "eps": eps}, grads)
