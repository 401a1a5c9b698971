"""Drop-in replacements for :mod:`sklearn.neural_network`'s MLPs, trained by PyTorch.

Siblings of sknn's own estimators, not children: they share the trainer, the
optimizer kernels and the ``MLP`` module, and keep here everything that only
imitates scikit-learn.

Lives here: ``_classifier.py`` and ``_regressor.py`` (the two estimators),
``_base.py`` (what they share: fitting and the forward pass), ``_network.py``
(the weights in scikit-learn's ``coefs_``/``intercepts_`` layout),
``_optimizers.py`` (scikit-learn's SGD and Adam rate rules on torch's update
kernels), ``_stochastic.py`` and ``_epoch_end.py`` (its epoch loop and
stopping rule on sknn's trainer), ``_lbfgs.py`` (scipy's L-BFGS-B on a torch
loss) and ``_losses.py`` (its loss conventions). It imports :mod:`sknn.nn`,
:mod:`sknn.training` and :mod:`sknn.sklearn_glue`, never the flagship
:mod:`sknn.neural_net`. Imported by: the public face :mod:`sknn`,
:mod:`sknn.onnx`, tests and benchmarks. Next: whatever scikit-learn's MLP
does and the drop-in does not yet (its sample-weight semantics, its exact
Adam update, Array API inputs) goes into the file of that concept here,
never into the flagship.
"""

from sknn.mlp._classifier import MLPClassifier
from sknn.mlp._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
