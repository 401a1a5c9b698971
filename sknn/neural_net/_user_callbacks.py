"""The user's ``callbacks``: checked before training, joined with the progress bar."""

from __future__ import annotations

from sknn.training import Callback, ProgressBar
from sknn.training.early_stopping import EarlyStopping

_HOOKS = (
    "on_train_begin",
    "on_epoch_begin",
    "on_batch_begin",
    "on_batch_end",
    "on_epoch_end",
    "on_train_end",
)


def check_callbacks(est) -> None:
    """Refuse, before training, a ``callbacks`` entry that is not an sknn callback."""
    given = est.callbacks
    if given is None:
        return
    if isinstance(given, Callback) or not isinstance(given, (list, tuple)):
        raise TypeError(
            f"callbacks must be a list of sknn.training.Callback objects, got "
            f"{type(given).__name__}; wrap it in a list: callbacks=[...]."
        )
    for i, hook in enumerate(given):
        if isinstance(hook, type):  # its hooks are functions: callable, yet unbound
            raise TypeError(
                f"callbacks[{i}] is the class {hook.__qualname__}, not a callback: pass an "
                f"instance, callbacks=[{hook.__qualname__}()]."
            )
        if isinstance(hook, EarlyStopping):
            raise TypeError(
                f"callbacks[{i}] is a {type(hook).__qualname__}, which the estimator builds "
                "itself: set early_stopping=True, n_iter_no_change and tol instead (a "
                "callback whose on_epoch_end returns True stops training too)."
            )
        if isinstance(hook, Callback) or all(callable(getattr(hook, h, None)) for h in _HOOKS):
            continue
        kind = type(hook)
        raise TypeError(
            f"callbacks[{i}] is a {kind.__module__}.{kind.__qualname__}, not an "
            "sknn.training.Callback (subclass it and override the hooks you need). "
            "scikit-learn's own callbacks (sklearn.callback) are not sknn callbacks: "
            "give those to est.set_callbacks(...)."
        )


def callbacks(est, incremental: bool) -> list[Callback]:
    """The fit's callbacks: the progress bar ``verbose`` asks for, then the user's."""
    # partial_fit's one epoch a call: its line (no bar), as scikit-learn's MLP prints
    shown = [ProgressBar(est.verbose >= 2 or incremental, bar=not incremental)]
    return [*(shown if est.verbose else []), *(est.callbacks or [])]
