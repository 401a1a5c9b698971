"""A plain multilayer perceptron."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

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
