"""Targets as the networks train on them: class codes, class weights, standardized values."""

from __future__ import annotations

import numpy as np
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from sknn.sklearn_glue.targets import check_labels


def label_kind(y, estimator_name: str) -> str:
    """``"multilabel"`` for a 0/1 indicator matrix, ``"single"`` for binary or multiclass."""
    check_classification_targets(y)
    kind = type_of_target(y, input_name="y")
    if kind == "multilabel-indicator":
        return "multilabel"
    if kind not in ("binary", "multiclass"):
        raise ValueError(
            f"{estimator_name} supports binary, multiclass and multilabel targets, got "
            f"{kind!r} targets."
        )
    return "single"


def class_codes(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Each label's index in ``classes``; labels outside ``classes`` are an error."""
    unseen = np.setdiff1d(np.unique(y), classes)
    if len(unseen):
        raise ValueError(
            f"y contains labels not seen in the first fit / the `classes` argument: "
            f"{unseen.tolist()}; known classes are {classes.tolist()}."
        )
    return np.searchsorted(classes, y).astype(np.int64)


def class_weight_factors(class_weight, classes: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per-sample factors from ``class_weight`` (a dict or ``"balanced"``)."""
    if class_weight == "balanced":
        present = np.unique(codes)
        per_class = np.ones(len(classes))
        per_class[present] = compute_class_weight(
            "balanced", classes=classes[present], y=classes[codes]
        )
        return per_class[codes]
    unknown = set(class_weight) - set(classes.tolist())
    if unknown:
        raise ValueError(
            f"class_weight names labels {sorted(unknown, key=str)} that are not in the "
            f"classes {classes.tolist()}."
        )
    return np.array([class_weight.get(c, 1.0) for c in classes.tolist()])[codes]


def check_partial_fit_call(class_weight, classes, y, fitted_classes) -> None:
    """Refuse what one ``partial_fit`` call cannot do before it trains.

    ``class_weight="balanced"`` needs the whole target; the first call needs
    ``classes`` for single-label targets; later calls may not change them.
    """
    if isinstance(class_weight, str) and class_weight == "balanced":
        raise ValueError(
            'class_weight="balanced" is not supported by partial_fit: each call sees '
            "only its own rows, so the classes would be balanced call by call. Compute "
            "the weights once from the whole target, e.g. dict(zip(classes, "
            'compute_class_weight("balanced", classes=classes, y=y_all))) with '
            "sklearn.utils.class_weight.compute_class_weight, and pass that dict as "
            "class_weight."
        )
    if classes is not None:
        check_labels(classes, "classes")
    if fitted_classes is None:
        if classes is None and np.ndim(y) == 1:
            raise ValueError(
                "classes must be passed on the first call to partial_fit, e.g. "
                "partial_fit(X, y, classes=np.unique(y_all))."
            )
    elif classes is not None and not np.array_equal(np.unique(classes), fitted_classes):
        raise ValueError(
            f"classes={np.unique(classes).tolist()!r} differs from the classes of the first "
            f"call to partial_fit, {np.asarray(fitted_classes).tolist()!r}. A model's "
            "classes are fixed at its first partial_fit; call fit to start again with "
            "other classes."
        )


def standardization(y: np.ndarray, sample_weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and standard deviation of each target column (1 where constant)."""
    mean = np.average(y, axis=0, weights=sample_weight)
    scale = np.sqrt(np.average((y - mean) ** 2, axis=0, weights=sample_weight))
    return mean, np.where(scale > 1e-12 * np.maximum(1.0, np.abs(mean)), scale, 1.0)
