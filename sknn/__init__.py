"""sknn: deep networks that behave exactly like scikit-learn estimators.

Lives here: the public face (``NeuralNetClassifier``, ``NeuralNetRegressor``,
``MLPClassifier``, ``MLPRegressor``, ``TabularEncoder``), the two-minute tour
(``demo.py``), :func:`sknn.discovery.all_estimators` for the estimator checks,
and the old module paths saved files name (``_renamed_modules.py``); the
packages, from the top floor down, are :mod:`sknn.onnx` (export),
:mod:`sknn.neural_net` and :mod:`sknn.mlp` (the two estimator families),
:mod:`sknn.pretrained` (offline encoders), :mod:`sknn.preprocessing` (the
table encoder), :mod:`sknn.sklearn_glue` (what the families share with
scikit-learn), :mod:`sknn.training` and :mod:`sknn.nn` (torch only).
Imported by: users, tests and benchmarks; no module of the package imports
this face (imports point down only). Next: a new estimator family is a new
package beside ``neural_net/`` and ``mlp/``, exported here, where
``all_estimators`` finds it for scikit-learn's checks; a module that moves
adds its old path to ``_renamed_modules.RENAMED`` so that saved files still
load.
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
