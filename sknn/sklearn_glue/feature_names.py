"""Feature names and counts of a plain array, checked as scikit-learn checks them, cheaply."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import _check_feature_names, _check_n_features


def check_array_features(owner: BaseEstimator, X: np.ndarray) -> None:
    """scikit-learn's feature-name and feature-count checks of a plain 2-D array, cheaply.

    An array has no feature names, so scikit-learn's name check can only warn,
    and only when ``owner`` was fitted with names; it runs only then (looking
    for names costs more than the rest of a one-row prediction).
    """
    if hasattr(owner, "feature_names_in_"):
        _check_feature_names(owner, X, reset=False)
    _check_n_features(owner, X, reset=False)
