"""Torch modules only: no scikit-learn, no estimators.

Lives here: ``mlp.py`` (a plain MLP, the activations, hidden layers in
independent groups), ``tabular.py``
(:class:`TabularMLP`, the network for encoded tables with its implicit
ensemble), ``embeddings.py`` (periodic and piecewise-linear numeric
embeddings, the feature scale), ``inference.py`` (float64 copies of a fitted
network for small CPU predictions), ``efficientnet.py`` (EfficientNet-Lite0
in plain torch), ``voice.py`` (Resemblyzer's GE2E speaker encoder and its mel
front end), ``narrow_bmm.py`` (batched products with few output columns,
fast on the CPU), ``sparse.py`` (sparse rows and the first layer that meets
them) and ``state.py`` (a module's state as numpy and back, for
saving). It imports torch and numpy only (``tests/test_structure.py``
checks it). Imported by: the estimator families (:mod:`sknn.neural_net`,
:mod:`sknn.mlp`), :mod:`sknn.pretrained`, tests. Next: a new architecture is
a new file here and nothing else (a module an estimator builds by default
gets its float64 twin in ``inference.py``).
"""

from sknn.nn.embeddings import (
    FeatureScale,
    PeriodicEmbedding,
    PiecewiseLinearEmbedding,
    quantile_edges,
)
from sknn.nn.mlp import ACTIVATIONS, MLP, GroupedLinear
from sknn.nn.narrow_bmm import narrow_bmm, relu_narrow_bmm
from sknn.nn.sparse import SparseRows
from sknn.nn.tabular import TabularMLP, embedding_dim

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "FeatureScale",
    "GroupedLinear",
    "PeriodicEmbedding",
    "PiecewiseLinearEmbedding",
    "SparseRows",
    "TabularMLP",
    "embedding_dim",
    "narrow_bmm",
    "relu_narrow_bmm",
    "quantile_edges",
]
