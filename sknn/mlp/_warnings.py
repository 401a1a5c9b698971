"""The drop-ins' warnings, attributed where scikit-learn's MLP attributes its own.

scikit-learn's ``ConvergenceWarning`` and batch-size warning come from a
scikit-learn module, so the filter its gallery uses,
``warnings.filterwarnings("ignore", category=ConvergenceWarning,
module="sklearn")``, silences them. The drop-ins issue theirs at the nearest
scikit-learn frame of the call (the ``fit`` wrapper scikit-learn's parameter
validation puts around every ``fit``), so that the same filter works.
"""

from __future__ import annotations

import sys
import warnings
from types import FrameType


def sklearn_stacklevel() -> int:
    """``stacklevel`` for a ``warnings.warn`` in the caller: its nearest scikit-learn frame.

    Counted as ``warnings.warn`` counts from the caller (1 is the caller
    itself); 2, the caller's caller, when no scikit-learn frame is found.
    """
    frame: FrameType | None = sys._getframe(1)  # the function that will call warnings.warn
    level = 1
    while frame is not None:
        if frame.f_globals.get("__name__", "").split(".")[0] == "sklearn":
            return level
        frame, level = frame.f_back, level + 1
    return 2


def warn_as_sklearn(message, category: type[Warning] = UserWarning) -> None:
    """Issue a warning attributed to the nearest scikit-learn frame of the call.

    Parameters
    ----------
    message : str or Warning
        The warning's message (or a warning instance).
    category : type of Warning, default=UserWarning
        Its category.
    """
    warnings.warn(message, category, stacklevel=sklearn_stacklevel())
