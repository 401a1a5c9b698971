"""Peak memory of a default fit on a large numeric table, against the table's size.

A fresh process builds a 1,000,000 x 20 float64 DataFrame (160 MB), resets
the kernel's peak-RSS counter (``/proc/self/clear_refs``), fits
``NeuralNetClassifier(max_iter=1)`` (defaults otherwise) and reads the peak
(``VmHWM``): the increase over the RSS just before ``fit`` is what the fit
itself costs. Linux only. Target: at most 3x the input's bytes.

    python benchmarks/memory.py      # writes benchmarks/results/memory.md
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
N_ROWS, N_COLS = 1_000_000, 20
TARGET = 3.0

CHILD = """
import json, sys
import numpy as np, pandas as pd
from sknn import NeuralNetClassifier

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

rng = np.random.default_rng(0)
X = pd.DataFrame(rng.standard_normal(({n}, {d})), columns=[f"x{{i}}" for i in range({d})])
y = (X["x0"] + X["x1"] > 0).astype(int).to_numpy()
params = json.loads(sys.argv[1])
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS:")
NeuralNetClassifier(max_iter=1, random_state=0, **params).fit(X, y)
peak, size = status("VmHWM:"), int(X.memory_usage().sum())
print(json.dumps({{"before": before, "peak": peak, "input": size}}))
"""

CASES = {
    "defaults": {},
    "early_stopping=False": {"early_stopping": False},
    "n_ensemble=1": {"n_ensemble": 1},
}


def measure(params: dict) -> dict:
    code = CHILD.format(n=N_ROWS, d=N_COLS)
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(params)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    lines = [
        f"# Peak memory of a fit on {N_ROWS:,} x {N_COLS} numeric rows",
        "",
        f"Measured {time.strftime('%Y-%m-%d')}. Command: `python benchmarks/memory.py`. "
        "`NeuralNetClassifier(max_iter=1, random_state=0, **setting)` on a float64 "
        "DataFrame; the increase is the peak RSS during `fit` over the RSS just before it. "
        f"Target: at most {TARGET:g}x the input's bytes.",
        "",
        "| setting | input MB | RSS before fit MB | peak increase MB | increase / input | met |",
        "|---|---|---|---|---|---|",
    ]
    for label, params in CASES.items():
        m = measure(params)
        increase = m["peak"] - m["before"]
        ratio = increase / m["input"]
        met = "yes" if ratio <= TARGET else "**no**"
        row = (
            f"| {label} | {m['input'] / 1e6:.0f} | {m['before'] / 1e6:.0f} | "
            f"{increase / 1e6:.0f} | {ratio:.2f}x | {met} |"
        )
        print(row, flush=True)
        lines.append(row)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "memory.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
