"""A plain multilayer perceptron, and hidden layers in independent groups."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from sknn.nn.sparse import SparseRows, sparse_linear

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "selu": nn.SELU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
}


class MLP(nn.Sequential):
    """Linear layers with an activation (and optional dropout) between them.

    It takes a tensor of rows or :class:`~sknn.nn.SparseRows`.

    Parameters
    ----------
    n_features_in : int
        Width of the input.
    n_outputs : int
        Width of the output (logits or standardized regression targets).
    hidden_layer_sizes : sequence of int
        Width of each hidden layer; empty gives a linear model.
    activation : str
        A key of :data:`ACTIVATIONS`.
    dropout : float
        Dropout probability after each hidden activation.
    """

    def __init__(
        self,
        n_features_in: int,
        n_outputs: int,
        hidden_layer_sizes: Sequence[int] = (256, 256),
        activation: str = "relu",
        dropout: float = 0.0,
    ) -> None:
        layers: list[nn.Module] = []
        width = n_features_in
        for size in hidden_layer_sizes:
            layers.append(nn.Linear(width, size))
            act = ACTIVATIONS[activation]
            # in-place activations save an allocation per batch on small nets
            layers.append(act(inplace=True) if act in (nn.ReLU, nn.SiLU) else act())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, n_outputs))
        super().__init__(*layers)

    def forward(self, x: torch.Tensor | SparseRows) -> torch.Tensor:
        """The output for dense rows, or for :class:`~sknn.nn.SparseRows` (the first
        layer then meets their non-zeros only)."""
        if not isinstance(x, SparseRows):
            return super().forward(x)
        first, *rest = self
        assert isinstance(first, nn.Linear)
        out = sparse_linear(x, first.weight.t().contiguous(), None, first.bias)
        for layer in rest:
            out = layer(out)
        return out


class GroupedLinear(nn.Module):
    """``groups`` independent linear layers applied at once, one per group of rows.

    Parameters
    ----------
    in_features, out_features : int
        Widths of each group's input and output.
    groups : int
        Number of independent layers.

    Shape
    -----
    - Input: ``(groups, n, in_features)``: group ``g``'s rows go through layer ``g``.
    - Output: ``(groups, n, out_features)``.
    """

    def __init__(self, in_features: int, out_features: int, groups: int) -> None:
        super().__init__()
        self.in_features, self.out_features, self.groups = in_features, out_features, groups
        bound = 1 / math.sqrt(in_features)  # nn.Linear's default initialisation
        self.weight = nn.Parameter(
            torch.empty(groups, in_features, out_features).uniform_(-bound, bound)
        )
        self.bias = nn.Parameter(torch.empty(groups, 1, out_features).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, groups={self.groups}"


def grouped_hidden_layers(
    n_features_in: int,
    hidden_layer_sizes: Sequence[int],
    activation: str,
    dropout: float,
    groups: int,
) -> nn.Sequential:
    """The hidden layers of :class:`MLP` (no output layer), ``groups`` independent copies.

    Input ``(groups, n, n_features_in)``, output ``(groups, n, hidden_layer_sizes[-1])``.
    """
    layers: list[nn.Module] = []
    width = n_features_in
    for size in hidden_layer_sizes:
        layers.append(GroupedLinear(width, size, groups))
        act = ACTIVATIONS[activation]
        layers.append(act(inplace=True) if act in (nn.ReLU, nn.SiLU) else act())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    return nn.Sequential(*layers)
