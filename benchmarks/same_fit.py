"""Does a change leave every fitted model as it was? Fits at a git revision and here, compared.

A refactor (moving modules, adding type hints) must not change what a fit
learns. This script checks out ``REV`` into a temporary git worktree, runs
the same fits there and in this checkout, each in a fresh process with the
same seeds, and compares a hash of each model's predictions: the flagship
classifier on a DataFrame with categories and missing values, by ``fit`` and
by ``partial_fit``, the regressor with the default and a two-layer periodic
network, a multiclass fit, the drop-ins with Adam and L-BFGS, and the table
encoder's output. Identical hashes mean bitwise identical predictions.

    python benchmarks/same_fit.py REV      # e.g. the commit before a refactor

Writes ``benchmarks/results/same_fit.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# run in a fresh interpreter with the tree to test first on sys.path
FITS = r"""
import hashlib, sys, warnings
sys.path.insert(0, sys.argv[1])
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
import sknn
from sknn import MLPClassifier, MLPRegressor, NeuralNetClassifier, NeuralNetRegressor
from sknn import TabularEncoder

assert sknn.__file__.startswith(sys.argv[1]), sknn.__file__
warnings.simplefilter("ignore")
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X["size"] = pd.cut(X["mean area"], [0, 500, 1000, 5000], labels=["s", "m", "l"])
X.loc[::7, "mean texture"] = np.nan
Xd, yd = load_diabetes(return_X_y=True)
Xg, yg = load_digits(return_X_y=True)
cases = {
    "NeuralNetClassifier, DataFrame": lambda: NeuralNetClassifier(random_state=0)
    .fit(X, y).predict_proba(X),
    "NeuralNetClassifier, 2 x partial_fit": lambda: NeuralNetClassifier(random_state=0)
    .partial_fit(X, y, classes=[0, 1]).partial_fit(X, y).predict_proba(X),
    "NeuralNetRegressor": lambda: NeuralNetRegressor(random_state=0).fit(Xd, yd).predict(Xd),
    "NeuralNetRegressor, (64, 64), periodic": lambda: NeuralNetRegressor(
        hidden_layer_sizes=(64, 64), numeric_embedding="periodic", random_state=1
    ).fit(Xd, yd).predict(Xd),
    "NeuralNetClassifier, digits": lambda: NeuralNetClassifier(random_state=0, max_iter=10)
    .fit(Xg, yg).predict_proba(Xg),
    "MLPClassifier, adam": lambda: MLPClassifier(random_state=0, max_iter=50)
    .fit(Xg / 16, yg).predict_proba(Xg / 16),
    "MLPRegressor, lbfgs": lambda: MLPRegressor(solver="lbfgs", random_state=0, max_iter=100)
    .fit(Xd, yd).predict(Xd),
    "TabularEncoder": lambda: TabularEncoder().fit_transform(X),
}
for i, (name, run) in enumerate(cases.items()):
    values = np.ascontiguousarray(np.asarray(run(), dtype=np.float64))
    np.save(f"{sys.argv[2]}/{i}.npy", values)
    print(name, "|", hashlib.sha256(values.tobytes()).hexdigest()[:16], flush=True)
"""


def fits(tree: str, out_dir: str) -> dict[str, tuple[str, np.ndarray]]:
    """Each fit's hash and predictions, run in a fresh process on ``tree``."""
    os.makedirs(out_dir)
    out = subprocess.run(
        [sys.executable, "-c", FITS, tree, out_dir], capture_output=True, text=True, check=True
    ).stdout
    lines = [line.rsplit(" | ", 1) for line in out.strip().splitlines()]
    return {
        name: (digest, np.load(os.path.join(out_dir, f"{i}.npy")))
        for i, (name, digest) in enumerate(lines)
    }


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", ROOT, *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the git revision to compare this checkout with")
    args = parser.parse_args(argv)
    before = git("rev-parse", "--short", args.rev)
    here = git("rev-parse", "--short", "HEAD")
    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "sknn") else ""
    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "tree")
        git("worktree", "add", "--detach", tree, args.rev)
        try:
            old = fits(tree, os.path.join(tmp, "old"))
        finally:
            git("worktree", "remove", "--force", tree)
        new = fits(ROOT, os.path.join(tmp, "new"))
    rows = []
    for name, (digest, values) in new.items():
        then = old.get(name)
        if then is None:
            rows.append(f"| {name} | missing | {digest} | | |")
            continue
        gap = float(np.max(np.abs(values - then[1]))) if values.shape == then[1].shape else None
        rows.append(
            f"| {name} | {then[0]} | {digest} | {'yes' if then[0] == digest else 'no'} | "
            f"{'shape differs' if gap is None else f'{gap:.2g}'} |"
        )
    same = all(old.get(name, ("",))[0] == digest for name, (digest, _) in new.items())
    report = "\n".join(
        [
            "# Same fit: every model as before the change",
            "",
            f"Measured {time.strftime('%Y-%m-%d')}: {before} against {here}{dirty}. "
            f"Command: `python benchmarks/same_fit.py {args.rev}`. Each tree fits in a "
            "fresh process with the same seeds; the hash is of the predictions' float64 "
            "bytes.",
            "",
            f"| fit | {before} | {here} | identical | largest difference |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"All identical: **{'yes' if same else 'no'}**.",
            "",
        ]
    )
    print(report)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "same_fit.md"), "w") as f:
        f.write(report)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
