"""Export a fitted flagship estimator as one ONNX graph: encoding, network, output link.

The graph takes the raw feature matrix (float, NaN where missing) and returns
what ``predict_proba``/``predict`` return, so a deployment needs onnxruntime
only: no Python, torch or pickle. Needs the ``onnx`` extra
(``pip install "sknn[onnx]"``).

This first version covers tables of numeric and boolean columns (a numpy
matrix or a DataFrame): median imputation with missing indicators, robust
scaling and smooth clipping, sknn's network (periodic embeddings, feature
scale, the implicit ensemble and its combination), and the output link
(temperature and softmax/sigmoid for classifiers, de-standardization for
regressors). Categorical, string and datetime columns, and user modules, are
refused with an error naming what is not supported yet.
"""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from sknn._outputs import as_members
from sknn.preprocessing._numeric import CLIP_BOUND
from sknn.training.losses import combine

OPSET = 18


class _RawToAnswer(nn.Module):
    """The estimator's prediction path in torch ops, from raw features to the answer."""

    def __init__(self, est):
        super().__init__()
        enc = est.encoder_
        as_tensor = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float32))  # noqa: E731
        self.register_buffer("fill", as_tensor(enc._fill))
        self.register_buffer("center", as_tensor(enc._center))
        self.register_buffer("scale", as_tensor(enc._scale))
        self.register_buffer("indicators", torch.as_tensor(enc._indicator_index, dtype=torch.long))
        self.register_buffer("is_bool", torch.as_tensor(np.asarray(enc._bool_features, dtype=bool)))
        self.clip = bool(enc.clip_numeric)
        self.network = est.module_
        self.kind = est._output_kind
        self.n_outputs = est._n_model_outputs
        self.classifier = hasattr(est, "classes_")
        if self.classifier:
            self.link = est._output_link()
        else:
            self.register_buffer("y_mean", as_tensor(est._y_mean))
            self.register_buffer("y_scale", as_tensor(est._y_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        missing = torch.isnan(x)
        z = (torch.where(missing, self.fill, x) - self.center) / self.scale
        if self.clip:
            t = torch.clamp(z / CLIP_BOUND, -1e18, 1e18)
            z = torch.where(self.is_bool, z, t / torch.sqrt(1.0 + t * t) * CLIP_BOUND)
        if self.indicators.numel():
            z = torch.cat([z, missing[:, self.indicators].to(z.dtype)], dim=1)
        out = combine(as_members(self.network(z), self.kind, self.n_outputs), self.kind)
        if not self.classifier:
            return out * self.y_scale + self.y_mean
        return self.link.proba_tensor(out)


def _refuse_unsupported(est) -> None:
    if getattr(est, "module", None) is not None:
        raise ValueError(
            "to_onnx exports sknn's own tabular network; this estimator trains a user "
            "module (module=...). Export it with torch.onnx.export(estimator.module_, ...)."
        )
    other = {c.name: c.kind for c in est.encoder_._columns if c.kind not in ("numeric", "bool")}
    if other:
        raise ValueError(
            f"to_onnx supports numeric columns only so far (booleans included); these columns "
            f"are not: {other}. "
            "Encode them as numbers before fitting, or keep the model in Python."
        )


def _add_label_output(model, classes) -> None:
    """Add output ``label``: the class of highest probability, as ``predict`` gives it."""
    from onnx import helper, numpy_helper

    classes = np.asarray(classes)
    if classes.dtype.kind in "iub":
        values = classes.astype(np.int64)
    elif classes.dtype.kind == "f":
        values = classes.astype(np.float32)
    else:
        values = np.array([str(c) for c in classes], dtype=object)
    table = numpy_helper.from_array(values, "classes")
    graph = model.graph
    graph.initializer.append(table)
    graph.node.extend(
        [
            helper.make_node("ArgMax", ["probabilities"], ["_best"], axis=1, keepdims=0),
            helper.make_node("Gather", ["classes", "_best"], ["label"], axis=0),
        ]
    )
    graph.output.append(helper.make_tensor_value_info("label", table.data_type, ["batch"]))


def _one_input_per_column(model, names, X_sample):
    """Put a front graph before ``model``: one input per column, named after it.

    As skl2onnx has it for DataFrames: integer columns are int64 inputs,
    boolean ones bool, floating ones float32 (NaN where missing); each is
    ``(batch, 1)``.
    """
    import onnx
    from onnx import TensorProto, compose, helper

    dtypes = getattr(X_sample, "dtypes", None)
    inputs, casts = [], []
    for i, name in enumerate(names):
        kind = dtypes.iloc[i].kind if dtypes is not None else "f"
        elem = {"i": TensorProto.INT64, "u": TensorProto.INT64, "b": TensorProto.BOOL}.get(
            kind, TensorProto.FLOAT
        )
        inputs.append(helper.make_tensor_value_info(str(name), elem, ["batch", 1]))
        casts.append(helper.make_node("Cast", [str(name)], [f"_col{i}"], to=TensorProto.FLOAT))
    concat = helper.make_node("Concat", [f"_col{i}" for i in range(len(names))], ["X"], axis=1)
    output = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", len(names)])
    front = helper.make_model(
        helper.make_graph([*casts, concat], "columns", inputs, [output]),
        opset_imports=list(model.opset_import),
        ir_version=model.ir_version,
    )
    merged = compose.merge_models(front, model, io_map=[("X", "X")])
    onnx.checker.check_model(merged)
    return merged


def to_onnx(estimator, X_sample=None):
    """The fitted estimator as one ONNX model, from raw features to its answer.

    Parameters
    ----------
    estimator : NeuralNetClassifier or NeuralNetRegressor
        Fitted, on numeric columns.
    X_sample : array-like of shape (n_samples, n_features), default=None
        A few rows to trace the graph with; by default one row of zeros.

    Returns
    -------
    model : onnx.ModelProto
        Inputs: for an estimator fitted on a DataFrame, one per column, named
        after it, shape ``(batch, 1)``: int64 for integer columns, bool for
        boolean ones (dtypes read from ``X_sample`` when it is a DataFrame),
        else float32 with NaN where
        missing; for one fitted on an array, ``X`` (float32, shape
        ``(batch, n_features)``, NaN where missing). Output ``probabilities``
        (classifiers, in the order of ``classes_``) and ``label`` (the
        predicted class; not for multilabel targets), or ``predictions``
        (regressors, ``(batch, n_outputs)``).
        ``classes_`` and the feature names are in the model's metadata.
    """
    import onnx

    check_is_fitted(estimator)
    _refuse_unsupported(estimator)
    n_features = estimator.n_features_in_
    if X_sample is None:
        sample = torch.zeros((1, n_features))
    else:
        sample = torch.as_tensor(np.asarray(X_sample, dtype=np.float32)[:8].copy())
    graph = _RawToAnswer(estimator).cpu().eval()
    output = "probabilities" if graph.classifier else "predictions"
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # the tracer notes Python-side shape checks; the shapes it fixes are the
        # network's widths, while the batch axis stays dynamic
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        # the TorchScript exporter is deprecated but exact here (1e-7 against
        # predict_proba); torch.export's needs onnxscript, not a dependency
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            graph,
            (sample,),
            buffer,
            input_names=["X"],
            output_names=[output],
            dynamic_axes={"X": {0: "batch"}, output: {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    model = onnx.load_from_string(buffer.getvalue())
    if graph.classifier and graph.kind != "multilabel":
        _add_label_output(model, estimator.classes_)
    if hasattr(estimator, "feature_names_in_"):
        model = _one_input_per_column(model, estimator.feature_names_in_, X_sample)
    meta = {"feature_names": [str(n) for n in getattr(estimator, "feature_names_in_", [])]}
    if graph.classifier:
        meta["classes"] = np.asarray(estimator.classes_).tolist()
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.checker.check_model(model)
    return model
