"""Arrays of any Array API namespace in and out: scikit-learn's ``array_api_dispatch``.

With ``sklearn.set_config(array_api_dispatch=True)`` (and ``SCIPY_ARRAY_API=1``
in the environment), the estimators take ``X``, ``y`` and ``sample_weight`` as
torch tensors, array-api-strict or any other Array API arrays, and answer in
``X``'s namespace and on its device. The method decorators here are the one
place that reads the namespace:

- a numeric torch ``X`` given to sknn's own tabular network or to
  ``TabularEncoder`` stays a tensor on its device: the encoder fits and
  encodes it in torch (:mod:`sknn.preprocessing._tensors`), the training
  batches and the network's input are slices of the encoded tensor, and the
  network trains where ``device`` says (``"auto"``: the GPU that holds the
  tensor); only ``y``, ``sample_weight``, per-column statistics and the
  network's outputs (a few numbers a row) visit the host;
- other inputs (a user's module, the drop-ins, tensors with categorical
  columns, other namespaces) are viewed as numpy without a copy where they
  live in host memory (a CPU tensor shares its memory through DLPack), or
  copied to the host once from an accelerator; ``y`` and ``sample_weight``
  follow ``X`` whatever their own namespace; a dict of inputs (a user's
  module) is read on the host and answered in numpy, as it has no one namespace;
  bfloat16 tensors, which numpy has no type for, are read as float32;
- a fit records its namespace and device as an empty array of them
  (scikit-learn's convention: fitted arrays live where ``X`` did), and holds
  the estimator's other numeric fitted arrays there too, ``classes_``
  included (string labels stay numpy);
  every method still reads them as numpy (a continued fit moves them back
  first, a prediction reads a shallow host view of the estimator);
- predictions and probabilities come back in ``X``'s namespace and device
  (labels that are strings stay numpy, as their ``classes_`` do);
  ``predict`` on another namespace than the fit's is refused with the fix
  (``move_estimator_to``, which this module's state supports);
- pickles store numpy (:func:`host_state`): a model fitted on CUDA tensors
  loads on a CPU-only machine, as a numpy-fitted model.

Always, dispatch or not, a tensor that requires grad is refused naming
``.detach()``: the fit cannot send gradients back into the graph that made
it. Without dispatch a tensor on an accelerator is refused naming the two
ways on (dispatch, or ``.cpu()``); CPU tensors work as any array-like and
answer numpy, as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np
import torch
from sklearn._config import config_context, get_config
from sklearn.externals.array_api_compat import is_array_api_obj, is_torch_array
from sklearn.utils._array_api import check_same_namespace, get_namespace_and_device, move_to

from sknn.sklearn_glue.dask_collections import is_dask
from sknn.training.device import data_on

Method = TypeVar("Method", bound=Callable[..., Any])

# the empty array that records the namespace and device of the fit
NAMESPACE_MARKER = "_fit_namespace"
# set while a dispatched call runs: the calls it makes pass their arguments on as they are
_PASS_THROUGH: ContextVar[bool] = ContextVar("sknn_pass_through", default=False)


def _is_foreign(a: object) -> bool:
    """An Array API array other than numpy's (a torch tensor, array-api-strict, CuPy)."""
    return (
        a is not None
        and not isinstance(a, np.ndarray | np.generic)
        and not is_dask(a)
        and is_array_api_obj(a)
    )


def refuse_unusable(name: str, a: object) -> None:
    """Refuse a tensor (or a dict's tensor) that requires grad, and (without dispatch) one
    off the CPU.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    a : object
        The argument.
    """
    if isinstance(a, dict):  # a module's inputs: each a tensor that may require grad
        for key, value in a.items():
            if is_torch_array(value) and value.requires_grad:
                _refuse_grad(f"{name}[{key!r}]")
    if not is_torch_array(a):
        return
    if a.requires_grad:
        _refuse_grad(name)
    if a.device.type != "cpu" and not get_config()["array_api_dispatch"]:
        raise TypeError(
            f"{name} is a torch tensor on {a.device}, which numpy cannot read. Either turn "
            "on scikit-learn's Array API dispatch (SCIPY_ARRAY_API=1 in the environment, "
            "then sklearn.set_config(array_api_dispatch=True)) to fit and predict on the "
            f"tensor's device, or pass {name}.cpu()."
        )


def _refuse_grad(name: str) -> None:
    raise TypeError(
        f"{name} is a torch tensor that requires grad; sknn trains its own network "
        f"and cannot send gradients back into the graph that made {name}. Pass "
        f"{name}.detach() (or compute it under torch.no_grad())."
    )


def to_host(a: Any) -> Any:
    """``a`` as numpy if it is another namespace's array (a view where it is in host memory;
    a bfloat16 tensor, which numpy has no type for, as a float32 copy: it holds every value)."""
    if not _is_foreign(a):
        return a
    if is_torch_array(a) and a.dtype == torch.bfloat16:
        a = a.float()
    return move_to(a, xp=np, device="cpu")


def dispatched_namespace(X: object) -> tuple[Any, Any] | None:
    """``(xp, device)`` of ``X`` under dispatch when it is not numpy, else None."""
    if not get_config()["array_api_dispatch"] or not _is_foreign(X):
        return None
    xp, _, device = get_namespace_and_device(X)
    return xp, device


def hold_in_namespace(estimator: Any, xp: Any, device: Any) -> None:
    """Record the fit's namespace and device; move the fitted numeric arrays there
    (``classes_`` too, as scikit-learn's tools pair it with the probabilities; strings stay)."""
    setattr(estimator, NAMESPACE_MARKER, move_to(np.zeros(0), xp=xp, device=device))
    for key, value in list(vars(estimator).items()):
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            setattr(estimator, key, move_to(value, xp=xp, device=device))


def host_state(state: dict) -> dict:
    """A pickled state with every array of another namespace as numpy (``__getstate__``)."""
    return {key: to_host(value) for key, value in state.items()}


class NumpyStateMixin:
    """Pickle (and skops) an estimator fitted on another namespace's arrays as numpy."""

    def __getstate__(self):
        return host_state(super().__getstate__())


def _check_namespace(estimator: Any, X: object, method: str) -> None:
    """Under dispatch: ``X`` in the namespace and on the device of the fit."""
    if getattr(estimator, NAMESPACE_MARKER, None) is None or is_dask(X) or isinstance(X, dict):
        return  # a dict of inputs (for a user's module) is read on the host, as at fit
    check_same_namespace(X, estimator, attribute=NAMESPACE_MARKER, method=method)


def _encodes_tensors(estimator: Any, X: object) -> bool:
    """Whether ``estimator`` takes the torch tensor ``X`` as it is (its encoder works in torch)."""
    takes = getattr(estimator, "_encodes_tensors", None)
    return is_torch_array(X) and takes is not None and takes()


def _run_on_host(method: Callable, estimator: Any, args: tuple, kwargs: dict) -> Any:
    """The method with dispatch off inside, on numpy views of its array arguments, except
    a torch ``X`` that the estimator encodes where it lives.

    Inside, sknn and scikit-learn see numpy (or that tensor), as without
    dispatch; nested public calls (``score`` calls ``predict``, a fit its
    encoder's ``fit_transform``) pass their arguments straight through.
    """
    X, *rest = args
    native = _encodes_tensors(estimator, X)
    args = (X if native else to_host(X), *(to_host(a) for a in rest))
    kwargs = {key: to_host(value) for key, value in kwargs.items()}
    token = _PASS_THROUGH.set(True)
    try:
        with config_context(array_api_dispatch=False):
            return method(estimator, *args, **kwargs)
    finally:
        _PASS_THROUGH.reset(token)


def _undispatched(X: object) -> object:
    """``X`` for a method called without dispatch: a CPU tensor as its numpy view (it is an
    array-like, answered in numpy), unless a dispatched call up the stack passes it on."""
    return X if _PASS_THROUGH.get() else to_host(X)


def _holds_foreign(estimator: Any) -> bool:
    """Whether the estimator holds arrays of another namespace: its record of the fit says.

    Only :func:`hold_in_namespace` moves fitted arrays off numpy, and it sets
    the record with them, so a numpy-fitted estimator costs one check here
    instead of a look at each of its attributes on every prediction.
    """
    return _is_foreign(getattr(estimator, NAMESPACE_MARKER, None))


def _hold_on_host(estimator: Any) -> None:
    """Before a fit continues: the estimator's arrays of another namespace as numpy."""
    if _holds_foreign(estimator):
        vars(estimator).update(host_state(vars(estimator)))


def host_view(estimator: Any) -> Any:
    """The estimator with its arrays as numpy, for a method that only reads it.

    A shallow copy of its attributes (the network itself is shared), made
    only when it holds arrays of another namespace; ``estimator`` is untouched.
    """
    if not _holds_foreign(estimator):
        return estimator
    view = object.__new__(type(estimator))
    view.__dict__.update(host_state(vars(estimator)))
    return view


def _in_namespace(answer: Any, namespace: tuple[Any, Any]) -> Any:
    """A numeric numpy answer moved to the namespace and device; anything else (an answer
    already in torch, string labels) as it is."""
    if not isinstance(answer, np.ndarray) or answer.dtype.kind in "OUS":
        return answer  # string labels stay numpy, as scikit-learn keeps such classes_
    xp, device = namespace
    return move_to(np.ascontiguousarray(answer), xp=xp, device=device)


def _refuse_all(args: tuple, kwargs: dict, names: tuple[str, ...]) -> None:
    for name, a in zip(names, args, strict=False):
        refuse_unusable(name, a)
    for name, a in kwargs.items():
        refuse_unusable(name, a)


def fits_any_namespace(method: Method) -> Method:
    """Decorate ``fit``/``partial_fit``/``fit_transform``: any namespace in, arrays in ``X``'s."""

    @functools.wraps(method)
    def fit(self, X, *args, **kwargs):
        _refuse_all((X, *args), kwargs, ("X", "y", "sample_weight"))
        namespace = dispatched_namespace(X)
        _hold_on_host(self)  # a continued fit reads its state as numpy
        if get_config()["array_api_dispatch"] and not is_dask(X):
            # device="auto" trains on the GPU that holds X
            with data_on(X.device if is_torch_array(X) else None):
                fitted = _run_on_host(method, self, (X, *args), kwargs)
        else:
            fitted = method(self, _undispatched(X), *args, **kwargs)
        if namespace is None:
            setattr(self, NAMESPACE_MARKER, np.zeros(0))
            return fitted
        hold_in_namespace(self, *namespace)
        return _in_namespace(fitted, namespace)  # fit_transform's answer

    return fit  # type: ignore[return-value]


def answers_in_namespace(method: Method) -> Method:
    """Decorate ``predict`` and its kin: the answer in ``X``'s namespace and on its device."""

    @functools.wraps(method)
    def predict(self, X, *args, **kwargs):
        refuse_unusable("X", X)
        if not get_config()["array_api_dispatch"] or is_dask(X):
            return method(host_view(self), _undispatched(X), *args, **kwargs)
        _check_namespace(self, X, method.__name__)
        namespace = dispatched_namespace(X)
        answer = _run_on_host(method, host_view(self), (X, *args), kwargs)
        return answer if namespace is None else _in_namespace(answer, namespace)

    return predict  # type: ignore[return-value]


def scores_any_namespace(method: Method) -> Method:
    """Decorate ``score``: ``X``, ``y`` and ``sample_weight`` of any namespace; a float."""

    @functools.wraps(method)
    def score(self, X, *args, **kwargs):
        _refuse_all((X, *args), kwargs, ("X", "y", "sample_weight"))
        if not get_config()["array_api_dispatch"] or is_dask(X):
            return method(host_view(self), _undispatched(X), *args, **kwargs)
        _check_namespace(self, X, "score")
        return _run_on_host(method, host_view(self), (X, *args), kwargs)

    return score  # type: ignore[return-value]
