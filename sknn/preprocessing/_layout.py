"""The output layout: ``[numeric features | one-hot columns | missing indicators | codes]``.

Columns keep their input order inside each block, so a network can feed the
first ``n_numeric_out_`` output columns to linear layers and each code column
to an embedding table. This module assembles the blocks, names the output
columns and counts them; the numbers inside each block come from the
numeric and categorical modules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sknn.preprocessing._categorical import FIRST_SEEN_CODE, category_codes, one_hot
from sknn.preprocessing._columns import ColumnPlan
from sknn.preprocessing._datetime import DATETIME_PARTS


def assemble(
    frame: pd.DataFrame, columns: list[ColumnPlan], numeric: np.ndarray, indicators: np.ndarray
) -> np.ndarray:
    """The output matrix: numeric, one-hot, missing indicators, codes.

    Parameters
    ----------
    frame : pandas DataFrame
        The input, for the categorical columns.
    columns : list of ColumnPlan
        The plans of all input columns.
    numeric : ndarray of shape (n_samples, n_continuous_out)
        The scaled numeric features.
    indicators : ndarray of shape (n_samples, n_indicators), dtype=bool
        The missing indicators.

    Returns
    -------
    X_out : ndarray of shape (n_samples, n_features_out), dtype=float32
        The blocks side by side.
    """
    blocks = [numeric]
    for col in columns:
        if col.kind == "onehot":
            blocks.append(one_hot(frame.iloc[:, col.index], col))
    blocks.append(indicators)
    for col in columns:
        if col.kind == "code":
            blocks.append(category_codes(frame.iloc[:, col.index], col)[:, None])
    blocks = [b for b in blocks if b.shape[1]]
    if len(blocks) == 1:  # numbers only: no second copy
        return np.ascontiguousarray(blocks[0], dtype=np.float32)
    if not blocks:
        return np.empty((len(frame), 0), dtype=np.float32)
    return np.hstack([np.asarray(b, dtype=np.float32) for b in blocks])


def feature_names_out(columns: list[ColumnPlan], names: np.ndarray) -> np.ndarray:
    """Names of the output columns, in output order.

    Parameters
    ----------
    columns : list of ColumnPlan
        The plans of all input columns.
    names : ndarray of str
        The input column names.

    Returns
    -------
    feature_names_out : ndarray of str objects
        ``num__<col>`` (``num__<col>_<part>`` for datetime parts),
        ``cat__<col>_<category>``, ``missing__<col>`` and ``code__<col>``.
    """
    numeric, onehot, missing, codes = [], [], [], []
    for col in columns:
        name = names[col.index]
        if col.kind == "datetime":
            numeric += [f"num__{name}_{part}" for part in DATETIME_PARTS]
        elif col.kind == "onehot":
            onehot += [f"cat__{name}_{category}" for category in col.categories]
        elif col.kind == "code":
            codes.append(f"code__{name}")
        else:
            numeric.append(f"num__{name}")
        if col.has_missing:
            missing.append(f"missing__{name}")
    return np.asarray(_distinct(numeric + onehot + missing + codes), dtype=object)


def _distinct(names: list[str]) -> list[str]:
    """The names, a repeated one numbered from its second use (``<name>__2``): a datetime
    column ``when`` beside a column ``when_year`` both gave ``num__when_year``, and a
    pandas output with two columns of one name failed downstream."""
    taken = set(names)
    if len(taken) == len(names):
        return names
    out: list[str] = []
    used: set[str] = set()
    for name in names:
        candidate, k = name, 1
        while candidate in used or (candidate != name and candidate in taken):
            k += 1
            candidate = f"{name}__{k}"
        used.add(candidate)
        out.append(candidate)
    return out


def n_numeric_out(columns: list[ColumnPlan], n_continuous: int) -> int:
    """Number of output columns before the code columns.

    Parameters
    ----------
    columns : list of ColumnPlan
        The plans of all input columns.
    n_continuous : int
        Number of scaled numeric features.

    Returns
    -------
    n_numeric_out : int
        Numeric features, one-hot columns and missing indicators.
    """
    return (
        n_continuous
        + sum(len(c.categories) for c in columns if c.kind == "onehot")
        + sum(c.has_missing for c in columns)
    )


def cardinalities(columns: list[ColumnPlan]) -> list[int]:
    """Embedding-table size of each code column: seen categories plus missing and unseen."""
    return [len(c.categories) + FIRST_SEEN_CODE for c in columns if c.kind == "code"]


def describe_columns(columns: list[ColumnPlan], n_continuous: int) -> dict:
    """The fitted encoder's public description of its columns and output blocks.

    Parameters
    ----------
    columns : list of ColumnPlan
        The plans of all input columns.
    n_continuous : int
        Raw numeric features (the continuous block's width).

    Returns
    -------
    attributes : dict
        ``column_kinds_``, ``categorical_features_``, ``categories_``,
        ``cardinalities_``, ``n_continuous_out_``, ``n_numeric_out_`` and ``sparse_input_``.
    """
    is_categorical = [c.kind in ("onehot", "code") for c in columns]
    categorical = [c for c, flag in zip(columns, is_categorical, strict=True) if flag]
    return {
        "column_kinds_": [c.kind for c in columns],
        "categorical_features_": np.array(is_categorical, dtype=bool),
        "categories_": [list(c.categories) for c in categorical],
        "cardinalities_": cardinalities(columns),
        "n_continuous_out_": n_continuous,
        "n_numeric_out_": n_numeric_out(columns, n_continuous),
        "sparse_input_": False,  # a sparse fit sets it after (``_sparse``)
    }
