"""The same small grid search serially, on loky's 2 workers, and on a 2-worker Dask cluster.

A ``GridSearchCV`` of 4 ``NeuralNetClassifier`` candidates (otherwise defaults) x 3
folds on ``load_breast_cancer`` (12 fits and the refit): wall seconds of each
engine, and whether their ``cv_results_`` scores equal the serial ones (largest
difference). The Dask cluster is one of worker processes with one thread each
(``LocalCluster(n_workers=2, threads_per_worker=1)``), started before timing:
its start-up is listed on its own. On this 2-core machine the parallel engines
can at best halve the time.

    python benchmarks/scale_out.py    # writes benchmarks/results/scale_out.md
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from joblib import parallel_config
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV

from sknn import NeuralNetClassifier

RESULTS = Path(__file__).parent / "results"
GRID = {"learning_rate": [1e-3, 3e-3], "hidden_layer_sizes": [(64,), (128, 128)]}


def search():
    est = NeuralNetClassifier(random_state=0)
    return GridSearchCV(est, GRID, cv=3, scoring="neg_log_loss")


def timed(fit) -> tuple[float, GridSearchCV]:
    X, y = load_breast_cancer(return_X_y=True)
    tic = time.perf_counter()
    result = fit(X, y)
    return time.perf_counter() - tic, result


def main() -> int:
    import distributed
    from joblib.externals.loky import get_reusable_executor

    rows = []
    serial_s, serial = timed(lambda X, y: search().fit(X, y))
    rows.append(("n_jobs=1", serial_s, serial))
    get_reusable_executor().shutdown(wait=True)  # cold workers, as a first search has
    loky_s, loky = timed(lambda X, y: search().set_params(n_jobs=2).fit(X, y))
    rows.append(("loky, n_jobs=2 (cold workers)", loky_s, loky))
    tic = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    start_s = time.perf_counter() - tic

    def on_dask(X, y):
        with parallel_config(backend="dask"):
            return search().fit(X, y)

    dask_s, dask = timed(on_dask)
    rows.append((f"Dask, 2 worker processes (cluster start {start_s:.1f} s)", dask_s, dask))
    client.close()
    cluster.close()

    lines = [
        "# Grid search on three engines",
        "",
        f"Measured {time.strftime('%Y-%m-%d')}: GridSearchCV, 4 candidates x 3 folds + refit, "
        "NeuralNetClassifier (defaults) on breast_cancer. Command: "
        "`python benchmarks/scale_out.py`.",
        "",
        "| engine | wall seconds | / n_jobs=1 | best_params_ | largest score difference |",
        "|---|---|---|---|---|",
    ]
    reference = serial.cv_results_["mean_test_score"]
    for name, seconds, result in rows:
        diff = np.abs(result.cv_results_["mean_test_score"] - reference).max()
        lines.append(
            f"| {name} | {seconds:.1f} | {seconds / serial_s:.2f}x | {result.best_params_} "
            f"| {diff:.1e} |"
        )
        print(lines[-1], flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale_out.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
