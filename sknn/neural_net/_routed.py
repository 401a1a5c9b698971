"""Routed parameters: ``module__*``, ``optimizer__*``, ``criterion__*``, ``encoder__*``.

Each prefix passes parameters to something the estimator builds at fit: the
user's module, the optimizer, the user's loss, the
:class:`~sknn.preprocessing.TabularEncoder`. A routed parameter must reach it:
one whose prefix reaches nothing (``module__dropout`` with sknn's own network,
``criterion__*`` without a ``criterion``), one the target does not take, or one
that restates a parameter of the estimator (``optimizer__weight_decay`` beside
``weight_decay``) is refused with a message naming what it can reach. The
check runs in ``set_params`` (as scikit-learn's nested estimators refuse an
unknown name there) and again at ``fit`` for what ``__init__`` stored
unchecked. ``get_params(deep=True)`` lists the encoder's parameters, so
``clone``, ``GridSearchCV`` and the HTML repr see them.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable

from torch import nn

PREFIXES = ("module__", "optimizer__", "criterion__", "encoder__")

# what a named optimizer passes on (sknn's fused kernels take these, torch's too)
NAMED_OPTIMIZER_PARAMS = {
    "adamw": ("betas", "eps"),
    "adam": ("betas", "eps"),
    "sgd": ("momentum", "nesterov"),
}
# parameters of sknn's own network, meaningless beside a module of one's own
BUILT_IN_ONLY = (
    "hidden_layer_sizes",
    "activation",
    "dropout",
    "numeric_embedding",
    "feature_scale",
    "n_ensemble",
    "categorical_features",
)
# routed names that restate the estimator's own parameters
GIVEN_TWICE = {
    "optimizer__lr": "learning_rate",
    "optimizer__weight_decay": "weight_decay",
    "encoder__categorical_features": "categorical_features",
}


def extra_params(estimator) -> dict:
    """Attributes that are neither declared parameters nor fitted/private state.

    These come from ``**kwargs`` in ``__init__`` (stored unchecked, as
    scikit-learn asks of ``__init__``) or from ``set_params``.
    """
    declared = set(estimator._get_param_names())
    return {
        key: value
        for key, value in vars(estimator).items()
        if key not in declared and not key.startswith("_") and not key.endswith("_")
    }


def nested(estimator, prefix: str) -> dict:
    """The estimator's ``prefix*`` parameters, with the prefix removed."""
    return {
        key[len(prefix) :]: value
        for key, value in vars(estimator).items()
        if key.startswith(prefix)
    }


def encoder_defaults() -> dict:
    """The TabularEncoder's own parameters and defaults (``categorical_features`` aside)."""
    from sknn.preprocessing import TabularEncoder

    params = TabularEncoder().get_params(deep=False)
    params.pop("categorical_features")
    return params


class NestedParamsMixin:
    """``get_params``/``set_params`` that include, and check, the routed parameters."""

    def get_params(self, deep: bool = True) -> dict:
        """Get parameters, routed ones included.

        Parameters
        ----------
        deep : bool, default=True
            As in :meth:`sklearn.base.BaseEstimator.get_params`; with sknn's own
            network it also lists every ``encoder__*`` parameter (its value, or
            the TabularEncoder's default).

        Returns
        -------
        params : dict
            Declared parameters plus every ``module__*``, ``optimizer__*``,
            ``criterion__*`` and ``encoder__*`` parameter that was set.
        """
        params = super().get_params(deep=deep)  # type: ignore[misc]  # BaseEstimator's
        params.update(extra_params(self))
        if deep and params.get("module") is None:
            for name, value in encoder_defaults().items():
                params.setdefault(f"encoder__{name}", value)
        return params

    def set_params(self, **params):
        """Set parameters, routed ones included, refusing any that would reach nothing.

        Parameters
        ----------
        **params : dict
            Parameter names and values. ``module__*``, ``optimizer__*``,
            ``criterion__*`` and ``encoder__*`` names must be parameters of the
            module, optimizer, loss or encoder the estimator will build (with
            the other parameters as they are after this call).

        Returns
        -------
        self : object
            The estimator.

        Raises
        ------
        ValueError
            When a routed name reaches nothing, is not taken by its target or
            restates one of the estimator's own parameters.
        """
        declared = set(self._get_param_names())
        extra = {k: v for k, v in params.items() if k not in declared and "__" in k}
        view = {**self.get_params(deep=False), **params}
        check_routed(type(self).__name__, declared, view, extra)
        defaults = encoder_defaults()
        for key, value in extra.items():
            name = key.removeprefix("encoder__")
            if name != key and name in defaults and same_setting(value, defaults[name]):
                vars(self).pop(key, None)  # the encoder's default: nothing to store
            else:
                setattr(self, key, value)
        return super().set_params(**{k: v for k, v in params.items() if k not in extra})


def check_nested(estimator) -> None:
    """Refuse, at fit, any parameter stored by ``__init__`` that reaches nothing."""
    check_built_in_only(estimator)
    declared = set(estimator._get_param_names())
    check_routed(
        type(estimator).__name__,
        declared,
        estimator.get_params(deep=False),
        extra_params(estimator),
    )


def check_built_in_only(estimator) -> None:
    """Refuse settings of sknn's own network given beside a ``module`` of one's own.

    They would change nothing (a grid search over ``dropout`` with a user's
    module would search nothing); the module takes its own settings as
    ``module__*``.
    """
    if estimator.module is None:
        return
    defaults = {
        name: p.default for name, p in inspect.signature(type(estimator)).parameters.items()
    }
    given = [
        name
        for name in BUILT_IN_ONLY
        if name in defaults and not same_setting(getattr(estimator, name), defaults[name])
    ]
    if given:
        raise ValueError(
            f"{', '.join(given)} set sknn's own network, but module= is your own, which "
            f"they would not change. Remove them, and pass your module's settings as "
            f"module__<name> (e.g. module__{given[0]}=...)."
        )


def same_setting(value, default) -> bool:
    """Whether a parameter's value equals a default (False where they cannot be compared)."""
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # e.g. an array compared with a string
        return False


def check_routed(owner: str, declared: set, params: dict, routed: dict) -> None:
    """Check each routed name of ``routed`` against the targets ``params`` say will be built.

    Parameters
    ----------
    owner : str
        The estimator's class name, for messages.
    declared : set of str
        The estimator's own parameter names.
    params : dict
        All parameters as they will be (declared ones decide the targets).
    routed : dict
        The names to check (anything not declared).
    """
    for key in routed:
        prefix = next((p for p in PREFIXES if key.startswith(p) and key != p), None)
        if prefix is None:
            raise TypeError(
                f"{owner} got an unexpected parameter {key!r}{_did_you_mean(key, declared)}; "
                "routed parameters start with 'module__' (passed to the module's "
                "constructor), 'optimizer__' (to the optimizer), 'criterion__' (to the "
                "loss) or 'encoder__' (to the TabularEncoder)."
            )
        if key in GIVEN_TWICE:
            own = GIVEN_TWICE[key]
            raise ValueError(
                f"{key} restates {owner}'s own parameter {own}; set {own} instead "
                "(one value, one place)."
            )
        name = key[len(prefix) :]
        target, takes = _target(prefix, params, declared, owner, name)
        if takes is not None and name not in takes:
            raise ValueError(
                f"{key} is not a parameter of {target}{_did_you_mean(name, takes)}; "
                f"it takes {sorted(takes)}."
            )


def _target(prefix: str, params: dict, declared: set, owner: str, name: str):
    """What ``prefix`` reaches and the names it takes (None: any name)."""
    if prefix == "encoder__":
        if params.get("module") is not None:
            raise ValueError(
                f"encoder__{name} applies to sknn's own network; a custom module takes X "
                "as given, without the TabularEncoder. Remove it, or set module=None."
            )
        return "TabularEncoder", set(encoder_defaults())
    if prefix == "module__":
        module = params.get("module")
        if module is None:
            raise ValueError(
                f"module__{name} reaches a module= of your own, but module is None: sknn's "
                f"own network takes its settings as {owner}'s own parameters (such as "
                f"dropout, hidden_layer_sizes, n_ensemble){_own(name, declared)}."
            )
        if isinstance(module, nn.Module):
            raise ValueError(
                f"module__{name} cannot be applied to a module instance; pass the module's "
                "class (or a factory) as module= instead."
            )
        return _name_of(module), _accepted(module)
    if prefix == "optimizer__":
        optimizer = params.get("optimizer")
        if isinstance(optimizer, str):
            takes = set(NAMED_OPTIMIZER_PARAMS.get(optimizer, ()))
            return f"optimizer={optimizer!r} (pass a torch optimizer class for others)", takes
        return _name_of(optimizer), _accepted(optimizer, drop=("params",))
    criterion = params.get("criterion")
    if criterion is None:
        raise ValueError(
            f"criterion__{name} reaches a criterion= of your own, but criterion is None: "
            f"the built-in loss takes its settings as {owner}'s own parameters"
            f"{_own(name, declared)}."
        )
    if not isinstance(criterion, type):
        raise ValueError(
            f"criterion__{name} needs criterion to be a class (sknn builds it with "
            "reduction='none'); a function takes no parameters."
        )
    if name == "reduction":
        raise ValueError(
            "criterion__reduction cannot be set: sknn builds the loss with "
            "reduction='none' so that sample weights and ensemble members apply."
        )
    return _name_of(criterion), _accepted(criterion)


def _accepted(target: Callable | None, drop: Iterable[str] = ()) -> set | None:
    """The keyword names ``target`` takes, or None when it takes any (``**kwargs``)."""
    if target is None:
        return None
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    parameters = signature.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {
        p.name
        for p in parameters
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in drop
    }


def _name_of(target) -> str:
    return getattr(target, "__name__", type(target).__name__)


def _did_you_mean(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# a torch loss's keyword and the estimator's parameter that sets it
_OWN_FOR_LOSS = {"weight": "class_weight", "pos_weight": "class_weight", "delta": "huber_delta"}


def _own(name: str, declared) -> str:
    """``"; set dropout=... instead"`` when the estimator has a parameter of that name."""
    if name in _OWN_FOR_LOSS:
        own = _OWN_FOR_LOSS[name]
        return f"; set {own}=... instead" if own in declared else ""
    close = difflib.get_close_matches(name, list(declared), n=1)
    return f"; set {close[0]}=... instead" if close else ""
