"""What a fresh worker process pays to import sknn, against torch and scikit-learn.

Every GridSearchCV or cross_val_score worker is a new process that imports
the estimator's module before its first fit. Each statement runs in its own
fresh interpreter, alternating, and the table gives medians of wall time.

    python benchmarks/import_time.py     # writes benchmarks/results/import_time.md
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"

STATEMENTS = {
    "python": "pass",
    "import torch": "import torch",
    "import torch, sklearn.base": "import torch, sklearn.base",
    "import torch; from sknn import NeuralNetClassifier": (
        "import torch; from sknn import NeuralNetClassifier"
    ),
    "import torch; from sklearn.neural_network import MLPClassifier": (
        "import torch; from sklearn.neural_network import MLPClassifier"
    ),
}


def seconds(statement: str) -> float:
    tic = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - tic


def main(repeats: int = 7) -> int:
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    for statement in STATEMENTS.values():  # warm the file cache
        seconds(statement)
    for _ in range(repeats):
        for name, statement in STATEMENTS.items():
            times[name].append(seconds(statement))
    med = {name: statistics.median(t) for name, t in times.items()}
    torch_s = med["import torch"]
    lines = [
        "# Import time of a fresh process",
        "",
        f"Measured {time.strftime('%Y-%m-%d')}, median of {repeats} alternating fresh "
        "interpreters. Command: `python benchmarks/import_time.py`.",
        "",
        "| statement | seconds | over `import torch` |",
        "|---|---|---|",
    ]
    for name, value in med.items():
        lines.append(f"| `{name}` | {value:.2f} | {value - torch_s:+.2f} |")
    sknn_s = med["import torch; from sknn import NeuralNetClassifier"]
    sklearn_s = med["import torch, sklearn.base"]
    lines += [
        "",
        f"sknn's own modules add {sknn_s - sklearn_s:.2f} s to `import torch, sklearn.base`; "
        "the rest is scikit-learn's base module (it imports scipy.stats and pandas), "
        "which every scikit-learn estimator needs.",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "import_time.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
