"""The output contract: what shape a network must return for the task, checked loudly.

Any network, built-in or the user's, may return ``(n,)``, ``(n, width)`` or
``(n, k, width)`` (a ``k``-member ensemble); everything downstream sees
``(n, k, width)``. The width must fit the task:

- regression: ``n_outputs`` (``(n,)`` also accepted for one target);
- binary classification: 1 (the logit of the second class) or 2 (softmax);
- multiclass: ``n_classes``; multilabel: ``n_labels``.

A wrong width, or another number of rows than the input's, is a ``ValueError``
naming the expected and received shapes, at the first batch of ``fit``, at every
batch and at every prediction: never a broadcast that trains silently wrong, never
a torch ``IndexError``.
"""

from __future__ import annotations

import torch

from sknn.training.data import Inputs, call, n_rows
from sknn.training.losses import KINDS


def output_kind(task: str, n_outputs: int, shape: tuple[int, ...]) -> str:
    """The task kind a network's first output commits to (see :data:`KINDS`).

    ``task`` is ``"multiclass"`` (binary included), ``"multilabel"``,
    ``"regression"`` or ``"log_regression"`` (outputs are log-means); only a
    binary task has a choice: one logit or two.
    """
    if task == "multiclass" and n_outputs == 2 and _width(shape) == 1:
        kind = "binary"
    else:
        kinds = {
            "multiclass": "softmax",
            "multilabel": "multilabel",
            "log_regression": "log_regression",
        }
        kind = kinds.get(task, "regression")
    check_shape(shape, kind, n_outputs)
    return kind


def probe_output_kind(module: torch.nn.Module, X_sample: Inputs, task: str, n_outputs: int) -> str:
    """Run a new network on a few rows (eval mode, no gradients) and hold it to the contract.

    Returns the output kind it commits to (see :func:`output_kind`); a wrong
    shape is a ``ValueError`` before any training.
    """
    was_training = module.training
    module.eval()
    try:
        # no_grad, not inference_mode: lazy layers (nn.LazyLinear) create their
        # weights on this first call, and inference tensors could not train
        with torch.no_grad():
            out = call(module, X_sample)
    except RuntimeError as error:
        integers = [t for t in _tensors(X_sample) if not t.is_floating_point()]
        indices = "indices" in str(error) and "Long" in str(error)  # floats for an embedding
        if (integers and "dtype" in str(error)) or indices:
            raise TypeError(
                f"The module could not take X ({error}). sknn passes integer arrays to a "
                "module as int64 (token ids, for an embedding) and floats and booleans as "
                "float32; for layers that take numbers, pass X.astype(np.float32), for "
                "indices X.astype(np.int64)."
            ) from error
        other = sorted({str(p.dtype) for p in module.parameters() if p.dtype != torch.float32})
        if other and "dtype" in str(error):
            raise TypeError(
                f"The module could not take X ({error}): its parameters are {other[0]}, but "
                "sknn passes floats to a module as float32 and trains it so. Build the "
                "module in float32 (torch's default dtype; module.float() converts one)."
            ) from error
        raise
    finally:
        module.train(was_training)
    if not isinstance(out, torch.Tensor):
        raise TypeError(
            f"The module returned a {type(out).__name__}, but sknn takes one tensor of "
            "outputs, shaped (n, width) or (n, k, width). Return the logits or values alone, e.g. "
            "out[0] or out['logits'] in the module's forward, or wrap the module in one "
            "that does."
        )
    check_rows(tuple(out.shape), n_rows(X_sample))
    return output_kind(task, n_outputs, tuple(out.shape))


def check_rows(shape: tuple[int, ...], rows: int) -> None:
    """Raise a ``ValueError`` unless an output of ``shape`` has one row per input row.

    A module that pools or reshapes across the batch (a mean over axis 0, members
    first) returned outputs that torch broadcast against the targets, with only a
    warning, and predicted fewer rows than it was given.
    """
    if len(shape) and shape[0] == rows:
        return
    raise ValueError(
        f"The network returned outputs of shape {tuple(shape)} for {rows} rows of input; "
        "its first axis must be the rows, (n, width) or (n, k, width) for n rows and an "
        "ensemble of k members. Keep the batch axis first and whole in the module's "
        "forward: no mean, sum or reshape across it, members after the rows."
    )


def _tensors(X: Inputs) -> list[torch.Tensor]:
    return list(X.values()) if isinstance(X, dict) else [X]


def expected_width(kind: str, n_outputs: int) -> int:
    """Outputs per member for a task kind: 1 for a binary logit, else ``n_outputs``."""
    if kind not in KINDS:
        raise ValueError(f"Unknown output kind {kind!r}; expected one of {KINDS}.")
    return 1 if kind == "binary" else n_outputs


def check_shape(shape: tuple[int, ...], kind: str, n_outputs: int) -> None:
    """Raise a ``ValueError`` unless ``shape`` is an accepted output shape."""
    width = expected_width(kind, n_outputs)
    if len(shape) in (1, 2, 3) and _width(shape) == width:
        return
    accepted = [f"(n, {width})", f"(n, k, {width})"]
    if width == 1:
        accepted.insert(0, "(n,)")
    what = {
        "softmax": f"one logit per class ({n_outputs} classes)",
        "binary": "one logit for the second class",
        "multilabel": f"one logit per label ({n_outputs} labels)",
        "regression": f"one value per target ({n_outputs} target(s))",
        "log_regression": f"one log-mean per target ({n_outputs} target(s))",
    }[kind]
    hint = " or (n, 2)" if kind == "binary" else ""
    raise ValueError(
        f"The network returned outputs of shape {tuple(shape)}, but this task needs "
        f"{what}: {' or '.join(accepted)}{hint}, where n is the number of rows and k "
        "the members of an ensemble. Make the module's last layer that wide (the "
        "module's constructor receives n_outputs and n_classes when it names them)."
    )


def as_members(out: torch.Tensor, kind: str, n_outputs: int) -> torch.Tensor:
    """``out`` checked and viewed as ``(n, k, width)``."""
    check_shape(tuple(out.shape), kind, n_outputs)
    if out.ndim == 1:
        return out[:, None, None]
    if out.ndim == 2:
        return out[:, None, :]
    return out


def _width(shape: tuple[int, ...]) -> int | None:
    if len(shape) == 1:
        return 1
    return shape[-1] if len(shape) in (2, 3) else None
