"""Torch modules only: no scikit-learn, no estimators."""

from sknn.nn.embeddings import (
    FeatureScale,
    PeriodicEmbedding,
    PiecewiseLinearEmbedding,
    quantile_edges,
)
from sknn.nn.mlp import ACTIVATIONS, MLP
from sknn.nn.tabular import TabularMLP, embedding_dim

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "FeatureScale",
    "PeriodicEmbedding",
    "PiecewiseLinearEmbedding",
    "TabularMLP",
    "embedding_dim",
    "quantile_edges",
]
