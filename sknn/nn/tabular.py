"""An MLP over encoded tables: dense features plus embedded categorical codes."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from sknn.nn.mlp import MLP


def embedding_dim(cardinality: int) -> int:
    """Embedding width for a categorical column: grows slowly, capped at 16."""
    return int(min(16, max(2, round(1.6 * cardinality**0.56))))


class TabularMLP(nn.Module):
    """Embed the trailing code columns, concatenate with the dense ones, run an MLP.

    Parameters
    ----------
    n_dense : int
        Number of leading dense (already numeric) input columns.
    cardinalities : sequence of int
        Table size of each trailing code column (codes are ``0..size-1``).
    n_outputs : int
        Width of the output.
    hidden_layer_sizes, activation, dropout :
        As in :class:`~sknn.nn.MLP`.
    """

    def __init__(
        self,
        n_dense: int,
        cardinalities: Sequence[int],
        n_outputs: int,
        hidden_layer_sizes: Sequence[int] = (256, 256),
        activation: str = "relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.n_dense = n_dense
        self.embeddings = nn.ModuleList(
            nn.Embedding(size, embedding_dim(size)) for size in cardinalities
        )
        width = n_dense + sum(e.embedding_dim for e in self.embeddings)
        self.mlp = MLP(width, n_outputs, hidden_layer_sizes, activation, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not len(self.embeddings):
            return self.mlp(x)
        codes = x[:, self.n_dense :].long()
        parts = [x[:, : self.n_dense]]
        parts += [emb(codes[:, i]) for i, emb in enumerate(self.embeddings)]
        return self.mlp(torch.cat(parts, dim=1))
