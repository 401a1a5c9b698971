"""Saving a fitted flagship estimator: numpy arrays and plain values, no torch objects.

The pickled state (``__getstate__``) holds the network's weights and the
optimizer's state as numpy arrays, plus what rebuilds the network: the
estimator's own parameters and fitted attributes. That is what lets
``skops.io`` load a model without trusting torch's types, and a model fitted
on a GPU load on a machine without one. ``__setstate__`` rebuilds the
network and the optimizer, on the saved device when it exists here, else on
the CPU.
"""

from __future__ import annotations

import numpy as np
import torch

from sknn._inputs import input_path
from sknn._plan import build_optimizer
from sknn.training.device import available_or_cpu

# bumped whenever the saved layout changes; loading another layout fails clearly
STATE_FORMAT = 1


class TorchStateMixin:
    """``__getstate__``/``__setstate__`` for estimators holding ``module_`` and ``optimizer_``."""

    def _move_to(self, device: torch.device) -> None:
        self.module_.to(device)
        if getattr(self, "optimizer_", None) is not None:
            self.optimizer_ = self._rebuild_optimizer(self.optimizer_.state_dict(), device)
        self.device_ = device

    def _rebuild_optimizer(self, state: dict, device: torch.device):
        """A fresh optimizer over ``module_`` carrying over ``state``."""
        optimizer = build_optimizer(self, input_path(self), self.module_, device)
        optimizer.load_state_dict(state)
        return optimizer

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_n_params", None)  # refers to the live module; recomputed on demand
        state["_sknn_state_format"] = STATE_FORMAT
        module = state.pop("module_", None)
        if module is None:
            return state
        state["module_state_"] = {
            name: value.detach().cpu().numpy() for name, value in module.state_dict().items()
        }
        optimizer = state.pop("optimizer_", None)
        if optimizer is not None:
            state["optimizer_state_"] = to_numpy(optimizer.state_dict())
        state["device_"] = str(self.device_)
        return state

    def __setstate__(self, state):
        if state.get("_sknn_state_format") != STATE_FORMAT:
            raise ValueError(
                f"This {type(self).__name__} was saved by an older version of sknn, whose "
                "file format this version cannot read; fit the model again with this "
                "version and save it anew."
            )
        state = dict(state)
        weights = state.pop("module_state_", None)
        optimizer_state = state.pop("optimizer_state_", None)
        super().__setstate__(state)
        if weights is None:
            return
        device = available_or_cpu(state["device_"])
        self.module_ = self._rebuild_module(weights).to(device)
        if optimizer_state is not None:
            self.optimizer_ = self._rebuild_optimizer(to_torch(optimizer_state), device)
        self.device_ = device

    def _rebuild_module(self, weights: dict[str, np.ndarray]) -> torch.nn.Module:
        """The fitted network, rebuilt from the parameters and loaded with ``weights``."""
        module = input_path(self).build(
            np.empty((0, self._n_build_features)) if self._n_build_features else None,
            self._n_model_outputs,
            self._check_hidden_layer_sizes(),
        )
        module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
        module.eval()
        return module


def to_numpy(obj):
    """``obj`` with every tensor (in dicts, lists and tuples) as a numpy array."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().numpy()
    if isinstance(obj, dict):
        return {k: to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_numpy(v) for v in obj)
    return obj


def to_torch(obj):
    """The inverse of :func:`to_numpy`: numpy arrays back to (CPU) tensors."""
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.array(obj))
    if isinstance(obj, dict):
        return {k: to_torch(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torch(v) for v in obj)
    return obj
