"""Input layers for tables: periodic and piecewise-linear numeric embeddings, a feature scale."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from sknn.nn.narrow_bmm import narrow_bmm
from sknn.nn.quantiles import inverted_cdf_quantiles


class PeriodicEmbedding(nn.Module):
    """Embed each numeric feature by learned periodic functions of it.

    Each feature ``x_j`` becomes ``[x_j, W_j cos(2 pi (f_j x_j + p_j)) + b_j]``:
    ``n_frequencies`` learned frequencies ``f_j`` and phases ``p_j`` per feature,
    then a small per-feature linear map to ``dim - 1`` values. Keeping ``x_j``
    itself beside its periodic features lets the network stay close to a plain
    MLP where that fits best. This is the "PBLD" embedding of RealMLP
    (Holzmüller et al., 2024), a variant of the PLR embeddings of Gorishniy et
    al. (2022).

    Parameters
    ----------
    n_features : int
        Number of numeric features embedded.
    dim : int
        Width of each feature's embedding (at least 2).
    n_frequencies : int
        Periodic functions per feature.
    sigma : float
        Standard deviation of the initial frequencies; for inputs scaled to
        about [-3, 3], 0.1 starts every feature as a smooth, nearly monotone map.
    """

    def __init__(
        self, n_features: int, dim: int = 4, n_frequencies: int = 16, sigma: float = 0.1
    ) -> None:
        super().__init__()
        if dim < 2:
            raise ValueError(f"dim must be at least 2, got {dim}.")
        self.n_features = n_features
        self.dim = dim
        self.frequencies = nn.Parameter(sigma * torch.randn(n_features, n_frequencies))
        self.phases = nn.Parameter(torch.rand(n_features, n_frequencies) * 2 - 1)
        bound = 1 / math.sqrt(n_frequencies)
        self.weight = nn.Parameter(
            torch.empty(n_features, n_frequencies, dim - 1).uniform_(-bound, bound)
        )
        self.bias = nn.Parameter(torch.empty(n_features, dim - 1).uniform_(-bound, bound))

    @property
    def out_features(self) -> int:
        return self.n_features * self.dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (B, F) -> (B, F, K) periodic features -> (B, F, dim - 1) per-feature linear
        periodic = torch.cos(2 * math.pi * (x.unsqueeze(-1) * self.frequencies + self.phases))
        mixed = torch.einsum("bfk,fko->bfo", periodic, self.weight) + self.bias
        return torch.cat([x.unsqueeze(-1), mixed], dim=-1).flatten(1)


class FeatureScale(nn.Module):
    """Multiply each input feature by a learned factor (initially 1).

    A diagonal first layer: trained with a larger learning rate, it lets the
    network quickly shrink uninformative features (RealMLP's "front scale").
    """

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.weight


class PiecewiseLinearEmbedding(nn.Module):
    """Embed each numeric feature by a learned piecewise-linear function of it.

    Each feature ``x_j`` is first encoded against its bin edges
    ``e_0 < ... < e_B`` (quantiles of the training data): bin ``t`` gives 0
    below it, 1 above it and the fraction of the bin in between (the first and
    last bins extrapolate linearly). A small per-feature linear map turns the
    ``B`` values into ``dim - 1`` learned piecewise-linear functions of
    ``x_j``, kept beside ``x_j`` itself. These are the "PLE" embeddings of
    Gorishniy et al. (2022), used by TabM (2024).

    Parameters
    ----------
    edges : tensor of shape (n_features, n_bins + 1)
        Strictly increasing bin edges per feature (a buffer: saved with the
        weights).
    dim : int
        Width of each feature's embedding (at least 2).
    groups : int, default=1
        Independent sets of learned functions. With more than one the output
        is ``(groups, batch, n_features * dim)``: one embedding per group.
    """

    edges: torch.Tensor  # a buffer

    def __init__(self, edges: torch.Tensor, dim: int = 4, groups: int = 1) -> None:
        super().__init__()
        self.groups = groups
        if dim < 2:
            raise ValueError(f"dim must be at least 2, got {dim}.")
        edges = torch.as_tensor(edges, dtype=torch.float32)
        if edges.ndim != 2 or edges.shape[1] < 2:
            raise ValueError(f"edges must have shape (n_features, n_bins + 1), got {edges.shape}.")
        self.n_features, n_edges = edges.shape
        self.dim = dim
        self.register_buffer("edges", edges.clone())
        n_bins = n_edges - 1
        bound = 1 / math.sqrt(n_bins)
        # every group's functions side by side: one product mixes them all
        self.weight = nn.Parameter(
            torch.empty(self.n_features, n_bins, groups * (dim - 1)).uniform_(-bound, bound)
        )
        self.bias = nn.Parameter(
            torch.empty(self.n_features, groups * (dim - 1)).uniform_(-bound, bound)
        )

    @property
    def out_features(self) -> int:
        return self.n_features * self.dim

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The piecewise-linear encoding, ``(batch, n_features, n_bins)``."""
        return self._encode_per_feature(x).transpose(0, 1)

    def _encode_per_feature(self, x: torch.Tensor) -> torch.Tensor:
        """The encoding laid out ``(n_features, batch, n_bins)``, as the mixing product wants it."""
        left, right = self.edges[:, :-1], self.edges[:, 1:]
        inverse = 1 / (right - left)
        # (x - left) / width as one fused multiply-add over the batch
        t = torch.addcmul((-left * inverse).unsqueeze(1), x.t().unsqueeze(-1), inverse.unsqueeze(1))
        n_bins = t.shape[-1]
        if n_bins == 1:
            return t
        # inner bins clipped to [0, 1]; the first and last extrapolate below and
        # above. One clamp with per-bin bounds (exported to ONNX as Max and Min)
        # instead of a clamp per part and a concatenation
        low = torch.zeros(n_bins, dtype=t.dtype, device=t.device)
        high = torch.ones(n_bins, dtype=t.dtype, device=t.device)
        low[0], high[-1] = -math.inf, math.inf
        return torch.clamp(t, low, high)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        per_feature = self._encode_per_feature(x)  # (n_features, batch, n_bins)
        mixed = narrow_bmm(per_feature, self.weight)  # (f, B, n): a view of (f, n, B)
        if self.groups == 1:
            mixed = mixed.transpose(0, 1) + self.bias
            return torch.cat([x.unsqueeze(-1), mixed], dim=-1).flatten(1)
        # groups: assembled batch-last, (G, f, dim, B), so that every copy runs
        # along the batch; an interleaved (G, B, f, dim) concatenation moved 1
        # and 3 values at a time, and a cross-fitted training step took 4-6%
        # longer with it (one thread, 20 numeric or 23 mixed columns, batch 512)
        f, groups = self.n_features, self.groups
        mixed = mixed.transpose(1, 2).unflatten(1, (groups, -1)) + self.bias.view(f, groups, -1, 1)
        raw = x.t().unsqueeze(0).unsqueeze(2).expand(groups, -1, 1, -1)  # (G, f, 1, B)
        z = torch.cat([raw, mixed.transpose(0, 1)], dim=2)  # (G, f, dim, B)
        return z.flatten(1, 2).transpose(1, 2)  # (G, B, f * dim), batch-last in memory


def _spread(values: np.ndarray, n_edges: int) -> np.ndarray:
    """``n_edges`` strictly increasing edges from sorted distinct ``values``.

    Missing edges split the widest gap in half, again and again, so every bin
    spans a real stretch of the data's range; a single value gets evenly
    spaced edges one unit either side of it.
    """
    if len(values) == 1:
        return values[0] + np.linspace(-1.0, 1.0, n_edges)
    edges = list(values)
    while len(edges) < n_edges:
        widest = int(np.argmax(np.diff(edges)))
        edges.insert(widest + 1, (edges[widest] + edges[widest + 1]) / 2)
    return np.asarray(edges)


def quantile_edges(X, n_bins: int = 16, sample_weight=None):
    """Strictly increasing bin edges per column of ``X``: its distinct quantiles.

    A column with fewer distinct quantiles than edges (a count, a rating, a
    mostly constant column) keeps each distinct value as an edge and splits
    its widest gaps for the rest. No bin is narrower than the data make it:
    the outer bins extrapolate linearly beyond the training range, and a
    nearly empty bin there would turn a new value into a huge input.

    The quantiles are values of the data (the inverse of the empirical
    distribution function), so an integer weight acts exactly as that many
    copies of a row and a zero weight as leaving it out.

    Parameters
    ----------
    X : ndarray or tensor of shape (n_samples, n_features)
        Training values (NaN-free; a tensor on any device). With no rows,
        evenly spaced edges on [-3, 3] (a placeholder that saved weights
        overwrite).
    n_bins : int
        Bins per feature.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights of the rows.

    Returns
    -------
    edges : tensor of shape (n_features, n_bins + 1), float32
    """
    on_device = isinstance(X, torch.Tensor)  # a tensor's quantiles are taken where it lives
    X = X if on_device else np.asarray(X)
    weight = None
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        keep = sample_weight > 0
        if not keep.all():
            X = X[torch.as_tensor(keep, device=X.device)] if on_device else X[keep]
        weight = sample_weight[keep]
        if np.all(weight == weight[:1]):
            weight = None
    if len(X) == 0:
        edges = np.tile(np.linspace(-3.0, 3.0, n_bins + 1), (X.shape[1], 1))
        return torch.as_tensor(edges, dtype=torch.float32)
    levels = np.linspace(0.0, 1.0, n_bins + 1)
    if on_device:
        w = None if weight is None else torch.as_tensor(weight, device=X.device)
        quantiles = (inverted_cdf_quantiles(X[:, j], levels, w) for j in range(X.shape[1]))
    else:
        # a column at a time: a float64 copy of the whole table would cost 2-4x its
        # bytes at the fit's peak memory
        quantiles = (
            np.quantile(X[:, j].astype(np.float64), levels, weights=weight, method="inverted_cdf")
            for j in range(X.shape[1])
        )
    columns = [_float32_edges(np.unique(q), n_bins + 1) for q in quantiles]
    stacked = np.stack(columns) if columns else np.empty((0, n_bins + 1), dtype=np.float32)
    return torch.as_tensor(stacked, dtype=torch.float32)


def _usable(edges: np.ndarray) -> bool:
    """Whether float32 ``edges`` rise strictly with widths whose inverse is finite."""
    widths = np.diff(edges)
    with np.errstate(divide="ignore", over="ignore"):
        return bool(np.all(widths > 0) and np.all(np.isfinite(np.float32(1) / widths)))


def _float32_edges(values: np.ndarray, n_edges: int) -> np.ndarray:
    """:func:`_spread`'s edges of sorted distinct float64 ``values``, in float32.

    Values distinct in float64 can meet in float32, or lie closer than float32
    can invert (1e-39 apart): a bin of zero width made every input NaN and the
    fit fail as a divergence. Such a column is spread over its float32-distinct
    values, and failing that is taken as one value, as the encoder takes a
    feature whose spread is rounding's.
    """
    edges = _spread(values, n_edges).astype(np.float32)
    if _usable(edges):
        return edges
    edges = _spread(np.unique(values.astype(np.float32)).astype(np.float64), n_edges)
    edges = edges.astype(np.float32)
    if _usable(edges):
        return edges
    center = float(values[len(values) // 2])
    half = max(1.0, 1e-5 * abs(center))  # wider than float32's spacing at the center
    return np.linspace(center - half, center + half, n_edges).astype(np.float32)
