"""Tables larger than memory: a default fit streamed from a Parquet dataset, peak memory and speed.

The data: a generated table of 20 numeric and 3 categorical columns (5, 20
and 200 levels) with a known nonlinear target,
``sin(2 x0) + x1 x2 + |x3| / 2 + tanh(x4 - x5) + effect(cat0) + effect(cat1) + noise``,
written as a Parquet dataset of 250,000-row files at 2,000,000 and at
20,000,000 rows (deleted afterwards). Each fit runs in a fresh process (one
torch thread, as the other benchmarks), ``NeuralNetRegressor(max_iter=2,
random_state=0)`` at its defaults otherwise:

- ``in memory``: ``pd.read_parquet`` of the 2,000,000-row table, then ``fit``;
- ``streamed``: ``fit(dd.read_parquet(path)...)``, at both sizes.

Reported: peak RSS of the process (``ru_maxrss``, after importing torch and
sknn: the whole process), the fit's wall seconds and its rows per second
(training rows times epochs over the fit's seconds, everything included:
reading, the statistics pass, encoding, training), the epochs' own rows per
second, and R^2 on 100,000 freshly generated rows.

    python benchmarks/out_of_core.py                  # both sizes (about 25 minutes)
    python benchmarks/out_of_core.py --sizes 2000000  # the smaller one

Results: ``results/out_of_core.md``.

On a machine with a CUDA GPU, ``--device cuda --threads 16`` streams every
size to the GPU instead, beside a streamed fit of the smallest size on the
CPU (with ``--threads`` torch threads: rows/s do not depend on the size) and
writes ``results/out_of_core_cuda.md``; ``bash benchmarks/on_gpu.sh`` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
REPORT = os.path.join(RESULTS, "out_of_core.md")
FILE_ROWS = 250_000
LEVELS = (5, 20, 200)


def make_rows(n: int, seed: int) -> pd.DataFrame:
    """``n`` rows of the table (the target in column ``y``)."""
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=(n, 20)).astype(np.float32)
    frame = pd.DataFrame(numbers, columns=[f"x{j}" for j in range(20)])
    y = (
        np.sin(2 * numbers[:, 0])
        + numbers[:, 1] * numbers[:, 2]
        + np.abs(numbers[:, 3]) / 2
        + np.tanh(numbers[:, 4] - numbers[:, 5])
    )
    for k, levels in enumerate(LEVELS):
        codes = rng.integers(0, levels, size=n)
        names = np.array([f"c{k}_{i}" for i in range(levels)])
        frame[f"cat{k}"] = pd.Categorical.from_codes(codes, categories=names)
        if k < 2:  # a fixed effect per level
            y = y + np.random.default_rng(100 + k).normal(scale=0.5, size=levels)[codes]
    frame["y"] = (y + rng.normal(scale=0.3, size=n)).astype(np.float32)
    return frame


def write_dataset(path: str, n_rows: int) -> None:
    """The table as Parquet files of ``FILE_ROWS`` rows, written one file at a time."""
    os.makedirs(path, exist_ok=True)
    for i, start in enumerate(range(0, n_rows, FILE_ROWS)):
        rows = min(FILE_ROWS, n_rows - start)
        make_rows(rows, seed=i).to_parquet(os.path.join(path, f"part-{i:04d}.parquet"))


def child(mode: str, path: str, device: str) -> dict:
    """One fit in this (fresh) process: what the parent reports."""
    import resource

    from sklearn.metrics import r2_score

    from sknn import NeuralNetRegressor

    est = NeuralNetRegressor(max_iter=2, random_state=0, device=device)
    tic = time.perf_counter()
    if mode == "in memory":
        frame = pd.read_parquet(path)
        y = frame.pop("y")
        est.fit(frame, y)
        n_rows = len(frame)
        del frame, y
    else:
        import dask.dataframe as dd

        table = dd.read_parquet(path)
        est.fit(table.drop(columns="y"), table["y"])
        n_rows = len(table)  # from the files' metadata
    fit_s = time.perf_counter() - tic
    test = make_rows(100_000, seed=10_000)
    y_test = test.pop("y")
    # the validation rows kept aside are the ones the intervals were calibrated on
    n_valid = 0 if est.conformity_scores_ is None else len(est.conformity_scores_)
    return {
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "fit_s": fit_s,
        "epoch_s": [row["seconds"] for row in est.history_],
        "epochs": est.n_iter_,
        "n_rows": n_rows,
        "n_train": n_rows - n_valid,
        "r2": float(r2_score(y_test, est.predict(test))),
    }


def run_child(mode: str, path: str, device: str, threads: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, path, device],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS=str(threads)),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def fits(size: int, smallest: bool, device: str) -> list[tuple[str, str]]:
    """The (mode, device) fits of one size."""
    if device == "cpu":
        return [("in memory", "cpu"), ("streamed", "cpu")] if smallest else [("streamed", "cpu")]
    return [("streamed", device)] + ([("streamed", "cpu")] if smallest else [])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[2_000_000, 20_000_000])
    parser.add_argument("--device", default="cpu", help="where the fits train (cpu or cuda)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of each fit")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "DEVICE"))
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    root = tempfile.mkdtemp(prefix="sknn-out-of-core-")
    rows = []
    try:
        for n in args.sizes:
            path = os.path.join(root, f"table-{n}")
            tic = time.perf_counter()
            write_dataset(path, n)
            print(f"wrote {n:,} rows in {time.perf_counter() - tic:.0f} s", flush=True)
            for mode, device in fits(n, n == min(args.sizes), args.device):
                result = run_child(mode, path, device, args.threads)
                result.update(mode=mode, size=n, device=device)
                print(json.dumps(result), flush=True)
                rows.append(result)
            shutil.rmtree(path)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    write_report(rows, args)
    return 0


def write_report(rows: list[dict], args: argparse.Namespace) -> None:
    import torch

    on_gpu = args.device != "cpu"
    command = "python benchmarks/out_of_core.py" + (
        f" --device {args.device} --threads {args.threads}" if on_gpu else ""
    )
    gpu = f", {torch.cuda.get_device_name()}" if on_gpu else ""
    lines = [
        "# Tables larger than memory: a streamed default fit"
        + (f", on {args.device} against the CPU" if on_gpu else ""),
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `{command}` ({platform.machine()}, "
        f"{os.cpu_count()} CPUs{gpu}, torch {torch.__version__}, {args.threads} torch "
        "thread(s) a fit; see its "
        "docstring for the table and the fits). Rows/s: training rows x epochs over the "
        "whole fit's seconds (reading, statistics, encoding and training), and over the "
        "epochs' own seconds.",
        "",
        "| rows | fit | peak RSS (MB) | fit s | rows/s (fit) | rows/s (epochs) | R^2 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        work = r["n_train"] * r["epochs"]
        mode = f"{r['mode']}, {r['device']}" if on_gpu else r["mode"]
        lines.append(
            f"| {r['size']:,} | {mode} | {r['peak_rss_mb']:.0f} | {r['fit_s']:.0f} "
            f"| {work / r['fit_s']:,.0f} | {work / sum(r['epoch_s']):,.0f} | {r['r2']:.4f} |"
        )
    lines.append("")
    os.makedirs(RESULTS, exist_ok=True)
    with open(REPORT.replace(".md", "_cuda.md") if on_gpu else REPORT, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
