"""sknn: deep networks that behave exactly like scikit-learn estimators."""

from sknn.classifier import NeuralNetClassifier
from sknn.regressor import NeuralNetRegressor

__all__ = ["NeuralNetClassifier", "NeuralNetRegressor"]
__version__ = "0.1.0"
