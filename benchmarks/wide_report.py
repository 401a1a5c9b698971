"""Reports of the wide benchmark: per-table scores, paired differences, halves, diagnosis.

Paired differences: for each table, sknn's score minus a peer's on the same
split, averaged over the splits, with the standard error of that mean
(``sd / sqrt(k)``). A difference is "beyond 2 SE" when its mean is more than
twice its standard error away from zero. Higher is better for accuracy and
R^2; for log-loss the difference is peer minus sknn, so positive still means
sknn is better.
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
import pandas as pd
from scipy.stats import kurtosis, spearmanr
from wide_tables import TABLES

# the model name of the network before the lean fit in the raw file: the base of the levers
PREVIOUS = "sknn previous network"
# the prefix of round-2 levers (issue 30), measured against today's defaults
NOW = "sknn now "

# round-2 levers measured against earlier defaults than today's: lever -> the base's
# name in the raw file. The batch levers' base (the defaults before 7d01cb8) was
# overwritten when 7d01cb8's defaults were rerun; their figures against it are in
# that commit's message, so the report leaves them out
ROUND2_BASE = "sknn defaults of 7d01cb8"
LEVER_BASES = {
    f"{NOW}n_ensemble=4": ROUND2_BASE,
    f"{NOW}n_ensemble=2": ROUND2_BASE,
    f"{NOW}max_iter=25": ROUND2_BASE,
    f"{NOW}n_iter_no_change=3": ROUND2_BASE,
}
# the defaults of 0d2ee59 (before cross-fitting, round 4) and the MLP of their run:
# every other round-2 lever and round 3 were measured against them
ROUND4_BASE = "sknn defaults of 0d2ee59"
ROUND4_BASE_MLP = "sklearn MLP (0d2ee59 run)"
# the defaults before cross-fitting, rerun beside round 4's and 5's (benchmarks/wide.py)
HELD_OUT = "sknn before cross-fitting"
# round 4's second change, rejected: 2 members where one split is held out (5,000
# rows and more), run as the defaults beside HELD_OUT (the same invocation)
TWO_MEMBERS = f"{NOW}2 members from 5,000 rows"
# round 4's defaults (cross-fitting under 5,000 rows), rerun beside round 5's
# (cross-fitting up to 20,000), the HELD_OUT defaults beside both
ROUND4 = "sknn cross-fitting under 5,000 rows"
# round 5's defaults (today's but for the rate of learning_rate="auto"), rerun beside
# today's (round 6); their own run's sknn and MLP keep the round 4 and 5 sections
ROUND5 = "sknn before the rate of round 6"
ROUND5_RUN = "sknn round 5 defaults (round 5 run)"
MLP_ROUND5_RUN = "sklearn MLP (round 5 run)"
# round 6's defaults and the MLP as run beside round 5's (round6_lines); round 8 reran
# every model beside ROUND7, today's defaults but for a classifier's early stopping
# (round 7, tables under 91 rows in tiny_tables.py, changed none of these fits)
ROUND6_RUN = "sknn round 6 defaults (round 6 run)"
MLP_ROUND6_RUN = "sklearn MLP (round 6 run)"
ROUND7 = "sknn before round 8"
LEVER_BASES[TWO_MEMBERS] = HELD_OUT
RETIRED_LEVERS = "batch="

PEERS = ["sklearn MLP", "HGB", "LightGBM"]
MODELS = ["sknn", *PEERS]
PRIMARY = {"clf": "accuracy", "reg": "r2"}


def _scores(raw, model, table, metric) -> dict[str, float]:
    return {s: r[metric] for s, r in raw.get(model, {}).get(table, {}).items()}


def paired(raw, model, peer, table, metric, lower_is_better=False):
    """Mean and standard error of model - peer over the shared splits (None if none)."""
    a, b = _scores(raw, model, table, metric), _scores(raw, peer, table, metric)
    shared = sorted(set(a) & set(b), key=int)
    if len(shared) < 2:
        return None
    d = np.array([a[s] - b[s] for s in shared])
    if lower_is_better:
        d = -d
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def _mean_se(values) -> str:
    v = np.asarray(list(values), dtype=float)
    if not len(v):
        return "-"
    se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
    return f"{v.mean():.4f} ± {se:.4f}"


def _counts(raw, peer, tables, metric_of, lower_is_better=False, model="sknn") -> dict[str, int]:
    counts = dict.fromkeys(["better, beyond 2 SE", "better", "worse", "worse, beyond 2 SE"], 0)
    for t in tables:
        result = paired(raw, model, peer, t.name, metric_of(t), lower_is_better)
        if result is None:
            continue
        mean, se = result
        beyond = abs(mean) > 2 * se
        key = ("better" if mean > 0 else "worse") + (", beyond 2 SE" if beyond else "")
        counts[key] += 1
    return counts


def _fit_seconds(raw, model, table) -> float:
    times = [r["fit_s"] for r in raw.get(model, {}).get(table, {}).values()]
    return float(np.mean(times)) if times else float("nan")


def summary_lines(raw) -> list[str]:
    lines = []
    for half in ("report", "tuning"):
        tables = [t for t in TABLES if t.half == half]
        lines += [
            f"### {half.capitalize()} half ({len(tables)} tables)",
            "",
            "Tables where sknn's defaults score above / below each peer (accuracy or R^2; "
            "log-loss for the classification tables in the second block):",
            "",
            "| peer | better, beyond 2 SE | better | worse | worse, beyond 2 SE |",
            "|---|---|---|---|---|",
        ]
        for peer in PEERS:
            c = _counts(raw, peer, tables, lambda t: PRIMARY[t.task])
            lines.append(f"| {peer} | " + " | ".join(str(v) for v in c.values()) + " |")
        clf = [t for t in tables if t.task == "clf"]
        lines += [
            "",
            "| peer (log-loss, classification) | better, beyond 2 SE | better | worse "
            "| worse, beyond 2 SE |",
            "|---|---|---|---|---|",
        ]
        for peer in PEERS:
            c = _counts(raw, peer, clf, lambda t: "log_loss", lower_is_better=True)
            lines.append(f"| {peer} | " + " | ".join(str(v) for v in c.values()) + " |")
        fit = {m: np.nansum([_fit_seconds(raw, m, t.name) for t in tables]) for m in MODELS}
        lines += [
            "",
            "Mean fit seconds per split, summed over the half's tables: "
            + ", ".join(f"{m} {s:.1f} s" for m, s in fit.items()),
            "",
        ]
    return lines


# round 3 (issue 30): candidate defaults run with all four models on both halves, their
# peers kept as "<peer> (round 3 run)" for same-run time ratios; rejected
ROUND3 = f"{NOW}piecewise width 8, no early cut under 100 validation rows"


def round3_lines(raw) -> list[str]:
    """The round-3 candidate against the defaults of its time on both halves, and its cost."""
    if ROUND3 not in raw or ROUND4_BASE not in raw:
        return []
    return [
        "## Round 3 (issue 30): a candidate that won on the tuning half only",
        "",
        f'`{ROUND3}`: piecewise-linear embeddings 8 wide instead of 4, and `"auto"` early '
        "stopping that trains the whole schedule (still restoring the best epoch) when the "
        "validation split has fewer than 100 rows. Chosen on the tuning half, run like the "
        f"defaults of the time (`{ROUND4_BASE}`; all four models alternating on every split, "
        "in its own run); rejected: on the report half it scored like those defaults at 1.6x "
        "their fit time, over the budget of 2.5x scikit-learn's MLP. Each of its two changes "
        "alone is a lever in the round-2 table above.",
        "",
        *_candidate_table(
            raw, (ROUND4_BASE, ROUND4_BASE_MLP), (ROUND3, "sklearn MLP (round 3 run)")
        ),
    ]


def round4_lines(raw) -> list[str]:
    """Cross-fitting under 5,000 rows against the defaults before it, in one run."""
    if HELD_OUT not in raw or ROUND4 not in raw:
        return []
    return [
        "## Round 4 (issue 30): cross-fitting under 5,000 rows",
        "",
        "Below 5,000 rows the defaults now cross-fit (4 folds, 4 groups of one member with "
        "embeddings and hidden layers of their own, every row trained on by three groups and "
        "validated on the fourth), and with one held-out split they have 2 members from "
        f"2,000 training rows instead of 4. `{HELD_OUT}` is the defaults before (one "
        "held-out split, 8 members below 2,000 training rows and 4 from there). Both "
        f"rerun in round 5's invocation (`{ROUND4}`, `{HELD_OUT}`), alternating with the other "
        "models on every split. Chosen on the tuning half (`candidate - defaults`: round 4 "
        "minus the defaults before it).",
        "",
        *_candidate_table(raw, (HELD_OUT, MLP_ROUND5_RUN), (ROUND4, MLP_ROUND5_RUN)),
    ]


def round5_lines(raw) -> list[str]:
    """Cross-fitting up to 20,000 rows (round 5) against round 4's, in their own run."""
    if ROUND4 not in raw or ROUND5_RUN not in raw:
        return []
    return [
        "## Round 5 (issue 30): cross-fitting up to 20,000 rows",
        "",
        "A regressor now cross-fits tables of up to 20,000 rows (one held-out split above; "
        "a classifier still from 5,000), and a cross-fitted fit validates each row through "
        "its own group only (the hidden layers ran every validation row through all four "
        f"before). `{ROUND4}` is round 4's defaults, run in the same invocation as round 5's "
        f"(`{ROUND5_RUN}`; with the "
        "same validation code), alternating with the other models on every split. Chosen on "
        "the tuning half's 10 tables of 5,000 rows and more, where only the regressions "
        "gained; the classification tables of 5,000 training rows and more (HealthInsurance, "
        "lending_club, SmokeBan, nassCDS, wa_churn), cross-fitted in that run, were rerun "
        "for round 5 in a second invocation minutes later, held out as round 4 did.",
        "",
        *_candidate_table(raw, (ROUND4, MLP_ROUND5_RUN), (ROUND5_RUN, MLP_ROUND5_RUN)),
    ]


def round6_lines(raw) -> list[str]:
    """The rate of round 6 against round 5's, in one run."""
    if ROUND5 not in raw or ROUND6_RUN not in raw:
        return []
    return [
        "## Round 6 (issue 30): a higher rate for small batches",
        "",
        '`learning_rate="auto"` is now 1.5e-3 at batches of 32 rows, growing with the 0.35th '
        "power of the batch (1e-3 growing with its square root before): small tables, "
        "trained in batches of 32-64 rows, get 1.35-1.5x the rate, batches of 512 keep "
        f"theirs. `{ROUND5}` is round 5's defaults, run in the same invocation as round 6's "
        f"(`{ROUND6_RUN}`), alternating "
        "with the other models on every split. Chosen on the tuning half in a screen of "
        "three rules (see the docstring of `learning_rate` in `sknn/neural_net/_plan.py`).",
        "",
        *_candidate_table(raw, (ROUND5, MLP_ROUND6_RUN), (ROUND6_RUN, MLP_ROUND6_RUN)),
    ]


def round8_lines(raw) -> list[str]:
    """A classifier's epochs judged after their temperature (today's defaults), in one run."""
    if ROUND7 not in raw:
        return []
    return [
        "## Round 8: a classifier's early stopping judges each epoch after its temperature",
        "",
        "A classifier that holds rows out (a validation split or cross-fitting) fits a "
        "temperature to them after its fit; early stopping now judges each epoch by the "
        "validation log-loss after the temperature fitted to that epoch, where it watched "
        "the raw log-loss, which label smoothing (0.1) holds above about -log(0.95) a row "
        "whatever the epoch learnt: on a rare class that floor outweighed the signal "
        "(`rare_class.py`: generated tables of 2%, 0.5% and 0.1% positives, test log-loss "
        "6%, 5% and 11% lower). Regressors are unchanged. "
        f"`{ROUND7}` is round 7's defaults, run in the same invocation, alternating with the "
        "other models on every split. Chosen on the tuning half's 12 classification tables "
        "(log-loss 0.0012 lower on average, 9 lower, none higher beyond 2 SE).",
        "",
        *_candidate_table(raw, (ROUND7, "sklearn MLP"), ("sknn", "sklearn MLP")),
        "Per classification table (paired by split; positive: today's defaults better):",
        "",
        "| half | table | accuracy, today - before | log-loss, before - today "
        "| GFLOP / fit, today | before |",
        "|---|---|---|---|---|---|",
        *_round8_rows(raw),
    ]


def _round8_rows(raw) -> list[str]:
    rows = []
    for half in ("tuning", "report"):
        gains = []
        for t in TABLES:
            if t.half != half or t.task != "clf" or t.name not in raw[ROUND7]:
                continue
            acc = paired(raw, "sknn", ROUND7, t.name, "accuracy")
            loss = paired(raw, "sknn", ROUND7, t.name, "log_loss", lower_is_better=True)
            if acc is None or loss is None:
                continue
            gains.append(loss)
            flop = [_fit_gflop(raw, m, t.name) for m in ("sknn", ROUND7)]
            rows.append(
                f"| {half} | {t.name} | {acc[0]:+.4f} ± {acc[1]:.4f} "
                f"| {loss[0]:+.4f} ± {loss[1]:.4f} | {flop[0]:.1f} | {flop[1]:.1f} |"
            )
        up = sum(m > 2 * se for m, se in gains)
        down = sum(m < -2 * se for m, se in gains)
        rows.append(
            f"| {half} | mean of {len(gains)} | | {np.mean([m for m, _ in gains]):+.4f} "
            f"({up} better, {down} worse beyond 2 SE) | | |"
        )
    return rows + [""]


def _candidate_table(raw, base: tuple[str, str], candidate: tuple[str, str]) -> list[str]:
    """A candidate against its base per half: score, HGB counts, fit time vs each one's MLP."""
    lines = [
        "| half | candidate - defaults, mean | better / worse beyond 2 SE | HGB beaten / "
        "behind beyond 2 SE: defaults | candidate | fit time vs the MLP of its run: "
        "defaults | candidate |",
        "|---|---|---|---|---|---|---|",
    ]
    for half in ("tuning", "report"):
        tables = [
            t
            for t in TABLES
            if t.half == half and t.name in raw[candidate[0]] and t.name in raw[base[0]]
        ]
        diffs = {
            t.name: paired(raw, candidate[0], base[0], t.name, PRIMARY[t.task]) for t in tables
        }
        up = [n for n, d in diffs.items() if d and d[0] > 2 * d[1]]
        down = [n for n, d in diffs.items() if d and d[0] < -2 * d[1]]
        hgb = [
            _counts(raw, "HGB", tables, lambda t: PRIMARY[t.task], model=m)
            for m in (base[0], candidate[0])
        ]
        beaten = [
            f"{c['better, beyond 2 SE'] + c['better']} / {c['worse, beyond 2 SE']}" for c in hgb
        ]
        ratio = [
            sum(_fit_seconds(raw, m, t.name) for t in tables)
            / sum(_fit_seconds(raw, mlp, t.name) for t in tables)
            for m, mlp in (base, candidate)
        ]
        lines.append(
            f"| {half} | {np.mean([d[0] for d in diffs.values() if d]):+.4f} "
            f"| {len(up)} {_names(up)} / {len(down)} {_names(down)} | {beaten[0]} "
            f"| {beaten[1]} | {ratio[0]:.2f}x | {ratio[1]:.2f}x |"
        )
    return lines + [""]


# the "before" of the arithmetic section: round 7's defaults, run on both halves
# beside today's
BEFORE = ROUND7


def _fit_gflop(raw, model, table) -> float:
    flop = [r["fit_flop"] for r in raw.get(model, {}).get(table, {}).values() if "fit_flop" in r]
    return float(np.mean(flop)) / 1e9 if flop else float("nan")


def arithmetic_lines(raw) -> list[str]:
    """Each default fit's arithmetic beside its score, today's defaults and ``BEFORE``."""
    if BEFORE not in raw:
        return []
    lines = [
        "## The default fit's arithmetic beside its score",
        "",
        f"GFLOP per fit (mean over the splits; `fit_flop` in `benchmarks/models.py`: forward "
        f"and backward of every epoch at two FLOPs per multiply-add) of today's defaults and "
        "of round 7's defaults, a classifier's early stopping before round 8 "
        f"(`{BEFORE}` in the raw file, run in the same invocation, alternating on every "
        "split), with "
        "the paired score difference (today minus before, accuracy or R^2).",
        "",
    ]
    for half in ("report", "tuning"):
        tables = [t for t in TABLES if t.half == half and BEFORE in raw and t.name in raw[BEFORE]]
        if not tables:
            continue
        lines += [
            f"### {half.capitalize()} half",
            "",
            "| table | GFLOP / fit, today | before | fit s, today | before "
            "| score, today | before | today - before |",
            "|---|---|---|---|---|---|---|---|",
        ]
        sums = np.zeros(4)
        worse = []
        for t in tables:
            metric = PRIMARY[t.task]
            now = (_fit_gflop(raw, "sknn", t.name), _fit_gflop(raw, BEFORE, t.name))
            secs = (_fit_seconds(raw, "sknn", t.name), _fit_seconds(raw, BEFORE, t.name))
            sums += [*now, *secs]
            diff = paired(raw, "sknn", BEFORE, t.name, metric)
            if diff is not None and diff[0] < -2 * diff[1]:
                worse.append(t.name)
            scores = [_mean_se(_scores(raw, m, t.name, metric).values()) for m in ("sknn", BEFORE)]
            lines.append(
                f"| {t.name} | {now[0]:.1f} | {now[1]:.1f} | {secs[0]:.2f} | {secs[1]:.2f} "
                f"| {scores[0]} | {scores[1]} "
                f"| {'-' if diff is None else f'{diff[0]:+.4f} ± {diff[1]:.4f}'} |"
            )
        lines += [
            f"| **sum** | **{sums[0]:.0f}** | {sums[1]:.0f} | **{sums[2]:.1f}** | {sums[3]:.1f} "
            "| | | |",
            "",
            f"Today's defaults do {sums[0] / sums[1]:.2f}x the arithmetic and take "
            f"{sums[2] / sums[3]:.2f}x the fit time of the defaults before; worse than them "
            f"beyond 2 SE on {len(worse)} of {len(tables)} tables"
            f"{': ' + ', '.join(worse) if worse else ''}.",
            "",
        ]
    return lines


def table_lines(raw) -> list[str]:
    lines = [
        "| table | half | task | rows | sknn | sklearn MLP | HGB | LightGBM | sknn - MLP "
        "| sknn - HGB | sknn - LightGBM | fit s (sknn / HGB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in TABLES:
        metric = PRIMARY[t.task]
        n_splits = len(raw.get("sknn", {}).get(t.name, {}))
        if not n_splits:
            continue
        cells = [_mean_se(_scores(raw, m, t.name, metric).values()) for m in MODELS]
        diffs = []
        for peer in PEERS:
            result = paired(raw, "sknn", peer, t.name, metric)
            diffs.append("-" if result is None else f"{result[0]:+.4f} ± {result[1]:.4f}")
        fit = f"{_fit_seconds(raw, 'sknn', t.name):.2f} / {_fit_seconds(raw, 'HGB', t.name):.2f}"
        lines.append(
            f"| {t.name} | {t.half} | {t.task} {metric} | {n_splits} splits | "
            + " | ".join(cells + diffs)
            + f" | {fit} |"
        )
    return lines


def plot(raw, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = []
    for t in TABLES:
        for peer in ("HGB", "sklearn MLP"):
            result = paired(raw, "sknn", peer, t.name, PRIMARY[t.task])
            if result is not None:
                rows.append((t.name, t.half, peer, *result))
    if not rows:
        return
    df = pd.DataFrame(rows, columns=["table", "half", "peer", "mean", "se"])
    fig, axes = plt.subplots(1, 2, figsize=(12, 9), sharey=True)
    order = [t.name for t in TABLES if t.name in set(df["table"])]
    for ax, peer in zip(axes, ("HGB", "sklearn MLP"), strict=True):
        part = df[df["peer"] == peer].set_index("table").reindex(order)
        colors = ["tab:blue" if h == "report" else "tab:gray" for h in part["half"]]
        ax.barh(order, part["mean"], xerr=2 * part["se"], color=colors)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(f"sknn minus {peer} (accuracy or R^2), ± 2 SE")
        ax.invert_yaxis()
    axes[0].set_xlabel("blue: report half, grey: tuning half")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ------------------------------------------------------------------ diagnosis
def traits(X: pd.DataFrame, task: str, n_classes: int) -> dict:
    """A table's traits that might explain where trees win."""
    categorical = [c for c in X.columns if str(X[c].dtype) == "category"]
    numeric = [c for c in X.columns if c not in categorical and X[c].dtype.kind in "biuf"]
    heavy = 0
    for c in numeric:
        v = X[c].dropna().to_numpy(float)
        if len(v) > 10 and v.std() > 0 and kurtosis(v) > 10:
            heavy += 1
    return {
        "rows": len(X),
        "features": X.shape[1],
        "categorical share": len(categorical) / X.shape[1],
        "max cardinality": max([X[c].nunique() for c in categorical], default=0),
        "missing share": float(X.isna().mean().mean()),
        "heavy-tailed share": heavy / max(len(numeric), 1),
        "classification": float(task == "clf"),
    }


def _markdown(df: pd.DataFrame) -> list[str]:
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    return [
        "| " + " | ".join(df.columns) + " |",
        "|" + "---|" * len(df.columns),
        *("| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)),
    ]


def diagnosis_lines(raw) -> list[str]:
    tuning = [t for t in TABLES if t.half == "tuning"]
    rows = []
    for t in tuning:
        result = paired(raw, "sknn", "HGB", t.name, PRIMARY[t.task])
        if result is None:
            continue
        X, y = t.load()
        n_classes = len(np.unique(y)) if t.task == "clf" else 0
        rows.append(
            {
                "table": t.name,
                "sknn - HGB": result[0],
                "SE": result[1],
                **traits(X, t.task, n_classes),
            }
        )
    if not rows:
        return ["No results on the tuning half yet."]
    df = pd.DataFrame(rows)
    lines = [
        "## Per-table traits and sknn's paired difference to HistGradientBoosting (tuning half)",
        "",
        *_markdown(df),
        "",
        "## Spearman rank correlation of each trait with sknn - HGB",
        "",
        f"Over the {len(df)} tuning tables (a positive value: sknn does relatively better "
        "as the trait grows). With this few tables only strong correlations mean much.",
        "",
        "| trait | Spearman rho | p-value |",
        "|---|---|---|",
    ]
    for trait in [
        "rows",
        "features",
        "categorical share",
        "max cardinality",
        "missing share",
        "heavy-tailed share",
        "classification",
    ]:
        rho, p = spearmanr(df[trait], df["sknn - HGB"])
        lines.append(f"| {trait} | {rho:+.2f} | {p:.2f} |")
    return lines


def lever_lines(raw) -> list[str]:
    """sknn variants (``sknn <lever>`` models) against their base on the tuning half.

    Round 1 (``sknn <lever>``) changed the network before the lean fit and is
    compared with it; round 2 (``sknn now <lever>``, issue 30) changes today's
    defaults and is compared with ``sknn``.
    """
    base = PREVIOUS if PREVIOUS in raw else "sknn"
    first = sorted(
        m
        for m in raw
        if m.startswith("sknn ")
        and not m.startswith(NOW)
        and m not in ("sknn", base, ROUND4_BASE, HELD_OUT, ROUND4, ROUND5, ROUND5_RUN)
    )
    second = sorted(m for m in raw if m.startswith(NOW) and not m.startswith(NOW + RETIRED_LEVERS))
    if not first and not second:
        return []
    tuning = [t for t in TABLES if t.half == "tuning"]
    lines = []
    if first:
        losing = _lost_to_hgb(raw, base, tuning)
        lines += [
            "## Levers on the tuning half: sknn with one change against the previous network",
            "",
            "Every lever is one change to the defaults before the lean fit (two hidden layers "
            f"of 256, periodic embeddings; `{PREVIOUS}` in the raw file), measured "
            "against them: mean paired difference (variant minus them) in accuracy or R^2 over "
            "the 12 tuning tables, tables improved / worsened beyond 2 SE, the mean difference "
            f"on the tables where they trail HistGradientBoosting beyond 2 SE "
            f"({', '.join(losing)}), and the fit time relative to theirs. Their run is from "
            "2026-12-02, on the training step made 12-15% faster that day (TabularMLP's "
            "members-first layout; same arithmetic); the levers n_ensemble=16/4, "
            "validation_fraction=0.2, no periodic embedding, quantile-normal numbers and "
            "max_iter=80 ran before that change, so their time ratios are about that much too "
            "high. `hidden=256 piecewise` is today's defaults, measured before their bin edges "
            "became inverse-CDF (weighted) quantiles of the data instead of interpolated ones.",
            "",
            *_lever_table(raw, first, base, tuning, losing, len("sknn ")),
        ]
    for base in dict.fromkeys(LEVER_BASES.get(m, ROUND4_BASE) for m in second):
        levers = [m for m in second if LEVER_BASES.get(m, ROUND4_BASE) == base]
        if base not in raw:
            continue
        losing = _lost_to_hgb(raw, base, tuning)
        lines += [
            "",
            f"## Round 2 (issue 30): the defaults `{base}` with one change",
            "",
            f"Each `{NOW}<lever>` model in the raw file changes the defaults `{base}` in "
            "one way and is compared with them as above; the tables they lose to "
            f"HistGradientBoosting beyond 2 SE are {', '.join(losing) or 'none'}. Each ran in "
            "its own invocation after the defaults', on the same machine: the time ratio is a "
            "guide, not a same-run measurement. Round 2's batch-size levers (7d01cb8) are "
            "left out: their base was rerun as the new defaults; their figures are in that "
            "commit's message.",
            "",
            *_lever_table(raw, levers, base, tuning, losing, len(NOW)),
        ]
    return lines


def _lost_to_hgb(raw, base: str, tuning) -> list[str]:
    losing = []
    for t in tuning:
        result = paired(raw, base, "HGB", t.name, PRIMARY[t.task])
        if result is not None and result[0] < -2 * result[1]:
            losing.append(t.name)
    return losing


def _lever_table(raw, levers, base: str, tuning, losing, prefix: int) -> list[str]:
    lines = [
        "| lever | mean difference | improved beyond 2 SE | worsened beyond 2 SE "
        "| on the tables lost to HGB | fit time vs defaults |",
        "|---|---|---|---|---|---|",
    ]
    for lever in levers:
        diffs, up, down, t_var, t_def, lost = [], [], [], 0.0, 0.0, []
        for t in tuning:
            result = paired(raw, lever, base, t.name, PRIMARY[t.task])
            if result is None:
                continue
            diffs.append(result[0])
            if result[0] > 2 * result[1]:
                up.append(t.name)
            if result[0] < -2 * result[1]:
                down.append(t.name)
            if t.name in losing:
                lost.append(result[0])
            t_var += _fit_seconds(raw, lever, t.name)
            t_def += _fit_seconds(raw, base, t.name)
        if diffs:
            lines.append(
                f"| {lever[prefix:]} | {np.mean(diffs):+.4f} | {len(up)} {_names(up)} "
                f"| {len(down)} {_names(down)} "
                f"| {np.mean(lost) if lost else float('nan'):+.4f} | {t_var / t_def:.2f}x |"
            )
    return lines


def _names(tables: list[str]) -> str:
    return f"({', '.join(tables)})" if tables else ""


def write_reports(raw: dict, results: str) -> None:
    stamp = (
        f"Written {time.strftime('%Y-%m-%d')} on {platform.machine()}, one thread per model. "
        "Command: `python benchmarks/accuracy.py --wide` (tables and their rules: "
        "`benchmarks/wide_tables.py`)."
    )
    lines = [
        f"# Wide accuracy benchmark: sknn's defaults on {len(TABLES)} real tables",
        "",
        stamp,
        "",
        "## Summary",
        "",
        *summary_lines(raw),
        "## Per table (mean ± standard error over the splits; differences paired by split)",
        "",
        *table_lines(raw),
        "",
        "![paired differences](accuracy_wide.png)",
        "",
        *arithmetic_lines(raw),
    ]
    with open(os.path.join(results, "accuracy_wide.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    plot(raw, os.path.join(results, "accuracy_wide.png"))
    diagnosis = [
        "# Where the trees win: diagnosis on the tuning half",
        "",
        stamp,
        "",
        *diagnosis_lines(raw),
        "",
        *lever_lines(raw),
        "",
        *round3_lines(raw),
        *round4_lines(raw),
        *round5_lines(raw),
        *round6_lines(raw),
        *round8_lines(raw),
    ]
    with open(os.path.join(results, "accuracy_wide_diagnosis.md"), "w") as f:
        f.write("\n".join(diagnosis) + "\n")
