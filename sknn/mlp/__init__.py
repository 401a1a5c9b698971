"""Drop-in replacements for :mod:`sklearn.neural_network`'s MLPs, trained by PyTorch.

Siblings of sknn's own estimators, not children: they share the trainer, the
optimizer kernels and the ``MLP`` module, and keep here everything that only
imitates scikit-learn (its optimizers' rate rules and stopping, the L-BFGS
solver, its loss conventions and weight layout).
"""

from sknn.mlp._classifier import MLPClassifier
from sknn.mlp._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
