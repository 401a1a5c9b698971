"""An exported graph in onnxruntime against the estimator's own predict_proba.

A default ``NeuralNetClassifier`` fitted on ``load_breast_cancer`` (30
numeric columns, as an array), exported with ``sknn.onnx.to_onnx``; both
answer 1 row and 10,000 rows (the data repeated), alternating, and the table
gives medians and the largest probability difference.

    python benchmarks/onnx_speed.py    # writes benchmarks/results/onnx.md
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from sklearn.datasets import load_breast_cancer

from sknn import NeuralNetClassifier
from sknn.onnx import to_onnx

sys.path.insert(0, str(Path(__file__).parent))
from speed_search import time_calls  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def main(repeats: int = 7) -> int:
    X, y = load_breast_cancer(return_X_y=True)
    model = NeuralNetClassifier(random_state=0).fit(X, y)
    session = ort.InferenceSession(to_onnx(model, X[:5]).SerializeToString())

    def onnx_proba(rows):
        return session.run(["probabilities"], {"X": rows.astype(np.float32)})[0]

    lines = [
        "# Exported ONNX graph against predict_proba",
        "",
        f"Measured {time.strftime('%Y-%m-%d')}, onnxruntime {ort.__version__}, default "
        "NeuralNetClassifier on breast_cancer (30 numeric columns); medians of "
        f"{repeats} alternating repeats. Command: `python benchmarks/onnx_speed.py`.",
        "",
        "| rows | predict_proba ms | onnxruntime ms | onnx / sknn | max abs difference |",
        "|---|---|---|---|---|",
    ]
    for rows, inner in ((X[:1], 200), (np.tile(X, (18, 1))[:10_000], 3)):
        diff = np.abs(onnx_proba(rows) - model.predict_proba(rows)).max()
        ours, theirs = [], []
        for _ in range(repeats):
            ours.append(time_calls(model.predict_proba, rows, inner))
            theirs.append(time_calls(onnx_proba, rows, inner))
        a, b = statistics.median(ours), statistics.median(theirs)
        lines.append(
            f"| {len(rows):,} | {a * 1e3:.3f} | {b * 1e3:.3f} | {b / a:.2f}x | {diff:.1e} |"
        )
        print(lines[-1], flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "onnx.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
