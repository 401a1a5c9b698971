"""Data-parallel training on a Dask cluster: 2 workers x 1 thread against 1 worker x 1 thread.

A generated regression table (``--rows``, 20 numeric columns, a known
nonlinear target; 20% held out) is fitted by ``NeuralNetRegressor(
data_parallel="dask", max_iter=EPOCHS, random_state=0)`` on a ``LocalCluster``
of 1 worker and of 2 workers (one thread each, processes), alternating,
``--repeats`` times each. Reported: seconds per epoch (the median of
``history_``'s ``seconds`` over the epochs of a fit, then over the fits), their
ratio, the held-out R^2 of each (the same seed: the two fits differ only by
float rounding), and the communication share of a training step: the time the
ranks spend in ``all_reduce`` over their time in the epochs, measured on the
2-worker fits with a timing ``RankGroup``.

This machine has 2 cores, so 2 workers use all of it; the client waits.

    python benchmarks/data_parallel.py            # writes results/data_parallel.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
EPOCHS = 4
# the default (4% of the rows, at most 512) and a global batch large enough to amortize
BATCH_SIZES = ("auto", 4096)


def table(rows: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 20)).astype(np.float32)
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + np.abs(X[:, 3]) + 0.3 * rng.normal(size=rows)
    return X, y.astype(np.float32)


def timed_all_reduce() -> None:
    """Make every RankGroup of this process add its all_reduce time to SECONDS."""
    import torch.distributed as dist

    from sknn.training import data_parallel

    original = dist.all_reduce
    data_parallel.SECONDS = 0.0

    def timed(*args, **kwargs):
        tic = time.perf_counter()
        out = original(*args, **kwargs)
        data_parallel.SECONDS += time.perf_counter() - tic
        return out

    data_parallel.dist.all_reduce = timed


def all_reduce_seconds() -> float:
    from sknn.training import data_parallel

    return getattr(data_parallel, "SECONDS", 0.0)


def fit_on(client, batch_size, X, y, X_test, y_test) -> dict:
    from sknn import NeuralNetRegressor

    client.run(timed_all_reduce)
    est = NeuralNetRegressor(
        data_parallel="dask", batch_size=batch_size, max_iter=EPOCHS, random_state=0
    )
    est.fit(X, y)
    seconds = [r["seconds"] for r in est.history_]
    reduce_s = max(client.run(all_reduce_seconds).values())
    return {
        "s_per_epoch": statistics.median(seconds),
        "epoch_s": sum(seconds),
        "all_reduce_s": reduce_s,
        "r2": r2_score(y_test, est.predict(X_test)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from distributed import Client, LocalCluster

    X, y = table(args.rows)
    cut = int(0.8 * len(X))
    data = (X[:cut], y[:cut], X[cut:], y[cut:])
    lines = [
        "# Data-parallel training: 2 Dask workers against 1",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/data_parallel.py` "
        f"({platform.machine()}, {os.cpu_count()} CPUs, one thread a worker; see its "
        f"docstring): {args.rows:,} rows x 20 columns, {EPOCHS} epochs, "
        f"{args.repeats} fits each, alternating. `batch_size` is the global batch: "
        "each of 2 workers computes half of it.",
        "",
        "| batch_size | workers | s / epoch (median) | held-out R^2 (mean; each fit) "
        "| 2 workers / 1 | all_reduce share of the epochs |",
        "|---|---|---|---|---|---|",
    ]
    for batch_size in BATCH_SIZES:
        runs: dict[int, list[dict]] = {1: [], 2: []}
        for repeat in range(args.repeats):
            for workers in (1, 2) if repeat % 2 == 0 else (2, 1):
                with (
                    LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                    ) as cluster,
                    Client(cluster) as client,
                ):
                    result = fit_on(client, batch_size, *data)
                runs[workers].append(result)
                print(batch_size, workers, result, flush=True)
        one, two = (statistics.median(r["s_per_epoch"] for r in runs[k]) for k in (1, 2))
        share = statistics.median(r["all_reduce_s"] / r["epoch_s"] for r in runs[2])
        for k in (1, 2):
            r2 = [r["r2"] for r in runs[k]]
            epoch_s = statistics.median(r["s_per_epoch"] for r in runs[k])
            lines.append(
                f"| {batch_size} | {k} | {epoch_s:.2f} "
                f"| {np.mean(r2):.4f} ({', '.join(f'{v:.4f}' for v in r2)}) "
                f"| {f'**{two / one:.2f}x**' if k == 2 else ''} "
                f"| {f'{share:.1%}' if k == 2 else ''} |"
            )
    lines += [
        "",
        "Target: 2 workers at most 0.6x the seconds per epoch of 1. The all_reduce share is "
        "the slower rank's time in `all_reduce` over its epochs' seconds; it includes waiting "
        "for the other rank.",
        "",
    ]
    with open(os.path.join(RESULTS, "data_parallel.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
