"""Training and prediction speed: sknn against its peers, in one run.

Every tool trains the same plain MLP (ReLU, Adam at 1e-3, no weight decay, no
validation split, fixed batch size) on the same data. Tools run alternately,
repeat after repeat, so a noisy machine slows all of them alike; the table
reports medians of seconds per epoch and the sknn/peer ratios.

    python benchmarks/speed.py            # full run, writes benchmarks/results/speed.md
    python benchmarks/speed.py --quick    # fewer repeats, for a smoke test

Peers: a minimal hand-written torch loop, skorch (``pip install skorch``) and
scikit-learn's ``MLPClassifier``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from torch import nn

from sknn import NeuralNetClassifier

sys.path.insert(0, str(Path(__file__).parent))
from speed_search import bench_grid_search, bench_predict, make_data  # noqa: E402

RESULTS = Path(__file__).parent / "results"

try:
    import skorch
except ImportError:  # the table says so instead of failing
    skorch = None


def mlp(n_in: int, hidden: tuple[int, ...], n_out: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for h in hidden:
        layers += [nn.Linear(n_in, h), nn.ReLU()]
        n_in = h
    return nn.Sequential(*layers, nn.Linear(n_in, n_out))


# sknn's tabular extras off: the same plain MLP as the other tools train
PLAIN_MLP = {
    "numeric_embedding": None,
    "feature_scale": False,
    "n_ensemble": 1,
    "label_smoothing": 0.0,
}


# --------------------------------------------------------------- the tools
def fit_sknn(X, y, hidden, batch, epochs):
    clf = NeuralNetClassifier(
        hidden_layer_sizes=hidden,
        **PLAIN_MLP,
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        batch_size=batch,
        max_iter=epochs,
        lr_schedule="constant",
        early_stopping=False,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    return clf.fit(X, y)


def fit_handwritten(X, y, hidden, batch, epochs):
    """The loop a PyTorch user writes by hand: tensors indexed by a permutation."""
    torch.manual_seed(0)
    Xt, yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)
    model = mlp(X.shape[1], hidden, int(y.max()) + 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        perm = torch.randperm(len(Xt))
        for i in range(0, len(Xt), batch):
            idx = perm[i : i + batch]
            opt.zero_grad()
            loss_fn(model(Xt[idx]), yt[idx]).backward()
            opt.step()
    return model


def fit_skorch(X, y, hidden, batch, epochs):
    net = skorch.NeuralNetClassifier(
        mlp,
        module__n_in=X.shape[1],
        module__hidden=hidden,
        module__n_out=int(y.max()) + 1,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=epochs,
        batch_size=batch,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    return net.fit(X.astype(np.float32), y.astype(np.int64))


def fit_sklearn(X, y, hidden, batch, epochs):
    clf = MLPClassifier(
        hidden_layer_sizes=hidden,
        solver="adam",
        learning_rate_init=1e-3,
        alpha=0.0,
        batch_size=batch,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        early_stopping=False,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


TOOLS = {
    "sknn": fit_sknn,
    "handwritten": fit_handwritten,
    "skorch": fit_skorch,
    "sklearn": fit_sklearn,
}

# name: (n_samples, n_features, n_classes, hidden, batch, epochs, targets sknn/peer)
WORKLOADS = {
    "compute-bound": (
        50_000,
        64,
        4,
        (256, 256, 256),
        256,
        3,
        {"handwritten": 1.0, "skorch": 0.7, "sklearn": 0.6},
    ),
    "per-batch overhead": (
        100_000,
        10,
        2,
        (64, 64),
        128,
        3,
        {"handwritten": None, "skorch": 0.4, "sklearn": 1.0},
    ),
    "small data": (
        2_000,
        64,
        4,
        (256, 256, 256),
        64,
        10,
        {"handwritten": None, "skorch": 0.8, "sklearn": 0.7},
    ),
}


def time_call(fn, *args) -> float:
    tic = time.perf_counter()
    fn(*args)
    return time.perf_counter() - tic


def bench_training(repeats: int) -> list[dict]:
    """Seconds per epoch as the marginal cost of an epoch: (t(E) - t(1)) / (E - 1).

    Fixed per-fit costs (sknn's table encoding, skorch's initialisation,
    input validation) are reported apart, as "setup s".
    """
    rows = []
    tools = [t for t in TOOLS if t != "skorch" or skorch is not None]
    for name, (n, d, k, hidden, batch, epochs, targets) in WORKLOADS.items():
        X, y = make_data(n, d, k)
        for tool in tools:  # warm-up: imports, allocator, first-call costs
            TOOLS[tool](X[:2000], y[:2000], hidden, batch, 1)
        per_epoch: dict[str, list[float]] = {t: [] for t in tools}
        setup: dict[str, list[float]] = {t: [] for t in tools}
        for _ in range(repeats):
            for tool in tools:
                one = time_call(TOOLS[tool], X, y, hidden, batch, 1)
                many = time_call(TOOLS[tool], X, y, hidden, batch, epochs)
                per_epoch[tool].append((many - one) / (epochs - 1))
                setup[tool].append(one - per_epoch[tool][-1])
        med = {t: statistics.median(v) for t, v in per_epoch.items()}
        for tool in tools:
            target = targets.get(tool)
            ratio = med["sknn"] / med[tool]
            rows.append(
                {
                    "workload": name,
                    "peer": tool,
                    "s_per_epoch": med[tool],
                    "setup_s": statistics.median(setup[tool]),
                    "sknn_over_peer": ratio if tool != "sknn" else None,
                    "target": target,
                    "ok": None if target is None or tool == "sknn" else ratio <= target,
                }
            )
        print_rows(rows[-len(tools) :])
    return rows


def print_rows(rows):
    for r in rows:
        ratio = "" if r["sknn_over_peer"] is None else f"{r['sknn_over_peer']:.2f}"
        print(
            f"{r['workload']:<20} {r['peer']:<12} {r['s_per_epoch']:.4f} s/epoch  sknn/peer {ratio}"
        )


def to_markdown(rows: list[dict], meta: dict) -> str:
    lines = [
        "# Speed: sknn against its peers",
        "",
        f"Measured {meta['date']} on {meta['machine']} ({meta['cores']} cores), torch "
        f"{meta['torch']}, scikit-learn {meta['sklearn']}, skorch {meta['skorch']}; "
        f"median of {meta['repeats']} alternating repeats. Command: `{meta['command']}`.",
        "",
        "## Training (seconds per epoch)",
        "",
        "Seconds per epoch are the marginal cost of an epoch, (t(E epochs) - t(1)) / (E - 1), "
        "so one-off costs (sknn's table encoding, skorch's set-up, validation) do not blur "
        "the loop; they are shown as setup s, the rest of a 1-epoch fit.",
        "",
        "| workload | tool | s/epoch | sknn/tool | target | met | setup s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["s_per_epoch"] is None:
            continue
        ratio = "" if r["sknn_over_peer"] is None else f"{r['sknn_over_peer']:.2f}x"
        target = "" if r["target"] is None or r["peer"] == "sknn" else f"<= {r['target']}x"
        met = "" if r["ok"] is None else ("yes" if r["ok"] else "**no**")
        lines.append(
            f"| {r['workload']} | {r['peer']} | {r['s_per_epoch']:.4f} "
            f"| {ratio} | {target} | {met} | {r.get('setup_s', float('nan')):.3f} |"
        )
    lines += [
        "",
        "## Grid search and prediction",
        "",
        "| workload | sknn | peer | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["s_per_epoch"] is not None:
            continue
        if "wall_n_jobs_1" in r:
            a, b = (
                f"{r['wall_n_jobs_2']:.2f} s (n_jobs=2)",
                f"{r['wall_n_jobs_1']:.2f} s (n_jobs=1)",
            )
        else:
            a, b = (
                f"{r['sknn_seconds'] * 1e3:.3f} ms",
                f"{r['peer_seconds'] * 1e3:.3f} ms (sklearn)",
            )
        met = "yes" if r["ok"] else "**no**"
        lines.append(
            f"| {r['workload']} | {a} | {b} | {r['sknn_over_peer']:.2f}x "
            f"| <= {r['target']}x | {met} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=["training", "grid", "predict"], default=None)
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    rows = []
    if args.only in (None, "training"):
        rows += bench_training(repeats)
    if args.only in (None, "grid"):
        rows += bench_grid_search(max(1, repeats // 2))
    if args.only in (None, "predict"):
        rows += bench_predict(repeats)
    meta = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "skorch": getattr(skorch, "__version__", "not installed"),
        "repeats": repeats,
        "command": "python benchmarks/speed.py" + (" --quick" if args.quick else ""),
    }
    RESULTS.mkdir(exist_ok=True)
    saved = RESULTS / "speed.json"
    if args.quick:
        print(to_markdown(rows, meta))
        return 0
    if args.only is not None and saved.exists():
        # re-measure one section, keep the others from the last full run
        previous = json.loads(saved.read_text())
        fresh = {r["workload"] for r in rows}
        rows = [r for r in previous["rows"] if r["workload"] not in fresh] + rows
        meta["command"] += f" --only {args.only} (other sections from {previous['meta']['date']})"
    saved.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    (RESULTS / "speed.md").write_text(to_markdown(rows, meta))
    print(to_markdown(rows, meta))
    print(f"wrote {RESULTS / 'speed.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
