"""Torch modules only: no scikit-learn, no estimators."""

from sknn.nn.mlp import ACTIVATIONS, MLP
from sknn.nn.tabular import TabularMLP, embedding_dim

__all__ = ["ACTIVATIONS", "MLP", "TabularMLP", "embedding_dim"]
