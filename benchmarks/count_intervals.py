"""Intervals of counts and amounts: one width for all, or a width that follows the mean?

A split-conformal interval is the prediction plus and minus a quantile of
conformity scores. With the absolute residual ``|y - pred|`` as the score,
every row gets one width, but a count's spread grows with its mean (the
square root for Poisson, the mean itself for Gamma): small predictions are
over-covered and large ones under-covered. ``predict_interval`` of a
log-link loss scores residuals in units of ``pred ** (power / 2)`` instead.
This compares the two scores with the same fitted model, on the tables of
``regression_losses.py``'s families part (counts with ``loss="poisson"``,
positive amounts with ``loss="gamma"``), the wide benchmark's first 3
splits of each:

- the training rows are cut 80/20 (seeded); ``NeuralNetRegressor(loss=...)``
  fits the 80%, the 20% calibrate both scores (the conformal quantile at
  0.9: the ``ceil((n + 1) 0.9)``-th smallest score);
- on the test rows: the coverage overall and in each third of the rows by
  predicted mean, and the mean width.

    python benchmarks/count_intervals.py    # about 3 minutes on 2 cores

The report is ``results/count_intervals.md``.
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wide  # noqa: E402
from regression_losses import AMOUNTS, COUNTS, _amounts, _table  # noqa: E402

from sknn import NeuralNetRegressor  # noqa: E402

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "count_intervals.md")
COVERAGE = 0.9
SPLITS = 3
POWER = {"poisson": 1.0, "gamma": 2.0}


def _conformal(scores: np.ndarray) -> float:
    k = math.ceil((len(scores) + 1) * COVERAGE)
    return float(np.sort(scores)[min(k, len(scores)) - 1])


def _scores(bounds: np.ndarray, y: np.ndarray, pred: np.ndarray) -> dict:
    inside = (bounds[:, 0] <= y) & (y <= bounds[:, 1])
    thirds = np.array_split(np.argsort(pred, kind="stable"), 3)
    return {
        "coverage": float(inside.mean()),
        "thirds": [float(inside[part].mean()) for part in thirds],
        "width": float(np.mean(bounds[:, 1] - bounds[:, 0])),
    }


def one_split(loss: str, X_tr, y_tr, X_te, y_te, seed: int) -> dict:
    """Both scores' intervals from one model fitted on 80% of the training rows."""
    X_fit, X_cal, y_fit, y_cal = train_test_split(X_tr, y_tr, test_size=0.2, random_state=seed)
    model = NeuralNetRegressor(loss=loss, random_state=seed).fit(X_fit, y_fit)
    cal, pred = model.predict(X_cal), model.predict(X_te)
    spread_cal, spread = cal ** (POWER[loss] / 2), pred ** (POWER[loss] / 2)
    out = {}
    for name, margin in (
        ("one width", _conformal(np.abs(y_cal - cal)) * np.ones_like(pred)),
        ("width by mean", _conformal(np.abs(y_cal - cal) / spread_cal) * spread),
    ):
        bounds = np.stack([np.maximum(pred - margin, 0.0), pred + margin], axis=1)
        out[name] = _scores(bounds, y_te, pred)
    return out


def main() -> int:
    tic = time.perf_counter()
    rows = []
    for loss, names in (("poisson", COUNTS), ("gamma", AMOUNTS)):
        for name in names:
            table = _table(name)
            X, y = table.load()
            y = _amounts(table, y) if loss == "gamma" else y
            results = []
            for i, (train, test) in enumerate(wide.splits(len(X), y, "reg")):
                if i == SPLITS:
                    break
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    args = (X.iloc[train], y[train], X.iloc[test], y[test], i)
                    results.append(one_split(loss, *args))
            rows.append((loss, name, results))
            print(loss, name, results, flush=True)
    seconds = time.perf_counter() - tic
    _write(rows, seconds)
    return 0


def _write(rows, seconds: float) -> None:
    import torch

    lines = [
        "# Intervals of counts and amounts: one width, or a width by the mean",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/count_intervals.py` "
        f"({seconds:.0f} s; {platform.machine()}, {os.cpu_count()} CPUs, torch "
        f"{torch.__version__}; see its docstring). Coverage of the 90% interval on the test "
        "rows, overall and in each third of them by predicted mean (lowest first), and the "
        f"mean width; each a mean over the first {SPLITS} splits.",
        "",
        "| loss | table | one width: coverage | by thirds | width "
        "| width by mean: coverage | by thirds | width |",
        "|---|---|---|---|---|---|---|---|",
    ]
    spread = {"one width": [], "width by mean": []}
    for loss, name, results in rows:
        cells = []
        for kind in ("one width", "width by mean"):
            coverage = np.mean([r[kind]["coverage"] for r in results])
            thirds = np.mean([r[kind]["thirds"] for r in results], axis=0)
            width = np.mean([r[kind]["width"] for r in results])
            spread[kind].append(thirds.max() - thirds.min())
            cells += [f"{coverage:.3f}", " / ".join(f"{t:.2f}" for t in thirds), f"{width:.4g}"]
        lines.append(f"| {loss} | {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Largest minus smallest coverage of a third, median over the tables: "
        f"one width {np.median(spread['one width']):.3f}, "
        f"width by mean {np.median(spread['width by mean']):.3f}.",
        "",
    ]
    with open(REPORT, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
