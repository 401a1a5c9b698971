"""Regression losses on real tables: counts, positive amounts, quantiles and 90% intervals.

The tables, their splits and seeds are the wide benchmark's
(``benchmarks/wide_tables.py``, ``wide.splits``); one thread each. Two parts:

**Families** (``--part families``): sknn and HistGradientBoosting with the same
loss, scored by the family's mean deviance on the test rows (lower is better).

- Counts, ``loss="poisson"``: every wide table whose target is a count
  (DoctorVisits and NMES1988 in the report half; DoctorContacts, GSS7402 and
  VietNamI in the tuning half).
- Positive amounts, ``loss="gamma"``: every report-half regression table whose
  target is a positive amount, on its own scale (the wide benchmark models
  prices and wages on a log scale; here they are ``exp`` of it, the skewed
  amounts a Gamma deviance is for): concrete, Sacramento, car_prices,
  Computers, Males, SaratogaHouses, CPS1985, hotel_rates.

**Quantiles and intervals** (``--part quantiles``): every regression table of
the report half, target as in the wide benchmark.

- ``sknn quantile``: ``NeuralNetRegressor(loss="quantile", quantile=[0.05, 0.5,
  0.95])``, one fit; its 90% interval is ``predict_interval()``, the band of
  the outer quantiles conformalized on the validation rows.
- ``HGB quantile``: three ``HistGradientBoostingRegressor(loss="quantile")``
  fits (0.05, 0.5, 0.95); its interval is the pair of outer models.
- ``sknn split-conformal``: the default ``NeuralNetRegressor()`` and
  ``predict_interval(coverage=0.9)``: the prediction plus/minus the conformal
  quantile of its validation rows' absolute residuals.

Scores: mean pinball loss per level, the intervals' empirical coverage on the
test rows and their mean width (in the target's units). Paired differences
are sknn minus HGB per split, mean +- standard error over the splits.

    python benchmarks/regression_losses.py                    # both parts, then the report
    python benchmarks/regression_losses.py --part quantiles   # one part
    python benchmarks/regression_losses.py --report           # only rewrite the report

Raw results accumulate (resumable) in ``results/regression_losses_raw.json``;
the report is ``results/regression_losses.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    mean_gamma_deviance,
    mean_pinball_loss,
    mean_poisson_deviance,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wide  # noqa: E402
from wide_tables import TABLES  # noqa: E402

from sknn import NeuralNetRegressor  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
RAW = os.path.join(RESULTS, "regression_losses_raw.json")
REPORT = os.path.join(RESULTS, "regression_losses.md")

COUNTS = ["DoctorVisits", "NMES1988", "DoctorContacts", "GSS7402", "VietNamI"]
# report-half tables of positive amounts; the wide benchmark's log targets are exp'ed
AMOUNTS = [
    "concrete",
    "Sacramento",
    "car_prices",
    "Computers",
    "Males",
    "SaratogaHouses",
    "CPS1985",
    "hotel_rates",
]
LEVELS = [0.05, 0.5, 0.95]
COVERAGE = 0.9
DEVIANCE = {"poisson": mean_poisson_deviance, "gamma": mean_gamma_deviance}


def _table(name: str):
    return next(t for t in TABLES if t.name == name)


def _amounts(table, y: np.ndarray) -> np.ndarray:
    return np.exp(y) if "log" in table.source else y


def _hgb(seed: int, **params) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(
        categorical_features="from_dtype", random_state=seed, **params
    )


def _timed_fit(model, X, y):
    tic = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - tic


def family_split(loss: str, X_tr, y_tr, X_te, y_te, seed: int) -> dict:
    """sknn and HGB with ``loss`` on one split: test deviance and fit seconds."""
    deviance = DEVIANCE[loss]
    out = {}
    for name, model in (
        ("sknn", NeuralNetRegressor(loss=loss, random_state=seed)),
        ("HGB", _hgb(seed, loss=loss)),
    ):
        model, fit_s = _timed_fit(model, X_tr, y_tr)
        out[name] = {"deviance": float(deviance(y_te, model.predict(X_te))), "fit_s": fit_s}
    return out


def _interval_scores(bounds: np.ndarray, y: np.ndarray) -> dict:
    inside = (bounds[:, 0] <= y) & (y <= bounds[:, 1])
    return {"coverage": float(inside.mean()), "width": float(np.mean(bounds[:, 1] - bounds[:, 0]))}


def quantile_split(X_tr, y_tr, X_te, y_te, seed: int) -> dict:
    """The three interval makers on one split: pinball losses, coverage, width, fit seconds."""
    sknn, fit_s = _timed_fit(
        NeuralNetRegressor(loss="quantile", quantile=LEVELS, random_state=seed), X_tr, y_tr
    )
    pred = sknn.predict(X_te)
    raw_band = np.stack([pred[:, 0], pred[:, -1]], axis=1)
    out = {
        "sknn quantile": {
            **{
                f"pinball_{q}": mean_pinball_loss(y_te, pred[:, j], alpha=q)
                for j, q in enumerate(LEVELS)
            },
            **_interval_scores(sknn.predict_interval(X_te), y_te),
            "raw_coverage": _interval_scores(raw_band, y_te)["coverage"],
            "fit_s": fit_s,
        }
    }
    hgb_pred, hgb_fit_s = [], 0.0
    for q in LEVELS:
        model, seconds = _timed_fit(_hgb(seed, loss="quantile", quantile=q), X_tr, y_tr)
        hgb_pred.append(model.predict(X_te))
        hgb_fit_s += seconds
    out["HGB quantile"] = {
        **{
            f"pinball_{q}": mean_pinball_loss(y_te, hgb_pred[j], alpha=q)
            for j, q in enumerate(LEVELS)
        },
        **_interval_scores(np.stack([hgb_pred[0], hgb_pred[-1]], axis=1), y_te),
        "fit_s": hgb_fit_s,
    }
    default, fit_s = _timed_fit(NeuralNetRegressor(random_state=seed), X_tr, y_tr)
    out["sknn split-conformal"] = {
        **_interval_scores(default.predict_interval(X_te, coverage=COVERAGE), y_te),
        "fit_s": fit_s,
    }
    return out


def load_raw() -> dict:
    """part/loss -> table -> split -> result."""
    return wide.load_raw(RAW)


def jobs(part: str | None):
    """(part, loss, table name) to run."""
    if part in (None, "families"):
        yield from (("families", "poisson", name) for name in COUNTS)
        yield from (("families", "gamma", name) for name in AMOUNTS)
    if part in (None, "quantiles"):
        names = [t.name for t in TABLES if t.task == "reg" and t.half == "report"]
        yield from (("quantiles", "quantile", name) for name in names)


def run(part: str | None) -> None:
    raw = load_raw()  # what is done already
    for kind, loss, name in jobs(part):
        table = _table(name)
        X, y = table.load()
        if kind == "families" and loss == "gamma":
            y = _amounts(table, y)
        key = f"{kind}/{loss}"
        for i, (train, test) in enumerate(wide.splits(len(X), y, "reg")):
            if str(i) in raw.get(key, {}).get(name, {}):
                continue
            args = (X.iloc[train], y[train], X.iloc[test], y[test], i)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = family_split(loss, *args) if kind == "families" else quantile_split(*args)
            result["measured"] = time.strftime("%Y-%m-%d")
            wide.save_raw({key: {name: {str(i): result}}}, RAW)
            print(f"{key}/{name:20s} split {i} {json.dumps(result)}", flush=True)


def _mean_se(values) -> str:
    values = np.asarray(values, dtype=float)
    se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
    return f"{values.mean():+.4g} ± {se:.2g}"


def _column(splits_: dict, model: str, metric: str) -> np.ndarray:
    return np.array([splits_[k][model][metric] for k in sorted(splits_, key=int)])


def _half(name: str) -> str:
    return _table(name).half


def family_lines(raw: dict) -> list[str]:
    lines = [
        "## Counts and positive amounts: sknn against HistGradientBoosting with the same loss",
        "",
        "Mean test deviance (lower is better); difference sknn − HGB per split, mean ± SE "
        "(negative: sknn better); **bold** beyond 2 SE.",
        "",
        "| loss | table | half | splits | sknn | HGB | sknn − HGB | fit s sknn / HGB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for loss, names in (("poisson", COUNTS), ("gamma", AMOUNTS)):
        better = worse = 0
        for name in names:
            done = raw.get(f"families/{loss}", {}).get(name)
            if not done:
                continue
            a, b = _column(done, "sknn", "deviance"), _column(done, "HGB", "deviance")
            diff = a - b
            se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.inf
            beyond = abs(diff.mean()) > 2 * se
            better += int(diff.mean() < 0)
            worse += int(beyond and diff.mean() > 0)
            cell = _mean_se(diff)
            fits = " / ".join(f"{_column(done, m, 'fit_s').mean():.2f}" for m in ("sknn", "HGB"))
            shown = f"**{cell}**" if beyond else cell
            lines.append(
                f"| {loss} | {name} | {_half(name)} | {len(diff)} | {a.mean():.4f} "
                f"| {b.mean():.4f} | {shown} | {fits} |"
            )
        lines.append(
            f"| {loss} | **{better} of {len(names)} tables better, "
            f"{worse} worse beyond 2 SE** | | | | | | |"
        )
    return lines


def quantile_lines(raw: dict) -> list[str]:
    names = [t.name for t in TABLES if t.task == "reg" and t.half == "report"]
    lines = [
        "## Quantiles and 90% intervals on every regression table of the report half",
        "",
        "Coverage: the share of test targets inside the interval (target 0.90; must show "
        "0.87–0.93 for sknn's conformalized band); width: its mean, in the target's units; "
        "`raw`: sknn's outer quantiles before calibration.",
        "",
        "| table | splits | sknn CQR coverage | width | raw coverage | HGB pair coverage | width "
        "| sknn split-conformal coverage | width | fit s: sknn q / HGB ×3 / sknn |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    pinball = [
        "",
        "### Pinball loss: sknn − HGB per level (negative: sknn better), mean ± SE; "
        "**bold** beyond 2 SE",
        "",
        "| table | " + " | ".join(f"q = {q}" for q in LEVELS) + " |",
        "|---|" + "---|" * len(LEVELS),
    ]
    inside = []
    for name in names:
        done = raw.get("quantiles/quantile", {}).get(name)
        if not done:
            continue
        cov = _column(done, "sknn quantile", "coverage").mean()
        inside.append(0.87 <= cov <= 0.93)
        cells = [
            f"{cov:.3f}",
            f"{_column(done, 'sknn quantile', 'width').mean():.4g}",
            f"{_column(done, 'sknn quantile', 'raw_coverage').mean():.3f}",
            f"{_column(done, 'HGB quantile', 'coverage').mean():.3f}",
            f"{_column(done, 'HGB quantile', 'width').mean():.4g}",
            f"{_column(done, 'sknn split-conformal', 'coverage').mean():.3f}",
            f"{_column(done, 'sknn split-conformal', 'width').mean():.4g}",
            " / ".join(
                f"{_column(done, m, 'fit_s').mean():.2f}"
                for m in ("sknn quantile", "HGB quantile", "sknn split-conformal")
            ),
        ]
        lines.append(f"| {name} | {len(done)} | " + " | ".join(cells) + " |")
        row = []
        for q in LEVELS:
            diff = _column(done, "sknn quantile", f"pinball_{q}") - _column(
                done, "HGB quantile", f"pinball_{q}"
            )
            se = diff.std(ddof=1) / np.sqrt(len(diff))
            cell = _mean_se(diff)
            row.append(f"**{cell}**" if abs(diff.mean()) > 2 * se else cell)
        pinball.append(f"| {name} | " + " | ".join(row) + " |")
    lines.append("")
    lines.append(
        f"sknn's conformalized 90% band covers 0.87–0.93 on **{sum(inside)} of "
        f"{len(inside)}** tables."
    )
    return lines + pinball


def _dates(raw: dict) -> str:
    """When each part's splits were run, as ``counts and amounts 2026-12-06, ...``."""
    parts = []
    for part, label in (("families", "counts and amounts"), ("quantiles", "quantiles")):
        days = sorted(
            {
                result.get("measured", "?")
                for key, tables in raw.items()
                if key.startswith(part)
                for splits in tables.values()
                for result in splits.values()
            }
        )
        if days:
            parts.append(f"{label} {' to '.join(dict.fromkeys([days[0], days[-1]]))}")
    return ", ".join(parts)


def write_report(raw: dict) -> None:
    import sklearn
    import torch

    lines = [
        "# Regression losses: counts, amounts, quantiles, intervals",
        "",
        f"Measured {_dates(raw)} by `python benchmarks/regression_losses.py` (see "
        "its docstring for the tables, models and splits). "
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, one thread per fit; torch "
        f"{torch.__version__}, scikit-learn {sklearn.__version__}.",
        "",
        *family_lines(raw),
        "",
        *quantile_lines(raw),
        "",
    ]
    with open(REPORT, "w") as f:
        f.write("\n".join(lines))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["families", "quantiles"], default=None)
    parser.add_argument("--report", action="store_true", help="only rewrite the report")
    args = parser.parse_args(argv)
    if not args.report:
        tic = time.perf_counter()
        run(args.part)
        print(f"ran in {time.perf_counter() - tic:.0f} s", flush=True)
    write_report(load_raw())
    return 0


if __name__ == "__main__":
    sys.exit(main())
