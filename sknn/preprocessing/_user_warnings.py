"""Warnings about the user's columns, pointed at the user's own line of code."""

from __future__ import annotations

import sys
import warnings
from types import FrameType

# a warning points past these (joblib runs scikit-learn's searches; skops, copyreg and
# copy call __getstate__ when a model is saved or copied, skops through functools)
_LIBRARIES = frozenset({"sknn", "sklearn", "joblib", "skops", "copyreg", "copy", "functools"})


def caller_stacklevel() -> int:
    """``stacklevel`` that points a warning at the first frame outside sknn, sklearn and
    the libraries that call them (see ``_LIBRARIES``)."""
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] in _LIBRARIES:
        frame, level = frame.f_back, level + 1
    return level


def warn_user(message: str) -> None:
    """A ``UserWarning`` with ``message``, shown at the user's line that led here."""
    warnings.warn(message, UserWarning, stacklevel=caller_stacklevel())
