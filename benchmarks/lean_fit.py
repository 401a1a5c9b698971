"""The lean default fit: its cost against scikit-learn's MLP, its accuracy against before.

One invocation runs ``accuracy.py``'s nine data sets and splits with three
models, alternating on every split so that all three see the same machine:

- ``sknn``: ``NeuralNetClassifier()`` / ``NeuralNetRegressor()`` at today's defaults;
- ``sknn before``: the defaults when the lean-fit work began (:data:`BEFORE`:
  ``max_iter=200``, ``n_iter_no_change=10``, ``hidden_layer_sizes=(256, 256)``,
  ``numeric_embedding="periodic"``);
- ``sklearn MLP``: ``accuracy.py``'s scikit-learn peer (its defaults behind the
  standard pipeline);

then ``fit_time.py``'s cases. Every library runs on one thread. The report,
``results/lean_fit.md``, gives per data set the median fit seconds of each
model, the budget (summed medians of ``sknn`` / ``sklearn MLP``, at most 2.5)
and the paired change ``sknn - sknn before`` of the test score (accuracy or
R^2) with its standard error, flagging any data set worse by more than two.
The runs of ``sknn`` and ``sklearn MLP`` also go into ``accuracy_raw.json``, so
``accuracy.md`` shows the two from the same run.

    python benchmarks/lean_fit.py                 # everything (about 15 minutes)
    python benchmarks/lean_fit.py --splits 1      # a quick look
    python benchmarks/lean_fit.py --report        # rewrite the report from the raw file
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy/torch load

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accuracy  # noqa: E402
import models  # noqa: E402
from accuracy_report import _collect, _paired  # noqa: E402
from datasets import ACCURACY_SETS  # noqa: E402

RESULTS = accuracy.RESULTS
RAW = os.path.join(RESULTS, "lean_fit_raw.json")
BUDGET = 2.5  # sknn's summed fit seconds / scikit-learn's MLP's
# the defaults this work started from: accuracy.py's "previous defaults"
BEFORE = models.ABLATIONS["previous defaults"][0]
MODELS = ("sknn", "sknn before", "sklearn MLP")


def build(name: str, task: str, seed: int, n_classes: int):
    if name == "sknn":
        return models.make_sknn(task, seed, n_classes)
    if name == "sknn before":
        return models.make_sknn(task, seed, n_classes, **BEFORE)
    return models.make_sklearn_mlp(task, seed, n_classes)


def run(max_splits: int | None) -> dict:
    """Fit the three models on every split, alternating; return model -> data -> seed -> metrics."""
    runs: dict = {}
    for ds in ACCURACY_SETS:
        X, y = ds.load()
        n_classes = len(np.unique(y)) if ds.task == "clf" else 1
        for seed, (train, test) in enumerate(accuracy.splits(X, y, ds.task)[:max_splits]):
            # alternate the order too, so no model always runs first after loading
            order = MODELS if seed % 2 == 0 else MODELS[::-1]
            for name in order:
                model = build(name, ds.task, seed, n_classes)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = models.evaluate(
                        model, X.iloc[train], y[train], X.iloc[test], y[test], ds.task
                    )
                runs[f"{name}|{ds.name}|{seed}"] = result
                shown = f"fit {result['fit_s']:.2f} s"
                print(f"{ds.name:14s} {name:12s} seed {seed}: {shown}", flush=True)
    return runs


def report(runs: dict, environment: str) -> str:
    """The markdown report of ``runs``."""
    res = _collect(runs)
    lines = [
        "# The lean default fit: cost against scikit-learn's MLP, accuracy against before",
        "",
        f"{environment}. Command: `python benchmarks/lean_fit.py`. The three models ran "
        "alternately on every split of `accuracy.py`'s data sets, one thread each; "
        f"`sknn before` is today's code with the defaults the lean-fit work started from "
        f"({', '.join(f'{k}={v}' for k, v in BEFORE.items())}).",
        "",
        "| data set | splits | sknn fit s | sknn before fit s | sklearn MLP fit s "
        "| sknn - sknn before (score) | worse by > 2 SE |",
        "|---|---|---|---|---|---|---|",
    ]
    totals = dict.fromkeys(MODELS, 0.0)
    worse = []
    for ds in ACCURACY_SETS:
        if ds.name not in res.get("sknn", {}):
            continue
        metric = "accuracy" if ds.task == "clf" else "r2"
        seeds = sorted(set.intersection(*(set(res[m][ds.name]) for m in MODELS)))
        medians = {m: statistics.median(res[m][ds.name][s]["fit_s"] for s in seeds) for m in MODELS}
        for m in MODELS:
            totals[m] += medians[m]
        change, se, _ = _paired(res, "sknn", "sknn before", ds.name, metric)
        flag = bool(change < -2 * se)
        if flag:
            worse.append(ds.name)
        lines.append(
            f"| {ds.name} | {len(seeds)} | {medians['sknn']:.2f} | {medians['sknn before']:.2f} "
            f"| {medians['sklearn MLP']:.2f} | {change:+.4f} +- {se:.4f} ({metric}) "
            f"| {'**yes**' if flag else 'no'} |"
        )
    ratio = totals["sknn"] / totals["sklearn MLP"]
    before = totals["sknn before"] / totals["sklearn MLP"]
    lines += [
        f"| **sum of medians** | | **{totals['sknn']:.1f}** | {totals['sknn before']:.1f} "
        f"| {totals['sklearn MLP']:.1f} | | |",
        "",
        f"- sknn's summed fit seconds are **{ratio:.2f}x** scikit-learn's MLP's "
        f"(budget {BUDGET}x: {'met' if ratio <= BUDGET else 'NOT met'}); the defaults "
        f"before took {before:.2f}x.",
        "- Data sets where today's defaults score worse than before by more than two "
        f"paired standard errors: {', '.join(worse) if worse else 'none'}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, help="run only the first N splits of each set")
    parser.add_argument("--report", action="store_true", help="only rewrite the report")
    parser.add_argument("--no-fit-time", action="store_true", help="skip fit_time.py's cases")
    args = parser.parse_args(argv)
    if args.report:
        with open(RAW) as f:
            saved = json.load(f)
    else:
        tic = time.perf_counter()
        saved = {"environment": accuracy.environment(), "runs": run(args.splits)}
        print(f"accuracy sets done in {time.perf_counter() - tic:.0f} s", flush=True)
        os.makedirs(RESULTS, exist_ok=True)
        with open(RAW, "w") as f:
            json.dump(saved, f, indent=0, sort_keys=True)
        shared = {k: v for k, v in saved["runs"].items() if not k.startswith("sknn before|")}
        accuracy.save_raw(accuracy.load_raw(accuracy.RAW), accuracy.RAW, shared)
        from accuracy_report import write_reports

        write_reports(
            accuracy.load_raw(accuracy.RAW), accuracy.load_raw(accuracy.RAW_ABLATION), RESULTS
        )
    text = report(saved["runs"], saved["environment"])
    with open(os.path.join(RESULTS, "lean_fit.md"), "w") as f:
        f.write(text)
    print(text, flush=True)
    if not args.report and not args.no_fit_time:
        import fit_time

        fit_time.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
