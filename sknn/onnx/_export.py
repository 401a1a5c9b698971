"""The export itself: a fitted estimator's torch answer traced to ONNX, with its front graph.

:func:`to_onnx` picks the parts for the estimator (sknn's tabular network
behind its encoding, a user's module fed one array, or the drop-in's
network), traces them with ``torch.onnx.export``, adds the label output of a
classifier and, for a table, merges the per-column front graph of
:mod:`sknn.onnx._columns` in front.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from sklearn.utils.validation import check_is_fitted

from sknn.onnx._answer import DropInAnswer, ModuleAnswer, TabularAnswer, TabularEncoding
from sknn.onnx._columns import (
    front_graph,
    input_kinds,
    refuse_reserved_names,
    warn_coarse_columns,
)
from sknn.onnx._outputs import (
    add_label_output,
    is_classifier,
    is_drop_in,
    output_names,
)
from sknn.preprocessing._columns import ColumnPlan
from sknn.preprocessing._frame import as_pandas
from sknn.sklearn_glue import array_api

OPSET = 18


def _zeros(n_features: int, double: bool = False) -> torch.Tensor:
    """The trace's sample row: sknn's own modules take the same path on every row."""
    return torch.zeros((1, n_features), dtype=torch.float64 if double else torch.float32)


def _column_names(est, matrix: bool) -> list[str] | None:
    """The per-column input names, or None for one matrix ``X``; a column named as one
    of the graph's own values is refused (ONNX names every value once)."""
    names = getattr(est, "feature_names_in_", None)
    if matrix or names is None:
        return None
    names = [str(n) for n in names]
    refuse_reserved_names(names)
    return names


def declared_inputs(
    estimator, matrix: bool = False, numeric_inputs: str = "float32"
) -> list[tuple[str, str]]:
    """The inputs :func:`to_onnx` gives the estimator's graph, decided from what it recorded at fit.

    Parameters
    ----------
    estimator : fitted sknn estimator or TabularEncoder
        What is exported.
    matrix : bool, default=False
        True for one matrix ``X`` of all columns whatever the fit saw (the
        concatenated input skl2onnx gives a step after a ``ColumnTransformer``).
    numeric_inputs : {"float32", "float64"}, default="float32"
        The type of the inputs that take numbers, as :func:`to_onnx` gives it.

    Returns
    -------
    inputs : list of (str, str)
        Each input's name and kind: "float" (float32, NaN where missing),
        "double" (float64, NaN where missing),
        "string" (each value's ``str`` form, ``""`` where missing),
        "datetime", "datetime_utc" (tz-aware) or "timedelta" (int64
        nanoseconds, see :mod:`sknn.onnx._dates`) or, for a user's module,
        "array" (the array as given: float32 or int64). One ``("X", ...)``
        input for a model fitted without column names.
    """
    names = _column_names(estimator, matrix)
    number = _number_kind(estimator, numeric_inputs)
    if is_drop_in(estimator):
        return [("X", number)] if names is None else [(n, number) for n in names]
    if getattr(estimator, "module", None) is not None:
        return [("X", "array")]
    encoder = getattr(estimator, "encoder_", estimator)
    if names is None:
        return [("X", number)]
    return list(zip(names, input_kinds(encoder._columns, number), strict=True))


def _number_kind(estimator, numeric_inputs: str) -> str:
    """The input kind of numbers, "float" or "double"; refused for a user's module."""
    if numeric_inputs not in ("float32", "float64"):
        raise ValueError(f"numeric_inputs must be 'float32' or 'float64', got {numeric_inputs!r}.")
    if numeric_inputs == "float64" and getattr(estimator, "module", None) is not None:
        raise ValueError(
            "numeric_inputs='float64' sets the inputs of sknn's encoding and of the drop-ins; "
            "a user's module takes X as X_sample gives it (float32 or int64): leave "
            "numeric_inputs='float32'."
        )
    return "double" if numeric_inputs == "float64" else "float"


def _tabular_parts(est, matrix: bool, double: bool):
    """The torch module, its sample inputs and their names, for an encoded table.

    ``est`` is the flagship (encoding, network, link) or a ``TabularEncoder``.
    """
    encoder = getattr(est, "encoder_", est)
    answer = TabularEncoding(est, double) if encoder is est else TabularAnswer(est, double)
    encoding = answer.encoding if isinstance(answer, TabularAnswer) else answer
    columns = encoder._columns
    sample, names = [], []
    if encoding.n_numeric:
        sample.append(_zeros(encoding.n_numeric, double))
        names.append("_numbers")
    if encoding.n_categorical:
        sample.append(torch.full((1, encoding.n_categorical), 2, dtype=torch.long))
        names.append("_codes")
    plain = all(c.kind in ("numeric", "bool") for c in columns)
    if plain and _column_names(est, matrix) is None:  # one float matrix, no front graph
        return answer, (_zeros(est.n_features_in_, double),), ["X"], None
    return answer, tuple(sample), names, columns


def _module_parts(est, X_sample):
    if X_sample is None or isinstance(X_sample, dict):
        raise ValueError(
            "to_onnx exports a user's module fed one array; pass X_sample, a few rows of it "
            "(a dict of arrays cannot be exported: export estimator.module_ with "
            "torch.onnx.export yourself)."
        )
    sample = np.asarray(as_pandas(X_sample))[:8].copy()
    dtype = torch.float32 if sample.dtype.kind in "fb" else torch.long
    return ModuleAnswer(est), (torch.as_tensor(sample, dtype=dtype),), ["X"], None


def _drop_in_parts(est, matrix: bool, double: bool):
    """The drop-in's network; fitted on a DataFrame, fed by one float input per column."""
    from sknn.mlp._network import build_module

    network = build_module(est.coefs_, est.intercepts_, est.activation, torch.device("cpu"))
    answer = DropInAnswer(est, network, double)
    sample = (_zeros(est.n_features_in_, double),)
    names = _column_names(est, matrix)
    if names is None:
        return answer, sample, ["X"], None
    columns = [ColumnPlan(i, name, "numeric") for i, name in enumerate(names)]
    return answer, sample, ["_numbers"], columns


def _export(module, sample, input_names, outputs: list[str]) -> onnx.ModelProto:
    """``torch.onnx.export`` of ``module``; a tracer warning from outside sknn is an error.

    The tracer warns where Python reads a tensor (a branch on the data, a
    shape check): the graph then holds the one path the sample took. sknn's
    own code only fixes the network's widths that way (the batch axis stays
    dynamic); a user's module may branch on its data, which would give a graph
    silently wrong on other rows.
    """
    buffer = io.BytesIO()
    axes = {name: {0: "batch"} for name in [*input_names, *outputs]}
    with torch.no_grad(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", torch.jit.TracerWarning)
        # the TorchScript exporter is deprecated but exact here (1e-7 against
        # predict_proba); torch.export's needs onnxscript, not a dependency
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            torch.onnx.export(
                module.cpu().eval(),
                sample,
                buffer,  # type: ignore[arg-type]  # the TorchScript exporter takes a file object
                input_names=input_names,
                output_names=outputs,
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
        except Exception as error:
            raise ValueError(
                f"torch.onnx could not export this estimator's network: {error}. {_TRACEABLE}"
            ) from error
    for warning in caught:
        if issubclass(warning.category, torch.jit.TracerWarning) and not _is_sknn_file(
            warning.filename
        ):
            raise ValueError(
                f"The module reads a tensor's value in Python at {warning.filename}:"
                f"{warning.lineno}, so an ONNX graph would follow the sample's path on every "
                f"row. {_TRACEABLE}"
            )
    return onnx.load_from_string(buffer.getvalue())


_TRACEABLE = (
    "A user's module must be traceable to export: no Python branch or loop on its data's "
    f"values (use torch.where), and operators of ONNX opset {OPSET}."
)


def _is_sknn_file(filename: str) -> bool:
    return Path(filename).resolve().is_relative_to(Path(__file__).resolve().parents[1])


def to_onnx(estimator, X_sample=None, *, numeric_inputs: str = "float32") -> onnx.ModelProto:
    """The fitted estimator as one ONNX model, from raw features to its answer.

    Parameters
    ----------
    estimator : fitted sknn estimator or TabularEncoder
        ``NeuralNetClassifier``, ``NeuralNetRegressor``, ``MLPClassifier``,
        ``MLPRegressor`` or ``TabularEncoder``. A flagship estimator on
        numeric, boolean and categorical columns, or around a user's
        ``module`` fed one array; a ``TabularEncoder`` gives its encoded matrix.
    X_sample : array-like or DataFrame, default=None
        A few rows as given to ``predict``, to trace a user's ``module``
        (their dtype, float or integer, is the input's). Not needed otherwise,
        and then ignored: the input types come from what the estimator
        recorded of each column at fit, so the graph is the same with or
        without it (before, a sample's dtypes typed the columns' inputs).
    numeric_inputs : {"float32", "float64"}, default="float32"
        The type of the inputs that take numbers. float32 is skl2onnx's
        convention, but it holds 7 significant digits: a column whose values
        are large beside their spread (ids near 1e9, timestamps in seconds
        over a day) loses them before the graph centres it, and its answers
        drift from ``predict``'s (a warning names such columns). float64
        inputs are centred and scaled in float64, as ``predict`` does, then
        the network runs in float32; a drop-in then runs in float64
        throughout, as scikit-learn does, and its ``probabilities`` and
        ``variable`` are float64. Not for a user's ``module``.

    Returns
    -------
    model : onnx.ModelProto
        Inputs: for an estimator fitted on a DataFrame (pandas, polars,
        pyarrow...) with string column names, one per column, named after
        it, shape ``(batch, 1)``: float32 (or float64, see ``numeric_inputs``)
        for the columns encoded as numbers
        (integer, floating, boolean, nullable and object columns of numbers;
        NaN where missing), string for the categorical ones (each value's
        ``str`` form, the empty string ``""`` where missing; a category not
        seen at fit is treated as in ``predict``), int64 for datetime and
        timedelta columns (nanoseconds since 1970-01-01: the wall-clock time
        of a tz-naive column, the UTC instant of a tz-aware one, as pandas
        stores them; ``-2**63`` where missing; the graph computes the
        calendar parts ``predict`` computes). For an estimator fitted
        without column names (an array, or a DataFrame with integer column
        labels), ``X`` of shape ``(batch, n_features)``: float32 with NaN
        where missing (a user's module: always ``X``, of the dtype of
        ``X_sample``). :func:`sknn.onnx.input_feed` builds these inputs.
        Outputs as skl2onnx names them: ``probabilities`` (classifiers, in the
        order of ``classes_``) and ``label`` (what ``predict`` gives: a class,
        in its dtype, integers as int64; or a 0/1 row for multilabel targets;
        inside a skl2onnx pipeline, bool and float classes as int64, as
        skl2onnx gives them), or ``variable`` (regressors,
        ``(batch, n_outputs)``; a ``TabularEncoder``: its output matrix). A
        regressor's log link (``exp``) is in the graph. A regressor of a list
        of quantiles: ``variable`` shaped as ``predict``'s answer, ``(batch,
        n_quantiles)`` or ``(batch, n_outputs, n_quantiles)``, and one output
        ``quantile_<level>`` per level (``quantile_0.05``), ``(batch,
        n_outputs)``: the raw quantiles, not ``predict_interval``'s band, which
        widens or narrows them by a margin calibrated on held-out rows for the
        coverage asked (serve calibrated intervals from the fitted model).
        ``classes_`` and the feature names are in the model's metadata (JSON
        under "classes" and "feature_names").

    Raises
    ------
    ValueError
        For a categorical column of strings or a datetime column in a model
        fitted without column names; the empty string as a category; a
        user's module fed a dict, or a network that torch.onnx cannot
        trace. The message names the column or the cause, and the fix.
    """
    check_is_fitted(estimator)
    return build_model(estimator, X_sample, numeric_inputs=numeric_inputs)


def build_model(
    estimator,
    X_sample=None,
    kinds=None,
    matrix: bool = False,
    skl2onnx: bool = False,
    numeric_inputs: str = "float32",
) -> onnx.ModelProto:
    """:func:`to_onnx`, optionally with the input types given (skl2onnx's converters).

    Parameters
    ----------
    estimator : fitted sknn estimator or TabularEncoder
        What to export.
    X_sample : array-like or DataFrame, default=None
        As in :func:`to_onnx`.
    kinds : list of str, default=None
        Each DataFrame column's input type ("float", "int64", "bool",
        "string"), as skl2onnx declares them; None for the types
        :func:`declared_inputs` gives.
    matrix : bool, default=False
        One float input ``X`` of all columns, even for an estimator fitted
        on a DataFrame (skl2onnx's concatenated output of earlier steps).
    skl2onnx : bool, default=False
        Labels by skl2onnx's convention (see :func:`label_values`), for a
        graph inlined into a skl2onnx pipeline.
    numeric_inputs : {"float32", "float64"}, default="float32"
        As in :func:`to_onnx`.

    Returns
    -------
    model : onnx.ModelProto
    """
    estimator = array_api.host_view(estimator)  # fitted on tensors: its arrays as numpy
    number = _number_kind(estimator, numeric_inputs)
    double = number == "double"
    if is_drop_in(estimator):
        parts = _drop_in_parts(estimator, matrix, double)
    elif getattr(estimator, "module", None) is not None:
        parts = _module_parts(estimator, X_sample)
    else:
        parts = _tabular_parts(estimator, matrix, double)
        warn_coarse_columns(estimator, double)
    module, sample, input_names, columns = parts
    classifier = is_classifier(estimator)
    model = _export(module, sample, input_names, output_names(estimator))
    if classifier:
        add_label_output(model, estimator, skl2onnx, double and is_drop_in(estimator))
    if columns is not None:
        names = _column_names(estimator, matrix)
        from_matrix = names is None
        if from_matrix:
            names = [f"x{i}" for i in range(len(columns))]
            kinds = [number] * len(columns)
        elif kinds is None:
            kinds = [kind for _, kind in declared_inputs(estimator, numeric_inputs=numeric_inputs)]
        front = front_graph(
            columns, names, kinds, from_matrix, input_names, model.opset_import, double
        )
        front.ir_version = model.ir_version
        model = onnx.compose.merge_models(
            front, model, io_map=[(name, name) for name in input_names]
        )
    meta = {"feature_names": [str(n) for n in getattr(estimator, "feature_names_in_", [])]}
    if classifier:
        meta["classes"] = np.asarray(estimator.classes_).tolist()
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.checker.check_model(model)
    return model
