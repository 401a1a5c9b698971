"""Float64 inference copies of a fitted network, for small CPU predictions.

Predictions on up to a few thousand CPU rows run in float64 (a float32 matrix
product rounds a row differently depending on how many rows share the call;
in float64 that difference stays far below 1e-7). When every layer is a known
kind, the copy runs in numpy: on tiny inputs torch's per-op dispatch costs more
than the arithmetic, and its OpenMP threads stall for milliseconds when another
process holds a core; the numpy copy runs its matrix products on one thread, a
few hundred rows at a time (its intermediate arrays stay in the CPU's cache).

The numpy copy mirrors :class:`~sknn.nn.TabularMLP` layer by layer and returns
the same ``(n, k, width)`` member outputs; ``tests/test_inference.py`` holds
the two to the same predictions for every constructor option.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import cast

import numpy as np
import torch
from scipy.special import erf, expit
from torch import nn

from sknn.nn.embeddings import PeriodicEmbedding, PiecewiseLinearEmbedding
from sknn.nn.mlp import MLP, GroupedLinear
from sknn.nn.tabular import TabularMLP

NumpyForward = Callable[[np.ndarray], np.ndarray]


class _Chain(nn.Module):
    """A module with nested ``Sequential``s flattened, leaves called directly.

    Calling each leaf's ``forward`` skips ``Module.__call__``'s hook machinery;
    only used on private copies, so there are no user hooks to skip.
    """

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module
        self.steps = [leaf.forward for leaf in _sequential_leaves(module)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for step in self.steps:
            x = step(x)
        return x


def _sequential_leaves(module: nn.Module) -> list[nn.Module]:
    # an MLP's forward is Sequential's for dense rows (the copies here take no sparse ones)
    if type(module).forward in (nn.Sequential.forward, MLP.forward):
        sequence = cast(nn.Sequential, module)
        return [leaf for child in sequence for leaf in _sequential_leaves(child)]
    return [module]


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def _affine(weight: np.ndarray, bias: np.ndarray | None) -> NumpyForward:
    def step(x):
        out = x @ weight
        if bias is not None:
            out += bias
        return out

    return step


def _relu(x):
    return np.maximum(x, 0.0, out=x)


def _gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def _selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


_ELEMENTWISE: dict[type[nn.Module], NumpyForward] = {
    nn.ReLU: _relu,
    nn.Tanh: np.tanh,
    nn.Sigmoid: expit,
    nn.SiLU: lambda x: x * expit(x),
    nn.SELU: _selu,
}


def _numpy_steps(module: nn.Module) -> list[NumpyForward] | None:
    """numpy functions equal to ``module``'s forward, or None if a layer is unknown."""
    steps: list[NumpyForward] = []
    for leaf in _sequential_leaves(module):
        if type(leaf) is nn.Linear:
            bias = None if leaf.bias is None else _numpy(leaf.bias)
            steps.append(_affine(_numpy(leaf.weight).T.copy(), bias))
        elif type(leaf) is GroupedLinear:  # (groups, n, in) @ (groups, in, out)
            steps.append(_affine(_numpy(leaf.weight), _numpy(leaf.bias)))
        elif type(leaf) in _ELEMENTWISE:
            steps.append(_ELEMENTWISE[type(leaf)])
        elif type(leaf) is nn.GELU and leaf.approximate == "none":
            steps.append(_gelu)
        elif type(leaf) in (nn.Dropout, nn.Identity):
            continue
        elif type(leaf) is TabularMLP:
            inner = _numpy_steps(leaf.mlp)
            if inner is None:
                return None
            steps.append(_tabular_step(leaf, inner))
        else:
            return None
    return steps


def _numeric_embedding(module: TabularMLP) -> NumpyForward | None:
    """numpy twin of the network's periodic or piecewise-linear embedding, if any.

    Laid out as the torch embedding is, per feature ``(f, n, bins)``: the mixing is
    one batched matrix product (BLAS for each feature), and the output is written
    once in its final order. A ``(n, f, bins)`` einsum and the copies of its
    reshapes made 4,096 rows of 1,000 columns take 3.6 s (now 1.9 s) against 0.5 s
    in float32 (``benchmarks/wide_memory.py``).
    """
    emb: PeriodicEmbedding | PiecewiseLinearEmbedding
    if module.periodic is not None:
        emb = module.periodic
        freq, phase = _numpy(emb.frequencies), _numpy(emb.phases)

        def features(x_t):  # (f, n) -> (f, n, k)
            return np.cos(2 * math.pi * (x_t[:, :, None] * freq[:, None, :] + phase[:, None, :]))

    elif module.piecewise is not None:
        emb = module.piecewise
        left, right = _numpy(emb.edges[:, :-1]), _numpy(emb.edges[:, 1:])
        left, width = left[:, None, :], (right - left)[:, None, :]
        n_bins = left.shape[-1]
        # inner bins clipped to [0, 1], the first and last extrapolate below and above
        low, high = np.zeros(n_bins), np.ones(n_bins)
        low[0], high[-1] = -np.inf, np.inf

        def features(x_t):  # (f, n) -> (f, n, bins), in one array
            t = np.subtract(x_t[:, :, None], left)
            np.divide(t, width, out=t)
            return t if n_bins == 1 else np.clip(t, low, high, out=t)

    else:
        return None
    mix_w, mix_b = _numpy(emb.weight), _numpy(emb.bias)[:, None, :]
    groups = emb.groups if isinstance(emb, PiecewiseLinearEmbedding) else 1
    dim = mix_w.shape[-1] // groups + 1  # the raw value, then its group's mixed ones

    def embed(x):
        n, f = x.shape
        mixed = np.matmul(features(np.ascontiguousarray(x.T)), mix_w)  # (f, n, out)
        mixed += mix_b
        out = np.empty((groups, n, f, dim))
        out[..., 0] = x
        out[..., 1:] = mixed.reshape(f, n, groups, dim - 1).transpose(2, 1, 0, 3)
        return out.reshape(n, f * dim) if groups == 1 else out.reshape(groups, n, f * dim)

    return embed


def _tabular_step(module: TabularMLP, inner: list[NumpyForward]) -> NumpyForward:
    tables = [_numpy(cast(nn.Embedding, e).weight) for e in module.embeddings]
    n_dense, n_periodic = module.n_dense, module.n_periodic
    numeric = _numeric_embedding(module)
    k = module.n_ensemble
    # members multiply their embedded rows by their adapter times the feature scale
    # (as the torch network does), a single network by the scale alone
    scale = None if module.scale is None or k > 1 else _numpy(module.scale.weight)
    if k > 1:
        adapter = _numpy(module.member_factors())
        head_w, head_b = _numpy(module.head_weight), _numpy(module.head_bias)

    groups = module.n_groups

    def grouped(vectors):  # each group's category vectors: (n, groups * d) -> (groups, n, d)
        if groups == 1:
            return vectors
        n, width = vectors.shape
        return vectors.reshape(n, groups, width // groups).swapaxes(0, 1)

    def embed(x):
        parts = []
        if numeric is not None:
            parts.append(numeric(x[:, :n_periodic]))
        if n_dense > n_periodic or not parts:
            dense = x[:, n_periodic:n_dense]
            parts.append(dense if groups == 1 else np.broadcast_to(dense, (groups, *dense.shape)))
        if tables:
            codes = x[:, n_dense:].astype(np.int64)
            parts += [grouped(t[codes[:, i]]) for i, t in enumerate(tables)]
        z = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
        if scale is None:
            return z
        return z * scale if groups == 1 else z * scale.reshape(groups, 1, -1)

    def heads(x):  # every member's head on its rows, (k, n, h) -> (n, k, out)
        out = np.empty((x.shape[1], k, head_b.shape[-1]))  # row-major, as torch reads best
        return np.add(np.matmul(x, head_w).transpose(1, 0, 2), head_b, out=out)

    def step(x):
        x = embed(x)
        n = x.shape[-2]
        if groups > 1:
            # (groups, n, W) -> every member's rows by group, (groups, k / groups * n, W)
            x = x if k == groups else np.repeat(x, k // groups, axis=0)
            x = (x * adapter[:, None, :]).reshape(groups, k // groups * n, x.shape[-1])
            for f in inner:
                x = f(x)
            return heads(x.reshape(k, n, x.shape[-1]))
        if k > 1:  # members' rows stacked, (n * k, W): one matrix product a layer
            x = (x[:, None, :] * adapter).reshape(n * k, x.shape[-1])
        for f in inner:
            x = f(x)
        if k > 1:
            return heads(x.reshape(n, k, x.shape[-1]).transpose(1, 0, 2))
        return x[:, None, :]

    return step


class InferenceCopy:
    """The float64 torch copy of a module and, when possible, its numpy twin (built the
    first time it is asked for: sparse rows, which only the torch copy takes, never
    pay for a third copy of the weights)."""

    def __init__(self, module: nn.Module):
        self.torch = _Chain(copy.deepcopy(module).double()).eval()

    @functools.cached_property
    def numpy(self) -> NumpyForward | None:
        steps = _numpy_steps(self.torch.module)
        return None if steps is None else _run_all(steps)


# rows a pass of the numpy copy takes: its intermediate arrays (a wide table's bins,
# the members' hidden layers) stay in the CPU's cache. At most 512 rows, fewer on wide
# tables (64 at 1,000 columns); all 4,096 rows at once were 3x slower on 20 columns
CHUNK_ROWS, CHUNK_CELLS = 512, 2**16


# up to this many rows the numpy copy leaves numpy's threads alone: its products are
# too small to stall, and setting and restoring the threads cost 25-50 us a call
FEW_ROWS = 16


def _numpy_chunk_rows(n_columns: int) -> int:
    return max(32, min(CHUNK_ROWS, CHUNK_CELLS // max(n_columns, 1)))


@functools.cache
def _blas_libraries() -> list:
    """numpy's BLAS libraries (threadpoolctl, a dependency of scikit-learn's)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas").lib_controllers


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """numpy's BLAS on one thread for the block, in the main thread only.

    OpenBLAS's thread count is the process's: a thread other than the main one
    (a server's, a threaded scheduler's) leaves it as it is (set from worker
    threads and restored across them, predictions from four threads left numpy
    on one thread for good; called from worker threads, OpenBLAS measured as
    fast without it). threadpoolctl 3.8 lets one thread at a time change the
    count, the first to try until it hands the control back: handed back here,
    or another thread's ``threadpool_limits`` would do nothing after a prediction
    (threadpoolctl's own ``limit`` does the same in 30 us, a 1-row prediction's fifth).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    libraries = _blas_libraries()
    before = [library.get_num_threads() for library in libraries]
    for library in libraries:
        library.set_num_threads(1)
    try:
        yield
    finally:
        for library, threads in zip(libraries, before, strict=True):
            library.set_num_threads(threads)
        # hand back the control (threadpoolctl >= 3.8; a limit of the caller's own
        # takes it again as it ends)
        for kind in {type(library) for library in libraries}:
            getattr(kind, "clear_controlling_thread", lambda: None)()


def _run_all(steps: list[NumpyForward]) -> NumpyForward:
    def run(x: np.ndarray) -> np.ndarray:
        for step in steps:
            x = step(x)
        return x

    def forward(x: np.ndarray) -> np.ndarray:
        if len(x) <= FEW_ROWS:
            return run(x)
        # one thread: OpenBLAS splits a product of a few dozen rows or more across
        # threads that wake for each call and stall while another process holds a
        # core (100 rows: one call in ten took 4-8 ms instead of 1; the median is
        # 15% faster on two threads of a quiet machine)
        with _one_blas_thread():
            rows = _numpy_chunk_rows(x.shape[-1])
            if len(x) <= rows:
                return run(x)
            return np.concatenate([run(x[i : i + rows]) for i in range(0, len(x), rows)])

    return forward


# per fitted module: (fit count, its structure, its parameters' versions, the copy)
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _state(module: nn.Module) -> tuple[list, list[int]]:
    """What a copy depends on, read in one walk of the module tree: the submodules,
    their hooks (pruning adds one) and parameter tensors, and those tensors' versions."""
    structure: list = []
    versions: list[int] = []
    parts = [module]
    while parts:  # not modules(): its names and memo cost more than the walk itself
        part = parts.pop()
        parts.extend(child for child in part._modules.values() if child is not None)
        structure.append((id(part), len(part._forward_hooks), len(part._forward_pre_hooks)))
        for param in part._parameters.values():
            if param is not None:
                structure.append(id(param))
                versions.append(param._version)
    return structure, versions


def inference_copy(module: nn.Module, fit_count: int) -> InferenceCopy | None:
    """The cached copy of ``module``, rebuilt after a fit or any change made to it.

    Kept outside the estimator so predicting never mutates it. Fused optimizer
    kernels update weights without bumping the tensors' version counters, so
    every (partial) fit also counts as a change; so do a replaced layer, a
    hook (pruning) and a weight changed in place under ``torch.no_grad()``
    (an edit through ``.data`` bumps no version and is not seen). None for a
    module that cannot be copied (a pruned or weight-normed one): run it as it is.
    """
    structure, versions = _state(module)
    cached = _CACHE.get(module)
    if cached is not None:
        count, seen_structure, seen_versions, copied = cached
        if (count, seen_structure, seen_versions) == (fit_count, structure, versions):
            return copied
    try:
        copied = InferenceCopy(module)
    except RuntimeError:  # torch's deepcopy refuses tensors computed by hooks
        copied = None  # remembered too: not tried again until the module changes
    _CACHE[module] = (fit_count, structure, versions, copied)
    return copied
