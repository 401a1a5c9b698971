"""Turn a mixed-type table into one float32 matrix a network can read.

:class:`TabularEncoder` maps every input column to numbers: numeric columns are
imputed and robustly scaled, booleans become 0/1, dates are expanded into
calendar features, and categorical columns become one-hot columns or integer
codes for embedding tables. The output keeps the dense block first and the
code columns last, so a network can split it with ``n_numeric_out_``.

Lives here: ``_encoder.py`` (the :class:`TabularEncoder` estimator),
``_frame.py`` (any DataFrame library's table as pandas, names and counts
checked), ``_columns.py`` (how each column is encoded, fixed at fit),
``_numeric.py``, ``_categorical.py`` and ``_datetime.py`` (the encodings of
each kind of column), ``_layout.py`` (the output's column order) and
``_user_warnings.py`` (advice about the user's columns, shown at the user's
line). It imports :mod:`sknn.sklearn_glue`, scikit-learn, pandas and
narwhals, no torch. Imported by: the public face :mod:`sknn`,
:mod:`sknn.neural_net` (its tabular input path) and :mod:`sknn.onnx` (which
exports the encoding). Next: fitting the encoder from streaming passes over
a table larger than memory (exact category counts, mergeable quantile
sketches for medians, IQRs and bin edges) adds a statistics step beside
``_numeric.robust_stats`` and ``_columns.plan_columns``; the column plans and
the transform stay as they are.
"""

from sknn.preprocessing._datetime import DATETIME_PARTS
from sknn.preprocessing._encoder import TabularEncoder

__all__ = ["DATETIME_PARTS", "TabularEncoder"]
