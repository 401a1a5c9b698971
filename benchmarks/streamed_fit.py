"""A streamed fit scores as an in-memory fit: Dask DataFrames of 8 partitions on real tables.

The wide benchmark's five largest tables (CPS1988, VietNamI, nassCDS,
DoctorContacts, hotel_rates: 15,000 to 28,000 rows), its splits and seeds
(``wide.splits``: 3 random 80/20 splits, training capped at 20,000 rows),
one thread. On each split the default estimator (``random_state`` = the
split) is fitted twice: on the pandas training frame, and on the same rows
as a Dask DataFrame of 8 partitions (``dd.from_pandas(X, npartitions=8)``),
which streams them (one pass for the statistics, then the partitions). Both
are scored on the same test rows (accuracy or R^2); the paired difference
(streamed minus in memory) is reported per table, mean +- standard error
over the splits, with the fit seconds.

    python benchmarks/streamed_fit.py
    python benchmarks/streamed_fit.py --tables hotel_rates --splits 10   # a closer look

Results: ``results/streamed_fit.md``. With ``--splits N`` (seeds 0 to N-1; the
first 3 are the benchmark's splits) or ``--tables``, the table is printed
and the results file is left alone.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wide  # noqa: E402
from wide_tables import TABLES  # noqa: E402

from sknn import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
REPORT = os.path.join(RESULTS, "streamed_fit.md")
NAMES = ["CPS1988", "VietNamI", "nassCDS", "DoctorContacts", "hotel_rates"]
PARTITIONS = 8


def one_split(table, X, y, train, test, seed: int) -> dict:
    import dask.dataframe as dd

    cls = NeuralNetClassifier if table.task == "clf" else NeuralNetRegressor
    X_train, X_test = X.iloc[train].reset_index(drop=True), X.iloc[test]
    y_train = pd.Series(y[train])
    out = {}
    for mode in ("in memory", "streamed"):
        est = cls(random_state=seed)
        tic = time.perf_counter()
        if mode == "in memory":
            est.fit(X_train, y_train)
        else:
            est.fit(
                dd.from_pandas(X_train, npartitions=PARTITIONS),
                dd.from_pandas(y_train, npartitions=PARTITIONS),
            )
        out[mode] = {"score": est.score(X_test, y[test]), "fit_s": time.perf_counter() - tic}
    return out


def _splits(n: int, y, task: str, count: int | None):
    if count is None:
        return wide.splits(n, y, task)
    from sklearn.model_selection import train_test_split

    rows, stratify = np.arange(n), y if task == "clf" else None
    return [
        (train[: wide.MAX_TRAIN], test)
        for train, test in (
            train_test_split(rows, test_size=0.2, random_state=i, stratify=stratify)
            for i in range(count)
        )
    ]


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", nargs="+", default=NAMES, choices=NAMES)
    parser.add_argument("--splits", type=int, default=None)
    args = parser.parse_args()
    lines = [
        "# A streamed fit against an in-memory fit, on real tables",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/streamed_fit.py` "
        f"({platform.machine()}, {os.cpu_count()} CPUs, one thread; see its docstring). "
        "Score: accuracy or R^2 on the test rows; difference: streamed minus in memory, "
        "paired by split, mean ± SE; **bold** beyond 2 SE.",
        "",
        "| table | task | rows | splits | in memory | streamed (8 partitions) | difference "
        "| fit s in memory / streamed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    tic = time.perf_counter()
    within = 0
    for name in args.tables:
        table = next(t for t in TABLES if t.name == name)
        X, y = table.load()
        results = []
        for i, (train, test) in enumerate(_splits(len(X), y, table.task, args.splits)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results.append(one_split(table, X, y, train, test, i))
            print(name, i, results[-1], flush=True)
        memory = np.array([r["in memory"]["score"] for r in results])
        streamed = np.array([r["streamed"]["score"] for r in results])
        diff = streamed - memory
        se = diff.std(ddof=1) / np.sqrt(len(diff))
        beyond = abs(diff.mean()) > 2 * se
        within += not beyond
        cell = f"{diff.mean():+.4f} ± {se:.4f}"
        seconds = " / ".join(
            f"{np.mean([r[m]['fit_s'] for r in results]):.1f}" for m in ("in memory", "streamed")
        )
        lines.append(
            f"| {name} | {table.task} | {len(X):,} | {len(diff)} | {memory.mean():.4f} "
            f"| {streamed.mean():.4f} | {'**' + cell + '**' if beyond else cell} | {seconds} |"
        )
    lines += ["", f"Within 2 SE of the in-memory fit on {within} of {len(args.tables)} tables.", ""]
    if args.splits is not None or args.tables != NAMES:
        print("\n".join(lines))
        return 0
    os.makedirs(RESULTS, exist_ok=True)
    with open(REPORT, "w") as f:
        f.write("\n".join(lines))
    print(f"ran in {time.perf_counter() - tic:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
