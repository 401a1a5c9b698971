"""Write the saved models that tests/test_saved_models.py loads.

The committed files were written by this script at commit c3b3714, the last
main before the flagship estimators moved from the package root into
``sknn.neural_net``: their pickles and skops files name the old modules
(``sknn.classifier``, ``sknn.regressor``). Rerunning it writes files of
today's layout, which is not what those tests are for; keep the committed
ones. Only public names are used, so the inputs below stay reproducible.

Run from the repository root: ``python tests/data/saved_before_layout_move/write.py``.
"""

from __future__ import annotations

import pickle
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.datasets import load_breast_cancer, load_diabetes

from sknn import MLPClassifier, NeuralNetClassifier, NeuralNetRegressor

HERE = Path(__file__).resolve().parent


def classification_frame() -> tuple[pd.DataFrame, pd.Series]:
    """Breast cancer with a categorical column, a string column and missing values."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :8].copy()
    X["size"] = pd.cut(X["mean area"], [0, 500, 1000, 5000], labels=["small", "mid", "large"])
    X["ward"] = pd.Series(np.array(["a", "b", "c", None], dtype=object)[np.arange(len(X)) % 4])
    X.loc[::7, "mean texture"] = np.nan
    return X, y


def regression_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Diabetes with two targets (the second a rescaled copy plus the first feature)."""
    X, y = load_diabetes(return_X_y=True)
    return X, np.column_stack([y, 0.01 * y + 10 * X[:, 0]])


def fitted_models() -> dict[str, object]:
    small = {"hidden_layer_sizes": (16,), "max_iter": 4, "random_state": 0}
    X, y = classification_frame()
    Xr, yr = regression_arrays()
    return {
        "classifier": NeuralNetClassifier(n_ensemble=2, **small).fit(X, y),
        "regressor": NeuralNetRegressor(n_ensemble=2, **small).fit(Xr, yr),
        "mlp_classifier": MLPClassifier(**small).fit(X.iloc[:, :8].fillna(0).to_numpy(), y),
    }


def predictions(name: str, model) -> dict[str, np.ndarray]:
    X, _ = classification_frame()
    Xr, _ = regression_arrays()
    if name == "classifier":
        return {"predict": model.predict(X), "predict_proba": model.predict_proba(X)}
    if name == "regressor":
        return {"predict": model.predict(Xr)}
    Xm = X.iloc[:, :8].fillna(0).to_numpy()
    return {"predict": model.predict(Xm), "predict_proba": model.predict_proba(Xm)}


def main() -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    expected = {}
    for name, model in fitted_models().items():
        (HERE / f"{name}.pkl").write_bytes(pickle.dumps(model))
        sio.dump(model, HERE / f"{name}.skops")
        for method, values in predictions(name, model).items():
            expected[f"{name}.{method}"] = values
    np.savez(HERE / "expected.npz", commit=np.array(commit), **expected)
    print(f"wrote {sorted(p.name for p in HERE.iterdir())} at {commit}")


if __name__ == "__main__":
    main()
