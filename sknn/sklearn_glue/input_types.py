"""The types the public ``fit``/``predict``/``transform`` signatures accept.

Written for type checkers and for readers of a signature; at run time the
estimators check their input themselves (and raise naming what is wrong).
numpy's :data:`numpy.typing.ArrayLike` already covers lists, numpy arrays and
anything with ``__array__`` (a pandas Series, a polars or pyarrow column or
table); tables and sparse matrices are named on top of it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Self, TypeAlias

import numpy.typing as npt
import pandas as pd
from scipy import sparse

ArrayLike: TypeAlias = npt.ArrayLike
"""A 1-D or 2-D array-like: a list, a numpy array, a pandas Series, a column."""

MatrixLike: TypeAlias = npt.ArrayLike | pd.DataFrame | sparse.spmatrix | sparse.sparray
"""A table of features: array-like of shape (n_samples, n_features), a DataFrame of
any library narwhals reads (pandas, polars, pyarrow), or a scipy sparse matrix."""

InputsLike: TypeAlias = MatrixLike | Mapping[str, npt.ArrayLike]
"""What a flagship estimator reads: a table, an array of any shape whose first axis
is samples (images, token ids) or, for a module with several inputs, a dict of them."""

TargetLike: TypeAlias = npt.ArrayLike | pd.Series | pd.DataFrame
"""Targets: shape (n_samples,) or (n_samples, n_outputs)."""

ImagesLike: TypeAlias = npt.ArrayLike | Sequence[npt.ArrayLike]
"""Images: a list of arrays of any sizes, or one array of same-sized ones."""

TextsLike: TypeAlias = Sequence[str | None] | npt.ArrayLike | pd.Series | pd.DataFrame
"""Texts: a list, array or Series of strings, or the one column of a DataFrame."""

ClipsLike: TypeAlias = Sequence[npt.ArrayLike | str | os.PathLike] | npt.ArrayLike | pd.Series
"""Sounds: a list of 1-D waveforms or WAV paths, or one array of same-length waveforms."""

__all__ = [
    "ArrayLike",
    "ClipsLike",
    "ImagesLike",
    "InputsLike",
    "MatrixLike",
    "Self",
    "TargetLike",
    "TextsLike",
]
