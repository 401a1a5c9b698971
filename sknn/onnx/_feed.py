"""The arrays an exported graph takes for a table: :func:`input_feed`.

Given the graph (or the fitted estimator), each declared input is filled from
the column of that name, converted to the input's element type: float32 or
double with NaN where missing (numbers, booleans, nullable and object columns
of numbers, read as ``predict`` reads them), strings (each value's ``str``
form, ``""`` where missing), int64 nanoseconds for datetime and timedelta
columns (``-2**63`` where missing), int64 or bool (no missing value possible); a
graph with one input that is not a column takes the whole table as one
matrix. Without a graph the types are guessed from the table the way the
encoder judges its columns at fit, which is what :func:`sknn.onnx.to_onnx`
declares for a model fitted with ``categorical_features="from_dtype"``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from onnx import ModelProto, TensorProto

from sknn.onnx._columns import category_key, in_utc
from sknn.onnx._dates import TEMPORAL_KINDS, temporal_input
from sknn.preprocessing._categorical import compared_values
from sknn.preprocessing._columns import dtype_kind
from sknn.preprocessing._datetime import numpy_temporal
from sknn.preprocessing._frame import as_pandas
from sknn.preprocessing._values import as_float

_ELEMENT_KINDS = {
    TensorProto.FLOAT: "float",
    TensorProto.DOUBLE: "double",
    TensorProto.INT64: "int64",
    TensorProto.BOOL: "bool",
    TensorProto.STRING: "string",
}

_NUMPY_TYPES = {"float": np.float32, "double": np.float64}  # plain arrays converted at once


def guessed_kind(series: pd.Series, name: str) -> str:
    """A column's input kind judged from its values, as the encoder judges it at fit.

    Parameters
    ----------
    series : pandas Series
        The column.
    name : str
        Its name, for the error message.

    Returns
    -------
    kind : str
        "float" for numeric and boolean columns, "datetime" (tz-naive),
        "datetime_utc" (tz-aware) or "timedelta" for those (int64
        nanoseconds), "string" for the others.
    """
    kind = dtype_kind(series, name)
    if kind == "datetime":
        aware = getattr(numpy_temporal(series).dtype, "tz", None) is not None
        return "datetime_utc" if aware else "datetime"
    if kind == "timedelta":
        return kind
    return "float" if kind in ("numeric", "bool") else "string"


def _graph_inputs(model) -> list[tuple[str, str]]:
    """The inputs an ONNX model declares, as (name, kind), initializers left out."""
    fixed = {t.name for t in model.graph.initializer}
    inputs = []
    for value in model.graph.input:
        if value.name in fixed:
            continue
        elem = value.type.tensor_type.elem_type
        if elem not in _ELEMENT_KINDS:
            raise ValueError(
                f"The graph's input {value.name!r} has ONNX element type "
                f"{TensorProto.DataType.Name(elem)}; input_feed fills float, double, int64, "
                "bool and string inputs only. Build this input yourself."
            )
        kind = _ELEMENT_KINDS[elem]
        described = [k for k, doc in TEMPORAL_KINDS.items() if value.doc_string == doc]
        inputs.append((value.name, described[0] if described else kind))
    return inputs


def _declared(model, frame) -> list[tuple[str, str]]:
    """The inputs to fill: the model's, the estimator's, or guessed from the table."""
    if isinstance(model, ModelProto):
        return _graph_inputs(model)
    if model is not None:
        from sknn.onnx._export import declared_inputs

        return declared_inputs(model)
    if frame is None or not all(isinstance(c, str) for c in frame.columns):
        return [("X", "float")]
    return [(name, guessed_kind(frame[name], name)) for name in frame.columns]


def _missing_refused(series: pd.Series, name: str, kind: str) -> None:
    if series.isna().any():
        raise ValueError(
            f"Column {name!r} has missing values but the graph's input {name!r} is {kind}, "
            "which cannot hold them. Fill them, or export the model with "
            "sknn.onnx.to_onnx, whose inputs take NaN (numbers) or '' (strings)."
        )


def _numbers(series: pd.Series, name: str, kind: str) -> np.ndarray:
    """The column's numbers (booleans as 0/1), refused in the graph's words otherwise."""
    try:
        return as_float(series, name)
    except ValueError as error:
        raise ValueError(
            f"The graph's input {name!r} is {kind}: it takes numbers (booleans too), and "
            f"column {name!r} holds other values ({error.__cause__ or error}). Pass the "
            "column as it was at fit."
        ) from error


def _column(series: pd.Series, name: str, kind: str) -> np.ndarray:
    """One column as the input kind takes it, shape ``(n,)``."""
    if kind in ("float", "double"):
        values = _numbers(series, name, kind)
        return values.astype(np.float32) if kind == "float" else values
    if kind == "string":  # dates, periods and durations as predict compares them
        compared = compared_values(series)
        keys = ["" if pd.isna(v) else category_key(in_utc(v)) for v in compared]
        return np.array(keys, dtype=object)
    if kind in TEMPORAL_KINDS:
        return temporal_input(series, name, kind)
    if kind == "int64" and dtype_kind(series, name) in ("datetime", "timedelta"):
        return temporal_input(series, name, guessed_kind(series, name))  # skl2onnx's input
    _missing_refused(series, name, kind)
    if kind == "bool":
        if dtype_kind(series, name) != "bool":
            raise ValueError(
                f"Column {name!r} does not hold booleans but the graph's input {name!r} is bool."
            )
        return series.to_numpy(dtype=bool)
    values = _numbers(series, name, kind)
    if not np.array_equal(values, np.round(values)):
        raise ValueError(
            f"Column {name!r} holds numbers that are not whole but the graph's input {name!r} "
            "is int64; declare it as a float input instead."
        )
    return values.astype(np.int64)


def _matrix(X, frame, kind: str) -> np.ndarray:
    """The whole table as one matrix of the input's kind."""
    if kind == "array":  # a user's module: the array as given, floats as float32
        array = np.asarray(X if frame is None else frame)
        return array.astype(np.float32 if array.dtype.kind in "fb" else np.int64)
    if frame is None:
        array = np.asarray(X)
        if array.ndim != 2:  # onnxruntime's "Invalid rank" named no fix
            raise ValueError(
                f"X has {array.ndim} dimension(s); the graph takes rows of features (2-D). "
                "Reshape it, e.g. X.reshape(1, -1) for a single row."
            )
        if array.dtype.kind in "biuf" and kind in _NUMPY_TYPES:
            return array.astype(_NUMPY_TYPES[kind])
        frame = pd.DataFrame(array)
    columns = [_column(frame.iloc[:, j], str(name), kind) for j, name in enumerate(frame.columns)]
    return np.column_stack(columns) if columns else np.empty((len(frame), 0), np.float32)


def input_feed(X, model=None) -> dict[str, np.ndarray]:
    """The inputs of an exported graph for ``X``, as onnxruntime takes them.

    Spells out the input convention of :func:`sknn.onnx.to_onnx` (and of the
    graphs skl2onnx builds with sknn's converters), for serving or testing an
    exported model from Python; a deployment elsewhere builds the same arrays.

    Parameters
    ----------
    X : DataFrame or array-like
        Rows as given to ``predict``: a pandas, polars or pyarrow table (or
        any table narwhals reads, or with a ``to_pandas`` method), or an array.
    model : onnx.ModelProto or fitted estimator, default=None
        The graph to feed (from :func:`~sknn.onnx.to_onnx` or
        ``skl2onnx.to_onnx``), or the fitted estimator it was exported from:
        each input the graph declares is filled from the column of that
        name, converted to the input's type (an estimator gives the default
        float32 numbers: pass the graph itself for one exported with
        ``numeric_inputs="float64"``). None to follow the convention
        of :func:`~sknn.onnx.to_onnx`, judging each column by its dtype as
        the encoder does at fit (a model fitted with ``categorical_features``
        naming a numeric column needs ``model``).

    Returns
    -------
    feed : dict of str to ndarray
        One ``(n, 1)`` array per input column, named after it: float32 with
        NaN where missing for the columns read as numbers (integer, floating,
        boolean, nullable and object columns of numbers), strings for the
        others (numbers by value, ``1.0`` as ``"1"``, as ``predict`` matches
        them; other values by ``str``; ``""`` where missing), int64
        nanoseconds for datetime and timedelta columns (since 1970-01-01,
        in UTC for a tz-aware column; ``-2**63`` where missing); a graph's
        double, int64 or bool input gets that type. For a graph with one
        input that is not a column, or without ``model`` for an array or a
        table without string column names: ``{name: matrix}``, all columns
        as one float32 matrix (``{"X": ...}`` for :func:`~sknn.onnx.to_onnx`).

    Raises
    ------
    ValueError
        When a column the graph takes is absent, or cannot be converted to
        its input's type (strings for a float input, missing values for an
        int64 or bool one); the message names the column.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sknn.onnx import input_feed
    >>> X = pd.DataFrame({"age": pd.array([31, None], dtype="Int64"), "city": ["Oslo", None]})
    >>> feed = input_feed(X)
    >>> feed["age"].dtype, feed["age"].ravel().tolist(), feed["city"].ravel().tolist()
    (dtype('float32'), [31.0, nan], ['Oslo', ''])
    """
    if sp.issparse(X):  # a graph's input is dense (pandas read one as a scalar)
        X = X.toarray()
    frame = as_pandas(X)
    frame = frame if isinstance(frame, pd.DataFrame) else None
    inputs = _declared(model, frame)
    if frame is None and len(inputs) > 1:  # an array fed to a graph of columns: by position
        array = np.asarray(X, dtype=object) if isinstance(X, list) else np.asarray(X)
        frame = pd.DataFrame(array, columns=[name for name, _ in inputs])
    names = set() if frame is None else {str(c) for c in frame.columns}
    if len(inputs) == 1 and inputs[0][0] not in names:
        name, kind = inputs[0]
        return {name: _matrix(X, frame, kind)}
    absent = [name for name, _ in inputs if name not in names]
    if absent:
        raise ValueError(
            f"The graph takes the columns {absent}, which X lacks (X has "
            f"{sorted(names)}); pass X with the columns the model was fitted on."
        )
    assert frame is not None  # names is not empty
    columns = {str(c): c for c in frame.columns}
    return {name: _column(frame[columns[name]], name, kind).reshape(-1, 1) for name, kind in inputs}
