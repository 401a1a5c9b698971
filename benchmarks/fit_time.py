"""How long a default fit takes on a laptop-sized table, and what changes it.

Fits ``NeuralNetClassifier`` on 20,000 rows x 20 numeric columns
(``make_classification``, seed 0) with its defaults and with the switches
that drive the cost: early stopping (on by default) against a full
``max_iter`` epochs, ``n_ensemble`` (4 members by default on these rows) against 1, and the
previous defaults (two hidden layers of 256 with periodic embeddings,
``max_iter=200``, ``n_iter_no_change=10``). Reports
wall seconds, epochs and seconds per epoch (median of the repeats), with
torch's default threads, into ``benchmarks/results/fit_time.md``.

    python benchmarks/fit_time.py
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time

import torch
from sklearn.datasets import make_classification

import sknn
from sknn import NeuralNetClassifier

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
CASES = [
    ('defaults (early stopping; n_ensemble="auto": 4 members on these rows)', {}),
    (
        "previous defaults (two hidden layers of 256, periodic embeddings, max_iter=200, "
        "n_iter_no_change=10)",
        {
            "hidden_layer_sizes": (256, 256),
            "numeric_embedding": "periodic",
            "max_iter": 200,
            "n_iter_no_change": 10,
        },
    ),
    ("n_ensemble=1", {"n_ensemble": 1}),
    ("early_stopping=False (stops when the training loss stalls)", {"early_stopping": False}),
    ("early_stopping=False, max_iter=200", {"early_stopping": False, "max_iter": 200}),
]


def main() -> int:
    X, y = make_classification(n_samples=20_000, n_features=20, n_informative=10, random_state=0)
    lines = [
        "# Default fit time: 20,000 rows x 20 columns",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with "
        f"{os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} "
        f"threads), sknn {sknn.__version__}. Command: `python benchmarks/fit_time.py`. "
        "`NeuralNetClassifier(random_state=r, **changes)` on `make_classification("
        "20_000, 20, n_informative=10)`; median of 3 fits (seeds 0-2) for the cases that "
        "stop early, 1 fit for the full-length ones.",
        "",
        "| setting | fit seconds | epochs | seconds / epoch | best validation accuracy |",
        "|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for label, changes in CASES:
        repeats = 1 if changes.get("early_stopping") is False else 3
        runs = []
        for seed in range(repeats):
            tic = time.perf_counter()
            clf = NeuralNetClassifier(random_state=seed, **changes).fit(X, y)
            seconds = time.perf_counter() - tic
            runs.append((seconds, clf.n_iter_, clf.best_validation_score_))
        seconds = statistics.median(r[0] for r in runs)
        epochs = statistics.median(r[1] for r in runs)
        valid = [r[2] for r in runs if r[2] is not None]
        shown = f"{statistics.median(valid):.4f}" if valid else "n/a (no validation split)"
        row = f"| {label} | {seconds:.1f} | {epochs:g} | {seconds / epochs:.2f} | {shown} |"
        print(row, flush=True)
        lines.append(row)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "fit_time.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
