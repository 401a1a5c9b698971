"""Saving a fitted flagship estimator: numpy arrays and plain values, no torch objects.

The pickled state (``__getstate__``) holds the network's weights and the
optimizer's state as numpy arrays, plus what rebuilds the network: the
estimator's own parameters and fitted attributes. That is what lets
``skops.io`` load a model without trusting torch's types, and a model fitted
on a GPU load on a machine without one. ``__setstate__`` rebuilds the
network and the optimizer, on the saved device when it exists here, else on
the CPU. A module *instance* passed as ``module=`` is saved the same way, as
its classes, plain attributes and numpy weights
(:func:`sknn.nn.state.module_to_plain`), so a skops file names those classes
for the user to trust.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Sequence
from types import FrameType

import numpy as np
import torch

from sknn.neural_net._inputs import input_path
from sknn.neural_net._plan import build_optimizer
from sknn.neural_net._shape import LEGACY_EMBEDDING_WIDTH, network_choices
from sknn.nn.state import (
    module_to_plain,
    plain_to_module,
    restore_outside_state,
    tensors_outside_state,
    to_numpy,
    to_torch,
    unchanged_from_reference,
)
from sknn.preprocessing._user_warnings import caller_stacklevel
from sknn.sklearn_glue.array_api import host_state
from sknn.training.device import available_or_cpu

# bumped whenever the saved layout changes; loading another layout fails clearly
STATE_FORMAT = 1


def _load_by_value(blob: bytes) -> list:
    """The callbacks a model pickled before 2026-12-07 saved whole by value (its
    ``_ByValue``, which a callback holding its estimator sent into endless recursion)."""
    import pickle

    return pickle.loads(blob)


_OWNER = "sknn:estimator"  # the persistent id of the estimator the callbacks belong to


class _SavedCallbacks:
    """Callbacks pickled by value with cloudpickle (as joblib sends them to its workers),
    the estimator they hold (to score each epoch) written as a reference to the one
    being loaded. A callback class of ``__main__`` (a notebook, a script) pickled by
    reference failed to load in another process ("Can't get attribute ... on <module
    '__main__'>"), though predicting needs no callback; pickled whole apart, a callback
    holding its estimator met it again without end. :meth:`loaded` gives the list."""

    def __init__(self, callbacks: list, owner) -> None:
        self.blob, _ = _pickled_by_value(callbacks, owner)

    def loaded(self, owner) -> list:
        """The callbacks, holding ``owner`` where they held the estimator saved."""
        import io
        import pickle

        class Reader(pickle.Unpickler):
            def persistent_load(self, pid):
                if pid != _OWNER:
                    raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
                return owner

        return Reader(io.BytesIO(self.blob)).load()


def _pickled_by_value(obj, owner) -> tuple[bytes, bool]:
    """``obj`` pickled by value with cloudpickle, ``owner`` written as :data:`_OWNER`
    wherever ``obj`` reaches it; and whether it did."""
    import io

    import cloudpickle  # type: ignore[import-untyped]  # joblib's own dependency

    reached = []

    class Writer(cloudpickle.Pickler):
        def persistent_id(self, held):
            if held is not owner:
                return None
            reached.append(True)
            return _OWNER

    buffer = io.BytesIO()
    Writer(buffer).dump(obj)
    return buffer.getvalue(), bool(reached)


def _holds(callback, owner) -> bool:
    """Whether ``callback`` reaches ``owner`` through anything it holds."""
    try:
        return _pickled_by_value(callback, owner)[1]
    except Exception:  # what pickle cannot write, skops reports in its own words
        return False


def _saved_callbacks(state: dict, owner) -> None:
    """``state``'s callbacks as a pickle of another process can load them (see
    :class:`_SavedCallbacks`); skops, which loads only types it trusts and follows no
    cycle, leaves out, with a warning, those of ``__main__`` and those reaching
    ``owner``."""
    given = state.get("callbacks")
    if not isinstance(given, list | tuple) or not given:
        return
    local = [c for c in given if type(c).__module__ == "__main__"]
    if not _called_by_skops():
        if local:
            with contextlib.suppress(ImportError):  # without cloudpickle: by reference
                state["callbacks"] = _SavedCallbacks(list(given), owner)
        return
    holding = [c for c in given if c not in local and _holds(c, owner)]
    if not local and not holding:
        return
    state["callbacks"] = [c for c in given if c not in local and c not in holding] or None
    if local:
        warnings.warn(
            f"Callbacks {[type(c).__qualname__ for c in local]} are defined in __main__ (a "
            "notebook or script), which skops cannot load in another process: they are left "
            "out of the saved model (predictions need none). Define them in a module of their "
            "own to keep them.",
            UserWarning,
            stacklevel=caller_stacklevel(),  # one line of the user's for skops' two calls
        )
    if holding:
        warnings.warn(
            f"Callbacks {[type(c).__qualname__ for c in holding]} hold the estimator itself, "
            "a cycle skops cannot save: they are left out of the saved model (predictions "
            "need none). To keep them, take the estimator from on_train_begin's "
            "info['estimator'] and let it go in on_train_end.",
            UserWarning,
            stacklevel=caller_stacklevel(),
        )


class TorchStateMixin:
    """``__getstate__``/``__setstate__`` for estimators holding ``module_`` and ``optimizer_``."""

    # what the estimator this mixes into holds after a fit
    module_: torch.nn.Module
    optimizer_: torch.optim.Optimizer
    device_: torch.device
    _n_build_features: int
    _n_model_outputs: int

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
        state = host_state(super().__getstate__())  # tensors of an Array API fit as numpy
        state.pop("_n_params", None)  # refers to the live module; recomputed on demand
        state["_sknn_state_format"] = STATE_FORMAT
        _saved_callbacks(state, self)
        if isinstance(state.get("module"), torch.nn.Module):
            try:
                state["module"] = {"_sknn_module_instance": module_to_plain(state["module"])}
            except TypeError:  # hooks or odd attributes: pickle still saves the instance
                if _called_by_skops():  # skops cannot: say what to change, not its own error
                    raise
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
        extra = tensors_outside_state(module)
        if extra:
            state["module_extra_tensors_"] = extra
        optimizer = state.pop("optimizer_", None)
        if optimizer is not None:
            state["optimizer_state_"] = to_numpy(optimizer.state_dict())
        state["device_"] = str(self.device_)
        return state

    def _added_param_defaults(self) -> dict:
        """Parameters newer than the state format, with their defaults (by class)."""
        return {"data_parallel": None}  # added for issue 35

    def __setstate__(self, state):
        if state.get("_sknn_state_format") != STATE_FORMAT:
            raise ValueError(
                f"This {type(self).__name__} was saved by an older version of sknn, whose "
                "file format this version cannot read; fit the model again with this "
                "version and save it anew."
            )
        state = dict(state)
        if isinstance(state.get("callbacks"), _SavedCallbacks):
            state["callbacks"] = state["callbacks"].loaded(self)
        if isinstance(state.get("module"), dict) and "_sknn_module_instance" in state["module"]:
            state["module"] = plain_to_module(state["module"]["_sknn_module_instance"])
        weights = state.pop("module_state_", None)
        reference = state.pop("module_reference_keys_", [])
        extra = state.pop("module_extra_tensors_", {})
        optimizer_state = state.pop("optimizer_state_", None)
        # parameters added since a model was saved take their defaults
        for name, default in self._added_param_defaults().items():
            state.setdefault(name, default)
        super().__setstate__(state)
        history = getattr(self, "history_", None)
        if history is not None and history.best_epoch is None:  # skops keeps the list only
            history.best_epoch = getattr(self, "best_epoch_", None)
        if weights is None:
            return
        # a model saved before the network's choices were fitted attributes has
        # them as explicit parameters, which is what these resolve to
        for name, value in network_choices(self, 0).items():
            if not hasattr(self, name):
                setattr(self, name, value)
        if "numeric_embedding_width_" not in state:  # saved when every embedding was 4 wide
            legacy = LEGACY_EMBEDDING_WIDTH if self.numeric_embedding_ else None
            self.numeric_embedding_width_ = legacy
        device = available_or_cpu(state["device_"])
        module = self._rebuild_module(weights, reference)
        restore_outside_state(module, extra)
        self.module_ = module.to(device)
        if optimizer_state is not None:
            self.optimizer_ = self._rebuild_optimizer(to_torch(optimizer_state), device)
        self.device_ = device

    def _rebuild_module(
        self, weights: dict[str, np.ndarray], reference: Sequence[str] = ()
    ) -> torch.nn.Module:
        """The fitted network, rebuilt from the parameters and loaded with ``weights``.

        ``reference`` names the entries left out of ``weights`` because the
        rebuilt module holds them already (see :func:`sknn.nn.state.unchanged_from_reference`).
        """
        module = input_path(self).build(
            np.empty((0, self._n_build_features)) if self._n_build_features else None,
            self._n_model_outputs,
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


def _called_by_skops() -> bool:
    """Whether a ``skops.io`` call is saving this estimator (it cannot save any object)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__", "").split(".")[0] == "skops":
            return True
        frame = frame.f_back
    return False
