"""The ``lbfgs`` solver: scipy's L-BFGS-B on the full-batch loss and its gradient.

As scikit-learn does, the weights are packed into one float64 vector
(``coefs_`` then ``intercepts_``, each raveled in C order), and scipy minimizes
the full-batch loss plus ``alpha / 2 * ||W||^2 / sum(sample_weight)``. On the
CPU numpy computes the loss and gradient (:class:`NumpyObjective`, scikit-learn's
forward and backward pass); on another device torch does
(:class:`LbfgsObjective`), in float64. The two agree to rounding (1e-16).
"""

from __future__ import annotations

import contextlib

import numpy as np
import scipy.sparse as sp
import torch
from scipy.special import expit, xlogy
from threadpoolctl import threadpool_limits

from sknn.mlp._losses import LOSS_FUNCTIONS
from sknn.mlp._network import ACTIVATIONS, build_module, linear_layers
from sknn.nn.sparse import SparseRows
from sknn.training.threads import recommended_threads, torch_threads


def pack(coefs, intercepts) -> np.ndarray:
    """One float64 vector of all weights, in scikit-learn's order."""
    return np.concatenate([np.ravel(a) for a in [*coefs, *intercepts]]).astype(
        np.float64, copy=False
    )


def unpack(theta: np.ndarray, coefs, intercepts) -> tuple[list, list]:
    """Views of ``theta`` with the shapes of ``coefs`` and ``intercepts``."""
    return _Layout(coefs, intercepts).views(theta)


class _Layout:
    """Where each weight array lies in the packed vector (computed once per objective)."""

    def __init__(self, coefs, intercepts):
        self.n_coefs = len(coefs)
        self.slices, start = [], 0
        for array in [*coefs, *intercepts]:
            shape = np.shape(array)
            size = int(np.prod(shape))
            self.slices.append((start, start + size, shape))
            start += size

    def views(self, theta: np.ndarray) -> tuple[list, list]:
        out = [theta[a:b].reshape(shape) for a, b, shape in self.slices]
        return out[: self.n_coefs], out[self.n_coefs :]


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
    X, y : ndarray (X also a scipy sparse matrix, kept sparse)
        Training inputs and encoded targets (2-D).
    sample_weight : ndarray or None
        Per-sample weights.
    device : torch.device
        Where the loss and gradient are computed.
    """

    def __init__(
        self, coefs, intercepts, activation, out_activation, alpha, X, y, sample_weight, device
    ):
        self.layout = _Layout(coefs, intercepts)
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
        self.X = (  # a sparse X stays sparse: the module's first layer meets the non-zeros
            SparseRows.from_scipy(X, dtype=torch.float64, device=device)
            if sp.issparse(X)
            else torch.as_tensor(np.asarray(X, dtype=np.float64), device=device)
        )
        self.y = torch.as_tensor(np.asarray(y, dtype=np.float64), device=device)
        self.weight = (
            None
            if sample_weight is None
            else torch.as_tensor(np.asarray(sample_weight, dtype=np.float64), device=device)
        )
        self.weight_sum = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        # sized by the forward pass alone: on 2 cores a second thread slowed
        # full-batch float64 passes of 13M and 69M multiply-adds (digits; 30k x 20)
        n_params = sum(p.numel() for p in self.params)
        self.threads = recommended_threads(X.shape[0] * n_params, device)

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        coefs, intercepts = self.layout.views(theta)
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


# d activation / d input, from the activation's output (scikit-learn's DERIVATIVES)
_DERIVATIVES = {
    "identity": lambda a: 1.0,
    "relu": lambda a: a > 0,
    "tanh": lambda a: 1.0 - a * a,
    "logistic": lambda a: a * (1.0 - a),
}


def _loss_and_delta(out_activation: str, raw: np.ndarray, y: np.ndarray, weight):
    """The data loss and its derivative by the raw outputs, in scikit-learn's arithmetic:
    each output's (weighted) average over the rows, then their sum (mean for the squared
    error); the log-losses from the probabilities clipped at eps (the exact log-sigmoid
    differs where 1 - p loses digits, and the line search reads the value)."""
    if out_activation == "identity":  # the gradient of the sum over outputs, as scikit-learn's
        diff = raw - y
        return 0.5 * np.average(diff * diff, weights=weight, axis=0).mean(), diff
    if out_activation == "exp":
        rate = np.exp(raw)
        per_output = xlogy(y, y / rate) - y + rate
        return np.average(per_output, weights=weight, axis=0).sum(), rate - y
    eps = np.finfo(raw.dtype).eps
    if out_activation == "softmax":
        exp = np.exp(raw - raw.max(axis=1, keepdims=True))
        p = exp / exp.sum(axis=1, keepdims=True)
        per_output = xlogy(y, np.clip(p, eps, 1 - eps))
    else:  # logistic: each output's loss
        p = expit(raw)
        clipped = np.clip(p, eps, 1 - eps)
        per_output = xlogy(y, clipped) + xlogy(1 - y, 1 - clipped)
    return -np.average(per_output, weights=weight, axis=0).sum(), p - y


class NumpyObjective:
    """The same objective as :class:`LbfgsObjective`, in numpy, for small networks.

    On a few hundred rows and a 10 x 10 network torch's cost per operation,
    not the arithmetic, sets the time of an evaluation (1.1 ms against
    scikit-learn's 0.4 ms an iteration, measured); this is scikit-learn's own
    forward and backward pass, written out, with the losses computed from the
    raw outputs as the torch objective does.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        Weights giving the network's shapes.
    activation, out_activation : str
        scikit-learn's names of the hidden and output activations.
    alpha : float
        Strength of the L2 term.
    X, y : ndarray (X also a scipy sparse matrix, kept sparse)
        Training inputs and encoded targets (2-D).
    sample_weight : ndarray or None
        Per-sample weights.
    """

    def __init__(self, coefs, intercepts, activation, out_activation, alpha, X, y, sample_weight):
        self.activation, self.out_activation, self.alpha = activation, out_activation, alpha
        # a sparse X stays sparse: its products with the weights are scipy's, as in scikit-learn
        self.X = X.astype(np.float64).tocsr() if sp.issparse(X) else np.asarray(X, np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        self.weight = None if sample_weight is None else np.asarray(sample_weight, np.float64)
        self.weight_sum = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        # numpy's BLAS threads, by the same rule as torch's: on 2 cores two
        # threads made a 3,000 x 20 pass with 100 units 3.6x slower (8.4 ms
        # against 2.3 ms an evaluation), and scipy's own steps between them too
        self.layout = _Layout(coefs, intercepts)
        n_params = sum(np.size(a) for a in [*coefs, *intercepts])
        self.threads = recommended_threads(X.shape[0] * n_params, torch.device("cpu"))

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        coefs, intercepts = self.layout.views(theta)
        hidden = ACTIVATIONS[self.activation]
        outputs = [self.X]
        for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
            z = outputs[-1] @ W + b
            outputs.append(hidden(z) if i < len(coefs) - 1 else z)
        data, delta = _loss_and_delta(self.out_activation, outputs[-1], self.y, self.weight)
        if self.weight is not None:
            delta = delta * self.weight[:, None]
        squares = sum(float(np.dot(W.ravel(), W.ravel())) for W in coefs)  # as scikit-learn
        loss = data + 0.5 * self.alpha * squares / self.weight_sum
        coef_grads, intercept_grads = [], []
        derivative = _DERIVATIVES[self.activation]
        for i in range(len(coefs) - 1, -1, -1):
            coef_grads.append((outputs[i].T @ delta + self.alpha * coefs[i]) / self.weight_sum)
            intercept_grads.append(delta.sum(axis=0) / self.weight_sum)
            if i:
                delta = (delta @ coefs[i].T) * derivative(outputs[i])
        return float(loss), pack(coef_grads[::-1], intercept_grads[::-1])


def minimize_lbfgs(
    objective: LbfgsObjective | NumpyObjective, theta0: np.ndarray, *, max_iter, max_fun, tol
):
    """Run scipy's L-BFGS-B from ``theta0`` with scikit-learn's options."""
    from scipy.optimize import minimize  # imported when used: it slows every worker's start

    # one BLAS thread for a small numpy objective (never more than the caller allows)
    one_thread = isinstance(objective, NumpyObjective) and objective.threads == 1
    with threadpool_limits(1, user_api="blas") if one_thread else contextlib.nullcontext():
        return minimize(
            objective,
            theta0,
            method="L-BFGS-B",
            jac=True,
            options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        )
