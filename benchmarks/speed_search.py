"""Grid search and prediction workloads of ``benchmarks/speed.py``.

Grid searches run with cold workers: loky's reusable pool is shut down before
every ``n_jobs=2`` search, so each one pays its workers' start-up (Python,
torch, scikit-learn and sknn imports) as a first search in a session does.
``refit=True`` throughout: the final refit on all the data runs serially in
the parent process, as it does for users.
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np
from joblib.externals.loky import get_reusable_executor
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier

from sknn import MLPClassifier, NeuralNetClassifier


def make_data(n, d, k, seed=0):
    X, y = make_classification(
        n_samples=n,
        n_features=d,
        n_informative=max(2, d // 2),
        n_classes=k,
        random_state=seed,
    )
    return X.astype(np.float32), y


def time_calls(fn, arg, times: int) -> float:
    """Mean seconds of ``fn(arg)`` over ``times`` back-to-back calls."""
    tic = time.perf_counter()
    for _ in range(times):
        fn(arg)
    return (time.perf_counter() - tic) / times


def _dropin_grid():
    X, y = make_data(30_000, 64, 2, seed=3)
    est = MLPClassifier(max_iter=16, tol=0.0, n_iter_no_change=100, random_state=0)
    grid = {"hidden_layer_sizes": [(256,), (256, 256)], "alpha": [1e-4, 1e-3]}
    return est, grid, X.astype(np.float64), y


def _flagship_grid():
    X, y = make_data(20_000, 20, 2, seed=1)
    est = NeuralNetClassifier(max_iter=6, random_state=0)
    grid = {"learning_rate": [1e-3, 3e-3], "hidden_layer_sizes": [(256,), (256, 256)]}
    return est, grid, X.astype(np.float64), y


# name: (builder, target for t(n_jobs=2) / t(n_jobs=1))
GRIDS = {
    "GridSearchCV drop-in MLPClassifier, 30,000 x 64, 4 candidates x 2 folds": (
        _dropin_grid,
        1.0,
    ),
    "GridSearchCV default NeuralNetClassifier, 20,000 x 20, 4 candidates x 2 folds": (
        _flagship_grid,
        0.65,
    ),
}


def _search_seconds(est, grid, X, y, n_jobs: int) -> float:
    if n_jobs > 1:
        get_reusable_executor().shutdown(wait=True)  # cold workers
    search = GridSearchCV(est, grid, cv=2, n_jobs=n_jobs, refit=True)
    tic = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    return time.perf_counter() - tic


def bench_grid_search(repeats: int) -> list[dict]:
    """Wall time of each grid with ``n_jobs=2`` over ``n_jobs=1``, alternating."""
    rows = []
    for name, (build, target) in GRIDS.items():
        est, grid, X, y = build()
        times: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(repeats):
            for n_jobs in (1, 2):
                times[n_jobs].append(_search_seconds(est, grid, X, y, n_jobs))
        t1, t2 = statistics.median(times[1]), statistics.median(times[2])
        rows.append(
            {
                "workload": name,
                "peer": "n_jobs=1",
                "s_per_epoch": None,
                "wall_n_jobs_1": t1,
                "wall_n_jobs_2": t2,
                "all_n_jobs_1": times[1],
                "all_n_jobs_2": times[2],
                "sknn_over_peer": t2 / t1,
                "target": target,
                "ok": t2 / t1 <= target,
            }
        )
        print(f"{name}: n_jobs=1 {t1:.2f}s, n_jobs=2 {t2:.2f}s, ratio {t2 / t1:.2f}")
    return rows


def _fitted_pairs(X, y):
    """(label, sknn model, scikit-learn model) with the same 3x256 network."""
    hidden = (256, 256, 256)
    X, y = X[:5000], y[:5000]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = SklearnMLPClassifier(hidden, max_iter=1, random_state=0).fit(X, y)
        dropin = MLPClassifier(hidden, max_iter=1, random_state=0).fit(X, y)
    flagship = NeuralNetClassifier(
        hidden_layer_sizes=hidden,
        numeric_embedding=None,
        feature_scale=False,
        n_ensemble=1,
        max_iter=1,
        random_state=0,
    ).fit(X, y)
    return [("NeuralNetClassifier", flagship, reference), ("MLPClassifier", dropin, reference)]


def bench_predict(repeats: int) -> list[dict]:
    """predict_proba on float64 data (what a user's data usually is)."""
    X, y = make_data(100_000, 64, 4, seed=2)
    X = X.astype(np.float64)
    rows = []
    for family, ours, theirs in _fitted_pairs(X, y):
        for label, data, inner in (("1 row", X[:1], 200), ("100,000 rows", X, 1)):
            ours.predict_proba(data)
            theirs.predict_proba(data)
            t_ours, t_theirs = [], []
            for _ in range(max(repeats, 5)):
                t_ours.append(time_calls(ours.predict_proba, data, inner))
                t_theirs.append(time_calls(theirs.predict_proba, data, inner))
            mo, mt = statistics.median(t_ours), statistics.median(t_theirs)
            target = 1.0 if label == "1 row" else 0.9
            rows.append(
                {
                    "workload": f"{family}.predict_proba {label} (3x256 net)",
                    "peer": "sklearn",
                    "s_per_epoch": None,
                    "sknn_seconds": mo,
                    "peer_seconds": mt,
                    "sknn_over_peer": mo / mt,
                    "target": target,
                    "ok": mo / mt <= target,
                }
            )
            print(
                f"{family}.predict_proba {label}: sknn {mo * 1e3:.3f} ms, "
                f"sklearn {mt * 1e3:.3f} ms, ratio {mo / mt:.2f}"
            )
    return rows
