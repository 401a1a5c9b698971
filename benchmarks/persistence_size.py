"""File sizes of a fitted default model saved with pickle, joblib and skops.

A default ``NeuralNetClassifier`` fitted on ``load_breast_cancer`` (30
numeric columns) and a default ``NeuralNetRegressor`` on the raw ``ames``
table (categories and missing values), each saved three ways; the load is
checked to give identical predictions.

    python benchmarks/persistence_size.py   # writes benchmarks/results/persistence_size.md
"""

from __future__ import annotations

import io
import os
import pickle
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import skops.io as sio
from sklearn.datasets import load_breast_cancer

from sknn import NeuralNetClassifier, NeuralNetRegressor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from datasets import load_ames  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def sizes(model, X) -> dict[str, int]:
    expected = model.predict(X)
    out = {}
    data = pickle.dumps(model)
    assert np.array_equal(pickle.loads(data).predict(X), expected)
    out["pickle"] = len(data)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    out["joblib"] = buffer.tell()
    buffer.seek(0)
    assert np.array_equal(joblib.load(buffer).predict(X), expected)
    data = sio.dumps(model)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert np.array_equal(loaded.predict(X), expected)
    out["skops"] = len(data)
    return out


def main() -> int:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    Xa, ya = load_ames()
    cases = {
        "NeuralNetClassifier(), breast_cancer": (NeuralNetClassifier(random_state=0), X, y),
        "NeuralNetRegressor(), ames (raw table)": (NeuralNetRegressor(random_state=0), Xa, ya),
    }
    lines = [
        "# Saved model sizes",
        "",
        f"Measured {time.strftime('%Y-%m-%d')}. Command: `python benchmarks/persistence_size.py`. "
        "Each model is loaded back and predicts identically in every format.",
        "",
        "| model | parameters | pickle KB | joblib KB | skops KB | skops / pickle |",
        "|---|---|---|---|---|---|",
    ]
    for label, (model, X_, y_) in cases.items():
        model.fit(X_, y_)
        n_params = sum(p.numel() for p in model.module_.parameters())
        s = sizes(model, X_)
        lines.append(
            f"| {label} | {n_params:,} | {s['pickle'] / 1e3:.0f} | {s['joblib'] / 1e3:.0f} "
            f"| {s['skops'] / 1e3:.0f} | {s['skops'] / s['pickle']:.2f}x |"
        )
        print(lines[-1], flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "persistence_size.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
