"""Input layers for tables: periodic numeric embeddings and a per-feature scale."""

from __future__ import annotations

import math

import torch
from torch import nn


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
