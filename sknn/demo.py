"""A two-minute tour: fit, score and compare with scikit-learn's MLP.

Run with ``python -m sknn.demo``. Uses only data that ships with scikit-learn.
"""

from __future__ import annotations

import time
import warnings

from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import NeuralNetClassifier, NeuralNetRegressor


def _fit_score(model, X_train, X_test, y_train, y_test) -> tuple[float, float]:
    tic = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return model.score(X_test, y_test), time.perf_counter() - tic


def main() -> None:
    """Print a comparison table on three scikit-learn data sets."""
    tasks = [
        ("breast_cancer", load_breast_cancer, NeuralNetClassifier, MLPClassifier, "accuracy"),
        ("digits", load_digits, NeuralNetClassifier, MLPClassifier, "accuracy"),
        ("diabetes", load_diabetes, NeuralNetRegressor, MLPRegressor, "R^2"),
    ]
    print(
        f"{'data set':<14} {'metric':<9} {'sknn':>7} {'sklearn MLP':>12} {'sknn s':>7} {'MLP s':>7}"
    )
    for name, load, ours, theirs, metric in tasks:
        X, y = load(return_X_y=True)
        split = train_test_split(X, y, test_size=0.25, random_state=0)
        # sknn standardizes inputs itself; scikit-learn's MLP needs a scaler in front
        ours_score, ours_s = _fit_score(ours(random_state=0), *split)
        mlp = make_pipeline(StandardScaler(), theirs(max_iter=500, random_state=0))
        theirs_score, theirs_s = _fit_score(mlp, *split)
        print(
            f"{name:<14} {metric:<9} {ours_score:>7.3f} {theirs_score:>12.3f} "
            f"{ours_s:>7.2f} {theirs_s:>7.2f}"
        )
    clf = NeuralNetClassifier(random_state=0).fit(*load_breast_cancer(return_X_y=True))
    print(
        f"\nbreast_cancer, full fit: {clf.n_iter_} epochs, best epoch {clf.best_epoch_}, "
        f"validation accuracy {clf.best_validation_score_:.3f}; history_ has "
        f"{len(clf.history_)} rows with keys {sorted(clf.history_[0])}"
    )


if __name__ == "__main__":
    main()
