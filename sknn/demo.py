"""A two-minute tour: fit, score and compare with scikit-learn's MLP and gradient boosting.

Run with ``python -m sknn.demo``. Uses only data that ships with scikit-learn.
"""

from __future__ import annotations

import warnings

from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
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
        ("breast_cancer", load_breast_cancer, "clf", "accuracy"),
        ("digits", load_digits, "clf", "accuracy"),
        ("diabetes", load_diabetes, "reg", "R^2"),
    ]
    print("5-fold cross-validation on data sets that ship with scikit-learn")
    print("(score, and mean fit seconds in brackets)\n")
    print(f"{'data set':<14} {'metric':<9} {'sknn':>15} {'sklearn MLP':>15} {'HistGB':>15}")
    for name, load, task, metric in tasks:
        X, y = load(return_X_y=True)
        clf = task == "clf"
        models = [
            (NeuralNetClassifier if clf else NeuralNetRegressor)(random_state=0),
            # scikit-learn's MLP needs a scaler in front; sknn scales its inputs itself
            make_pipeline(
                StandardScaler(),
                (MLPClassifier if clf else MLPRegressor)(max_iter=500, random_state=0),
            ),
            (HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor)(
                random_state=0
            ),
        ]
        cells = [f"{s:.3f} ({t:5.2f})" for s, t in (_cv_score(m, X, y) for m in models)]
        print(f"{name:<14} {metric:<9} " + " ".join(f"{c:>15}" for c in cells))
    clf = NeuralNetClassifier(random_state=0).fit(*load_breast_cancer(return_X_y=True))
    print(
        f"\nbreast_cancer, full fit: {clf.n_iter_} epochs, best epoch {clf.best_epoch_}, "
        f"validation accuracy {clf.best_validation_score_:.3f}; history_ has "
        f"{len(clf.history_)} rows with keys {sorted(clf.history_[0])}"
    )


if __name__ == "__main__":
    main()
