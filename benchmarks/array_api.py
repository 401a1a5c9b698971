"""Fit and predict from torch tensors against from numpy: wall time and peak memory.

One question: does a torch tensor given under scikit-learn's Array API
dispatch cost more than the same numbers as a numpy array? Each run is a
fresh process that builds a 1,000,000 x 20 float32 table (80 MB) with a
nonlinear target, resets the kernel's peak-RSS counter before each step
(``/proc/self/clear_refs``), then fits ``NeuralNetRegressor(max_iter=2)``
(defaults otherwise) and predicts the whole table, reading the peak
(``VmHWM``) over the RSS before the step. One torch thread (``n_threads=1``):
at batches of 512 rows torch sums some gradients in an order that follows
the thread count, and the predictions are compared bit for bit. Three
inputs, alternating (medians over the repeats):

- ``numpy``: the table as a numpy array (the reference);
- ``torch, dispatch``: the same buffer as a torch tensor (``torch.from_numpy``)
  under ``sklearn.set_config(array_api_dispatch=True)``, ``SCIPY_ARRAY_API=1``:
  encoded, trained on and predicted in torch; predictions come back as a tensor;
- ``torch, no dispatch``: the tensor without dispatch (read as an array-like;
  predictions numpy).

A host copy of the table made for the tensor would add at least its 80 MB to
the peak; the predictions are compared with the numpy run's. Linux only.

    python benchmarks/array_api.py [--repeats 5]   # writes benchmarks/results/array_api.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
N_ROWS, N_COLS = 1_000_000, 20
MODES = ("numpy", "torch, dispatch", "torch, no dispatch")

CHILD = """
import json, sys, time
import numpy as np, sklearn, torch
from sknn import NeuralNetRegressor

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

mode = sys.argv[1]
rng = np.random.default_rng(0)
X = rng.standard_normal(({n}, {d}), dtype=np.float32)
y = (np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * rng.standard_normal({n})).astype(np.float32)
if mode != "numpy":
    X, y = torch.from_numpy(X), torch.from_numpy(y)
sklearn.set_config(array_api_dispatch=mode == "torch, dispatch")
model = NeuralNetRegressor(max_iter=2, random_state=0, n_threads=1)
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS:")
start = time.perf_counter()
model.fit(X, y)
fitted = time.perf_counter()
fit_peak = status("VmHWM:")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before_predict = status("VmRSS:")
predicting = time.perf_counter()
pred = model.predict(X)
done = time.perf_counter()
kind = type(pred).__module__.split(".")[0]
pred = pred.numpy() if kind == "torch" else pred
np.save(sys.argv[2], pred[:100_000])
print(json.dumps({{"fit_s": fitted - start, "predict_s": done - predicting, "before": before,
                  "fit_peak": fit_peak, "before_predict": before_predict,
                  "predict_peak": status("VmHWM:"), "input": X.nbytes if mode == "numpy" else
                  X.element_size() * X.nelement(), "answer": kind}}))
"""


def measure(mode: str, answer_file: Path) -> dict:
    code = CHILD.format(n=N_ROWS, d=N_COLS)
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    out = subprocess.run(
        [sys.executable, "-c", code, mode, str(answer_file)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    answers = {mode: RESULTS / f".array_api_{i}.npy" for i, mode in enumerate(MODES)}
    started = time.time()
    for repeat in range(args.repeats):
        for mode in MODES:
            run = measure(mode, answers[mode])
            runs[mode].append(run)
            print(repeat, mode, json.dumps(run), flush=True)
    reference = np.load(answers["numpy"])
    gaps = {mode: float(np.abs(np.load(answers[mode]) - reference).max()) for mode in MODES}
    for path in answers.values():
        path.unlink()

    def median(mode: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[mode])

    def peaks_mb(mode: str, step: str) -> list[float]:
        start = "before" if step == "fit" else "before_predict"
        return sorted((r[f"{step}_peak"] - r[start]) / 1e6 for r in runs[mode])

    def peak_text(mode: str, step: str) -> str:
        peaks = peaks_mb(mode, step)
        return f"{peaks[0]:.0f} / {statistics.median(peaks):.0f} / {peaks[-1]:.0f}"

    lines = [
        "# Torch tensors in, against numpy",
        "",
        f"Written {time.strftime('%Y-%m-%d')} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs; `python benchmarks/array_api.py --repeats {args.repeats}` "
        f"({time.time() - started:.0f} s). Each run a fresh process, the modes alternating; "
        "medians over the repeats. `NeuralNetRegressor(max_iter=2, n_threads=1)`, defaults "
        "otherwise, on a "
        f"{N_ROWS:,} x {N_COLS} float32 table ({runs['numpy'][0]['input'] / 1e6:.0f} MB); "
        "peak RSS over the RSS just before each step (min / median / max over the repeats: "
        "a copy of the table would raise every run's peak).",
        "",
        "| input | fit s | predict s | fit vs numpy | fit's peak RSS increase, MB "
        "| predict's, MB | answer type | largest gap to numpy's predictions |",
        "|---|---|---|---|---|---|---|---|",
    ]
    base_fit = median("numpy", "fit_s")
    for mode in MODES:
        lines.append(
            f"| {mode} | {median(mode, 'fit_s'):.1f} | {median(mode, 'predict_s'):.2f} "
            f"| {median(mode, 'fit_s') / base_fit:.2f}x | {peak_text(mode, 'fit')} "
            f"| {peak_text(mode, 'predict')} | {runs[mode][0]['answer']} | {gaps[mode]:.1e} |"
        )

    def extra(mode: str) -> str:
        fit, predict = (peaks_mb(mode, s)[0] - peaks_mb("numpy", s)[0] for s in ("fit", "predict"))
        return f"{mode}: fit {fit:+.0f} MB, predict {predict:+.0f} MB"

    lines += [
        "",
        f"Each mode's lowest peaks against numpy's: {'; '.join(extra(m) for m in MODES[1:])}; "
        f"one more copy of the table would add {runs['numpy'][0]['input'] / 1e6:.0f} MB to "
        "every run.",
        "",
        "Raw runs (seconds, bytes):",
        "",
        "```",
        json.dumps(runs, indent=1),
        "```",
    ]
    (RESULTS / "array_api.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:12]))


if __name__ == "__main__":
    main()
