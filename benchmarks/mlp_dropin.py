"""sknn's drop-in MLP against scikit-learn's MLP at identical settings.

Same data, same split, same parameters (scikit-learn's defaults unless noted),
same seeds; both behind a StandardScaler, as scikit-learn's MLP needs. Reports
test score and fit seconds (medians over seeds, run alternately), writing
``benchmarks/results/mlp_dropin.md``. Every case runs twice: on the data as
loaded (float64, so both train in float64) and cast to float32 (both train in
float32).

    python benchmarks/mlp_dropin.py           # 3 seeds
    python benchmarks/mlp_dropin.py --quick   # 1 seed, prints only
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn import neural_network as sk
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_wine,
    make_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn

RESULTS = Path(__file__).parent / "results"


def _synthetic_classification():
    return make_classification(
        n_samples=30_000, n_features=20, n_informative=12, n_classes=3, random_state=0
    )


def _synthetic_regression():
    X, y = make_regression(n_samples=30_000, n_features=20, noise=10.0, random_state=0)
    return X, y / y.std()


# name, loader, task, extra parameters for both estimators
CASES = [
    ("breast_cancer", lambda: load_breast_cancer(return_X_y=True), "clf", {}),
    ("wine", lambda: load_wine(return_X_y=True), "clf", {}),
    ("digits", lambda: load_digits(return_X_y=True), "clf", {}),
    ("digits, sgd", lambda: load_digits(return_X_y=True), "clf", {"solver": "sgd"}),
    ("digits, lbfgs", lambda: load_digits(return_X_y=True), "clf", {"solver": "lbfgs"}),
    (
        "digits, early stopping",
        lambda: load_digits(return_X_y=True),
        "clf",
        {"early_stopping": True},
    ),
    (
        "diabetes",
        lambda: load_diabetes(return_X_y=True),
        "reg",
        {"learning_rate_init": 0.01, "max_iter": 500},
    ),
    ("synthetic 30k x 20, 3 classes", _synthetic_classification, "clf", {"max_iter": 30}),
    ("synthetic 30k x 20, regression", _synthetic_regression, "reg", {"max_iter": 30}),
]


def run_case(loader, task, params, seed, dtype):
    X, y = loader()
    X = X.astype(dtype)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed)
    out = {}
    for tool in ("sklearn", "sknn"):
        module = sk if tool == "sklearn" else sknn
        cls = module.MLPClassifier if task == "clf" else module.MLPRegressor
        model = make_pipeline(StandardScaler(), cls(random_state=seed, **params))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            tic = time.perf_counter()
            model.fit(X_train, y_train)
            seconds = time.perf_counter() - tic
        out[tool] = (model.score(X_test, y_test), seconds, model[-1].n_iter_)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    seeds = [0] if args.quick else [0, 1, 2]
    lines: list[str] = []
    for dtype in (np.float64, np.float32):
        lines += table(seeds, dtype)
    text = "\n".join(
        [
            "# Drop-in MLP: sknn against scikit-learn at identical settings",
            "",
            f"Measured {time.strftime('%Y-%m-%d')}, torch {torch.__version__}, scikit-learn "
            f"{sklearn.__version__}, {torch.get_num_threads()} cores; seeds {seeds} (split "
            "and model); score = test accuracy (classification) or R^2 (regression), mean "
            "over seeds; seconds = median fit time. Both behind a StandardScaler; "
            "scikit-learn's defaults (hidden (100,), adam, alpha 1e-4, batch min(200, n)) "
            "unless noted. Both train in the input's dtype. Command: "
            "`python benchmarks/mlp_dropin.py`.",
            *lines,
        ]
    )
    text += "\n"
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "mlp_dropin.md").write_text(text)
        print(f"wrote {RESULTS / 'mlp_dropin.md'}")
    return 0


def table(seeds, dtype) -> list[str]:
    lines = [
        "",
        f"## {np.dtype(dtype).name} input",
        "",
        "| data set | params | sklearn score | sknn score | sklearn s | sknn s | sknn/sklearn "
        "time | epochs sklearn / sknn |",
        "|---|---|---|---|---|---|---|---|",
    ]
    print(f"{np.dtype(dtype).name} input", flush=True)
    for name, loader, task, params in CASES:
        runs = [run_case(loader, task, params, seed, dtype) for seed in seeds]
        score = {t: float(np.mean([r[t][0] for r in runs])) for t in ("sklearn", "sknn")}
        secs = {t: statistics.median(r[t][1] for r in runs) for t in ("sklearn", "sknn")}
        iters = {t: statistics.median(r[t][2] for r in runs) for t in ("sklearn", "sknn")}
        shown = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
        row = (
            f"| {name} | {shown} | {score['sklearn']:.3f} | {score['sknn']:.3f} "
            f"| {secs['sklearn']:.2f} | {secs['sknn']:.2f} | {secs['sknn'] / secs['sklearn']:.2f}x "
            f"| {iters['sklearn']:.0f} / {iters['sknn']:.0f} |"
        )
        print(row, flush=True)
        lines.append(row)
    return lines


if __name__ == "__main__":
    sys.exit(main())
