"""The default fit on a busy machine: sknn's thread choice against one quiet thread.

An analyst's laptop is never quiet. Each condition fits the default
``NeuralNetClassifier`` on ``credit_data`` (4,454 rows, raw DataFrame with
categories and missing values) in a fresh process, and reports the median
seconds per epoch (the first epoch excluded):

- ``1 thread, quiet``: ``torch.set_num_threads(1)``; the reference;
- ``sknn's choice, quiet``;
- ``sknn's choice + spinning core``: beside a process that spins one core;
- ``sknn's choice + 2-thread torch``: beside another process running a
  two-thread torch training loop;
- ``1 thread + spinning core``: for scale.

Conditions alternate within each repeat; the table reports medians and the
ratio to the reference, and is written to ``benchmarks/results/contention.md``.
Targets: busy <= 1.5x the reference, quiet <= 1.05x.

    python benchmarks/contention.py            # 5 repeats
    python benchmarks/contention.py --quick    # 1 repeat, prints only
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
HERE = Path(__file__).parent

SPIN = "while True: pass"
TORCH_NEIGHBOUR = """
import torch
torch.set_num_threads(2)
net = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 4))
opt = torch.optim.SGD(net.parameters(), lr=1e-3)
x, y = torch.randn(256, 64), torch.randint(0, 4, (256,))
while True:
    opt.zero_grad()
    torch.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
"""

# name -> (threads: "one" or "auto", neighbour source or None)
CONDITIONS = {
    "1 thread, quiet": ("one", None),
    "sknn's choice, quiet": ("auto", None),
    "sknn's choice + spinning core": ("auto", SPIN),
    "sknn's choice + 2-thread torch": ("auto", TORCH_NEIGHBOUR),
    "1 thread + spinning core": ("one", SPIN),
}
TARGETS = {
    "sknn's choice, quiet": 1.05,
    "sknn's choice + spinning core": 1.5,
    "sknn's choice + 2-thread torch": 1.5,
}


def worker(threads: str) -> None:
    """Fit once and print the seconds per epoch as JSON (runs in its own process)."""
    import torch

    sys.path.insert(0, str(HERE))
    from datasets import load_credit_data

    from sknn import NeuralNetClassifier

    if threads == "one":
        torch.set_num_threads(1)
    X, y = load_credit_data()
    tic = time.perf_counter()
    clf = NeuralNetClassifier(random_state=0).fit(X, y)
    seconds = time.perf_counter() - tic
    per_epoch = [row["seconds"] for row in clf.history_][1:]
    print(
        json.dumps(
            {
                "s_per_epoch": statistics.median(per_epoch),
                "fit_s": seconds,
                "epochs": clf.n_iter_,
                "threads_chosen": getattr(clf, "n_threads_", None),
            }
        )
    )


def run_condition(threads: str, neighbour: str | None) -> dict:
    helper = None
    if neighbour is not None:
        helper = subprocess.Popen([sys.executable, "-c", neighbour])
        time.sleep(1.0)  # let it get going
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--worker", threads],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        if helper is not None:
            helper.kill()
            helper.wait()
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", choices=["one", "auto"])
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    repeats = 1 if args.quick else 5
    runs: dict[str, list[dict]] = {name: [] for name in CONDITIONS}
    for repeat in range(repeats):
        for name, (threads, neighbour) in CONDITIONS.items():
            runs[name].append(run_condition(threads, neighbour))
            print(f"repeat {repeat + 1}: {name}: {runs[name][-1]}", flush=True)
    reference = statistics.median(r["s_per_epoch"] for r in runs["1 thread, quiet"])
    import torch

    lines = [
        "# Contention: the default fit beside other work",
        "",
        f"Measured {time.strftime('%Y-%m-%d')}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} cores; default `NeuralNetClassifier(random_state=0)` "
        "on credit_data (4,454 rows, raw DataFrame); each condition in a fresh process, "
        f"median of {repeats} alternating repeats of the median seconds per epoch (first "
        "epoch excluded). Command: `python benchmarks/contention.py`.",
        "",
        "| condition | s/epoch | vs 1 quiet thread | target | met | epochs |",
        "|---|---|---|---|---|---|",
    ]
    for name in CONDITIONS:
        med = statistics.median(r["s_per_epoch"] for r in runs[name])
        ratio = med / reference
        target = TARGETS.get(name)
        met = "" if target is None else ("yes" if ratio <= target else "**no**")
        shown = "" if target is None else f"<= {target}x"
        epochs = statistics.median(r["epochs"] for r in runs[name])
        lines.append(f"| {name} | {med:.4f} | {ratio:.2f}x | {shown} | {met} | {epochs:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "contention.md").write_text(text)
        print(f"wrote {RESULTS / 'contention.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
