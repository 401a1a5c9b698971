"""A rare class: sknn's defaults at 2%, 0.5% and 0.1% positives, against before round 8.

Generated tables (``make_classification``: 20 features, 8 informative,
``class_sep=0.8``, no label noise) of 20,000 training rows at 2% and 0.5%
positives and 100,000 at 0.1%, each with a test set of 30% more rows drawn
alike; seeds 0-4 draw the table and seed every model. Three models, alternating
on every seed, one thread each:

- ``sknn``: ``NeuralNetClassifier()`` at today's defaults: early stopping judges
  each epoch by the validation log-loss after the temperature fitted to it;
- ``sknn before round 8``: the defaults before, whose early stopping watched the
  raw validation log-loss, which label smoothing (0.1) holds above about
  -log(0.95) a row (``models.make_sknn_before_round8``);
- ``HGB``: ``HistGradientBoostingClassifier()`` at its defaults.

Scores: test log-loss, ROC AUC, average precision, fit seconds and the best
epoch. The change was chosen on the wide benchmark's tuning half (its
``round8_lines``); these tables are where the problem was seen, not where it
was chosen. Writes ``results/rare_class.md``.

    python benchmarks/rare_class.py             # about 5 minutes
"""

from __future__ import annotations

import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy/torch load

import numpy as np  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
CASES = [(0.02, 20_000), (0.005, 20_000), (0.001, 100_000)]  # positive rate, training rows
SEEDS = range(5)
MODELS = {
    "sknn": models.make_sknn,
    "sknn before round 8": models.make_sknn_before_round8,
    "HGB": models.make_hgb,
}
METRICS = ("log_loss", "roc_auc", "average_precision", "fit_s")


def table(rate: float, n_train: int, seed: int):
    n = int(round(n_train * 1.3))
    X, y = make_classification(
        n_samples=n,
        n_features=20,
        n_informative=8,
        weights=[1 - rate],
        flip_y=0.0,
        class_sep=0.8,
        random_state=seed,
    )
    return train_test_split(X, y, train_size=n_train, stratify=y, random_state=seed)


def run() -> dict:
    results: dict = {}
    for rate, n_train in CASES:
        for seed in SEEDS:
            X_train, X_test, y_train, y_test = table(rate, n_train, seed)
            for name, make in MODELS.items():
                model = make("clf", seed, 2)
                tic = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(X_train, y_train)
                fit_s = time.perf_counter() - tic
                p = model.predict_proba(X_test)[:, 1]
                row = {
                    "log_loss": log_loss(y_test, p, labels=[0, 1]),
                    "roc_auc": roc_auc_score(y_test, p),
                    "average_precision": average_precision_score(y_test, p),
                    "fit_s": fit_s,
                    "best_epoch": getattr(model, "best_epoch_", None),
                    "positives": int(y_train.sum()),
                }
                results.setdefault((rate, n_train), {}).setdefault(name, []).append(row)
                print(f"{rate:6.3f} seed {seed} {name:20s} {row}", flush=True)
    return results


def _paired(a: list[dict], b: list[dict], metric: str) -> str:
    d = np.array([x[metric] - y[metric] for x, y in zip(a, b, strict=True)])
    return f"{d.mean():+.4f} ± {d.std(ddof=1) / np.sqrt(len(d)):.4f}"


def report(results: dict) -> str:
    lines = [
        "# A rare class: early stopping after the temperature (round 8) against before",
        "",
        f"Written {time.strftime('%Y-%m-%d')}, one thread per model. "
        "Command: `python benchmarks/rare_class.py`. Means over seeds 0-4 (each a new "
        "table); differences paired by seed, ± their standard error.",
        "",
        "| positives | training rows (positives) | model | log-loss | ROC AUC "
        "| average precision | fit s | best epoch |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (rate, n_train), by_model in results.items():
        positives = np.mean([r["positives"] for r in by_model["sknn"]])
        for name, rows in by_model.items():
            epochs = [r["best_epoch"] for r in rows if r["best_epoch"] is not None]
            cells = [f"{np.mean([r[m] for r in rows]):.4f}" for m in METRICS[:3]]
            lines.append(
                f"| {rate:.1%} | {n_train:,} ({positives:.0f}) | {name} | {' | '.join(cells)} "
                f"| {np.median([r['fit_s'] for r in rows]):.1f} "
                f"| {np.mean(epochs) if epochs else float('nan'):.1f} |"
            )
    lines += [
        "",
        "Paired differences, sknn minus the other (log-loss: lower is better; AUC and "
        "average precision: higher):",
        "",
        "| positives | against | log-loss | ROC AUC | average precision |",
        "|---|---|---|---|---|",
    ]
    for (rate, _), by_model in results.items():
        for other in ("sknn before round 8", "HGB"):
            cells = [_paired(by_model["sknn"], by_model[other], m) for m in METRICS[:3]]
            lines.append(f"| {rate:.1%} | {other} | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    tic = time.perf_counter()
    text = report(run())
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "rare_class.md"), "w") as f:
        f.write(text)
    print(text, f"ran in {time.perf_counter() - tic:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
