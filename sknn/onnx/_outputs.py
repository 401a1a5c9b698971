"""The graph's outputs, and what kind of estimator gives them.

``probabilities`` (classifiers) or ``variable`` (regressors and the encoder),
a regressor's ``quantile_<level>`` outputs, and a classifier's ``label``: what
``predict`` gives, built after the trace from the probabilities and the
classes (:func:`label_values` gives them in ``predict``'s dtype).
"""

from __future__ import annotations

import numpy as np


def is_drop_in(est) -> bool:
    return hasattr(est, "coefs_") and hasattr(est, "out_activation_")


def is_classifier(est) -> bool:
    return hasattr(est, "classes_")


def is_multilabel(est) -> bool:
    if is_drop_in(est):
        return est.out_activation_ == "logistic" and est.n_outputs_ > 1
    return is_classifier(est) and est._output_kind == "multilabel"


def output_names(est) -> list[str]:
    """``probabilities`` or ``variable``, then a regressor's ``quantile_<level>`` outputs."""
    if is_classifier(est):
        return ["probabilities"]
    levels = [] if getattr(est, "quantiles_", None) is None else list(est.quantiles_)
    names = [f"quantile_{q:g}" for q in levels]
    if len(set(names)) < len(names):  # levels alike to 6 digits: named in full
        names = [f"quantile_{float(q)!r}" for q in levels]
    return ["variable", *names]


def label_values(classes, skl2onnx: bool = False) -> np.ndarray:
    """The classes as the graph's ``label`` gives them.

    In ``predict``'s dtype: bools stay bool, integers become int64, floats
    keep their precision, the rest are strings. In a skl2onnx pipeline, by
    skl2onnx's own convention (its ZipMap takes int64 or string labels only),
    bools and whole-number floats become int64 too.
    """
    classes = np.asarray(classes)
    if classes.dtype.kind in "iu" or (skl2onnx and classes.dtype.kind in "bf"):
        return classes.astype(np.int64)
    if classes.dtype.kind == "b":
        return classes
    if classes.dtype.kind == "f":
        return classes.astype(np.float32 if classes.dtype == np.float32 else np.float64)
    return np.array([str(c) for c in classes], dtype=object)


def add_label_output(model, est, skl2onnx: bool, double: bool) -> None:
    """Add output ``label``: what ``predict`` gives (see :func:`label_values`);
    ``double`` when the probabilities are float64 (a drop-in exported in float64)."""
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    if is_multilabel(est):  # a 0/1 matrix, one column per label
        half = np.array(0.5, np.float64 if double else np.float32)
        graph.initializer.append(numpy_helper.from_array(half, "_half"))
        graph.node.extend(
            [
                helper.make_node("Greater", ["probabilities", "_half"], ["_above"]),
                helper.make_node("Cast", ["_above"], ["label"], to=TensorProto.INT64),
            ]
        )
        n_labels = len(est.classes_)
        graph.output.append(
            helper.make_tensor_value_info("label", TensorProto.INT64, ["batch", n_labels])
        )
        return
    values = label_values(est.classes_, skl2onnx)
    table = numpy_helper.from_array(values, "classes")
    graph.initializer.append(table)
    graph.node.extend(
        [
            helper.make_node("ArgMax", ["probabilities"], ["_best"], axis=1, keepdims=0),
            helper.make_node("Gather", ["classes", "_best"], ["label"], axis=0),
        ]
    )
    graph.output.append(helper.make_tensor_value_info("label", table.data_type, ["batch"]))
