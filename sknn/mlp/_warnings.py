"""The drop-ins' warnings, attributed to the scikit-learn module that issues its MLP's own.

scikit-learn's MLP warns from ``sklearn.neural_network._multilayer_perceptron``
(both solvers' ``ConvergenceWarning``, the batch-size and interruption
warnings). Filters name that module, or a prefix of it:
the gallery's ``warnings.filterwarnings("ignore",
category=ConvergenceWarning, module="sklearn")``, a library's
``module="sklearn.neural_network"``, pytest's ``filterwarnings`` marks. The
drop-ins issue theirs as from the same module, so that every such filter
treats them as it treats scikit-learn's.
"""

from __future__ import annotations

import importlib
import warnings

MLP_MODULE = "sklearn.neural_network._multilayer_perceptron"


def warn_as_sklearn(message, category: type[Warning] = UserWarning) -> None:
    """Issue a warning as from the scikit-learn module that issues the same one.

    Parameters
    ----------
    message : str or Warning
        The warning's message (or a warning instance).
    category : type of Warning, default=UserWarning
        Its category.
    """
    source = importlib.import_module(MLP_MODULE)
    if isinstance(message, Warning):
        category, message = type(message), message
    warnings.warn_explicit(
        message,
        category,
        filename=source.__file__ or MLP_MODULE,
        lineno=0,  # no line: the file is scikit-learn's, the warning sknn's
        module=MLP_MODULE,
        registry=source.__dict__.setdefault("__warningregistry__", {}),
    )
