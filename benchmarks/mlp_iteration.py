"""Per-iteration time of the drop-ins against scikit-learn's MLPs, and L-BFGS's drift.

Each solver (``sgd``, ``adam``, ``lbfgs``) on a small network (scikit-learn's
gallery setting: 10 x 10 units on 200 rows of ``make_moons``) and a medium one
(100 units on 3,000 rows x 20 of ``make_classification``), float64, one
thread: fit seconds divided by ``n_iter_``, medians over alternating fits in
one process. Then the drift: the largest weight difference between sknn and
scikit-learn after 10 to 200 L-BFGS iterations, beside scikit-learn against
itself on the same data moved by one unit in the last place, which separates
rounding (amplified by the line search) from a different objective.

    python benchmarks/mlp_iteration.py

Writes ``benchmarks/results/mlp_iteration.md``.
"""

from __future__ import annotations

import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn import neural_network as sk
from sklearn.datasets import load_digits, make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler, StandardScaler

import sknn

RESULTS = Path(__file__).parent / "results"
REPEATS = 7
NETWORKS = {
    "small: 10 x 10 units, 200 rows x 2": (
        lambda: make_moons(200, noise=0.3, random_state=0),
        {"hidden_layer_sizes": (10, 10)},
    ),
    "medium: 100 units, 3,000 rows x 20": (
        lambda: make_classification(3000, 20, n_informative=10, random_state=0),
        {"hidden_layer_sizes": (100,)},
    ),
}
SOLVERS = {"sgd": {"max_iter": 50}, "adam": {"max_iter": 50}, "lbfgs": {"max_iter": 100}}


def seconds_per_iteration(cls, X, y, params) -> float:
    tic = time.perf_counter()
    est = cls(random_state=0, **params).fit(X, y)
    return (time.perf_counter() - tic) / est.n_iter_


def timings() -> list[tuple[str, str, float, float]]:
    rows = []
    for network, (load, shape) in NETWORKS.items():
        X, y = load()
        X = StandardScaler().fit_transform(X)
        for solver, budget in SOLVERS.items():
            params = {**shape, **budget, "solver": solver, "tol": 0.0}
            times = {"sklearn": [], "sknn": []}
            for _ in range(REPEATS):  # alternating, so both see the same machine
                times["sklearn"].append(seconds_per_iteration(sk.MLPClassifier, X, y, params))
                times["sknn"].append(seconds_per_iteration(sknn.MLPClassifier, X, y, params))
            ours, theirs = (statistics.median(times[k]) for k in ("sknn", "sklearn"))
            rows.append((network, solver, theirs, ours))
            print(f"{network} {solver}: sklearn {theirs * 1e3:.2f} ms, sknn {ours * 1e3:.2f} ms")
    return rows


def weight_difference(a, b) -> float:
    pairs = zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True)
    return max(float(np.abs(x - z).max()) for x, z in pairs)


def drift() -> list[tuple[int, float, float, int, int]]:
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    moved = X * (1 + np.finfo(np.float64).eps)  # one unit in the last place
    rows = []
    for iterations in (10, 50, 100, 200):
        params = {"solver": "lbfgs", "hidden_layer_sizes": (10, 10), "max_iter": iterations}
        theirs = sk.MLPClassifier(random_state=0, **params).fit(X, y)
        ours = sknn.MLPClassifier(random_state=0, **params).fit(X, y)
        nudged = sk.MLPClassifier(random_state=0, **params).fit(moved, y)
        rows.append(
            (
                iterations,
                weight_difference(ours, theirs),
                weight_difference(nudged, theirs),
                ours.n_iter_,
                theirs.n_iter_,
            )
        )
        print(rows[-1])
    return rows


def main() -> None:
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", ConvergenceWarning)
    timed = timings()
    drifted = drift()
    lines = [
        "# Drop-in MLPs: time per iteration against scikit-learn, and L-BFGS's drift",
        "",
        f"Measured {time.strftime('%Y-%m-%d')}, torch {torch.__version__}, scikit-learn "
        f"{sklearn.__version__}, one torch thread, float64. Command: "
        "`python benchmarks/mlp_iteration.py`. Fit seconds / `n_iter_`, median of "
        f"{REPEATS} fits each, the two libraries alternating; `tol=0` so both run their "
        "whole budget (50 epochs for sgd and adam, 100 L-BFGS iterations).",
        "",
        "| network | solver | sklearn ms / iteration | sknn ms / iteration | sknn / sklearn |",
        "|---|---|---|---|---|",
    ]
    for network, solver, theirs, ours in timed:
        lines.append(
            f"| {network} | {solver} | {theirs * 1e3:.2f} | {ours * 1e3:.2f} | "
            f"{ours / theirs:.2f}x |"
        )
    lines += [
        "",
        "sknn's L-BFGS objective is numpy on the CPU (scikit-learn's forward and backward "
        "pass written out, the losses from the raw outputs), on one BLAS thread below 20M "
        "multiply-adds a pass, where scikit-learn's runs on numpy's default threads (two "
        "threads made a 3,000 x 20 pass 3.6x slower on this 2-core machine). SGD and Adam "
        "run on sknn's torch Trainer, whose per-operation cost shows on small networks.",
        "",
        "## L-BFGS: sknn against scikit-learn, and scikit-learn against itself moved by 1 ulp",
        "",
        "`load_digits` scaled to [0, 1], 10 x 10 units, seed 0. The largest difference of any "
        "weight after the given number of iterations; the last column fits scikit-learn on "
        "`X * (1 + 2**-52)`.",
        "",
        "| iterations | sknn vs sklearn | sklearn vs sklearn (X + 1 ulp) "
        "| n_iter_ sknn / sklearn |",
        "|---|---|---|---|",
    ]
    for iterations, ours, nudged, n_ours, n_theirs in drifted:
        lines.append(f"| {iterations} | {ours:.1e} | {nudged:.1e} | {n_ours} / {n_theirs} |")
    lines += [
        "",
        "The two columns grow alike, by about four orders of magnitude from 50 to 100 "
        "iterations: L-BFGS amplifies a difference in the last bit, whether it comes from "
        "sknn's summation order or from the data. The drift is rounding, not a different "
        "objective or gradient; `tests/test_mlp_exact.py` pins the first 50 iterations "
        "within 1e-8.",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mlp_iteration.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
