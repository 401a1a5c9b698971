"""Torch modules only: no scikit-learn, no estimators."""

from sknn.nn.mlp import ACTIVATIONS, MLP, Standardize
from sknn.nn.tabular import TabularMLP, embedding_dim

__all__ = ["ACTIVATIONS", "MLP", "Standardize", "TabularMLP", "embedding_dim"]
