"""scikit-learn's method decorators, as type checkers should read them.

scikit-learn ships no type information, so to a type checker a method
decorated with its ``_fit_context`` or ``available_if`` is ``Any``, and the
method's signature vanishes for the user. Both keep the signature they wrap
(``functools.wraps``); here they are declared to do so, for type checkers
only: at run time they are scikit-learn's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    Method = TypeVar("Method", bound=Callable[..., Any])

    def fit_context(*, prefer_skip_nested_validation: bool) -> Callable[[Method], Method]:
        """scikit-learn's ``_fit_context``: validates parameters, then fits."""
        ...

    def available_if(check: Callable[[Any], Any]) -> Callable[[Method], Method]:
        """scikit-learn's ``available_if``: the method exists where ``check`` is true."""
        ...

else:
    from sklearn.base import _fit_context as fit_context
    from sklearn.utils.metaestimators import available_if

__all__ = ["available_if", "fit_context"]
