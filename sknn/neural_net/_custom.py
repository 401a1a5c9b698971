"""A user's own torch module: building it, freezing, inputs of any shape."""

from __future__ import annotations

import copy
import fnmatch
import inspect

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

Inputs = np.ndarray | dict[str, np.ndarray]
_ONE = ""  # the key of a single array in an input layout


def build_module(spec, inferred: dict, params: dict) -> nn.Module:
    """Instantiate a module class or factory, or copy a module instance.

    ``inferred`` sizes (``n_features_in``, ``n_outputs``, ``n_classes``) are passed
    only for the arguments the constructor names; ``params`` (the user's
    ``module__*``) always win. An instance is deep-copied, never trained in place.
    """
    if isinstance(spec, nn.Module):
        if params:
            raise ValueError(
                f"module__ parameters {sorted(params)} cannot be applied to a module "
                "instance; pass the module's class (or a factory) instead."
            )
        return copy.deepcopy(spec)
    try:
        signature = inspect.signature(spec)
    except (TypeError, ValueError):
        signature = None
    names = set() if signature is None else set(signature.parameters)
    kwargs = {key: value for key, value in inferred.items() if key in names}
    kwargs.update(params)
    try:
        module = spec(**kwargs)
    except TypeError as exc:
        raise TypeError(
            f"Could not build the module {getattr(spec, '__name__', spec)!r} with arguments "
            f"{sorted(kwargs)}: {exc}. Pass missing constructor arguments as "
            "module__<name>=value."
        ) from exc
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must build a torch.nn.Module, got {type(module).__name__}.")
    return module


def freeze(module: nn.Module, patterns) -> list[str]:
    """Turn off gradients of parameters whose names match a glob pattern."""
    for pattern in patterns:
        if not isinstance(pattern, str):  # fnmatch's TypeError named no parameter
            raise ValueError(
                f"frozen entry {pattern!r} must be a glob pattern string of parameter "
                "names, such as 'backbone.*'."
            )
    frozen = []
    for name, param in module.named_parameters():
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
            param.requires_grad_(False)
            frozen.append(name)
    if patterns and not frozen:
        names = [name for name, _ in module.named_parameters()]
        raise ValueError(
            f"frozen={list(patterns)!r} matches no parameter; parameter names are {names}."
        )
    return frozen


def refreeze(module: nn.Module, before, now) -> None:
    """Apply new ``frozen`` patterns to a fitted module: parameters that only the
    patterns ``before`` matched train again, those ``now`` matches are frozen (a
    pattern that matches nothing is refused). Parameters the module froze itself
    and no pattern names stay as they are."""
    for name, param in module.named_parameters():
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in before):
            param.requires_grad_(True)
    freeze(module, now)


def param_groups(
    module: nn.Module, multipliers: dict[str, float], defaults: dict[str, float] | None = None
) -> list:
    """Trainable parameters, grouped by the first glob pattern their name matches.

    Returns a plain parameter list when no pattern matches, else groups whose
    ``lr_multiplier`` scales the estimator's ``learning_rate`` (e.g. 0.1 for a
    pretrained backbone). ``defaults`` (a network's own factors) come after
    ``multipliers`` (the user's, which win), and one that matches nothing is
    dropped; a pattern of ``multipliers`` that matches nothing is refused.
    """
    named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    patterns = dict(multipliers)
    for default, factor in (defaults or {}).items():
        patterns.setdefault(default, factor)
    groups: dict[str | None, list[nn.Parameter]] = {}
    for name, param in named:
        pattern = next((pat for pat in patterns if fnmatch.fnmatchcase(name, pat)), None)
        groups.setdefault(pattern, []).append(param)
    unused = set(multipliers) - set(groups)
    if unused:
        names = [name for name, _ in named]
        found = f"trainable parameter names are {names}" if names else "every one is frozen"
        raise ValueError(
            f"lr_multipliers patterns {sorted(unused)} match no trainable parameter; {found}."
        )
    if set(groups) <= {None}:  # no pattern matched: one plain group
        return [p for _, p in named]
    return [
        {"params": params, "lr_multiplier": 1.0 if pattern is None else float(patterns[pattern])}
        for pattern, params in groups.items()
    ]


def check_inputs(X) -> Inputs:
    """Any array-like whose first axis is samples, or a dict of them, as numpy."""
    if isinstance(X, dict):
        if not X:
            raise ValueError("X is an empty dict; pass at least one input array.")
        arrays = {str(key): _as_array(value, f"X[{key!r}]") for key, value in X.items()}
        sizes = {key: len(value) for key, value in arrays.items()}
        if len(set(sizes.values())) != 1:
            raise ValueError(f"The arrays in X have different numbers of samples: {sizes}.")
        return arrays
    return _as_array(X, "X")


def _as_array(value, name: str) -> np.ndarray:
    if sp.issparse(value):  # numpy reads it as one object: "no samples"
        raise TypeError(
            f"{name} is a scipy sparse matrix; a module of your own receives its input as "
            f"given, dense. Pass {name}.toarray() (rows x columns of floats), or leave "
            "module=None: sknn's own network takes sparse rows through their non-zeros."
        )
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except ValueError:  # numpy's "inhomogeneous shape": items of different sizes
        raise ValueError(_ragged(value, name)) from None
    if array.ndim == 0 or len(array) == 0:
        raise ValueError(f"{name} has no samples; its first axis must index samples.")
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} has dtype {array.dtype}; a custom module takes numeric arrays "
            "(floats, or integers such as token ids). Texts go through a tokenizer first, "
            "e.g. make_pipeline(TextTokenizer(), NeuralNetClassifier(module=TextBackbone)); "
            "images as uint8 or float arrays."
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity; clean or impute it first.")
    return array


def _ragged(value, name: str) -> str:
    """What to say of a list whose items have different shapes (images, clips)."""
    try:
        shapes = [np.shape(item) for item in value]
        first = next(i for i, shape in enumerate(shapes) if shape != shapes[0])
        which = f" ({name}[0] {shapes[0]}, {name}[{first}] {shapes[first]})"
    except (TypeError, ValueError, StopIteration):  # items that are ragged inside
        which = ""
    return (
        f"{name} holds items of different shapes{which}; a module of your own takes one "
        "array whose first axis is samples, so every item needs one shape: resize or crop "
        "images to one size, pad or cut clips to one length; or embed them first "
        "(ImageEmbedder and VoiceEmbedder take any sizes)."
    )


def to_tensors(X: Inputs, rows, device: torch.device):
    """Selected rows as tensors: floats and booleans (0 and 1, a mask) as float32, integers
    (token ids) as int64."""

    def convert(a: np.ndarray) -> torch.Tensor:
        dtype = torch.float32 if a.dtype.kind in "fb" else torch.int64
        selected = a[rows]
        if min(selected.strides, default=0) < 0:  # torch takes no negative strides (X[::-1])
            selected = selected.copy()
        return torch.as_tensor(selected, dtype=dtype, device=device)

    if isinstance(X, dict):
        return {key: convert(value) for key, value in X.items()}
    return convert(X)


def input_layout(X: Inputs) -> dict[str, tuple[tuple[int, ...], str]]:
    """What a module was fitted on: each input's sample shape and kind ("float" or "int").

    Keyed by the dict's keys, or ``""`` for one array (plain values: skops saves them).
    """
    arrays = X if isinstance(X, dict) else {_ONE: X}
    return {
        key: (tuple(a.shape[1:]), "float" if a.dtype.kind in "fb" else "int")
        for key, a in arrays.items()
    }


def layout_change(X: Inputs, layout: dict | None) -> str | None:
    """How the samples of ``X`` differ in shape from the fit's :func:`input_layout`
    (None where they do not, or nothing was recorded), for a module's error."""
    if layout is None:
        return None
    arrays = X if isinstance(X, dict) else {_ONE: X}
    changes = [
        f"{f'X[{key!r}]' if isinstance(X, dict) else 'X'} has samples shaped "
        f"{tuple(array.shape[1:])}, fitted on {layout[key][0]}"
        for key, array in arrays.items()
        if key in layout and tuple(array.shape[1:]) != tuple(layout[key][0])
    ]
    return "; ".join(changes) or None


def conform(X: Inputs, layout: dict | None, name: str) -> Inputs:
    """``X`` checked against the fit's :func:`input_layout`: the same inputs and, for rows
    of features (2-D), scikit-learn's checks; other arrays are the module's to judge.

    A 2-D float input keeps its number of features; integers for it are read
    as floats; a 2-D integer input (token ids, of any length) takes no floats.
    Images, sequences and other arrays of several axes may change their sizes
    (a backbone takes images of any size) and are checked by the module.

    Raises
    ------
    ValueError
        For other inputs than at fit, or another number of features.
    TypeError
        For floats given to a module fitted on integer rows (token ids).
    """
    if layout is None:  # fitted by a version that kept no layout
        return X
    arrays = X if isinstance(X, dict) else {_ONE: X}
    if set(arrays) != set(layout) or isinstance(X, dict) != (_ONE not in layout):
        given = f"a dict of {sorted(arrays)}" if isinstance(X, dict) else "one array"
        fitted = "one array" if _ONE in layout else f"a dict of {sorted(layout)}"
        raise ValueError(f"X is {given}, but {name} was fitted on {fitted}; pass the same.")
    conformed = {}
    for key, array in arrays.items():
        shape, kind = layout[key]
        what = f"X[{key!r}]" if isinstance(X, dict) else "X"
        if len(shape) == 1:  # rows of features, as scikit-learn counts them
            if array.ndim != 2:
                raise ValueError(
                    f"{what} has {array.ndim} dimension(s), but {name} was fitted on rows of "
                    f"{shape[0]} features (2-D); reshape it, e.g. {what}.reshape(1, -1) "
                    "for a single row."
                )
            if kind == "float" and array.shape[1] != shape[0]:
                raise ValueError(
                    f"{what} has {array.shape[1]} features, but {name} is expecting "
                    f"{shape[0]} features as input."
                )
            if kind == "float" and array.dtype.kind != "f":
                array = array.astype(np.float32)
            elif kind == "int" and array.dtype.kind == "f":
                raise TypeError(
                    f"{what} holds floats, but {name} was fitted on integers (passed to the "
                    f"module as int64, e.g. token ids); pass {what}.astype(np.int64)."
                )
        if kind == "int" and array.dtype.kind == "b":  # fitted when booleans were int64
            array = array.astype(np.int64)
        conformed[key] = array
    return conformed if isinstance(X, dict) else conformed[_ONE]
