"""What a warm start or a partial fit can continue, and what it must not ignore.

A fit that reuses the fitted network (``warm_start=True``, ``partial_fit``)
cannot honour a change of what the network was built from (its widths,
activation, ensemble, embeddings, the encoder's settings, the user's module
and its ``module__*``): the weights have the old shape. Rather than train the
old network silently, a warm start warns and trains a new one, and a partial
fit refuses, naming the change. A change of the optimizer's settings
(``optimizer``, ``weight_decay``, ``lr_multipliers``, ``frozen``,
``optimizer__*``) is honoured: the optimizer is built anew over the fitted
weights, frozen and thawed by the new ``frozen`` patterns.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import warnings

import torch

from sknn.neural_net._routed import BUILT_IN_ONLY, encoder_defaults, same_setting
from sknn.preprocessing._user_warnings import warn_user

# parameters the network is built from; a trailing "__" takes every routed name
# loss, quantile and power also decide the outputs and how targets are encoded
NETWORK = (*BUILT_IN_ONLY, "module", "module__", "encoder__", "loss", "quantile", "power")
# honoured on the fitted weights with a new optimizer (``frozen`` freezes and thaws them)
OPTIMIZER = ("optimizer", "weight_decay", "lr_multipliers", "frozen", "optimizer__")


def _describe(value) -> str:
    """A description equal across processes for equal settings (no object addresses).

    A module instance by its layers and a digest of its weights (another
    pretrained copy of the same architecture is another setting); a function
    (a lambda too) by its name and a digest of its code, constants, defaults
    and closure; a ``functools.partial`` by its parts.
    """
    if isinstance(value, torch.nn.Module):
        digest = hashlib.blake2b(digest_size=8)
        for name, tensor in value.state_dict().items():
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy())
        return f"{value!r} (weights {digest.hexdigest()})"
    if isinstance(value, functools.partial):
        parts = [_describe(value.func), *map(_describe, value.args)]
        parts += [f"{key}={_describe(v)}" for key, v in sorted(value.keywords.items())]
        return f"partial({', '.join(parts)})"
    if isinstance(value, type) or callable(value):
        name = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', value)}"
        code = getattr(value, "__code__", None)
        if code is None:
            return name
        cells = [_describe(c.cell_contents) for c in getattr(value, "__closure__", None) or ()]
        body = repr((_code(code), value.__defaults__, cells)).encode()
        return f"{name} (code {hashlib.blake2b(body, digest_size=8).hexdigest()})"
    return repr(value)


def _code(code) -> tuple:
    """A code object's instructions and constants, nested code objects alike (their repr
    holds an address)."""
    consts = tuple(_code(c) if hasattr(c, "co_code") else c for c in code.co_consts)
    return code.co_code, consts


def settings(est, names: tuple[str, ...]) -> dict[str, str]:
    """The estimator's current values of ``names``, described as plain strings; a routed
    name set to its target's default counts as unset (it changes nothing)."""
    params = est.get_params(deep=False)
    return {
        key: _describe(value)
        for key, value in sorted(params.items())
        if _named(key, names) and not same_setting(value, _routed_default(params, key))
    }


def _named(key: str, names: tuple[str, ...]) -> bool:
    return any(key == name or (name.endswith("__") and key.startswith(name)) for name in names)


_NO_DEFAULT = object()


def _routed_default(params: dict, key: str):
    """The default of ``encoder__*`` or ``module__*`` name ``key`` (else no default)."""
    prefix, _, name = key.partition("__")
    if not name:
        return _NO_DEFAULT
    if prefix == "encoder":
        return encoder_defaults().get(name, _NO_DEFAULT)
    if prefix == "module" and callable(params.get("module")):
        try:
            parameter = inspect.signature(params["module"]).parameters.get(name)
        except (TypeError, ValueError):
            return _NO_DEFAULT
        if parameter is not None and parameter.default is not parameter.empty:
            return parameter.default
    return _NO_DEFAULT


def changes(before: dict[str, str] | None, now: dict[str, str]) -> list[str]:
    """``"name: old -> new"`` for each setting that differs (none when unknown before)."""
    if before is None:  # a model saved before settings were recorded
        return []
    return [
        f"{key}: {before.get(key, 'unset')} -> {now.get(key, 'unset')}"
        for key in sorted(set(before) | set(now))
        if before.get(key) != now.get(key)
    ]


def can_continue(est, incremental: bool) -> bool:
    """Whether this fit may train on the fitted network; warns or raises when it may not.

    Parameters
    ----------
    est : estimator
        A flagship estimator with a fitted network.
    incremental : bool
        ``partial_fit`` (refuses a change) rather than a warm start (warns,
        then trains a new network).
    """
    before = getattr(est, "_network_settings", None)
    if before is not None:  # a setting a saved model recorded here that moved (``frozen``)
        before = {key: value for key, value in before.items() if _named(key, NETWORK)}
    changed = changes(before, settings(est, NETWORK))
    if not changed:
        return True
    what = "; ".join(changed)
    if incremental:
        raise ValueError(
            f"partial_fit continues the fitted network, but what it was built from has "
            f"changed ({what}). Set those parameters back, or call fit to train a new network."
        )
    warnings.warn(
        f"warm_start=True cannot continue the fitted network: what it was built from has "
        f"changed ({what}). Training a new network instead; set warm_start=False to say so.",
        UserWarning,
        stacklevel=4,
    )
    return False


def optimizer_changed(est) -> bool:
    """Whether the optimizer's settings changed since ``optimizer_`` was built."""
    return bool(changes(getattr(est, "_optimizer_settings", None), settings(est, OPTIMIZER)))


def held_epoch(est, incremental: bool) -> int | None:
    """The epoch whose weights a warm start begins from, for the trainer to judge them
    first: the best epoch of a last fit that validated (its weights are the ones kept).
    ``None`` for a fresh network, a ``partial_fit`` (one epoch a call), or after a fit
    or a ``partial_fit`` without validation: its weights were never judged on rows held
    out from it, and the rows this fit holds out it may have trained on."""
    history = getattr(est, "history_", None)
    if incremental or not history or history[-1].get("valid_loss") is None:
        return None
    return getattr(est, "best_epoch_", None)


def note_held_out(est, held_out: str | None, n_rows: int, *, reuse: bool) -> None:
    """Record which rows the network has not trained on; warn when a warm start validates
    on rows an earlier fit of it trained on.

    A warm start replays the first fit's draw, so the same rows validate again
    (see :func:`sknn.neural_net._cross_fit.fit_rows`). That holds while the way
    rows are held out stays the same: after a fit that trained on every row
    (``early_stopping=False``, ``partial_fit``), or under another way (a holdout
    after cross-fitting, another ``validation_fraction``, a streamed fit continued
    in memory), the rows this fit validates include rows the network learned, and
    its validation scores, best epoch and early stop would watch them: on
    coin-flip labels a warm start after a fit without validation validated 0.62.
    Told when the table has as many rows as the earlier fit's (a warm start on
    new rows validates on rows it never saw).

    Parameters
    ----------
    est : estimator
        A flagship estimator about to train.
    held_out : str or None
        How this fit holds rows out, e.g. ``"validation_fraction=0.1 of the rows"``
        (equal strings hold out the same rows); None when it trains on every row.
    n_rows : int
        The rows of this fit's table.
    reuse : bool
        This fit continues the fitted network.
    """
    before, n_before = getattr(est, "_held_out", (None, 0)) if reuse else (None, 0)
    now = held_out or ""
    if held_out is not None and before is not None and before != held_out:
        if n_rows == n_before:
            earlier = "trained on every row" if before == "" else f"held out {before}"
            warn_user(
                f"This warm start may validate on rows the network has already trained on: "
                f"an earlier fit on {n_rows} rows {earlier}, this one holds out {held_out}. "
                "If the rows are the same, its validation scores, best epoch and early stop "
                "watch rows it learned, and are optimistic. Fit with warm_start=False for an "
                "honest validation, or continue with the early_stopping and "
                "validation_fraction of the first fit."
            )
    # a fit on the same rows that held out others than the last trained on those: from
    # now on, every row (a table of another size is taken for new rows)
    same = before is None or before == now or n_rows != n_before
    est._held_out = (now if same else "", n_rows)
