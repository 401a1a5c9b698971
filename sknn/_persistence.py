"""Pickling a fitted flagship estimator: weights on the CPU, loadable anywhere."""

from __future__ import annotations

import copy

import torch

from sknn._inputs import input_path
from sknn._plan import build_optimizer
from sknn.training.device import available_or_cpu


class TorchStateMixin:
    """``__getstate__``/``__setstate__`` for estimators holding ``module_`` and ``optimizer_``.

    The network and the optimizer state are stored on the CPU; on load they
    move to the saved device when it exists here, else stay on the CPU.
    """

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
        if "module_" in state:
            # store on the CPU so that a model fitted on a GPU loads anywhere
            state["module_"] = copy.deepcopy(self.module_).cpu()
            if getattr(self, "optimizer_", None) is not None:
                state["optimizer_"] = _state_to_cpu(self.optimizer_.state_dict())
            state["device_"] = str(self.device_)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "module_" not in state:
            return
        device = available_or_cpu(state["device_"])
        self.module_ = state["module_"].to(device)
        if isinstance(state.get("optimizer_"), dict):
            self.optimizer_ = self._rebuild_optimizer(state["optimizer_"], device)
        self.device_ = device


def _state_to_cpu(obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _state_to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_state_to_cpu(v) for v in obj]
    return obj
