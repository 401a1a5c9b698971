"""Turn a mixed-type table into one float32 matrix a network can read.

:class:`TabularEncoder` maps every input column to numbers: numeric columns are
imputed and robustly scaled, booleans become 0/1, dates are expanded into
calendar features, and categorical columns become one-hot columns or integer
codes for embedding tables. The output keeps the dense block first and the
code columns last, so a network can split it with ``n_numeric_out_``.
"""

from sknn.preprocessing._datetime import DATETIME_PARTS
from sknn.preprocessing._encoder import TabularEncoder

__all__ = ["DATETIME_PARTS", "TabularEncoder"]
