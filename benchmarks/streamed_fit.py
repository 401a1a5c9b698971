"""A streamed fit scores as an in-memory fit: Dask DataFrames of 8 partitions on real tables.

The wide benchmark's five largest tables (CPS1988, VietNamI, nassCDS,
DoctorContacts, hotel_rates: 15,000 to 28,000 rows), its splits and seeds
(``wide.splits``: 3 random 80/20 splits, training capped at 20,000 rows),
one thread. On each split an estimator (``random_state`` = the split) is
fitted on the pandas training frame and on the same rows as a Dask DataFrame
of 8 partitions (``dd.from_pandas(X, npartitions=8)``), twice over:

- **defaults**, as a user fits them. A table its pandas frame's fit would
  cross-fit (up to 20,000 rows; a classifier's under 5,000) is gathered after
  the pass and fitted in memory, the very model; a larger one streams.
- **held-out split** (``early_stopping=True``, both fits): every Dask fit
  streams (one pass for the statistics, then the partitions), so this
  compares streaming itself on every table.

Both fits are scored on the same test rows (accuracy or R^2); the paired
difference (Dask minus pandas) is reported per table, mean +- standard error
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


SETTINGS = {"defaults": {}, "held-out split": {"early_stopping": True}}


def one_split(table, X, y, train, test, seed: int) -> dict:
    """Per setting: each fit's test score and seconds, and whether the Dask fit streamed."""
    import dask.dataframe as dd

    cls = NeuralNetClassifier if table.task == "clf" else NeuralNetRegressor
    X_train, X_test = X.iloc[train].reset_index(drop=True), X.iloc[test]
    y_train = pd.Series(y[train])
    out = {}
    for setting, params in SETTINGS.items():
        for source in ("pandas", "dask"):
            est = cls(random_state=seed, **params)
            tic = time.perf_counter()
            if source == "pandas":
                est.fit(X_train, y_train)
            else:
                est.fit(
                    dd.from_pandas(X_train, npartitions=PARTITIONS),
                    dd.from_pandas(y_train, npartitions=PARTITIONS),
                )
            out[setting, source] = {
                "score": est.score(X_test, y[test]),
                "fit_s": time.perf_counter() - tic,
                "cross_fitted": est.n_groups_ > 1,
            }
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
        "# A fit from a Dask DataFrame against a fit from pandas, on real tables",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/streamed_fit.py` "
        f"({platform.machine()}, {os.cpu_count()} CPUs, one thread; see its docstring). "
        "Score: accuracy or R^2 on the test rows; difference: Dask minus pandas, paired by "
        "split, mean ± SE; **bold** beyond 2 SE. Defaults: a table its pandas fit cross-fits "
        'is gathered and fitted in memory ("gathered"), a larger one streams; held-out '
        "split (`early_stopping=True`): every Dask fit streams.",
        "",
        "| table | task | rows | splits | setting | Dask fit | pandas | Dask (8 partitions) "
        "| difference | fit s pandas / Dask |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    tic = time.perf_counter()
    within, compared = 0, 0
    for name in args.tables:
        table = next(t for t in TABLES if t.name == name)
        X, y = table.load()
        results = []
        for i, (train, test) in enumerate(_splits(len(X), y, table.task, args.splits)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results.append(one_split(table, X, y, train, test, i))
            print(name, i, results[-1], flush=True)
        for setting in SETTINGS:
            memory = np.array([r[setting, "pandas"]["score"] for r in results])
            dask = np.array([r[setting, "dask"]["score"] for r in results])
            gathered = all(r[setting, "dask"]["cross_fitted"] for r in results)
            diff = dask - memory
            se = diff.std(ddof=1) / np.sqrt(len(diff))
            beyond = abs(diff.mean()) > 2 * se
            within += not beyond
            compared += 1
            cell = f"{diff.mean():+.4f} ± {se:.4f}"
            seconds = " / ".join(
                f"{np.mean([r[setting, s]['fit_s'] for r in results]):.1f}"
                for s in ("pandas", "dask")
            )
            lines.append(
                f"| {name} | {table.task} | {len(X):,} | {len(diff)} | {setting} "
                f"| {'gathered' if gathered else 'streamed'} | {memory.mean():.4f} "
                f"| {dask.mean():.4f} | {'**' + cell + '**' if beyond else cell} | {seconds} |"
            )
    lines += [
        "",
        f"Within 2 SE of the pandas fit in {within} of {compared} comparisons.",
        "",
    ]
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
