"""What a fit keeps when it ends: the weights restored, and the warnings that say why.

After a divergence, the best epoch's weights (or an error when no good epoch was
recorded); with validation rows, the best epoch's; after an interruption, the
best epoch's as well, and an interruption before any epoch of the fit finished
is raised again, so that the estimator stays as it was before the fit.
"""

from __future__ import annotations

import warnings

from sknn.training import EarlyStopping, Trainer


def keep_weights(est, trainer: Trainer, stopper: EarlyStopping, *, has_valid: bool) -> None:
    """Load the weights the fit keeps into ``est.module_``, warning of anything unusual.

    Parameters
    ----------
    est : NeuralNetClassifier or NeuralNetRegressor
        The estimator being fitted (``module_``, ``history_`` and
        ``learning_rate_`` set).
    trainer : Trainer
        The trainer that ran the epochs.
    stopper : EarlyStopping
        The best epoch and its weights.
    has_valid : bool
        Whether validation rows judged the epochs.

    Raises
    ------
    ValueError
        When the fit diverged before a good epoch was recorded.
    KeyboardInterrupt
        When the fit was interrupted before any of its epochs finished (or the
        callback's :class:`~sknn.training.TrainingInterrupted`).
    """
    last = est.history_[-1]["epoch"] if est.history_ else 0
    if trainer.diverged:
        lower = f"lower learning_rate (now {est.learning_rate_:g})"
        if not stopper.restore(est.module_):  # the fit's caller restores the model before
            raise ValueError(
                f"Training diverged in epoch {last} ({trainer.divergence}) before any "
                f"good epoch was recorded; {lower}, or check X and y for extreme values."
            )
        warnings.warn(
            f"Training diverged in epoch {last} ({trainer.divergence}); the weights of "
            f"epoch {stopper.best_epoch} were restored. To train further, {lower}.",
            RuntimeWarning,
            stacklevel=4,
        )
    elif trainer.interrupted is not None and (stopper.best_epoch is None or not trainer.finished):
        raise trainer.interrupted  # no epoch finished: the fit's caller restores the model
    elif has_valid or trainer.interrupted is not None:
        stopper.restore(est.module_)  # without validation rows: the lowest training loss
    if trainer.interrupted is not None:
        judged = "" if has_valid else ", the lowest training loss"
        cause = str(trainer.interrupted) or type(trainer.interrupted).__name__
        warnings.warn(
            f"Training interrupted by {cause} in epoch {trainer.epoch}; keeping the weights "
            f"of its best epoch ({stopper.best_epoch}{judged}).",
            RuntimeWarning,
            stacklevel=4,
        )


def record_validation_scores(
    est, trainer: Trainer, stopper: EarlyStopping, *, has_valid: bool
) -> None:
    """Set ``validation_scores_`` and ``best_validation_score_`` from ``est.history_``.

    The scores measured, also before a warm start or a ``partial_fit`` without
    validation (kept, as scikit-learn's MLP keeps them), never the None of an
    epoch without; the best one is the kept epoch's, or the starting weights'
    as judged on this fit's rows when a warm start kept them.

    Parameters
    ----------
    est : NeuralNetClassifier or NeuralNetRegressor
        The estimator being fitted (``history_`` complete).
    trainer : Trainer
        The trainer that ran the epochs.
    stopper : EarlyStopping
        The best epoch.
    has_valid : bool
        Whether validation rows judged the epochs.
    """
    scores = [r["valid_score"] for r in est.history_ if r.get("valid_score") is not None]
    est.validation_scores_ = scores or None
    if has_valid:
        best = [r for r in est.history_ if r["epoch"] == stopper.best_epoch]
        if trainer.start_record and stopper.best_epoch == trainer.start_epoch:
            best = [trainer.start_record]  # the start, kept: as judged on these rows
        est.best_validation_score_ = best[0]["valid_score"] if best else None
    else:
        kept = getattr(est, "best_validation_score_", None)  # measured before, if any
        est.best_validation_score_ = kept if scores else None
