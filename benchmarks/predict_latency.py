"""Prediction time on the row counts of scoring: a test fold, a grid search's scorer.

``predict_proba`` of a default ``NeuralNetClassifier`` (``max_iter=3``: the
cost of a prediction does not depend on the epochs) against scikit-learn's
``HistGradientBoostingClassifier`` and ``MLPClassifier`` (defaults,
``max_iter=20``), all fitted on 20,000 rows of ``make_classification`` with
20 and 100 numeric columns, at their default threads. Calls of up to 4,096
CPU rows run sknn's float64 copy of the network (in numpy); 4,097 rows and
more run the torch network in float32 (:mod:`sknn.nn.inference`).

Each cell is the median over 5 repeats of the mean time of back-to-back calls
(as many as make about 20,000 rows, 1 to 200), the three models alternating
within each repeat. Measured quiet, then beside a process that spins one of
the cores (an analyst's machine running something else).

    python benchmarks/predict_latency.py    # ~3 min; writes results/predict_latency.md
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.neural_network import MLPClassifier

from sknn import NeuralNetClassifier

sys.path.insert(0, str(Path(__file__).parent))
from speed_search import make_data, time_calls  # noqa: E402

RESULTS = Path(__file__).parent / "results"
ROWS = [1, 100, 1_000, 4_096, 4_097, 20_000]
COLUMNS = [20, 100]
REPEATS = 5


def fitted_models(n_columns: int) -> tuple[dict, np.ndarray]:
    X, y = make_data(20_000, n_columns, 2, seed=n_columns)
    models = {
        "sknn": NeuralNetClassifier(max_iter=3, random_state=0),
        "HGB": HistGradientBoostingClassifier(random_state=0),
        "sklearn MLP": MLPClassifier(max_iter=20, random_state=0),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the MLP's ConvergenceWarning at 20 epochs
        for model in models.values():
            model.fit(X, y)
    test, _ = make_data(20_000, n_columns, 2, seed=n_columns + 1)
    return models, test


def measure(models: dict, test: np.ndarray) -> dict[int, dict[str, float]]:
    """Milliseconds a call of ``predict_proba`` on each row count, per model."""
    table = {}
    for n in ROWS:
        rows, calls = test[:n], max(1, min(200, 20_000 // n))
        for model in models.values():
            model.predict_proba(rows)  # a first call builds sknn's float64 copy
        times: dict[str, list[float]] = {name: [] for name in models}
        for _ in range(REPEATS):
            for name, model in models.items():
                times[name].append(time_calls(model.predict_proba, rows, calls))
        table[n] = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    return table


def main() -> int:
    fitted = {p: fitted_models(p) for p in COLUMNS}
    results = {}
    for condition in ("quiet", "one core spinning"):
        spinner = None
        if condition != "quiet":
            spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(1.0)
        try:
            for p in COLUMNS:
                results[condition, p] = measure(*fitted[p])
        finally:
            if spinner is not None:
                spinner.kill()
                spinner.wait()
    import sklearn
    import threadpoolctl
    import torch

    versions = (
        f"torch {torch.__version__}, numpy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, threadpoolctl {threadpoolctl.__version__}"
    )
    lines = [
        "# Prediction time on the row counts of scoring",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/predict_latency.py` "
        f"({os.cpu_count()} CPUs, {versions}; see its docstring). All calls from the main "
        "thread. Milliseconds a `predict_proba` call, medians of "
        f"{REPEATS} alternating repeats; models fitted on 20,000 rows. sknn runs up to 4,096 "
        "rows in float64 (numpy), more in float32 (torch).",
        "",
    ]
    for condition in ("quiet", "one core spinning"):
        lines += [
            f"## {condition.capitalize()}",
            "",
            "| columns | rows | sknn ms | HGB ms | sklearn MLP ms | sknn / HGB | sknn / MLP |",
            "|---|---|---|---|---|---|---|",
        ]
        for p in COLUMNS:
            for n, ms in results[condition, p].items():
                lines.append(
                    f"| {p} | {n:,} | {ms['sknn']:.2f} | {ms['HGB']:.2f} | "
                    f"{ms['sklearn MLP']:.2f} | {ms['sknn'] / ms['HGB']:.2f}x | "
                    f"{ms['sknn'] / ms['sklearn MLP']:.2f}x |"
                )
        lines.append("")
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "predict_latency.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
