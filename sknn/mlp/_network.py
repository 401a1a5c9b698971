"""The drop-in's network in scikit-learn's layout: ``coefs_``/``intercepts_`` arrays.

The fitted state is numpy, as in scikit-learn: ``coefs_[i]`` has shape
``(fan_in, fan_out)``. Training copies it into a :class:`sknn.nn.MLP` on the
chosen device and copies the result back; small predictions run in numpy
straight from the arrays, large ones in torch.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import expit
from sklearn.utils.extmath import safe_sparse_dot
from torch import nn

from sknn.nn import MLP
from sknn.training.generator import seeded_torch


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def _logistic(x: np.ndarray) -> np.ndarray:
    return expit(x, out=x)


def _tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(x, out=x)


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0, out=x)


def _exp(x: np.ndarray) -> np.ndarray:
    return np.exp(x, out=x)


def _softmax(x: np.ndarray) -> np.ndarray:
    x -= x.max(axis=1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=1, keepdims=True)
    return x


# in-place numpy activations, by scikit-learn's names (hidden and output)
ACTIVATIONS = {
    "identity": _identity,
    "logistic": _logistic,
    "tanh": _tanh,
    "relu": _relu,
    "exp": _exp,
    "softmax": _softmax,
}


def init_coefs(
    layer_units: list[int], activation: str, random_state: np.random.RandomState, dtype
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Glorot-uniform weights drawn as scikit-learn draws them (same seed, same weights).

    The bound is ``sqrt(6 / (fan_in + fan_out))``, or ``sqrt(2 / ...)`` for
    logistic units; each layer draws its weights, then its intercepts.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:], strict=True):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(random_state.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
        intercepts.append(random_state.uniform(-bound, bound, fan_out).astype(dtype))
    return coefs, intercepts


def forward_numpy(X, coefs, intercepts, activation: str, out_activation: str) -> np.ndarray:
    """The network's output activations for ``X`` (dense or sparse), in numpy."""
    hidden = ACTIVATIONS[activation]
    out = X
    last = len(coefs) - 1
    for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        out = safe_sparse_dot(out, W)
        out += b
        if i != last:
            hidden(out)
    return ACTIVATIONS[out_activation](out)


def linear_layers(module: nn.Module) -> list[nn.Linear]:
    """The module's linear layers, input first."""
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


def build_module(coefs, intercepts, activation: str, device: torch.device) -> MLP:
    """An :class:`~sknn.nn.MLP` holding these weights, in their dtype, on ``device``.

    Its layers' own initial weights, overwritten at once, are drawn in a
    block that gives torch's global generator back as it was, as
    scikit-learn's MLPs leave it.
    """
    hidden = [W.shape[1] for W in coefs[:-1]]
    dtype = torch.float64 if coefs[0].dtype == np.float64 else torch.float32
    with seeded_torch(None):
        module = MLP(coefs[0].shape[0], coefs[-1].shape[1], hidden, activation)
    module.to(device=device, dtype=dtype)
    load_weights(module, coefs, intercepts)
    return module


def load_weights(module: nn.Module, coefs, intercepts) -> None:
    """Copy scikit-learn-layout arrays into the module's linear layers."""
    with torch.no_grad():
        for layer, W, b in zip(linear_layers(module), coefs, intercepts, strict=True):
            layer.weight.copy_(torch.as_tensor(np.asarray(W).T))
            layer.bias.copy_(torch.as_tensor(np.asarray(b)))


def read_weights(module: nn.Module, dtype) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The module's weights as new scikit-learn-layout arrays of ``dtype``."""
    layers = linear_layers(module)
    coefs = [np.array(layer.weight.detach().cpu().numpy().T, dtype=dtype) for layer in layers]
    intercepts = [np.array(layer.bias.detach().cpu().numpy(), dtype=dtype) for layer in layers]
    return coefs, intercepts
