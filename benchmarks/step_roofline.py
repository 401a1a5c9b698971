"""How close the default training step runs to this CPU's matrix-multiply roof, on one thread.

The default fit's cost is its optimizer steps: on 20,000 x 20
(``make_classification``, as ``fit_time.py``) 95% of a fit is steps of batch
128. This script measures, on one thread:

- the **roof**: float32 GFLOP/s of a large square matrix product
  (``torch.mm``, 1,024 to 2,048), the best this core does;
- the **step**: a real default fit (``NeuralNetClassifier(n_threads=1)``), timed
  by a :class:`sknn.training.Callback` between consecutive batches of an epoch
  (so validation and epoch set-up are left out), median over the epochs'
  steps;
- its **arithmetic**: the matrix-multiply FLOPs of forward and backward
  (``torch.utils.flop_counter``) of one epoch of the same tree's default
  steps on the same 18,000 training rows, per step (each tree's own default
  batch size and ensemble: 128 rows and 8 members before issue 30's round 2,
  512 rows and 4 members after);
- its **ceilings**: the fitted default network's step replayed in a plain
  loop, eager and compiled by ``torch.compile`` (whose Inductor fuses the
  elementwise work), and the hidden layer's three matrix products alone in
  the step's shapes: the fraction the step would reach if nothing else took
  time, which no fusion of the rest can exceed;

and reports the step's GFLOP/s as a fraction of the roof. With ``--against
REV`` the same measurement runs for a git revision too (a temporary worktree,
fresh processes, the two alternating), so a change to the step is measured
before and after side by side in one run.

    python benchmarks/step_roofline.py                  # this checkout
    python benchmarks/step_roofline.py --against REV    # and REV, alternating

Writes ``benchmarks/results/step_roofline.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# one measurement in a fresh interpreter, with the tree to measure first on sys.path
MEASURE = r"""
import json, statistics, sys, time, warnings
sys.path.insert(0, sys.argv[1])
import numpy as np
import torch
torch.set_num_threads(1)
from torch.utils.flop_counter import FlopCounterMode
from sklearn.datasets import make_classification
import sknn
from sknn import NeuralNetClassifier
from sknn.training import Callback

assert sknn.__file__.startswith(sys.argv[1]), sknn.__file__
warnings.simplefilter("ignore")

def roof():
    best = 0.0
    for n in (1024, 1536, 2048):
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b
        times = []
        for _ in range(5):
            tic = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - tic)
        best = max(best, 2 * n**3 / min(times) / 1e9)
    return best

class StepTimes(Callback):
    def __init__(self):
        self.times, self.last = [], None
    def on_epoch_begin(self, epoch):
        self.last = None
    def on_batch_end(self, info):
        now = time.perf_counter()
        if self.last is not None:
            self.times.append(now - self.last)
        self.last = now

X, y = make_classification(n_samples=20_000, n_features=20, n_informative=10, random_state=0)
steps = StepTimes()
NeuralNetClassifier(n_threads=1, max_iter=4, n_iter_no_change=10, random_state=0,
                    callbacks=[steps]).fit(X, y)
step_s = statistics.median(steps.times)
# the arithmetic of one epoch of the same default steps on the same 18,000
# training rows (no validation), per step: the tree's own default batch size
class Count(Callback):
    def __init__(self):
        self.steps = 0
    def on_batch_end(self, info):
        self.steps += 1

count, counter = Count(), FlopCounterMode(display=False)
with counter:
    NeuralNetClassifier(n_threads=1, max_iter=1, early_stopping=False, random_state=0,
                        callbacks=[count]).fit(X[:18_000], y[:18_000])
flops = counter.get_total_flops() / count.steps
result = {"roofs": [roof()], "step_s": step_s, "flops": flops, "steps": count.steps}

# ceilings: the fitted default network's step replayed in a plain loop (one
# batch of the fit's size, cross-entropy over the members, fused AdamW), eager
# and compiled by torch.compile (Inductor fuses the elementwise work into
# generated C++ loops); and the hidden layer's three products alone
def median_time(run, warm=20, runs=150):
    for _ in range(warm):  # a compiled step compiles on the first
        run()
    times = []
    for _ in range(runs):
        tic = time.perf_counter()
        run()
        times.append(time.perf_counter() - tic)
    return statistics.median(times)

def replayed(model, batch, compiled):
    import torch.nn.functional as F
    net = model.module_.train()
    Xe = torch.as_tensor(model.encoder_.transform(X[:18_000]), dtype=torch.float32)
    codes = torch.as_tensor(np.searchsorted(model.classes_, y[:18_000]))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-5, fused=True)
    def loss(xb, yb):
        out = net(xb)
        return F.cross_entropy(out.flatten(0, 1), yb.repeat_interleave(out.shape[1]))
    run = torch.compile(loss) if compiled else loss
    gen = torch.Generator().manual_seed(0)
    def step():
        start = int(torch.randint(0, len(Xe) - batch, (1,), generator=gen))
        opt.zero_grad(set_to_none=True)
        run(Xe[start:start + batch], codes[start:start + batch]).backward()
        opt.step()
    return median_time(step)

def products(rows, fan_in, fan_out):
    x, w = torch.randn(rows, fan_in), torch.randn(fan_out, fan_in)
    b, g = torch.randn(fan_out), torch.randn(rows, fan_out)
    def once():
        torch.addmm(b, x, w.t())  # forward
        g @ w  # gradient of the input
        g.t() @ x  # gradient of the weights
    return median_time(once), 6 * rows * fan_in * fan_out

try:
    model = NeuralNetClassifier(n_threads=1, max_iter=1, early_stopping=False,
                                random_state=0).fit(X[:18_000], y[:18_000])
    batch = round(18_000 / count.steps)
    layer = model.module_.mlp[0]
    result["eager_s"] = replayed(model, batch, compiled=False)
    result["fixed_s"] = replayed(model, 8, compiled=False)  # per-step overhead
    result["compiled_s"] = replayed(model, batch, compiled=True)
    result["products_s"], result["products_flops"] = products(
        batch * model.n_ensemble_, layer.in_features, layer.out_features)
except Exception as error:  # a tree whose network this replay does not know
    print("no ceilings:", repr(error), file=sys.stderr)
result["roofs"].append(roof())  # the core's speed drifts: sampled before and after
print(json.dumps(result))
"""


def measure(tree: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, tree], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", ROOT, *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def summary(runs: list[dict]) -> dict:
    roofs = [value for r in runs for value in r["roofs"]]
    roof = statistics.median(roofs)
    step = statistics.median(r["step_s"] for r in runs)
    flops = statistics.median(r["flops"] for r in runs)
    rate = flops / step / 1e9
    steps = statistics.median(r.get("steps", 0) for r in runs)
    ceilings = {
        key: statistics.median(r[key] for r in runs)
        for key in ("eager_s", "fixed_s", "compiled_s", "products_s", "products_flops")
        if all(key in r for r in runs)
    }
    return {
        **ceilings,
        "roof": roof,
        "roof_range": (min(roofs), max(roofs)),
        "step_ms": step * 1e3,
        "mflop": flops / 1e6,
        "rate": rate,
        "rows": round(18_000 / steps) if steps else 0,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="a git revision measured alternately with this tree")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per tree")
    args = parser.parse_args(argv)
    here = git("rev-parse", "--short", "HEAD")
    if git("status", "--porcelain", "sknn"):
        here += " + uncommitted changes"
    trees = {f"this checkout ({here})": ROOT}
    with tempfile.TemporaryDirectory() as tmp:
        if args.against:
            old = os.path.join(tmp, "tree")
            git("worktree", "add", "--detach", old, args.against)
            trees = {f"{git('rev-parse', '--short', args.against)}": old, **trees}
        try:
            runs: dict[str, list[dict]] = {name: [] for name in trees}
            for _ in range(args.repeats):
                for name, tree in trees.items():
                    runs[name].append(measure(tree))
                    print(name, runs[name][-1], flush=True)
        finally:
            if args.against:
                git("worktree", "remove", "--force", old)
    rows, ceilings = [], []
    for name, measured in runs.items():
        s = summary(measured)
        rows.append(
            f"| {name} | {s['rows']} | {s['step_ms']:.2f} | {s['mflop']:.1f} | {s['rate']:.1f} | "
            f"{s['roof']:.1f} ({s['roof_range'][0]:.0f}-{s['roof_range'][1]:.0f}) | "
            f"**{s['rate'] / s['roof']:.2f}** |"
        )
        if "products_s" in s:
            flops, roof = s["mflop"] * 1e6, s["roof"] * 1e9
            ceilings.append(
                f"| {name} | {s['eager_s'] * 1e3:.2f} ({flops / s['eager_s'] / roof:.2f}) | "
                f"{s['fixed_s'] * 1e3:.2f} | "
                f"{s['compiled_s'] * 1e3:.2f} (**{flops / s['compiled_s'] / roof:.2f}**) | "
                f"{s['products_s'] * 1e3:.2f} "
                f"({s['products_flops'] / s['products_s'] / 1e9:.0f} GFLOP/s) | "
                f"**{flops / s['products_s'] / roof:.2f}** |"
            )
    command = "python benchmarks/step_roofline.py" + (
        f" --against {args.against}" if args.against else ""
    )
    report = "\n".join(
        [
            "# The default training step against the matrix-multiply roof, one thread",
            "",
            f"Measured {time.strftime('%Y-%m-%d')}. Command: `{command}`. Default "
            "`NeuralNetClassifier` on `make_classification(20_000, 20)` (18,000 training "
            "rows, each tree's default batch size and ensemble); step time: median over the "
            "steps of a 4-epoch fit, "
            "validation excluded; FLOPs: matrix products of forward and backward "
            "(`torch.utils.flop_counter`) per step; roof: the best float32 GFLOP/s of "
            "`torch.mm` on 1,024-2,048 square matrices, measured before and after each "
            "process's work (median, and the range: this core's speed drifts by half from "
            "minute to minute on a shared host). Medians over "
            f"{args.repeats} fresh processes per tree, trees alternating.",
            "",
            "| tree | mean rows / step | ms / step | MFLOP / step | GFLOP/s | roof GFLOP/s "
            "| fraction of roof |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Ceilings (same processes): the fitted default network's step replayed in a "
            "plain loop (a batch of the fit's size, cross-entropy over the members, fused "
            "AdamW), eager and compiled by `torch.compile` (Inductor fuses the elementwise "
            "work into generated loops; compiling took about half a minute); and the "
            "hidden layer's three products alone (forward, input and weight gradients, "
            "the step's shapes). The replay at 8 rows a step is its fixed cost (dispatch, "
            "autograd, the optimizer), paid by every step whatever its rows. The last "
            "column is the fraction the step would reach if "
            "everything but those products took no time: the most any fusion of the rest "
            "could give.",
            "",
            "| tree | replayed eager ms (fraction) | the same at 8 rows a step ms | "
            "compiled ms (fraction) | hidden products alone ms | fraction if only they "
            "took time |",
            "|---|---|---|---|---|---|",
            *ceilings,
            "",
        ]
    )
    print(report)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "step_roofline.md"), "w") as f:
        f.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
