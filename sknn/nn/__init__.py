"""Torch modules only: no scikit-learn, no estimators."""

from sknn.nn.mlp import ACTIVATIONS, MLP, Standardize

__all__ = ["ACTIVATIONS", "MLP", "Standardize"]
