"""skl2onnx converters for sknn's estimators and ``TabularEncoder``.

Registered when :mod:`sknn.onnx` is imported and skl2onnx is installed, so
``skl2onnx.to_onnx(pipeline, X)`` converts a ``Pipeline`` or
``ColumnTransformer`` of scikit-learn steps ending in an sknn estimator, and a
pipeline that starts with ``TabularEncoder`` (fed the DataFrame, one input per
column) and ends in a scikit-learn estimator. Each converter inlines the graph
:func:`sknn.onnx.to_onnx` builds, its inputs and outputs wired to skl2onnx's.
Classifiers take skl2onnx's usual options (``zipmap``, ``nocl``); pass
``options={"zipmap": False}`` for a multilabel classifier.
"""

from __future__ import annotations

import copy

import numpy as np
from onnx import helper
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils import check_input_and_output_numbers

from sknn.mlp import MLPClassifier, MLPRegressor
from sknn.neural_net import NeuralNetClassifier, NeuralNetRegressor
from sknn.onnx._export import build_model
from sknn.onnx._feed import guessed_kind
from sknn.onnx._outputs import is_multilabel, label_values
from sknn.preprocessing import TabularEncoder
from sknn.preprocessing._frame import as_pandas

_KINDS = {
    FloatTensorType: "float",
    DoubleTensorType: "float",
    Int64TensorType: "int64",
    BooleanTensorType: "bool",
    StringTensorType: "string",
}


def _input_kinds(operator) -> list[str]:
    """Each input's type as :func:`~sknn.onnx._export.build_model` names it (one per column)."""
    kinds = []
    for variable in operator.inputs:
        kind = _KINDS.get(type(variable.type))
        if kind is None:
            raise TypeError(
                f"sknn's converter cannot read input {variable.onnx_name!r} of type "
                f"{variable.type}; columns must be float, double, int64, bool or string."
            )
        kinds.append(kind)
    return kinds


def _n_rows(operator):
    return operator.inputs[0].get_first_dimension()


def _classifier_shapes(operator) -> None:
    est = operator.raw_operator
    n_rows = _n_rows(operator)
    classes = est.classes_
    multilabel = is_multilabel(est)
    if multilabel:
        operator.outputs[0].type = Int64TensorType([n_rows, len(classes)])
    elif label_values(classes, skl2onnx=True).dtype == np.int64:
        operator.outputs[0].type = Int64TensorType([n_rows])
    else:
        operator.outputs[0].type = StringTensorType([n_rows])
    operator.outputs[1].type = FloatTensorType([n_rows, len(classes)])


def _regressor_shapes(operator) -> None:
    check_input_and_output_numbers(operator, output_count_range=1)
    est = operator.raw_operator
    if getattr(est, "quantiles_", None) is not None:
        raise ValueError(
            "A regressor of several quantiles has one output per level, and skl2onnx's "
            "pipelines take one output per step. Export it with sknn.onnx.to_onnx (one "
            "output per level), or fit one quantile per regressor."
        )
    n_outputs = getattr(est, "n_outputs_", None) or len(getattr(est, "_y_mean", [0]))
    operator.outputs[0].type = FloatTensorType([_n_rows(operator), n_outputs])


def _encoder_shapes(operator) -> None:
    check_input_and_output_numbers(operator, output_count_range=1)
    width = len(operator.raw_operator.get_feature_names_out())
    operator.outputs[0].type = FloatTensorType([_n_rows(operator), width])


def _inline(scope, operator, container, model) -> None:
    """Copy ``model``'s graph into skl2onnx's container, under names unique in its scope.

    The graph's inputs and outputs become the operator's, by position.
    """
    graph = model.graph
    names = {"": ""}  # an omitted optional input stays omitted
    for value, variable in zip(graph.input, operator.inputs, strict=True):
        names[value.name] = variable.onnx_name
    for value, variable in zip(graph.output, operator.outputs, strict=True):
        names[value.name] = variable.onnx_name

    def renamed(name: str) -> str:
        if name not in names:
            names[name] = scope.get_unique_variable_name(f"sknn_{name.strip('/') or 'x'}")
        return names[name]

    for tensor in graph.initializer:
        tensor = copy.deepcopy(tensor)
        tensor.name = renamed(tensor.name)
        container.initializers.append(tensor)
    for node in graph.node:
        copied = helper.make_node(
            node.op_type,
            [renamed(n) for n in node.input],
            [renamed(n) for n in node.output],
            name=scope.get_unique_operator_name(f"sknn_{node.op_type}"),
            domain=node.domain or None,
        )
        copied.attribute.extend(node.attribute)
        container.nodes.append(copied)
    for opset in model.opset_import:
        container.node_domain_version_pair_sets.add((opset.domain, opset.version))


def _convert(scope, operator, container) -> None:
    est = operator.raw_operator
    # one input holding several columns: the concatenated output of earlier steps
    # (a ColumnTransformer's, even with set_output(transform="pandas"))
    matrix = len(operator.inputs) == 1 and est.n_features_in_ > 1
    kinds = None if matrix else _input_kinds(operator)
    model = build_model(est, kinds=kinds, matrix=matrix, skl2onnx=True)
    declared = [value.name for value in model.graph.input]
    if len(declared) != len(operator.inputs):
        raise ValueError(
            f"skl2onnx gives {type(est).__name__} {len(operator.inputs)} inputs "
            f"({[v.onnx_name for v in operator.inputs]}) but its graph takes {len(declared)} "
            f"({declared}). Fit it on a DataFrame with string column names to convert it "
            "with one input per column, or give it one input holding every column."
        )
    if len(operator.outputs) == 2:  # skl2onnx's classifier order: label, probabilities
        model = copy.deepcopy(model)
        outputs = {o.name: copy.deepcopy(o) for o in model.graph.output}
        del model.graph.output[:]
        model.graph.output.extend([outputs["label"], outputs["probabilities"]])
    _inline(scope, operator, container, model)


def initial_types(X) -> list[tuple]:
    """skl2onnx's ``initial_types`` for a DataFrame, by sknn's input convention.

    skl2onnx cannot guess the types of pandas' categorical, string or
    nullable columns; pass these to ``skl2onnx.to_onnx(model,
    initial_types=...)``, then feed the graph with
    ``sknn.onnx.input_feed(X, model=graph)``.

    Parameters
    ----------
    X : DataFrame
        A few rows as given to ``predict`` (pandas, polars, pyarrow, ...).

    Returns
    -------
    types : list of (str, skl2onnx tensor type)
        One ``(n, 1)`` input per column, named after it: float for the
        columns read as numbers (integer, floating, boolean, nullable and
        object columns of numbers; NaN where missing), int64 for datetime
        and timedelta columns (nanoseconds since 1970-01-01, in UTC for a
        tz-aware column; ``-2**63`` where missing), string for the others
        (see :func:`sknn.onnx.input_feed`).
    """
    frame = as_pandas(X)
    kinds = {"float": FloatTensorType, "string": StringTensorType}
    return [
        (str(name), kinds.get(guessed_kind(frame[name], str(name)), Int64TensorType)([None, 1]))
        for name in frame.columns
    ]


def register() -> None:
    """Register the converters of sknn's estimators and ``TabularEncoder`` with skl2onnx."""
    classifier_options = {"zipmap": [True, False, "columns"], "nocl": [True, False]}
    for cls in (NeuralNetClassifier, MLPClassifier):
        update_registered_converter(
            cls,
            f"Sknn{cls.__name__}",
            _classifier_shapes,
            _convert,
            overwrite=True,
            options=classifier_options,
        )
    for regressor in (NeuralNetRegressor, MLPRegressor):
        update_registered_converter(
            regressor, f"Sknn{regressor.__name__}", _regressor_shapes, _convert, overwrite=True
        )
    update_registered_converter(
        TabularEncoder, "SknnTabularEncoder", _encoder_shapes, _convert, overwrite=True
    )
