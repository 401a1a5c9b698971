"""Targets as the networks train on them: class codes, class weights, standardized values."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from sknn.preprocessing._user_warnings import warn_user
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


def multilabel_indicators(y, n_labels: int) -> np.ndarray:
    """A multilabel target as float32 0/1 indicators, one column per label (sparse too).

    scikit-learn calls any two-valued integer matrix an indicator; values other
    than 0 and 1 would train the logistic loss on targets it has no bound for.
    """
    y = y.toarray() if sp.issparse(y) else np.asarray(y)
    if y.ndim != 2 or y.shape[1] != n_labels:
        raise ValueError(
            f"y has shape {y.shape} but this model was fitted on multilabel "
            f"targets with {n_labels} columns."
        )
    values = np.unique(y)
    if not np.isin(values, [0, 1]).all():
        raise ValueError(
            f"Multilabel targets must be 0/1 (or bool) indicators, one column per label; "
            f"y holds {values.tolist()}. Convert it first, e.g. y = (y == {values.tolist()[-1]!r})"
            ".astype(int)."
        )
    return y.astype(np.float32)


def by_class_weight(sample_weight, class_weight, classes: np.ndarray, codes: np.ndarray):
    """``sample_weight`` times each row's ``class_weight``, which must leave some weight."""
    weighted = sample_weight * class_weight_factors(class_weight, classes, codes)
    if not weighted.sum() > 0:
        raise ValueError(
            "sample_weight times class_weight sums to zero: class_weight gives every "
            "class in y a weight of 0."
        )
    return weighted


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
    bad = {
        key: value
        for key, value in class_weight.items()
        if not (isinstance(value, Real) and _finite_and_not_negative(value))
    }
    if bad:
        raise ValueError(
            f"class_weight values must be finite numbers of 0 or more (as sample_weight); "
            f"got {bad}."
        )
    return np.array([class_weight.get(c, 1.0) for c in classes.tolist()])[codes]


def check_partial_fit_call(class_weight, classes, y, fitted_classes, streamed: bool) -> None:
    """Refuse what one ``partial_fit`` call cannot do before it trains.

    ``class_weight="balanced"`` needs the whole target (a Dask collection,
    ``streamed``, is counted whole, exactly); the first call needs ``classes``
    for single-label targets; later calls may not change them.
    """
    if isinstance(class_weight, str) and class_weight == "balanced" and not streamed:
        raise ValueError(
            'class_weight="balanced" is not supported by partial_fit: each call sees '
            "only its own rows, so the classes would be balanced call by call. Compute "
            "the weights once from the whole target, e.g. dict(zip(classes, "
            'compute_class_weight("balanced", classes=classes, y=y_all))) with '
            "sklearn.utils.class_weight.compute_class_weight, and pass that dict as "
            "class_weight."
        )
    shape = y.shape if hasattr(y, "shape") else np.shape(y)
    if classes is not None:
        check_labels(classes, "classes")
        if np.ndim(classes) != 1:
            raise ValueError(f"classes must be 1-D, the labels; got shape {np.shape(classes)}.")
        if (
            len(shape) == 2
            and shape[1] > 1
            and not np.array_equal(np.unique(classes), np.arange(shape[1]))
        ):  # a multilabel y: its columns are the classes
            raise ValueError(
                f"For multilabel targets the classes are y's columns, 0 to {shape[1] - 1}; "
                "classes names others. Leave classes out."
            )
    if fitted_classes is None:
        if classes is None and (len(shape) == 1 or shape[1:] == (1,)):
            raise ValueError(
                "classes must be passed on the first call to partial_fit, e.g. "
                "partial_fit(X, y, classes=np.unique(y_all))."
            )
    elif classes is not None and not np.array_equal(np.unique(classes), fitted_classes):
        raise ValueError(
            f"classes={np.unique(classes).tolist()!r} differs from the fitted model's "
            f"classes, {np.asarray(fitted_classes).tolist()!r}. A model's classes are fixed "
            "by its first fit or partial_fit; call fit to start again with other classes."
        )


def _finite_and_not_negative(value: Real) -> bool:
    number = float(np.asarray(value, dtype=np.float64))
    return bool(np.isfinite(number)) and number >= 0


def unless_equal(weight) -> np.ndarray | None:
    """Row weights (numpy or torch) as a numpy array, or None when all are equal (or absent):
    statistics take their unweighted form then."""
    if weight is None:
        return None
    weight = np.asarray(weight.cpu() if hasattr(weight, "cpu") else weight, dtype=np.float64)
    return None if np.all(weight == weight.flat[0]) else weight


def standardization(y: np.ndarray, sample_weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and standard deviation of each target column (see :func:`usable_scale`)."""
    mean = np.average(y, axis=0, weights=sample_weight)
    # squared in units of a power of two near the largest deviation: the squares of
    # targets near 1e160 overflowed (an infinite scale, every prediction inf); a power of
    # two scales each square and sum exactly, so other targets' scales are unchanged
    deviation = y - mean
    top = np.max(np.abs(deviation), axis=0, initial=0.0)
    unit = np.exp2(np.floor(np.log2(np.where(top > 0, top, 1.0))))
    mean_square = np.average((deviation / unit) ** 2, axis=0, weights=sample_weight)
    return mean, usable_scale(unit * np.sqrt(mean_square), mean)


def usable_scale(scale: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Each target's scale where it is more than float64's rounding of its size (1e-14
    of it: y = 1 + 1e-13 * s was taken for a constant, R^2 -3.7e20); else its size, so
    that a constant target's prediction is off by the network's small output times its
    size (y = 1e-6 everywhere was predicted within 0.005, of either sign), or 1 at 0."""
    size = np.abs(center)
    return np.where(scale > 1e-14 * size, scale, np.where(size > 0, size, 1.0))


def plain_labels(y):
    """pandas' nullable booleans and integers (``"boolean"``, ``"Int64"``, pyarrow's; a
    missing label is refused before) as numpy's: scikit-learn reads them as floats, so
    the classes were 0.0 and 1.0 where the same labels from polars are False and True.
    Labels with a missing value are left as they are, for the check that refuses them."""
    dtypes = [getattr(y, "dtype", None)] if getattr(y, "ndim", 2) == 1 else []
    dtypes = list(y.dtypes) if isinstance(y, pd.DataFrame) else dtypes
    if not dtypes or not all(
        isinstance(d, pd.api.extensions.ExtensionDtype) and d.kind in "biu" for d in dtypes
    ):
        return y
    if np.any(pd.isna(y)):
        return y
    return y.to_numpy(dtype=np.result_type(*[d.numpy_dtype for d in dtypes]))


def warn_if_reordered(X, **paired) -> None:
    """Warn when a pandas ``y`` or ``sample_weight`` holds ``X``'s index labels in another
    order: its rows are paired by position (as scikit-learn pairs them), and X shuffled
    against y trained a model below a constant's accuracy without a word (the Dask path
    pairs them by index, and refuses indexes that differ)."""
    index = getattr(X, "index", None)
    if not isinstance(index, pd.Index):
        return
    for name, values in paired.items():
        other = getattr(values, "index", None)
        if not isinstance(other, pd.Index) or len(other) != len(index) or other.equals(index):
            continue
        if not (index.is_unique and other.sort_values().equals(index.sort_values())):
            continue  # other labels (a reset index): nothing says the positions differ
        first = int(np.flatnonzero(np.asarray(index != other))[0])
        warn_user(
            f"{name}'s index holds X's labels in another order, and rows are paired by "
            f"position, as scikit-learn pairs them: X's row {index[first]!r} meets the "
            f"{name} of row {other[first]!r}. Align it first: {name} = {name}.loc[X.index]."
        )
