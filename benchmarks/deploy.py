"""Serving an exported graph in onnxruntime against the estimator's own predictions.

Two default ``NeuralNetClassifier`` models, each exported with
``sknn.onnx.to_onnx``: one on ``load_breast_cancer`` (30 numeric columns, an
array, one float input) and one on modeldata's ``credit_data`` (a DataFrame
with integer, categorical and missing values: one input per column). Each
answers 1 row and 100,000 rows (drawn with replacement), sknn's
``predict_proba`` and onnxruntime alternating; the table gives medians, the
largest probability difference and the size of the ONNX file against the
pickled estimator. onnxruntime is timed on ready input arrays
(``sknn.onnx.input_feed`` builds them once, as a service's own code would).

    python benchmarks/deploy.py    # writes benchmarks/results/deploy.md
"""

from __future__ import annotations

import pickle
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
from sklearn.datasets import load_breast_cancer

from sknn import NeuralNetClassifier
from sknn.onnx import input_feed, to_onnx

sys.path.insert(0, str(Path(__file__).parent))
from datasets import load_credit_data  # noqa: E402
from speed_search import time_calls  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def _rows(X, n: int, seed: int = 0):
    idx = np.random.default_rng(seed).integers(0, len(X), n)
    return X.iloc[idx].reset_index(drop=True) if isinstance(X, pd.DataFrame) else X[idx]


def measure(name: str, X, y, repeats: int) -> list[str]:
    model = NeuralNetClassifier(random_state=0).fit(X, y)
    exported = to_onnx(model)
    graph = exported.SerializeToString()
    session = ort.InferenceSession(graph)
    sizes = f"{len(graph) / 1e6:.2f} MB ONNX, {len(pickle.dumps(model)) / 1e6:.2f} MB pickle"
    lines = []
    for n, inner in ((1, 200), (100_000, 1)):
        rows = _rows(X, n)
        feed = input_feed(rows, model=exported)
        diff = np.abs(session.run(["probabilities"], feed)[0] - model.predict_proba(rows)).max()
        ours, theirs = [], []
        for _ in range(repeats):
            ours.append(time_calls(model.predict_proba, rows, inner))
            theirs.append(time_calls(lambda f: session.run(["probabilities"], f), feed, inner))
        a, b = statistics.median(ours), statistics.median(theirs)
        lines.append(
            f"| {name} | {n:,} | {a * 1e3:.3f} | {b * 1e3:.3f} | {b / a:.2f}x | {diff:.1e} "
            f"| {sizes} |"
        )
        print(lines[-1], flush=True)
    return lines


def main(repeats: int = 7) -> int:
    lines = [
        "# Serving the exported ONNX graph against predict_proba",
        "",
        f"Measured {time.strftime('%Y-%m-%d')}, onnxruntime {ort.__version__}, default "
        f"NeuralNetClassifier; medians of {repeats} alternating repeats (1 row: mean of 200 "
        "calls each). Command: `python benchmarks/deploy.py`.",
        "",
        "| data | rows | predict_proba ms | onnxruntime ms | onnx / sknn | max abs difference "
        "| file size |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += measure("breast_cancer (array)", *load_breast_cancer(return_X_y=True), repeats)
    lines += measure("credit_data (DataFrame)", *load_credit_data(), repeats)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "deploy.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
