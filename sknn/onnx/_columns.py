"""The graph's inputs: one per DataFrame column, typed by the fitted encoder's record of it.

A front graph turns the column inputs into what the torch part takes:
``_numbers``, the numeric and boolean columns as float32 (NaN where missing), and
``_codes``, each categorical column's integer code (0 missing, 1 a category not
seen at fit, 2.. the seen ones) from an ``ai.onnx.ml`` ``LabelEncoder``.

Input types (:func:`input_kinds`), decided by how the encoder encodes each
column, never by the dtype of a sample: numeric and boolean columns (integer,
floating, nullable, object columns of numbers) float32 with NaN where
missing; categorical ones (strings, categoricals, mixed objects) string,
compared by each value's ``str`` form, the empty string ``""`` where missing.
A model fitted without column names takes one float32 matrix ``X``. Graphs
that skl2onnx types from its own inputs may also take int64, bool or double
columns; the front graph casts them.
"""

from __future__ import annotations

import datetime
import re
import warnings
from collections import Counter
from numbers import Integral, Real

import numpy as np
import pandas as pd

from sknn.onnx._dates import TEMPORAL_KINDS, temporal_kind, temporal_nodes
from sknn.preprocessing._categorical import FIRST_SEEN_CODE, MISSING_CODE, UNSEEN_CODE

ML_DOMAIN = "ai.onnx.ml"
ML_OPSET = 3
MISSING_STRING = ""
# the graph's own values: its outputs, and the names the front graph and the label use
_RESERVED = re.compile(
    r"(label|probabilities|variable|quantile_.*|classes|missing_code|_numbers|_codes|_half"
    r"|_above|_best|(_num|_code|_idx|_in)\d+)"
)
_COARSE_STEP = 1e-4  # float32 spacing at a column's centre, in units of its scale
_DERIVED = re.compile(r"(.*)_(cast|nan|seen)")  # from another input's name


def input_kinds(columns, number: str = "float") -> list[str]:
    """Each column's input type, from the fitted encoder's plan of it: ``number`` or "string".

    Parameters
    ----------
    columns : list of ColumnPlan
        The fitted encoder's column plans.
    number : {"float", "double"}, default="float"
        The input type of numbers.

    Returns
    -------
    kinds : list of str
        "string" for categorical columns, ``number`` for numeric and boolean
        ones, a key of :data:`~sknn.onnx._dates.TEMPORAL_KINDS` (int64
        nanoseconds) for datetime and timedelta ones.
    """
    return [
        "string"
        if c.kind in ("onehot", "code")
        else temporal_kind(c)
        if c.kind in ("datetime", "timedelta")
        else number
        for c in columns
    ]


def warn_coarse_columns(estimator, double: bool) -> None:
    """Warn of numeric columns that float32 inputs would round coarsely.

    A column whose values are large beside its spread (ids near 1e9, epoch
    seconds over a day) loses digits when it is cast to float32, before the
    graph centres it: float32's spacing at the column's centre is compared
    with its scale, and a step over 1e-4 of the scale is named.
    """
    encoder = getattr(estimator, "encoder_", estimator)
    if double or not hasattr(encoder, "_center"):
        return
    center = np.abs(np.asarray(encoder._center, dtype=np.float64))
    scale = np.asarray(encoder._scale, dtype=np.float64)
    step = np.spacing(center.astype(np.float32)).astype(np.float64) / scale
    owners = [c.name for c in encoder._columns for _ in range(c.width)]  # per raw feature
    coarse = list(dict.fromkeys(n for n, s in zip(owners, step, strict=True) if s > _COARSE_STEP))
    if coarse:
        warnings.warn(
            f"Columns {coarse} hold values so large beside their spread that float32 "
            "rounds them by more than 1e-4 of it before the graph centres them (ids, "
            "timestamps, dates days apart), so the graph's answers drift from predict's. "
            "Export with to_onnx(..., numeric_inputs='float64') to keep their digits, or "
            "subtract a constant before fitting.",
            UserWarning,
            stacklevel=4,  # the caller of to_onnx
        )


def category_key(value) -> str:
    """A value's form in a string input, as :func:`sknn.onnx.input_feed` writes it.

    Numbers by value (``1``, ``1.0`` and ``np.int64(1)`` are ``"1"``), as
    ``predict`` matches them; booleans ``"True"``/``"False"``; other values
    their ``str``.
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, Integral):
        return str(int(value))
    if not isinstance(value, Real):
        return str(value)
    number = float(np.asarray(value, dtype=np.float64))
    return str(int(number)) if np.isfinite(number) and number.is_integer() else repr(number)


def in_utc(value):
    """A zoned datetime as its instant in UTC, the key a zoned category takes from any
    zone (predict compares instants); any other value as it is."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return pd.Timestamp(value).tz_convert("UTC")
    return value


def _string_keys(col) -> tuple[list[str], list[int]]:
    """A categorical column's keys in a string input and each key's code.

    A category of numbers or booleans is keyed as :func:`category_key` writes
    it, with aliases for the other forms ``predict`` takes for it (0/1 for a
    boolean, ``"1"`` for a category ``"1.0"`` of a column compared by str form,
    which the number 1 is; a tz-aware Timestamp's instant in UTC, the form
    :func:`~sknn.onnx.input_feed` writes from any zone; a column of strings at fit
    has no aliases: ``"1"`` is not its ``"01"``).
    """
    keys, codes, taken = [], [], set()
    own = {category_key(c) for c in col.categories}  # an alias never takes another's key
    float32_forms = _float32_forms(col.categories)
    for code, category in enumerate(col.categories, start=FIRST_SEEN_CODE):
        key = category_key(category)
        forms = [key]
        if isinstance(category, bool | np.bool_):
            forms.append(str(int(category)))
        elif isinstance(category, float | np.floating):
            forms += [f for f in float32_forms.get(key, []) if f not in own]
        elif isinstance(category, pd.Timestamp) and category.tzinfo is None:
            day = str(category.date())  # a date at midnight: its date alone too
            forms += [day] if category == category.normalize() and day not in own else []
        elif isinstance(category, pd.Timestamp):  # the instant in UTC, as the feed writes it
            forms += [f for f in [category_key(in_utc(category))] if f not in own]
        elif col.as_str and isinstance(category, str) and key not in ("True", "False"):
            # only a column compared by str form (it mixed strings and numbers at fit)
            # reads the number 1 as its category "1.0"; elsewhere "1" is not "01"
            try:
                number = float(category)
            except ValueError:
                number = None
            if number is not None and np.isfinite(number) and number.is_integer():
                forms.append(str(int(number)))
        for form in forms:
            if form not in taken:  # a set: a list's lookup took 66 s for 100,000 categories
                taken.add(form)
                keys.append(form)
                codes.append(code)
    return keys, codes


def _float32_forms(categories) -> dict[str, list[str]]:
    """The other keys of each float category, by its own key: ``predict`` matches a value
    to a float category that rounds to the same float32 (unless two categories do), so
    0.05 fitted as float64 takes a float32 0.05 (keyed ``0.05000000074505806``), and a
    float32 0.05 at fit takes a float64 0.05 (keyed ``0.05``)."""
    floats = [float(c) for c in categories if isinstance(c, float | np.floating)]
    rounded = [float(np.float32(c)) for c in floats]
    shared = Counter(rounded)
    forms = {}
    for c, r in zip(floats, rounded, strict=True):
        if shared[r] > 1 or not np.isfinite(r):
            continue
        if r != c:  # fitted as float64: a float32 value's key
            forms[category_key(c)] = [category_key(r)]
        else:  # a float32 value: the shortest decimal of its float32, a float64's key
            forms[category_key(c)] = [category_key(float(str(np.float32(c))))]
    return forms


def _category_keys(col, kind: str) -> dict:
    """The LabelEncoder's keys (and values) for a categorical column read as ``kind``."""
    categories = list(col.categories)
    if kind == "string":
        keys, codes = _string_keys(col)
        if MISSING_STRING in keys:
            raise ValueError(
                f"Column {col.name!r} has the empty string as a category; the ONNX graph reads "
                "'' as a missing value. Replace it (e.g. with 'empty') before fitting."
            )
        if len({category_key(c) for c in categories}) != len(categories):
            raise ValueError(
                f"Column {col.name!r} has categories with the same str form; the ONNX graph "
                "reads this column as strings. Make them distinct strings before fitting."
            )
        return {
            "keys_strings": [*keys, MISSING_STRING],
            "values_int64s": [*codes, MISSING_CODE],
        }
    try:
        numbers = [float(c) for c in categories]
    except (TypeError, ValueError):
        raise ValueError(
            f"Column {col.name!r} is categorical with categories that are not numbers, but "
            f"the graph reads it from a {kind} input (one float matrix X for a model fitted "
            "without column names, or a numeric input given to skl2onnx). Fit on a DataFrame "
            "with string column names to export one string input per column; with skl2onnx, "
            f"declare it a string input: ({col.name!r}, StringTensorType([None, 1])) in "
            "initial_types (sknn.onnx.initial_types types a column by its values: dates as "
            "int64, whether or not the model reads them as categories)."
        ) from None
    values = list(range(FIRST_SEEN_CODE, FIRST_SEEN_CODE + len(categories)))
    if kind == "float":
        return {"keys_floats": numbers, "values_int64s": values}
    if any(n != int(n) for n in numbers):
        raise ValueError(
            f"Column {col.name!r} reaches the graph as int64 but its categories at fit were "
            "not whole numbers; declare it as a float or string input to skl2onnx."
        )
    return {"keys_int64s": [int(n) for n in numbers], "values_int64s": values}


def _code_nodes(col, kind: str, source: str, target: str) -> list:
    """Nodes mapping one categorical input to its codes, ``(batch, 1)`` int64."""
    from onnx import TensorProto, helper

    kind = "float" if kind == "double" else kind  # category keys are read as float32
    keys = _category_keys(col, kind)
    nodes = []
    if kind in ("bool", "float"):  # booleans as 0/1; doubles (from skl2onnx) as float32
        to = TensorProto.INT64 if kind == "bool" else TensorProto.FLOAT
        nodes.append(helper.make_node("Cast", [source], [f"{source}_cast"], to=to))
        source = f"{source}_cast"
    encoded = target if kind != "float" else f"{target}_seen"
    nodes.append(
        helper.make_node(
            "LabelEncoder",
            [source],
            [encoded],
            domain=ML_DOMAIN,
            default_int64=UNSEEN_CODE,
            **keys,
        )
    )
    if kind == "float":  # NaN is missing
        nodes += [
            helper.make_node("IsNaN", [source], [f"{source}_nan"]),
            helper.make_node(
                "Where", [f"{source}_nan", "missing_code", encoded], [target], name=f"{target}_nan"
            ),
        ]
    return nodes


def front_graph(
    columns, names, kinds, from_matrix: bool, torch_inputs: list[str], opsets, double: bool
):
    """The model mapping the column inputs to the torch part's ``_numbers`` and ``_codes``.

    Parameters
    ----------
    columns : list of ColumnPlan
        The fitted encoder's column plans.
    names : sequence of str
        The input column names.
    kinds : list of str
        Each column's input type, from :func:`input_kinds`.
    from_matrix : bool
        True for one float input ``X`` of all columns (an estimator fitted on
        an array, NaN where missing), False for one input per column.
    torch_inputs : list of str
        The inputs the torch part takes, "_numbers" and/or "_codes".
    opsets : list of OperatorSetIdProto
        The torch part's opset imports.
    double : bool
        True when the torch part takes ``_numbers`` as float64.

    Returns
    -------
    front : onnx.ModelProto
    """
    from onnx import TensorProto, helper, numpy_helper

    numbers = TensorProto.DOUBLE if double else TensorProto.FLOAT
    elem = {
        "float": TensorProto.FLOAT,
        "double": TensorProto.DOUBLE,
        "int64": TensorProto.INT64,
        "bool": TensorProto.BOOL,
        "string": TensorProto.STRING,
        **dict.fromkeys(TEMPORAL_KINDS, TensorProto.INT64),
    }
    nodes, numeric, codes, inputs = [], [], [], []
    initializers = []
    if any(
        k in ("float", "double") and c.kind in ("onehot", "code")
        for c, k in zip(columns, kinds, strict=True)
    ):
        missing = np.array(MISSING_CODE, dtype=np.int64)
        initializers.append(numpy_helper.from_array(missing, "missing_code"))
    if from_matrix:
        inputs.append(helper.make_tensor_value_info("X", elem[kinds[0]], ["batch", len(names)]))
    for col, kind in zip(columns, kinds, strict=True):
        i = col.index
        if from_matrix:
            initializers.append(numpy_helper.from_array(np.array([i], dtype=np.int64), f"_idx{i}"))
            nodes.append(helper.make_node("Gather", ["X", f"_idx{i}"], [f"_in{i}"], axis=1))
            source = f"_in{i}"
        else:
            source = str(names[i])
            inputs.append(
                helper.make_tensor_value_info(
                    source, elem[kind], ["batch", 1], doc_string=TEMPORAL_KINDS.get(kind, "")
                )
            )
        if col.kind in ("datetime", "timedelta"):
            _refuse_temporal_input(col, "X" if from_matrix else kind)
            new_nodes, constants = temporal_nodes(col, source, f"_num{i}", numbers)
            nodes += new_nodes
            initializers += constants
            numeric.append(f"_num{i}")
        elif col.kind in ("onehot", "code"):
            nodes += _code_nodes(col, kind, source, f"_code{i}")
            codes.append(f"_code{i}")
        else:
            nodes.append(helper.make_node("Cast", [source], [f"_num{i}"], to=numbers))
            numeric.append(f"_num{i}")
    outputs = []
    if "_numbers" in torch_inputs:
        nodes.append(helper.make_node("Concat", numeric, ["_numbers"], axis=1))
        width = sum(c.width for c in columns if c.width)  # a datetime gives six
        outputs.append(helper.make_tensor_value_info("_numbers", numbers, ["batch", width]))
    if "_codes" in torch_inputs:
        nodes.append(helper.make_node("Concat", codes, ["_codes"], axis=1))
        outputs.append(
            helper.make_tensor_value_info("_codes", TensorProto.INT64, ["batch", len(codes)])
        )
    opsets = [*opsets, helper.make_opsetid(ML_DOMAIN, ML_OPSET)]
    graph = helper.make_graph(nodes, "columns", inputs, outputs, initializer=initializers)
    return helper.make_model(graph, opset_imports=opsets)


def _refuse_temporal_input(col, kind: str) -> None:
    """A datetime or timedelta column reaches the graph as int64 nanoseconds, by name."""
    if kind in TEMPORAL_KINDS or kind == "int64":
        return
    where = (
        "one float matrix X (a model fitted without string column names)"
        if kind == "X"
        else f"a {kind} input"
    )
    raise ValueError(
        f"Column {col.name!r} holds {col.kind}s, which the graph takes as an int64 input "
        f"of nanoseconds, but it would reach the graph as {where}. Fit on a DataFrame with "
        "string column names (or declare the column as Int64TensorType to skl2onnx)."
    )


def refuse_reserved_names(names: list[str]) -> None:
    """Refuse input columns named as values of the graph: ONNX names each value once;
    and a column named by the empty string, as ONNX names no value so."""
    if "" in names:
        raise ValueError(
            "A column is named '' (the empty string), and an ONNX graph's inputs need "
            "names. Rename it before fitting to export the model, e.g. "
            "X.rename(columns={'': 'unnamed'})."
        )
    derived = [_DERIVED.fullmatch(n) for n in names]
    clashes = [
        n
        for n, d in zip(names, derived, strict=True)
        if _RESERVED.fullmatch(n) or (d and (d[1] in names or _RESERVED.fullmatch(d[1])))
    ]
    if clashes:
        raise ValueError(
            f"Columns {clashes} are named as values of the exported graph (its outputs "
            "label, probabilities, variable, and names it uses inside), and an ONNX graph "
            "names each value once. Rename them before fitting to export the model, e.g. "
            f"X.rename(columns={{{clashes[0]!r}: {clashes[0] + '_in'!r}}})."
        )
