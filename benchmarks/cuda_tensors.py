"""CUDA tensors in and out: seconds an epoch against the CPU, and what training copies to the host.

For a machine with a CUDA GPU (issue 37's device check; ``bash benchmarks/on_gpu.sh``
runs it there). A 1,000,000 x 20 float32 table with a nonlinear target, made
on the GPU, is fitted by ``NeuralNetRegressor(max_iter=3, random_state=0)``
(defaults otherwise) and then predicted, each fit in a fresh process, the
modes alternating (medians over the repeats):

- ``cuda tensors``: the table as CUDA tensors under scikit-learn's Array API
  dispatch, ``device="auto"``: predictions come back as CUDA tensors;
- ``numpy, cuda``: the same numbers as numpy arrays, ``device="cuda"``;
- ``numpy, cpu``: as numpy arrays on the CPU path (every core of the machine).

Reported: the fit's seconds, its median seconds an epoch (``history_``), the
prediction's seconds, the answer's type and device, the largest gap to the
``numpy, cuda`` predictions, the GPU's and the process's peak memory. Then,
for ``cuda tensors`` on the first 200,000 rows, torch's profiler counts the
device-to-host and host-to-device memcpys (and their bytes, from its trace)
of a fit of 1 epoch and of 3 epochs: their difference over 2 is what an
epoch of training copies.

    python benchmarks/cuda_tensors.py [--repeats 3]   # writes results/cuda_tensors.md
    python benchmarks/cuda_tensors.py --device cpu --rows 20000 --repeats 1  # a dry run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
MODES = ("cuda tensors", "numpy, cuda", "numpy, cpu")
PROFILED_ROWS = 200_000

CHILD = """
import json, resource, sys, time
import numpy as np, sklearn, torch
from sknn import NeuralNetRegressor

mode, rows, device, answer_file, epochs = sys.argv[1:6]
rows, epochs = int(rows), int(epochs)
gen = torch.Generator(device).manual_seed(0)
X = torch.randn(rows, 20, generator=gen, device=device)
noise = torch.randn(rows, generator=gen, device=device)
y = torch.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * noise
if mode != "cuda tensors":
    X, y = X.cpu().numpy(), y.cpu().numpy()
train_on = "cpu" if mode == "numpy, cpu" else ("auto" if mode == "cuda tensors" else device)
sklearn.set_config(array_api_dispatch=mode == "cuda tensors")
model = NeuralNetRegressor(max_iter=epochs, random_state=0, device=train_on)
if device == "cuda":
    torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
start = time.perf_counter()
model.fit(X, y)
fitted = time.perf_counter()
pred = model.predict(X)
if device == "cuda":
    torch.cuda.synchronize()
done = time.perf_counter()
kind = type(pred).__module__.split(".")[0]
where = str(pred.device) if kind == "torch" else "host"
np.save(answer_file, (pred.cpu().numpy() if kind == "torch" else pred)[:100_000])
gpu_peak = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else 0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"fit_s": fitted - start, "predict_s": done - fitted,
                  "epoch_s": [r["seconds"] for r in model.history_],
                  "trained_on": str(model.device_), "answer": f"{kind} on {where}",
                  "peak_rss_mb": rss, "gpu_peak_mb": gpu_peak}))
"""

PROFILE = """
import json, sys
import sklearn, torch
from torch.profiler import ProfilerActivity, profile
from sknn import NeuralNetRegressor

rows, device, trace_dir = int(sys.argv[1]), sys.argv[2], sys.argv[3]
gen = torch.Generator(device).manual_seed(0)
X = torch.randn(rows, 20, generator=gen, device=device)
y = torch.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]
activities = [ProfilerActivity.CUDA] if device == "cuda" else [ProfilerActivity.CPU]

def copies(epochs):
    model = NeuralNetRegressor(max_iter=epochs, n_iter_no_change=100, random_state=0)
    with sklearn.config_context(array_api_dispatch=True), profile(activities=activities) as prof:
        model.fit(X, y)
        if device == "cuda":
            torch.cuda.synchronize()
    path = f"{trace_dir}/trace{epochs}.json"
    prof.export_chrome_trace(path)
    events = json.load(open(path))["traceEvents"]
    found = {"DtoH": [0, 0], "HtoD": [0, 0]}
    for e in events:
        for way in found:
            if e.get("cat") == "gpu_memcpy" and way in e.get("name", ""):
                found[way][0] += 1
                found[way][1] += int(e.get("args", {}).get("bytes", 0))
    return found

copies(1)  # warm-up
print(json.dumps({"1": copies(1), "3": copies(3)}))
"""


def _run(code: str, *args: str) -> dict:
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--device", default="cuda", help="cuda (the check) or cpu (a dry run)")
    args = parser.parse_args()
    started = time.time()
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as tmp:
        answers = {mode: f"{tmp}/answer{i}.npy" for i, mode in enumerate(MODES)}
        for repeat in range(args.repeats):
            for mode in MODES:
                run = _run(
                    CHILD, mode, str(args.rows), args.device, answers[mode], str(args.epochs)
                )
                runs[mode].append(run)
                print(repeat, mode, json.dumps(run), flush=True)
        reference = np.load(answers["numpy, cuda"])
        gaps = {m: float(np.abs(np.load(answers[m]) - reference).max()) for m in MODES}
        copies = _run(PROFILE, str(min(PROFILED_ROWS, args.rows)), args.device, tmp)
    print(json.dumps(copies), flush=True)

    def median(mode: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[mode])

    def epoch(mode: str) -> float:
        return statistics.median(s for run in runs[mode] for s in run["epoch_s"])

    name = "cpu (dry run)" if args.device == "cpu" else _gpu_name()
    lines = [
        "# CUDA tensors in and out: an epoch against the CPU, and the host copies of training",
        "",
        f"Written {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{name}; `python benchmarks/cuda_tensors.py --repeats {args.repeats}` "
        f"({time.time() - started:.0f} s). `NeuralNetRegressor(max_iter={args.epochs})` on "
        f"{args.rows:,} x 20 float32 rows, each fit a fresh process, modes alternating, "
        "medians over the repeats (see the script's docstring).",
        "",
        "| input | trained on | fit s | s / epoch | epoch vs the CPU | predict s | answer "
        "| gap to numpy, cuda | GPU peak MB | host peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for mode in MODES:
        lines.append(
            f"| {mode} | {runs[mode][0]['trained_on']} | {median(mode, 'fit_s'):.1f} "
            f"| {epoch(mode):.2f} | {epoch('numpy, cpu') / epoch(mode):.1f}x faster "
            f"| {median(mode, 'predict_s'):.2f} | {runs[mode][0]['answer']} | {gaps[mode]:.1e} "
            f"| {median(mode, 'gpu_peak_mb'):.0f} | {median(mode, 'peak_rss_mb'):.0f} |"
        )
    rows = min(PROFILED_ROWS, args.rows)
    per_epoch = {
        way: [(copies["3"][way][k] - copies["1"][way][k]) / 2 for k in (0, 1)]
        for way in ("DtoH", "HtoD")
    }
    lines += [
        "",
        f"Memcpys counted by torch's profiler, `cuda tensors` on {rows:,} rows (count, bytes):",
        "",
        "| | fit of 1 epoch | fit of 3 epochs | an epoch of training |",
        "|---|---|---|---|",
    ]
    for way, label in (("DtoH", "device to host"), ("HtoD", "host to device")):
        one, three = copies["1"][way], copies["3"][way]
        lines.append(
            f"| {label} | {one[0]}, {one[1]:,} B | {three[0]}, {three[1]:,} B "
            f"| {per_epoch[way][0]:g}, {per_epoch[way][1]:,.0f} B |"
        )
    lines += ["", "Raw runs:", "", "```", json.dumps(runs, indent=1), "```"]
    if args.device != "cuda":  # a dry run checks the script, it reports nothing
        print("\n".join(lines[:-5]))
        return
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cuda_tensors.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:-5]))


def _gpu_name() -> str:
    import torch

    return f"{torch.cuda.get_device_name()}, torch {torch.__version__}"


if __name__ == "__main__":
    main()
