"""Torch modules only: no scikit-learn, no estimators."""

from sknn.nn.mlp import ACTIVATIONS, MLP

__all__ = ["ACTIVATIONS", "MLP"]
