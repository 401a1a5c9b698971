"""Tables and a plot from ``accuracy_raw.json`` (written by ``accuracy.py``)."""

from __future__ import annotations

import os
from collections import defaultdict

import numpy as np

PEERS = ["sknn", "sklearn MLP", "HGB", "LightGBM", "skorch", "RealMLP"]
PRIMARY = {"clf": "accuracy", "reg": "r2"}
SECONDARY = {"clf": "log_loss", "reg": "rmse"}


def _collect(runs: dict) -> dict:
    """model -> data set -> seed -> metrics."""
    out: dict = defaultdict(lambda: defaultdict(dict))
    for key, metrics in runs.items():
        model, data, seed = key.split("|")
        out[model][data][int(seed)] = metrics
    return out


def _task(metrics: dict) -> str:
    return "clf" if "accuracy" in metrics else "reg"


def _datasets(results: dict) -> list[str]:
    from datasets import ACCURACY_SETS

    present = {d for model in results.values() for d in model}
    return [d.name for d in ACCURACY_SETS if d.name in present]


def _values(results, model, data, metric, seeds=None) -> np.ndarray:
    runs = results.get(model, {}).get(data, {})
    seeds = sorted(runs) if seeds is None else seeds
    return np.array([runs[s][metric] for s in seeds if s in runs], dtype=float)


def _paired(results, a: str, b: str, data: str, metric: str):
    """Mean and standard error of ``a - b`` over the splits both ran."""
    seeds = sorted(set(results[a][data]) & set(results[b][data]))
    diff = _values(results, a, data, metric, seeds) - _values(results, b, data, metric, seeds)
    se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan
    return diff.mean(), se, len(diff)


def _ranks(results, models, datasets, task_of) -> dict:
    """Per data set, each model's rank by mean primary score (1 = best)."""
    ranks = {}
    for data in datasets:
        metric = PRIMARY[task_of[data]]
        means = {m: _values(results, m, data, metric).mean() for m in models}
        order = sorted(means, key=lambda m: -means[m])
        ranks[data] = {m: 1 + sum(means[o] > means[m] for o in order) for m in models}
    return ranks


def _score_rows(results, models, datasets, task_of, metrics, *, higher_is_better) -> list:
    """One table row per data set, the best mean in bold.

    Primary scores show mean +- standard deviation, secondary ones the mean.
    """
    rows = []
    for data in datasets:
        metric = metrics[task_of[data]]
        values = [_values(results, m, data, metric) for m in models]
        means = [v.mean() for v in values]
        best = int(np.argmax(means) if higher_is_better else np.argmin(means))
        if higher_is_better:
            cells = [f"{v.mean():.4f} +- {v.std():.4f}" for v in values]
        else:
            cells = [f"{mean:.4g}" for mean in means]
        cells[best] = f"**{cells[best]}**"
        rows.append(f"| {data} | {metric} | " + " | ".join(cells) + " |")
    return rows


def main_tables(results: dict, meta: dict) -> tuple[str, dict]:
    models = [m for m in PEERS if m in results]
    datasets = [d for d in _datasets(results) if all(d in results[m] for m in models)]
    task_of = {d: _task(next(iter(results[models[0]][d].values()))) for d in datasets}
    ranks = _ranks(results, models, datasets, task_of)
    reruns = "".join(
        f" {model} rerun {day} (`--models {model}`)."
        for model, day in meta.get("reruns", {}).items()
    )
    lines = [
        "# Accuracy: sknn's defaults against peers",
        "",
        f"Measured {meta.get('environment', '')}.{reruns} Command: `python benchmarks/accuracy.py` "
        "(peers from `benchmarks/requirements.txt`). Protocol in the script's docstring: the "
        "same splits for every model (stratified for classification): 5-fold "
        "cross-validation repeated 4 times (20 fits) on the three data sets under 1,000 "
        "rows, 5 random 80/20 splits on the others; every library on one thread.",
        "",
        "## Test accuracy (classification) / R^2 (regression)",
        "",
        "Mean +- standard deviation over the splits; best mean in bold.",
        "",
        "| data set | metric | " + " | ".join(models) + " |",
        "|---|---|" + "---|" * len(models),
    ]
    lines += _score_rows(results, models, datasets, task_of, PRIMARY, higher_is_better=True)
    mean_rank = {m: np.mean([ranks[d][m] for d in datasets]) for m in models}
    lines.append("| mean rank | | " + " | ".join(f"{mean_rank[m]:.2f}" for m in models) + " |")
    lines += [
        "",
        "## Log-loss (classification) / RMSE (regression)",
        "",
        "Mean over the splits; lower is better, best in bold.",
        "",
        "| data set | metric | " + " | ".join(models) + " |",
        "|---|---|" + "---|" * len(models),
    ]
    lines += _score_rows(results, models, datasets, task_of, SECONDARY, higher_is_better=False)
    lines += [
        "",
        "## Seconds: fit / predict (test set)",
        "",
        "Median over the splits, one thread each.",
        "",
        "| data set | rows x columns | " + " | ".join(models) + " |",
        "|---|---|" + "---|" * len(models),
    ]
    from datasets import ACCURACY_SETS

    shapes = {}
    for d in ACCURACY_SETS:
        if d.name in datasets:
            X, _ = d.load()
            shapes[d.name] = f"{X.shape[0]:,} x {X.shape[1]}"
    for data in datasets:
        cells = [
            f"{np.median(_values(results, m, data, 'fit_s')):.2f} / "
            f"{np.median(_values(results, m, data, 'predict_s')):.3f}"
            for m in models
        ]
        lines.append(f"| {data} | {shapes[data]} | " + " | ".join(cells) + " |")

    summary = _summary(results, models, datasets, task_of, mean_rank)
    lines += ["", "## What this shows", ""] + summary["lines"]
    return "\n".join(lines) + "\n", summary


def _summary(results, models, datasets, task_of, mean_rank) -> dict:
    lines = []
    out = {"lines": lines}
    n = len(datasets)
    for peer in ("sklearn MLP", "HGB"):
        if peer not in models:
            continue
        wins = [
            d
            for d in datasets
            if _values(results, "sknn", d, PRIMARY[task_of[d]]).mean()
            > _values(results, peer, d, PRIMARY[task_of[d]]).mean()
        ]
        lost = []
        for d in datasets:
            if d not in wins:
                mean, se, _ = _paired(results, "sknn", peer, d, PRIMARY[task_of[d]])
                lost.append(f"{d} (paired difference {mean:+.4f} +- {se:.4f})")
        out[f"wins_{peer}"] = len(wins)
        lines.append(
            f"- sknn's mean score beats {peer} on **{len(wins)} of {n}** data sets "
            f"({len(wins) / n:.0%})" + (f"; not on {', '.join(lost)}." if lost else ".")
        )
    lines.append(
        "- Mean rank over the data sets (1 = best of the "
        f"{len(models)}): " + ", ".join(f"{m} {mean_rank[m]:.2f}" for m in models) + "."
    )
    if "RealMLP" in models:
        within, behind, ahead = [], [], []
        for d in datasets:
            mean, se, _ = _paired(results, "sknn", "RealMLP", d, PRIMARY[task_of[d]])
            label = f"{d} ({mean:+.4f} +- {se:.4f})"
            if abs(mean) <= 2 * se:
                within.append(label)
            elif mean < 0:
                behind.append(label)
            else:
                ahead.append(label)
        sknn_fit = sum(np.median(_values(results, "sknn", d, "fit_s")) for d in datasets)
        real_fit = sum(np.median(_values(results, "RealMLP", d, "fit_s")) for d in datasets)
        ratios = [
            np.median(_values(results, "sknn", d, "fit_s"))
            / np.median(_values(results, "RealMLP", d, "fit_s"))
            for d in datasets
        ]
        out["realmlp_fit_ratio"] = sknn_fit / real_fit
        lines.append(
            "- Against RealMLP, paired over the same splits (sknn - RealMLP, mean +- standard "
            "error; within noise = within 2 standard errors): "
            f"within noise on {len(within)} of {n}: {', '.join(within) or 'none'}; "
            f"ahead on {len(ahead)}: {', '.join(ahead) or 'none'}; "
            f"behind on {len(behind)}: {', '.join(behind) or 'none'}."
        )
        lines.append(
            f"- Fit time, sknn / RealMLP: {sknn_fit:.1f} s / {real_fit:.1f} s summed over the "
            f"data sets' medians = **{sknn_fit / real_fit:.2f}x**; per data set from "
            f"{min(ratios):.2f}x to {max(ratios):.2f}x."
        )
    return out


def ablation_table(results: dict) -> str | None:
    from models import ABLATIONS

    variants = [v for v in ABLATIONS if v != "sknn" and v in results]
    if not variants or "sknn" not in results:
        return None
    datasets = [d for d in _datasets(results) if d in results["sknn"]]
    lines = [
        "# Ablations: sknn with one default undone",
        "",
        "Command: `python benchmarks/accuracy.py --ablation`. Same splits as `accuracy.md`; "
        "each cell is the paired mean change in test accuracy / R^2 against the defaults "
        "(negative = the default is better), over the splits both ran. The last columns "
        "count the data sets where the default is better and give the fit-time ratio "
        "(variant / defaults, summed medians; the variants and the defaults ran in "
        "separate runs on a shared machine, so read it as a rough guide).",
        "",
        "| variant | undoes | "
        + " | ".join(datasets)
        + " | mean change | default better | fit time |",
        "|---|---|" + "---|" * (len(datasets) + 3),
    ]
    for v in variants:
        cells, changes, better = [], [], 0
        for d in datasets:
            if d not in results[v]:
                cells.append("n/a")  # e.g. no label smoothing in regression
                continue
            metric = PRIMARY[_task(next(iter(results["sknn"][d].values())))]
            mean, _, _ = _paired(results, v, "sknn", d, metric)
            changes.append(mean)
            better += mean < 0
            cells.append(f"{mean:+.4f}")
        shared = [d for d in datasets if d in results[v]]
        if not shared:
            continue
        fit_v = sum(np.median(_values(results, v, d, "fit_s")) for d in shared)
        fit_s = sum(np.median(_values(results, "sknn", d, "fit_s")) for d in shared)
        lines.append(
            f"| {v} | {ABLATIONS[v][1]} | "
            + " | ".join(cells)
            + f" | {np.mean(changes):+.4f} | {better} of {len(changes)} | {fit_v / fit_s:.2f}x |"
        )
    return "\n".join(lines) + "\n"


def plot(results: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = [m for m in PEERS if m in results]
    datasets = [d for d in _datasets(results) if all(d in results[m] for m in models)]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    y = np.arange(len(datasets))
    markers = "o^sDvP"
    for i, m in enumerate(models):
        deltas, seconds = [], []
        for d in datasets:
            metric = PRIMARY[_task(next(iter(results[m][d].values())))]
            deltas.append(
                _values(results, m, d, metric).mean() - _values(results, "HGB", d, metric).mean()
            )
            seconds.append(np.median(_values(results, m, d, "fit_s")))
        offset = (i - len(models) / 2) * 0.08
        left.scatter(deltas, y + offset, marker=markers[i % 6], label=m, s=40)
        right.scatter(seconds, y + offset, marker=markers[i % 6], label=m, s=40)
    left.axvline(0, color="grey", lw=0.8)
    left.set_yticks(y, datasets)
    left.set_xlabel("test accuracy / R^2 minus HistGradientBoosting's (right is better)")
    left.set_xlim(max(left.get_xlim()[0], -0.1), left.get_xlim()[1])
    left.invert_yaxis()
    right.set_xscale("log")
    right.set_yticks(y, [])
    right.set_xlabel("fit seconds, median over splits (one thread, log scale)")
    right.invert_yaxis()
    handles, labels = right.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(models), fontsize=9)
    fig.suptitle(f"sknn defaults vs peers on {len(datasets)} data sets (5 or 20 splits each)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(raw: dict, raw_ablation: dict, out_dir: str) -> None:
    """Write accuracy.md, accuracy.png and accuracy_ablation.md under ``out_dir``."""
    results = _collect(raw.get("runs", {}))
    if not results:
        return
    text, _ = main_tables(results, raw.get("meta", {}))
    with open(os.path.join(out_dir, "accuracy.md"), "w") as f:
        f.write(text)
    print(text)
    plot(results, os.path.join(out_dir, "accuracy.png"))
    ablation = ablation_table({**results, **_collect(raw_ablation.get("runs", {}))})
    if ablation:
        with open(os.path.join(out_dir, "accuracy_ablation.md"), "w") as f:
            f.write(ablation)
        print(ablation)
