"""The :class:`TabularEncoder` estimator: scikit-learn's API over the column encoders.

It reads the input as a DataFrame (``_frame``), plans each column at fit (``_columns``),
learns and applies the numeric statistics (``_numeric``), lays the output out
(``_layout``), fits a Dask DataFrame from one pass (``_streamed``) and keeps sparse
matrices sparse (``_sparse``); the encoding
logic lives in those modules, this one holds the parameters and public methods.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    check_is_fitted,
)

from sknn.preprocessing._categorical import unseen_values
from sknn.preprocessing._columns import encoder_categorical, plan_columns
from sknn.preprocessing._frame import validate_frame
from sknn.preprocessing._layout import assemble, describe_columns, feature_names_out
from sknn.preprocessing._numeric import (
    clip_bounds,
    columns_where,
    encode_numeric_array,
    feature_mask,
    indicator_features,
    raw_numeric,
    robust_stats,
    scaled_by,
)
from sknn.preprocessing._saved_categories import SavedCategories
from sknn.preprocessing._sparse import encode_sparse, fit_sparse
from sknn.preprocessing._streamed import fit_encoder_on_stream
from sknn.preprocessing._tensors import (
    encode_tensor,
    encodes_on_device,
    fit_tensor,
    on_host_unless_encodable,
)
from sknn.sklearn_glue import array_api
from sknn.sklearn_glue.dask_collections import is_dask, lazy_on_dask
from sknn.sklearn_glue.decorators import fit_context
from sknn.sklearn_glue.fit_state import restored_on_error
from sknn.sklearn_glue.input_types import ArrayLike, MatrixLike, Self


class TabularEncoder(SavedCategories, array_api.NumpyStateMixin, TransformerMixin, BaseEstimator):
    """Encode a mixed-type table as one float32 matrix for a neural network.

    Each input column is encoded by its kind:

    - **numeric** (ints, floats, nullable ints, object columns holding only
      numbers): missing values are replaced by the training median, then the
      column is centered by that median and divided by a robust scale, the
      interquartile range / 1.349 (the standard deviation when the range is
      zero, 1 for constant columns). With ``clip_numeric=True`` the result is
      then squashed smoothly into (-3, 3) by ``z / sqrt(1 + (z/3)**2)``, which
      barely changes values near 0 and tames outliers. Infinite values raise
      a ``ValueError``.
    - **boolean** (``bool``, nullable ``"boolean"``, object columns of
      ``True``/``False``): 0/1, missing values replaced by the training share
      of ``True``; not scaled.
    - **datetime** (tz-naive or tz-aware ``datetime64``; a ``Period``
      column as each period's start): expanded into six
      numeric features, ``year``, ``month``, ``day``, ``weekday`` (Monday=0)
      and ``hour`` in the column's local time, and ``epoch_days``, days since
      1970-01-01 UTC (fractional); these are then treated as numeric. A
      tz-aware column is converted at transform to its time zone at fit;
      strings given for it at transform must be ISO 8601.
    - **timedelta**: total seconds, then treated as numeric.
    - **categorical** (``category`` dtype, strings, or the columns named in
      ``categorical_features``): a column with at most
      ``max_onehot_cardinality`` distinct non-missing values at fit becomes
      one 0/1 column per category (missing values and categories not seen at
      fit give all zeros). A column with more becomes one integer code column
      for an embedding table: 0 for missing, 1 for a category not seen at fit,
      2, 3, ... for the seen categories sorted by their string form. An empty
      string not seen at fit is read as missing. Object columns mixing strings
      with numbers are categorical, every value converted to ``str`` (warned).

    A scipy sparse matrix (text features, a wide one-hot block) stays sparse:
    every column is numeric, divided by its largest absolute value and
    clipped as above, not centred (a column stored in every row is scaled
    as a dense one), so the output is CSR; missing values are refused.

    Every numeric, boolean, datetime or timedelta column with a missing value
    at fit also gets a 0/1 missing indicator; missing values in other columns
    at transform are imputed silently. The output is laid out as::

        [numeric features | one-hot columns | missing indicators | code columns]
        <- n_continuous_out_ ->
        <---------------- n_numeric_out_ ----------------------> <- cardinalities_ ->

    with columns in input order inside each block, so a network can feed the
    first ``n_numeric_out_`` columns to linear layers and each code column to
    an embedding table of size ``cardinalities_[i]``.

    Parameters
    ----------
    categorical_features : "from_dtype", array-like of str, int or bool, or None, \
            default="from_dtype"
        Which columns are categorical. ``"from_dtype"``: columns of
        ``category`` dtype and string (or object) columns holding strings.
        An array-like of column names, of integer positions, or a boolean mask
        over the columns: exactly those columns; every other column must then
        be numeric, boolean, datetime or timedelta. ``None``: no column.
    max_onehot_cardinality : int, default=8
        Categorical columns with at most this many distinct values at fit are
        one-hot encoded, the others become integer codes.
    clip_numeric : bool, default=True
        Squash scaled numeric features smoothly into (-3, 3). An encoder
        fitted on fewer than 64 rows, whose linear trends the narrower bound
        bends, squashes each feature into (-b, b), b 1.5 times the largest
        scaled value it was fitted on, between 10 and 30 (``clip_bound_``).

    Attributes
    ----------
    n_continuous_out_ : int
        Number of leading output columns that hold scaled numeric features
        (the ones a network may embed periodically).
    n_numeric_out_ : int
        Number of output columns before the code columns.
    cardinalities_ : list of int
        For each code column, the size of its embedding table: the number of
        categories seen at fit plus 2 (for missing and unseen).
    clip_bound_ : ndarray of shape (n_continuous_out_,)
        The bound of ``clip_numeric``'s smooth clip per numeric feature: 3, or
        when fitted on fewer than 64 rows 1.5 times the feature's largest scaled
        value at fit, between 10 and 30 (a float in encoders saved before the
        bound was per feature).
    categorical_features_ : ndarray of shape (n_features_in_,), dtype=bool
        Which input columns were encoded as categorical.
    categories_ : list of list
        For each categorical input column, in input order, its categories seen
        at fit, sorted by their string form.
    column_kinds_ : list of str
        The encoding of each input column: "numeric", "bool", "datetime",
        "timedelta", "onehot" or "code".
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` had string column names.
    sparse_input_ : bool
        Whether fitted on a scipy sparse matrix: ``transform`` then returns CSR.

    See Also
    --------
    sklearn.compose.ColumnTransformer : Build such an encoding by hand.

    Examples
    --------
    >>> import pandas as pd
    >>> from sknn.preprocessing import TabularEncoder
    >>> X = pd.DataFrame({"age": [20.0, None, 40.0], "color": ["red", "blue", "red"]})
    >>> enc = TabularEncoder().fit(X)
    >>> enc.get_feature_names_out().tolist()
    ['num__age', 'cat__color_blue', 'cat__color_red', 'missing__age']
    >>> enc.transform(X).shape
    (3, 4)
    """

    _parameter_constraints: dict = {
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "max_onehot_cardinality": [Interval(Integral, 0, None, closed="left")],
        "clip_numeric": ["boolean"],
    }

    def __init__(
        self, categorical_features="from_dtype", max_onehot_cardinality=8, clip_numeric=True
    ):
        self.categorical_features = categorical_features
        self.max_onehot_cardinality = max_onehot_cardinality
        self.clip_numeric = clip_numeric

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True  # kept sparse (``_sparse``)
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []  # always float32
        tags.array_api_support = True  # numeric arrays of any namespace, answers in X's
        return tags

    # ------------------------------------------------------------ public API
    @array_api.fits_any_namespace
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: MatrixLike, y: object = None, sample_weight: ArrayLike | None = None) -> Self:
        """Learn each column's encoding and statistics.

        Parameters
        ----------
        X : pandas DataFrame, array-like or sparse matrix of shape (n_samples, n_features)
            Training data. Any object with a ``to_pandas`` method (such as a
            polars DataFrame) is converted first; a sparse matrix stays sparse.
            A Dask DataFrame is fitted from one pass over its partitions:
            categories exactly, quantiles from a sample of 100,000 rows (see
            ``sknn.preprocessing._streamed``).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights for the fitted statistics (medians, quantiles, shares);
            integer weights give the same result as repeated rows.

        Returns
        -------
        self : TabularEncoder
            The fitted encoder.
        """
        with restored_on_error(self):  # a refused table leaves the fitted encoder as it was
            if is_dask(X):  # one pass over the partitions
                fit_encoder_on_stream(self, X, sample_weight)
            else:
                self._fit_in_memory(X, sample_weight, encode=False)
        return self

    @array_api.fits_any_namespace
    @fit_context(prefer_skip_nested_validation=True)
    def fit_transform(
        self, X: MatrixLike, y: object = None, sample_weight: ArrayLike | None = None
    ) -> np.ndarray | torch.Tensor | sp.csr_matrix:
        """Fit to ``X`` and return its encoding (same as ``fit(X).transform(X)``).

        Parameters
        ----------
        X : pandas DataFrame, array-like or sparse matrix of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights for the fitted statistics (medians, quantiles, shares);
            integer weights give the same result as repeated rows.

        Returns
        -------
        X_out : ndarray or CSR matrix of shape (n_samples, n_features_out), dtype=float32
            The encoded data (CSR for a sparse ``X``).
        """
        if is_dask(X):  # fitted in one pass, then encoded lazily
            return self.fit(X, sample_weight=sample_weight).transform(X)
        with restored_on_error(self):
            return self._fit_in_memory(X, sample_weight, encode=True)

    def _fit_in_memory(self, X, sample_weight, *, encode: bool):
        """Fit on a sparse matrix, a tensor under dispatch or a table; ``encode``: encode it."""
        if sp.issparse(X):
            fit_sparse(self, X, sample_weight)
            return encode_sparse(self, X, self) if encode else None
        X = on_host_unless_encodable(self, X)
        if encodes_on_device(self, X):
            fit_tensor(self, X, sample_weight)
            return encode_tensor(self, X, owner=self) if encode else None
        frame = validate_frame(X, self, reset=True)
        weight = _check_sample_weight(sample_weight, frame, dtype=float, ensure_non_negative=True)
        self._fit_frame(frame, weight)
        return self._encode(frame) if encode else None

    @array_api.answers_in_namespace
    @lazy_on_dask
    def transform(self, X: MatrixLike) -> np.ndarray:
        """Encode ``X`` with the fitted statistics.

        Parameters
        ----------
        X : pandas DataFrame, array-like of shape (n_samples, n_features)
            Data with the same columns as at fit.

        Returns
        -------
        X_out : ndarray or CSR matrix of shape (n_samples, n_features_out), dtype=float32
            Numeric features, one-hot columns, missing indicators, then
            integer codes (see the class description); CSR when fitted sparse.
        """
        check_is_fitted(self)
        return self._transform(X, owner=self)  # type: ignore[return-value]  # or X's namespace

    def _encodes_tensors(self) -> bool:  # numeric tensors in torch, others sent to the host
        return True

    def unseen_categories(self, X: MatrixLike) -> dict[str, list]:
        """Categories in ``X`` not seen at fit, per categorical column.

        ``transform`` encodes them all as one shared "unseen" code (and no
        one-hot column), which is right for rare new values at prediction time
        but loses them if they matter: refit on data that holds them.

        Parameters
        ----------
        X : pandas DataFrame, array-like of shape (n_samples, n_features)
            Data with the same columns as at fit.

        Returns
        -------
        unseen : dict of str to list
            For each categorical column with unseen values, those values
            (sorted by their string form); columns without any are left out.
        """
        check_is_fitted(self)
        if not any(c.kind in ("onehot", "code") for c in self._columns):
            return {}
        return self._unseen_in(validate_frame(X, self, reset=False))

    def _unseen_in(self, frame: pd.DataFrame) -> dict[str, list]:
        found = {}
        for column in self._columns:
            if column.kind in ("onehot", "code"):
                values = unseen_values(frame.iloc[:, column.index], column)
                if values:
                    found[column.name] = values
        return found

    def _transform(self, X, owner: BaseEstimator) -> np.ndarray | torch.Tensor | sp.csr_matrix:
        """:meth:`transform`, checking feature names and counts against ``owner``.

        An estimator that embeds this encoder passes itself, so that a wrong
        column gets an error naming the estimator the user called.
        """
        return self._transform_noting_unseen(X, owner, note_unseen=False)[0]

    def _transform_noting_unseen(self, X, owner: BaseEstimator, note_unseen: bool = True):
        """:meth:`_transform` and :meth:`unseen_categories` from one validation of ``X``."""
        if getattr(self, "sparse_input_", False):  # absent in encoders saved before
            return encode_sparse(self, X, owner), {}
        X = on_host_unless_encodable(self, X)
        if encodes_on_device(self, X):  # an all-numeric encoder has no categories
            return encode_tensor(self, X, owner), {}
        fast = encode_numeric_array(self, X, owner)
        if fast is not None:
            return fast, {}
        frame = validate_frame(X, owner, reset=False)
        return self._encode(frame), self._unseen_in(frame) if note_unseen else {}

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input column names; defaults to ``feature_names_in_``, or
            ``x0, x1, ...`` when fitted without names.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``num__<col>`` (``num__<col>_<part>`` for datetime parts),
            ``cat__<col>_<category>``, ``missing__<col>`` and ``code__<col>``,
            in output order; a name two outputs would share is numbered from
            its second use (``num__when_year__2``).
        """
        check_is_fitted(self)
        return feature_names_out(self._columns, _check_feature_names_in(self, input_features))

    # ---------------------------------------------------------------- fitting
    def _fit_frame(self, frame: pd.DataFrame, sample_weight=None, facts=None, own=None) -> None:
        """Fit on ``frame``, or on a sample of a table and its ``ColumnFacts`` (one a
        column) and mostly missing columns' own samples (see ``robust_stats``)."""
        names = _check_feature_names_in(self, None)
        explicit = encoder_categorical(self, names)
        self._columns = plan_columns(frame, names, explicit, self.max_onehot_cardinality, facts)
        raw = raw_numeric(frame, self._columns)
        if facts is None:
            for j in columns_where(self._columns, np.isnan(raw)):
                self._columns[j].has_missing = True
        else:
            for column, fact in zip(self._columns, facts, strict=True):
                column.has_missing = fact.n_missing > 0 and column.kind not in ("onehot", "code")
        is_bool = feature_mask(self._columns, "bool")
        weight = np.ones(len(raw)) if sample_weight is None else sample_weight
        fill, center, scale = robust_stats(raw, is_bool, weight, self._columns, own)
        self._set_statistics(fill, center, scale, is_bool)
        self.clip_bound_ = clip_bounds(raw, self._center, self._scale)
        self._describe_columns(n_continuous=raw.shape[1])

    def _set_statistics(self, fill, center, scale, is_bool) -> None:
        """The raw features' fitted statistics, and where the missing indicators go."""
        self._fill, self._center, self._scale = fill, center, scale
        self._bool_features = is_bool
        self._indicator_index = indicator_features(self._columns)

    def _describe_columns(self, n_continuous: int) -> None:
        """The public description of the planned columns and of the output's blocks."""
        self._all_numeric = all(c.kind == "numeric" for c in self._columns)
        self.__dict__.update(describe_columns(self._columns, n_continuous))

    def _encode(self, frame: pd.DataFrame) -> np.ndarray:
        """The output matrix: numeric, one-hot, missing indicators, codes."""
        raw = raw_numeric(frame, self._columns)
        missing = np.isnan(raw)
        numeric = scaled_by(self, raw, missing, copy=False)
        del raw  # overwritten in place; freed before the output is assembled
        return assemble(frame, self._columns, numeric, missing[:, self._indicator_index])
