"""The ``lbfgs`` solver: scipy's L-BFGS-B on a loss and gradient computed by torch.

As scikit-learn does, the weights are packed into one float64 vector
(``coefs_`` then ``intercepts_``, each raveled in C order), and scipy minimizes
the full-batch loss plus ``alpha / 2 * ||W||^2 / sum(sample_weight)``. torch
computes the loss and its gradient, in float64, on the estimator's device.
"""

from __future__ import annotations

import numpy as np
import torch

from sknn.mlp._losses import LOSS_FUNCTIONS
from sknn.mlp._network import build_module, linear_layers
from sknn.training.threads import recommended_threads, torch_threads


def pack(coefs, intercepts) -> np.ndarray:
    """One float64 vector of all weights, in scikit-learn's order."""
    return np.concatenate([np.ravel(a) for a in [*coefs, *intercepts]]).astype(np.float64)


def unpack(theta: np.ndarray, coefs, intercepts) -> tuple[list, list]:
    """New weight arrays with the shapes of ``coefs`` and ``intercepts``, read from ``theta``."""
    out, start = [], 0
    for array in [*coefs, *intercepts]:
        size = int(np.prod(np.shape(array)))
        out.append(theta[start : start + size].reshape(np.shape(array)))
        start += size
    return out[: len(coefs)], out[len(coefs) :]


class LbfgsObjective:
    """The L-BFGS objective ``theta -> (loss, gradient)`` for fixed data.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        Weights giving the network's shapes (and its starting point).
    activation, out_activation : str
        scikit-learn's names of the hidden and output activations.
    alpha : float
        Strength of the L2 term.
    X, y : ndarray
        Training inputs and encoded targets (2-D).
    sample_weight : ndarray or None
        Per-sample weights.
    device : torch.device
        Where the loss and gradient are computed.
    """

    def __init__(
        self, coefs, intercepts, activation, out_activation, alpha, X, y, sample_weight, device
    ):
        self.coefs, self.intercepts = coefs, intercepts
        self.module = build_module(
            [np.asarray(c, dtype=np.float64) for c in coefs],
            [np.asarray(b, dtype=np.float64) for b in intercepts],
            activation,
            device,
        )
        self.layers = linear_layers(self.module)
        self.params = [layer.weight for layer in self.layers] + [
            layer.bias for layer in self.layers
        ]
        self.loss_fn = LOSS_FUNCTIONS[out_activation]
        self.alpha = alpha
        self.X = torch.as_tensor(np.asarray(X, dtype=np.float64), device=device)
        self.y = torch.as_tensor(np.asarray(y, dtype=np.float64), device=device)
        self.weight = (
            None
            if sample_weight is None
            else torch.as_tensor(np.asarray(sample_weight, dtype=np.float64), device=device)
        )
        self.weight_sum = len(X) if sample_weight is None else float(np.sum(sample_weight))
        # sized by the forward pass alone: on 2 cores a second thread slowed
        # full-batch float64 passes of 13M and 69M multiply-adds (digits; 30k x 20)
        n_params = sum(p.numel() for p in self.params)
        self.threads = recommended_threads(len(X) * n_params, device)

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        coefs, intercepts = unpack(theta, self.coefs, self.intercepts)
        with torch.no_grad():
            for layer, W, b in zip(self.layers, coefs, intercepts, strict=True):
                layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
                layer.bias.copy_(torch.from_numpy(np.ascontiguousarray(b)))
        with torch_threads(self.threads):
            out = self.module(self.X)
            l2 = sum(layer.weight.square().sum() for layer in self.layers)
            loss = self.loss_fn(out, self.y, self.weight) + 0.5 * self.alpha * l2 / self.weight_sum
            grads = torch.autograd.grad(loss, self.params)
        n = len(self.layers)
        arrays = [g.detach().cpu().numpy() for g in grads]
        return float(loss.detach()), pack([a.T for a in arrays[:n]], arrays[n:])


def minimize_lbfgs(objective: LbfgsObjective, theta0: np.ndarray, *, max_iter, max_fun, tol):
    """Run scipy's L-BFGS-B from ``theta0`` with scikit-learn's options."""
    from scipy.optimize import minimize  # imported when used: it slows every worker's start

    return minimize(
        objective,
        theta0,
        method="L-BFGS-B",
        jac=True,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
