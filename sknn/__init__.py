"""sknn: deep networks that behave exactly like scikit-learn estimators."""

from sknn.classifier import NeuralNetClassifier
from sknn.mlp import MLPClassifier, MLPRegressor
from sknn.preprocessing import TabularEncoder
from sknn.regressor import NeuralNetRegressor

__all__ = [
    "MLPClassifier",
    "MLPRegressor",
    "NeuralNetClassifier",
    "NeuralNetRegressor",
    "TabularEncoder",
]
__version__ = "0.1.0"
