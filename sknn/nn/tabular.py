"""The network for encoded tables: embeddings, a shared MLP, one head per member."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from sknn.nn.embeddings import FeatureScale, PeriodicEmbedding, PiecewiseLinearEmbedding
from sknn.nn.mlp import MLP, grouped_hidden_layers
from sknn.nn.narrow_bmm import narrow_bmm, relu_narrow_bmm
from sknn.nn.sparse import (
    SparseRows,
    check_sparse_input,
    first_layer,
    sparse_heads,
)


def embedding_dim(cardinality: int) -> int:
    """Embedding width for a categorical column: grows slowly, capped at 16."""
    return int(min(16, max(2, round(1.6 * cardinality**0.56))))


class TabularMLP(nn.Module):
    """Embed the inputs of an encoded table and run an MLP (or an ensemble of them).

    The input's columns are ``n_dense`` dense features (the first ``n_periodic``
    of them continuous) followed by one integer code column per entry of
    ``cardinalities``. The continuous features get periodic embeddings, the
    codes learned embeddings; everything is concatenated, scaled per feature
    and fed to the hidden layers.

    With ``n_ensemble=k > 1`` the network is an implicit ensemble in the style
    of TabM-mini (Gorishniy et al., 2024): each of ``k`` members multiplies the
    embedded input by its own vector (initialized to random signs), then all
    share the hidden layers, and each has its own output layer. The output
    always has shape ``(batch, k, n_outputs)``, in training and in eval mode
    (``k = 1`` for a single network): training takes the mean of the members'
    losses and prediction averages their probabilities, both in
    :mod:`sknn.training.losses`.

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
    n_periodic : int
        How many of the leading dense columns get a numeric embedding (0 for
        none): a :class:`~sknn.nn.PeriodicEmbedding`, or with ``bin_edges`` a
        :class:`~sknn.nn.PiecewiseLinearEmbedding`.
    bin_edges : tensor of shape (n_periodic, n_bins + 1), default=None
        Bin edges of those columns for piecewise-linear embeddings.
    embedding_width : int, default=4
        Values per column of the numeric embedding (the column itself and
        ``embedding_width - 1`` learned functions of it).
    feature_scale : bool
        Put a :class:`~sknn.nn.FeatureScale` before the hidden layers.
    n_ensemble : int
        Number of ensemble members.
    n_groups : int, default=1
        Groups of members with hidden layers of their own: ``n_groups`` copies
        of the hidden layers, each shared by ``n_ensemble // n_groups``
        consecutive members (1: every member shares one). Independent groups
        can be trained on different rows (cross-fitting).

    Shape
    -----
    - Input: ``(batch, n_dense + len(cardinalities))``, codes as floats.
    - Output: ``(batch, n_ensemble, n_outputs)``.

    Examples
    --------
    >>> import torch
    >>> net = TabularMLP(3, [5], n_outputs=2, hidden_layer_sizes=(8,), n_ensemble=4)
    >>> net(torch.tensor([[0.1, -0.2, 0.3, 4.0]])).shape
    torch.Size([1, 4, 2])
    """

    periodic: PeriodicEmbedding | None
    piecewise: PiecewiseLinearEmbedding | None
    scale: FeatureScale | None
    mlp: nn.Sequential  # an MLP, or the members' shared hidden layers

    def __init__(
        self,
        n_dense: int,
        cardinalities: Sequence[int],
        n_outputs: int,
        hidden_layer_sizes: Sequence[int] = (256, 256),
        activation: str = "relu",
        dropout: float = 0.0,
        *,
        n_periodic: int = 0,
        feature_scale: bool = False,
        n_ensemble: int = 1,
        bin_edges: torch.Tensor | None = None,
        embedding_width: int = 4,
        n_groups: int = 1,
    ) -> None:
        super().__init__()
        if n_groups < 1 or n_ensemble % n_groups:
            raise ValueError(
                f"n_groups={n_groups} must divide n_ensemble={n_ensemble} into equal groups."
            )
        if n_groups > 1 and n_periodic and bin_edges is None:
            raise ValueError("Groups of members take piecewise-linear or no numeric embeddings.")
        if not 0 <= n_periodic <= n_dense:
            raise ValueError(f"n_periodic must be in [0, n_dense={n_dense}], got {n_periodic}.")
        self.n_dense = n_dense
        self.n_periodic = n_periodic
        self.n_ensemble = n_ensemble
        self.n_groups = n_groups
        self.periodic = None
        if n_periodic and bin_edges is None:
            self.periodic = PeriodicEmbedding(n_periodic, dim=embedding_width)
        self.piecewise = None
        if n_periodic and bin_edges is not None:
            if len(bin_edges) != n_periodic:
                raise ValueError(f"bin_edges has {len(bin_edges)} rows for {n_periodic} columns.")
            self.piecewise = PiecewiseLinearEmbedding(bin_edges, embedding_width, n_groups)
        numeric = self.periodic or self.piecewise
        self.embeddings = nn.ModuleList(  # each group's vectors side by side
            nn.Embedding(size, n_groups * embedding_dim(size)) for size in cardinalities
        )
        width = (
            (numeric.out_features if numeric else 0)
            + (n_dense - n_periodic)
            + sum(embedding_dim(size) for size in cardinalities)
        )
        self.scale = FeatureScale(n_groups * width) if feature_scale else None
        if n_ensemble == 1:
            self.mlp = MLP(width, n_outputs, hidden_layer_sizes, activation, dropout)
            return
        if n_groups > 1:  # (groups, rows, width) through each group's own layers
            self.mlp = grouped_hidden_layers(
                width, hidden_layer_sizes, activation, dropout, n_groups
            )
        else:
            backbone = MLP(width, 1, hidden_layer_sizes, activation, dropout)
            self.mlp = nn.Sequential(*list(backbone)[:-1])  # the hidden layers, shared
        self.adapter = nn.Parameter(torch.randint(0, 2, (n_ensemble, width)) * 2.0 - 1.0)
        last = hidden_layer_sizes[-1] if len(hidden_layer_sizes) else width
        bound = 1 / math.sqrt(last)
        self.head_weight = nn.Parameter(
            torch.empty(n_ensemble, last, n_outputs).uniform_(-bound, bound)
        )
        self.head_bias = nn.Parameter(torch.empty(n_ensemble, n_outputs).uniform_(-bound, bound))

    def macs_per_row(self) -> int:
        """Approximate multiply-adds of one row's forward pass.

        The hidden layers (a group's own, or the shared ones) run once per
        ensemble member, and each
        periodic frequency costs about one multiply-add per output value.
        """
        hidden = sum(p.numel() for p in self.mlp.parameters())  # every group's
        others = sum(p.numel() for p in self.parameters()) - hidden
        return self.n_ensemble * hidden // self.n_groups + others

    def embed(self, x: torch.Tensor, scaled: bool = True) -> torch.Tensor:
        """The concatenated input of the hidden layers (times the feature scale if ``scaled``).

        ``(batch, width)``, or ``(n_groups, batch, width)`` for groups of members,
        each group with embeddings of its own.
        """
        n_periodic, n_dense, groups = self.n_periodic, self.n_dense, self.n_groups
        parts = []
        numeric = self.periodic if self.piecewise is None else self.piecewise
        if numeric is not None:
            parts.append(numeric(x[:, :n_periodic]))
        if n_dense > n_periodic or not parts:
            dense = x[:, n_periodic:n_dense]
            parts.append(dense if groups == 1 else dense.expand(groups, -1, -1))
        if len(self.embeddings):
            codes = x[:, n_dense:].long()
            for i, emb in enumerate(self.embeddings):
                vectors = emb(codes[:, i])
                if groups > 1:  # (B, G * d) -> (G, B, d)
                    vectors = vectors.unflatten(-1, (groups, -1)).transpose(0, 1)
                parts.append(vectors)
        if len(parts) == 1:
            z = parts[0]
        elif groups == 1:
            z = torch.cat(parts, dim=-1)
        else:  # batch-last, as a grouped piecewise embedding is laid out
            z = torch.cat([p.transpose(1, 2) for p in parts], dim=1).transpose(1, 2)
        if self.scale is None or not scaled:
            return z
        return self.scale(z) if groups == 1 else z * self.scale.weight.view(groups, 1, -1)

    def _fused_last_relu(self) -> bool:
        """Whether training may fuse the last hidden ReLU with the heads."""
        return (
            self.training
            and torch.is_grad_enabled()
            and len(self.mlp) > 0
            and type(self.mlp[-1]) is nn.ReLU
        )

    def forward(
        self, x: torch.Tensor | SparseRows, fold: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Every member's output for every row.

        Parameters
        ----------
        x : tensor of shape (batch, n_dense + len(cardinalities))
            Encoded rows: dense features, then one code per categorical column.
        fold : int tensor of shape (batch,), default=None
            Each row's fold (``0..n_groups-1``) asks a network of groups for
            its out-of-fold outputs only: group ``g``'s members answer the rows
            of fold ``g`` and the other members' outputs are 0. The hidden
            layers then run each row once per member of one group instead of
            every group, which is what validating a cross-fitted fit needs.

        Returns
        -------
        out : tensor of shape (batch, n_ensemble, n_outputs)
        """
        if isinstance(x, SparseRows):  # the first layer meets the non-zeros
            check_sparse_input(self, x)
            if self.n_ensemble == 1:
                return self._layers_after_first()(first_layer(self, x)).unsqueeze(1)
            if fold is not None and self.n_groups > 1:
                return self._out_of_fold(x, fold)
            return self._sparse_members(x)
        if self.n_ensemble == 1:
            return self.mlp(self.embed(x)).unsqueeze(1)
        if fold is not None and self.n_groups > 1:
            return self._out_of_fold(x, fold)
        return self._members(self.embed(x, scaled=False))

    def member_factors(self) -> torch.Tensor:
        """Each member's factor per input feature, ``(k, width)``: its adapter times the
        feature scale (of its group)."""
        k, groups = self.n_ensemble, self.n_groups
        if self.scale is None:
            return self.adapter
        if groups == 1:
            return self.adapter * self.scale.weight
        return self.adapter * self.scale.weight.view(groups, -1).repeat_interleave(
            k // groups, dim=0
        )

    def _layers_after_first(self) -> nn.Sequential:
        """The hidden layers after the first linear one (its activation first)."""
        return nn.Sequential(*list(self.mlp)[1:])

    def _sparse_members(self, x: SparseRows, rows: torch.Tensor | None = None) -> torch.Tensor:
        """:meth:`_members` for sparse rows (each group's ``rows`` of them, if given):
        the first layer from their non-zeros, then the layers after it and the heads."""
        if not len(self.mlp):  # no hidden layers: the heads meet the sparse rows
            return sparse_heads(self, x, rows)
        return self._after_first_layer(first_layer(self, x, rows), self._layers_after_first())

    def _members(self, z: torch.Tensor) -> torch.Tensor:
        """The members' outputs ``(batch, k, n_outputs)`` from the unscaled
        embedding ``z``: ``(batch, width)``, or ``(n_groups, batch, width)``."""
        # members first, (k, B, ...): the shared layers see one 2-D batch (their
        # in-place activations then act on the matmul's own output, not on a 3-D
        # view of it, which autograd handles with a copy per layer) and the
        # heads are one batched matmul over contiguous blocks. The feature
        # scale joins the members' vectors (k x width values) rather than
        # multiplying every row once more.
        k, groups = self.n_ensemble, self.n_groups
        adapter = self.member_factors()
        if groups == 1:
            members = (z.unsqueeze(0) * adapter.unsqueeze(1)).flatten(0, 1)  # (k * B, W)
        else:  # each group's embedding to its k / groups consecutive members
            z = z if k == groups else z.repeat_interleave(k // groups, dim=0)  # (k, B, W)
            # (groups, k / groups * B, W): each group's rows through its own layers
            members = (z * adapter.unsqueeze(1)).unflatten(0, (groups, -1)).flatten(1, 2)
        return self._after_first_layer(members, self.mlp)

    def _after_first_layer(self, members: torch.Tensor, layers: nn.Sequential) -> torch.Tensor:
        """The members' outputs ``(batch, k, n_outputs)`` from ``layers`` (the hidden
        layers, or those after a first layer already applied) and the heads."""
        k, width = self.n_ensemble, self.head_weight.shape[1]  # of the last hidden layer
        if self._fused_last_relu():
            pre = layers[:-1](members).reshape(k, -1, width)  # (k, B, H) before the ReLU
            out = relu_narrow_bmm(pre, self.head_weight)
        else:
            hidden = layers(members).reshape(k, -1, width)  # (k, B, H)
            out = narrow_bmm(hidden, self.head_weight)
        return (out + self.head_bias.unsqueeze(1)).transpose(0, 1)  # (B, k, n_outputs)

    def _out_of_fold(self, x: torch.Tensor | SparseRows, fold: torch.Tensor) -> torch.Tensor:
        """Each row through the group of its fold only; the other members give 0."""
        groups, n = self.n_groups, x.shape[0]
        order = torch.argsort(fold, stable=True)
        counts = torch.bincount(fold, minlength=groups)
        size = int(counts.max())
        starts = torch.cumsum(counts, 0) - counts
        # slot[g]: fold g's rows, padded to equal length with n (a slot past the
        # rows: what a padding computes is dropped)
        slot = torch.full((groups, size), n, dtype=torch.long, device=x.device)
        sorted_fold = fold[order]
        slot[sorted_fold, torch.arange(n, device=x.device) - starts[sorted_fold]] = order
        every = torch.arange(groups, device=x.device)
        if isinstance(x, SparseRows):  # each group's first layer meets its own rows only
            out = self._sparse_members(x, slot.clamp(max=n - 1))
        else:
            # every group embeds the gathered rows (cheap); each keeps its own block
            z = self.embed(x[slot.clamp(max=n - 1).flatten()], scaled=False)  # (G, G * size, W)
            z = z.unflatten(1, (groups, size))[every, every]  # (G, size, W)
            out = self._members(z)  # (size, k, n_outputs), member m of group m // (k / G)
        per_group = self.n_ensemble // groups
        full = out.new_zeros(n + 1, groups, per_group, out.shape[-1])
        full[slot, every.unsqueeze(1)] = out.unflatten(1, (groups, per_group)).transpose(0, 1)
        return full[:n].flatten(1, 2)


def _embedding_tables(module: TabularMLP) -> list[nn.Embedding]:
    return [emb for emb in module.embeddings if isinstance(emb, nn.Embedding)]


def code_counts(
    module: TabularMLP, x: torch.Tensor, weight: torch.Tensor | None
) -> list[torch.Tensor]:
    """How many training rows reach each row of each category embedding, per group.

    Parameters
    ----------
    module : TabularMLP
        The network the rows train.
    x : tensor of shape (rows, n_dense + len(cardinalities))
        The encoded training rows (the codes after the dense features).
    weight : tensor of shape (rows,) or (rows, n_ensemble), default=None
        The rows' weights (per member, for groups of members): a row of weight 0
        trains nothing, so it counts for none (or for no member of a group).

    Returns
    -------
    counts : list of int64 tensors of shape (cardinality, n_groups), on the CPU
    """
    groups = module.n_groups
    if not _embedding_tables(module):
        return []
    rows = x.shape[0]
    if weight is None:
        trains = torch.ones(rows, groups, dtype=torch.bool, device=x.device)
    elif weight.ndim == 1:
        trains = (weight > 0).unsqueeze(1).expand(rows, groups)
    else:  # members of a group are consecutive
        trains = (weight > 0).reshape(rows, groups, -1).any(-1)
    codes = x[:, module.n_dense :].long()
    counts = []
    for i, emb in enumerate(_embedding_tables(module)):
        size = emb.num_embeddings
        per_group = [torch.bincount(codes[trains[:, g], i], minlength=size) for g in range(groups)]
        counts.append(torch.stack(per_group, dim=1).cpu())
    return counts


def settle_untrained_codes(module: TabularMLP, counts: Sequence[torch.Tensor]) -> None:
    """Set each category embedding row that no training row reached to the trained rows'
    count-weighted mean, per group of members.

    Such a row (a category not seen in training, or a missing value where training
    had none) would otherwise keep its random initial vector, and the rows that
    meet it at prediction time would get arbitrary, often confident answers; at
    the mean they are answered as an average category.

    Parameters
    ----------
    module : TabularMLP
        The trained network, changed in place.
    counts : list of tensors of shape (cardinality, n_groups)
        :func:`code_counts` of every row the network trained on.
    """
    groups = module.n_groups
    with torch.no_grad():
        for emb, count in zip(_embedding_tables(module), counts, strict=True):
            vectors = emb.weight.view(emb.num_embeddings, groups, -1)  # a view: in place
            for g in range(groups):
                weight = count[:, g].to(vectors.device, vectors.dtype)
                untrained = weight == 0
                if untrained.any() and not untrained.all():
                    mean = (weight @ vectors[:, g]) / weight.sum()
                    vectors[untrained, g] = mean
