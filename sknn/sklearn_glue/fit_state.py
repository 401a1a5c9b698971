"""A fit that raises leaves the estimator as it was.

scikit-learn's rule is to validate everything before touching fitted state,
but a fit can still fail after it has begun: an encoder refuses a value, a
user's callback raises in epoch 3, the machine runs out of memory, the user
presses Ctrl-C while the data are encoded. Without care the estimator is
then half old and half new (a new encoder beside the old network, a network
trained half an epoch further than its history says). :func:`restored_on_error`
makes a fit all or nothing: on any exception it puts back every attribute as
it was, and the contents of the objects the fit changes in place (a network
trained further by ``warm_start`` or ``partial_fit``, its optimizer's state,
a history that grows), then lets the exception go on.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import torch


def _snapshot(value: Any) -> tuple[str, Any]:
    """What puts ``value``'s contents back later, without keeping it alive twice on a device."""
    if isinstance(value, torch.nn.Module):
        state = {name: t.detach().to("cpu", copy=True) for name, t in value.state_dict().items()}
        device = next((p.device for p in value.parameters()), torch.device("cpu"))
        return "module", (device, state)
    if isinstance(value, torch.optim.Optimizer):
        return "optimizer", copy.deepcopy(value.state_dict())
    return "value", copy.deepcopy(value)


@contextmanager
def restored_on_error(estimator: Any, in_place: Iterable[str] = ()) -> Iterator[None]:
    """Run a fit; if it raises, put ``estimator`` back as it was before it.

    Every attribute is restored to the object it referred to (new attributes
    go, removed ones come back). Attributes named in ``in_place`` are objects
    the fit may change without replacing them; their contents are copied first
    and restored too: a torch module's weights and buffers (copied to the CPU),
    a torch optimizer's state, and anything else by :func:`copy.deepcopy`
    (restored by assigning the copy).

    Parameters
    ----------
    estimator : object
        The estimator being fitted.
    in_place : iterable of str, default=()
        Names of attributes the fit mutates in place; missing ones are skipped.

    Examples
    --------
    >>> class Counter:
    ...     pass
    >>> est = Counter()
    >>> est.counts_ = [1]
    >>> try:
    ...     with restored_on_error(est, in_place=["counts_"]):
    ...         est.counts_.append(2)
    ...         est.extra_ = True
    ...         raise ValueError("refused")
    ... except ValueError:
    ...     pass
    >>> est.counts_, hasattr(est, "extra_")
    ([1], False)
    """
    attributes = dict(estimator.__dict__)
    contents = {name: _snapshot(attributes[name]) for name in in_place if name in attributes}
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(attributes)
        for name, (kind, saved) in contents.items():
            if kind == "module":
                device, state = saved
                attributes[name].to(device).load_state_dict(state)
            elif kind == "optimizer":
                attributes[name].load_state_dict(saved)
            else:
                setattr(estimator, name, saved)
        raise
