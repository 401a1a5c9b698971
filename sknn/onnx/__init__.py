"""Export a fitted sknn estimator as one ONNX graph: encoding, network, output link.

The graph takes the raw features and returns what ``predict_proba``/``predict``
return, so a deployment needs onnxruntime only: no Python, torch or pickle.
Needs the ``onnx`` extra (``pip install "sknn[onnx]"``).

Covered: ``NeuralNetClassifier``/``NeuralNetRegressor`` on arrays or
DataFrames of numeric, boolean and categorical columns (median imputation with
missing indicators, robust scaling and smooth clipping, one-hot and embedded
categories with the codes for missing and unseen values, sknn's network, the
implicit ensemble and the output link), the same estimators around a user's
``module`` fed one array, and the drop-in ``MLPClassifier``/``MLPRegressor``.
Tables may be pandas, polars or pyarrow, with any column ``predict`` reads
as numbers (integer, floating, boolean, nullable, object columns of
numbers) or as categories, and datetime and timedelta columns (their parts
computed in the graph, see ``_dates.py``; a zone with daylight saving takes
its table of offsets into the graph). String and datetime columns of a model
fitted without string column names are refused at export with an error
naming them.

Inputs: the graph's input types come from what the fitted encoder recorded
of each column, never from a sample: one input per column for a model fitted
on a DataFrame with string column names (float32 with NaN where missing, or
strings with ``""`` where missing, or int64 nanoseconds since 1970-01-01 for
datetimes, in UTC for a tz-aware column, and for timedeltas, ``-2**63``
where missing), else one float32 matrix ``X``. With
``to_onnx(..., numeric_inputs="float64")`` the numbers come as float64 and are
centred in float64 as ``predict`` does: for columns large beside their spread
(ids, timestamps), which float32 rounds (a warning at export names them).
:func:`input_feed` builds them; give it the graph (``input_feed(X,
model=graph)``) to follow each input the graph declares, which also serves
graphs skl2onnx typed otherwise::

    session = onnxruntime.InferenceSession(graph.SerializeToString())
    label, proba = session.run(["label", "probabilities"], input_feed(X, model=graph))

A graph cannot raise: values ``predict`` refuses with an error (an infinite
number, a boolean column holding 5) get an answer from the graph. Check
inputs before serving them where that matters.

Importing this module also registers skl2onnx converters (when skl2onnx is
installed), so ``skl2onnx.to_onnx`` converts pipelines that hold sknn
estimators or a ``TabularEncoder``; see :mod:`sknn.onnx._skl2onnx`.

Lives here: ``_export.py`` (:func:`to_onnx`: the parts of an estimator traced
to ONNX), ``_answer.py`` (the torch modules traced: encoding, network and
output link), ``_outputs.py`` (the outputs: probabilities, variable, quantiles and
the label), ``_columns.py`` (the per-column front graph and its input types),
``_dates.py`` (datetime and timedelta columns: their parts in integer
arithmetic), ``_feed.py`` (:func:`input_feed`: a table as the arrays a graph takes) and
``_skl2onnx.py`` (the converters registered with skl2onnx). It imports the
estimator families (:mod:`sknn.neural_net`, :mod:`sknn.mlp`),
:mod:`sknn.preprocessing` and :mod:`sknn.training`; it is the top floor.
Imported by: users, tests and benchmarks, never by the package itself. Next: a
new output link or regression loss exports through the same table entry
``predict`` uses (its inverse link as torch ops, traced in ``_answer.py``); a
new column kind gets its input type and front-graph nodes in ``_columns.py``
and its conversion in ``_feed.py``.
"""

from __future__ import annotations

try:
    import onnx  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised in a venv without the extra
    raise ImportError(
        'sknn.onnx needs the onnx extra: pip install "sknn[onnx]" (onnx, onnxruntime, skl2onnx).'
    ) from error

from sknn.onnx._export import OPSET, to_onnx
from sknn.onnx._feed import input_feed

__all__ = ["OPSET", "input_feed", "to_onnx"]


try:  # skl2onnx is in the onnx extra; without it, to_onnx still works
    from sknn.onnx._skl2onnx import initial_types
    from sknn.onnx._skl2onnx import register as _register_skl2onnx
except ImportError:  # pragma: no cover - exercised in a venv without skl2onnx
    pass
else:
    _register_skl2onnx()
    __all__ += ["initial_types"]
