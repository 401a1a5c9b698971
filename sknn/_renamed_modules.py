"""Old module paths that saved files name, kept importable after the modules moved.

A pickle or a skops file names each object's class by the module that
defined it when the file was written. Before the flagship estimators moved
into :mod:`sknn.neural_net`, those were ``sknn.classifier`` and
``sknn.regressor``; :data:`RENAMED` maps each old path to its new one, and a
finder on ``sys.meta_path`` answers an import of an old path with a module
that forwards every attribute to the new one. Nothing is imported or bound
until something asks for an old path, so ``sknn``'s namespace stays as it is.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types

RENAMED = {
    "sknn.classifier": "sknn.neural_net._classifier",
    "sknn.regressor": "sknn.neural_net._regressor",
}


class _Forwarding(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old paths of :data:`RENAMED` and loads each as a forwarding module."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in RENAMED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec):
        return None  # the default: an empty module, filled by exec_module

    def exec_module(self, module: types.ModuleType) -> None:
        target = importlib.import_module(RENAMED[module.__name__])
        module.__doc__ = f"Moved to :mod:`{target.__name__}`; kept for files saved before."
        module.__getattr__ = lambda name: getattr(target, name)  # type: ignore[method-assign]


def install() -> None:
    """Put the finder on ``sys.meta_path`` once (importing :mod:`sknn` calls this)."""
    if not any(isinstance(finder, _Forwarding) for finder in sys.meta_path):
        sys.meta_path.append(_Forwarding())
