"""sknn: deep networks that behave exactly like scikit-learn estimators.

The public face: the flagship estimators (:mod:`sknn.neural_net`), the
drop-ins for scikit-learn's MLPs (:mod:`sknn.mlp`) and the table encoder
(:mod:`sknn.preprocessing`). The other packages, from the top floor down:
:mod:`sknn.onnx` (export), :mod:`sknn.pretrained` (offline encoders),
:mod:`sknn.sklearn_glue` (what both families share with scikit-learn),
:mod:`sknn.training` (the trainer, on tensors) and :mod:`sknn.nn` (torch
modules only). Imports point down only; nothing below imports this face.
A new estimator family is a new package beside ``neural_net/`` and ``mlp/``,
exported here, and :func:`sknn.discovery.all_estimators` finds it for the
estimator checks.
"""

from sknn import _renamed_modules
from sknn.mlp import MLPClassifier, MLPRegressor
from sknn.neural_net import NeuralNetClassifier, NeuralNetRegressor
from sknn.preprocessing import TabularEncoder

_renamed_modules.install()

__all__ = [
    "MLPClassifier",
    "MLPRegressor",
    "NeuralNetClassifier",
    "NeuralNetRegressor",
    "TabularEncoder",
]
__version__ = "0.1.0"
