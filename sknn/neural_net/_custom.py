"""A user's own torch module: nested parameters, building, inputs of any shape."""

from __future__ import annotations

import copy
import difflib
import fnmatch
import inspect

import numpy as np
import torch
from torch import nn

NESTED_PREFIXES = ("module__", "optimizer__", "criterion__", "encoder__")

Inputs = np.ndarray | dict[str, np.ndarray]


def extra_params(estimator) -> dict:
    """Attributes that are neither declared parameters nor fitted/private state.

    These come from ``**kwargs`` in ``__init__`` or from ``set_params``; they are
    accepted there without checks (scikit-learn requires both to never raise)
    and checked by :func:`check_nested` when fitting.
    """
    declared = set(estimator._get_param_names())
    return {
        key: value
        for key, value in vars(estimator).items()
        if key not in declared and not key.startswith("_") and not key.endswith("_")
    }


class NestedParamsMixin:
    """``get_params``/``set_params`` that include nested ``module__*``-style parameters."""

    def get_params(self, deep: bool = True) -> dict:
        """Get parameters, nested ones included.

        Parameters
        ----------
        deep : bool, default=True
            As in :meth:`sklearn.base.BaseEstimator.get_params`.

        Returns
        -------
        params : dict
            Declared parameters plus every ``module__*``, ``optimizer__*``,
            ``criterion__*`` and ``encoder__*`` parameter that was set.
        """
        params = super().get_params(deep=deep)  # type: ignore[misc]  # BaseEstimator's
        params.update(extra_params(self))
        return params

    def set_params(self, **params):
        """Set parameters, nested ones included.

        ``module__*``, ``optimizer__*``, ``criterion__*`` and ``encoder__*``
        names reach the module, optimizer, loss and encoder at the next fit,
        where they are checked (scikit-learn requires ``__init__`` and
        ``set_params`` never to raise).

        Parameters
        ----------
        **params : dict
            Parameter names and values.

        Returns
        -------
        self : object
            The estimator.
        """
        declared = set(self._get_param_names())
        extra = {k: v for k, v in params.items() if k not in declared and "__" in k}
        for key, value in extra.items():
            setattr(self, key, value)
        return super().set_params(**{k: v for k, v in params.items() if k not in extra})


def check_nested(estimator) -> None:
    """Refuse extra parameters that are not ``module__*``, ``optimizer__*``,
    ``criterion__*`` or ``encoder__*`` (the latter must name an encoder parameter)."""
    for key in extra_params(estimator):
        if not key.startswith(NESTED_PREFIXES) or key in NESTED_PREFIXES:
            hint = _did_you_mean(key, estimator._get_param_names())
            raise TypeError(
                f"{type(estimator).__name__} got an unexpected parameter {key!r}{hint}; "
                "nested parameters start with 'module__' (passed to the module's "
                "constructor), 'optimizer__' (to the optimizer), 'criterion__' (to the "
                "loss) or 'encoder__' (to the TabularEncoder)."
            )
    encoder_params = nested(estimator, "encoder__")
    if not encoder_params:
        return
    from sknn.preprocessing import TabularEncoder

    known = TabularEncoder._get_param_names()
    for name in encoder_params:
        if name == "categorical_features":
            raise ValueError(
                "encoder__categorical_features conflicts with the estimator's own "
                "categorical_features parameter; set categorical_features instead."
            )
        if name not in known:
            hint = _did_you_mean(name, known)
            raise ValueError(
                f"encoder__{name} is not a TabularEncoder parameter{hint}; its parameters "
                f"are {[k for k in known if k != 'categorical_features']}."
            )
    if estimator.module is not None:
        raise ValueError(
            f"encoder__ parameters {sorted(encoder_params)} apply to sknn's own network; "
            "a custom module takes X as given, without the TabularEncoder."
        )


def _did_you_mean(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def nested(estimator, prefix: str) -> dict:
    """The estimator's ``prefix*`` parameters, with the prefix removed."""
    return {
        key[len(prefix) :]: value
        for key, value in vars(estimator).items()
        if key.startswith(prefix)
    }


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


def user_loss(spec, params: dict):
    """A ``loss(outputs, targets, weight)`` from a torch loss class or a callable.

    A class is built with ``reduction="none"`` and ``params`` so that per-sample
    losses can carry sample weights; a callable must return per-sample losses
    (or a scalar, when no sample weights are used).
    """
    if isinstance(spec, type):
        criterion = spec(reduction="none", **params)
    else:
        if params:
            raise ValueError(
                f"criterion__ parameters {sorted(params)} need criterion to be a class."
            )
        criterion = spec

    def loss(out: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
        values = criterion(out, y)
        if values.ndim == 0:
            if weight is not None:
                raise ValueError(
                    "criterion returned one number per batch, so sample weights cannot be "
                    "applied; pass the loss class (sknn builds it with reduction='none')."
                )
            return values
        per_sample = values.reshape(len(values), -1).mean(dim=1)
        if weight is None:
            return per_sample.mean()
        return (per_sample * weight).sum() / weight.sum()

    return loss


def freeze(module: nn.Module, patterns) -> list[str]:
    """Turn off gradients of parameters whose names match a glob pattern."""
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


def param_groups(module: nn.Module, multipliers: dict[str, float]) -> list:
    """Trainable parameters, grouped by the first glob pattern their name matches.

    Returns a plain parameter list without ``multipliers``, else groups whose
    ``lr_multiplier`` scales the estimator's ``learning_rate`` (e.g. 0.1 for a
    pretrained backbone).
    """
    named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    if not multipliers:
        return [p for _, p in named]
    groups: dict[str | None, list[nn.Parameter]] = {}
    for name, param in named:
        pattern = next((pat for pat in multipliers if fnmatch.fnmatchcase(name, pat)), None)
        groups.setdefault(pattern, []).append(param)
    unused = set(multipliers) - set(groups)
    if unused:
        raise ValueError(
            f"lr_multipliers patterns {sorted(unused)} match no trainable parameter; "
            f"parameter names are {[name for name, _ in named]}."
        )
    return [
        {"params": params, "lr_multiplier": 1.0 if pattern is None else float(multipliers[pattern])}
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
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
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


def to_tensors(X: Inputs, rows, device: torch.device):
    """Selected rows as tensors: floats as float32, integers (token ids) as int64."""

    def convert(a: np.ndarray) -> torch.Tensor:
        dtype = torch.float32 if a.dtype.kind == "f" else torch.int64
        return torch.as_tensor(a[rows], dtype=dtype, device=device)

    if isinstance(X, dict):
        return {key: convert(value) for key, value in X.items()}
    return convert(X)
