"""Find every public estimator of the package, so checks cover new ones too."""

from __future__ import annotations

import inspect

from sklearn.base import BaseEstimator


def all_estimators() -> list[tuple[str, type[BaseEstimator]]]:
    """Return ``(name, class)`` for every estimator exported by :mod:`sknn`."""
    import sknn

    found = []
    for name in sknn.__all__:
        obj = getattr(sknn, name)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator) and not inspect.isabstract(obj):
            found.append((name, obj))
    return sorted(found)
