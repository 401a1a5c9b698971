"""A two-minute tour: fit, score and compare with scikit-learn's MLP.

Run with ``python -m sknn.demo``. Uses only data that ships with scikit-learn.
"""

from __future__ import annotations

import warnings

from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import NeuralNetClassifier, NeuralNetRegressor


def _cv_score(model, X, y) -> tuple[float, float]:
    """Mean 5-fold score and mean fit seconds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = cross_validate(model, X, y, cv=5)
    return result["test_score"].mean(), result["fit_time"].mean()


def main() -> None:
    """Print a comparison table on three scikit-learn data sets."""
    tasks = [
        ("breast_cancer", load_breast_cancer, NeuralNetClassifier, MLPClassifier, "accuracy"),
        ("digits", load_digits, NeuralNetClassifier, MLPClassifier, "accuracy"),
        ("diabetes", load_diabetes, NeuralNetRegressor, MLPRegressor, "R^2"),
    ]
    print("5-fold cross-validation on data sets that ship with scikit-learn\n")
    print(
        f"{'data set':<14} {'metric':<9} {'sknn':>7} {'sklearn MLP':>12} "
        f"{'sknn fit s':>11} {'MLP fit s':>10}"
    )
    for name, load, ours, theirs, metric in tasks:
        X, y = load(return_X_y=True)
        # sknn scales its inputs itself; scikit-learn's MLP needs a scaler in front
        ours_score, ours_s = _cv_score(ours(random_state=0), X, y)
        mlp = make_pipeline(StandardScaler(), theirs(max_iter=500, random_state=0))
        theirs_score, theirs_s = _cv_score(mlp, X, y)
        print(
            f"{name:<14} {metric:<9} {ours_score:>7.3f} {theirs_score:>12.3f} "
            f"{ours_s:>11.2f} {theirs_s:>10.2f}"
        )
    clf = NeuralNetClassifier(random_state=0).fit(*load_breast_cancer(return_X_y=True))
    print(
        f"\nbreast_cancer, full fit: {clf.n_iter_} epochs, best epoch {clf.best_epoch_}, "
        f"validation accuracy {clf.best_validation_score_:.3f}; history_ has "
        f"{len(clf.history_)} rows with keys {sorted(clf.history_[0])}"
    )


if __name__ == "__main__":
    main()
