"""Memory of wide predictions and of many classes: does a call cost more than its data?

Two cases a helper's audit found growing far beyond their data (2026-12-07):

- ``predict_proba`` on 4,096 and 4,097 rows of 1,000 numeric columns, from a
  default classifier fitted on 2,000 rows (4,096 rows run in float64, 4,097 in
  float32: the two paths of :mod:`sknn.nn.inference`);
- a default fit (``max_iter=2``) on 20,000 rows x 20 columns of 1,000 classes,
  whose temperature scaling searched 161 temperatures over the validation logits.

Each case runs in a fresh process; the figure is the growth of its peak RSS
(``ru_maxrss``) over the process's RSS just before the call.

    python benchmarks/wide_memory.py

Writes ``results/wide_memory.md``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")

CASE = r"""
import resource, sys, time
import numpy as np
from sknn import NeuralNetClassifier

def rss_mb():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024

kind, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
if kind == "predict":
    X = rng.normal(size=(2000, 1000)).astype(np.float32)
    model = NeuralNetClassifier(max_iter=2, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    rows = rng.normal(size=(n, 1000)).astype(np.float32)
    call = lambda: model.predict_proba(rows)
else:
    X = rng.normal(size=(20000, 20))
    y = np.arange(20000) % n
    call = lambda: NeuralNetClassifier(max_iter=2, random_state=0).fit(X, y)
before = rss_mb()
tic = time.perf_counter()
call()
seconds = time.perf_counter() - tic
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{max(peak - before, 0):.0f} {seconds:.2f}")
"""


def run(kind: str, n: int) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", CASE, kind, str(n)], capture_output=True, text=True, check=True
    )
    grown, seconds = out.stdout.split()[-2:]
    return float(grown), float(seconds)


def main() -> int:
    import torch

    rows = []
    for label, kind, n in (
        ("predict_proba, 4,096 rows x 1,000 columns (float64)", "predict", 4096),
        ("predict_proba, 4,097 rows x 1,000 columns (float32)", "predict", 4097),
        ("fit, 20,000 rows x 20 columns, 1,000 classes", "fit", 1000),
        ("fit, 20,000 rows x 20 columns, 10 classes", "fit", 10),
    ):
        grown, seconds = run(kind, n)
        rows.append(f"| {label} | {grown:.0f} | {seconds:.2f} |")
        print(rows[-1], flush=True)
    lines = [
        "# Memory of wide predictions and of many classes",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/wide_memory.py` "
        f"({os.cpu_count()} CPUs, torch {torch.__version__}; see its docstring). Peak RSS "
        "growth of the call over the process before it, one fresh process a case.",
        "",
        "| call | peak RSS growth (MB) | seconds |",
        "|---|---|---|",
        *rows,
        "",
    ]
    with open(os.path.join(RESULTS, "wide_memory.md"), "w") as f:
        f.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
