"""Sparse rows (text features, wide one-hot tables) through a network's first layer.

A sparse table reaches the network as :class:`SparseRows`, its compressed rows
as three torch tensors; a batch is a gather of rows, never a dense block. The
first layer that meets it (a linear layer, or each ensemble member's copy of
it, scaled per input feature by the member's adapter and the feature scale)
is one :func:`torch.nn.functional.embedding_bag` over the stored values: each
row's pre-activation is the sum of its non-zero values times their weight
rows. Time and memory follow the non-zeros, not ``rows x columns``, and the
result equals the dense product to float rounding (``tests/test_sparse.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F


class SparseRows:
    """Rows of a sparse matrix in compressed-row form, as torch tensors.

    It answers what a training loop asks of a tensor of inputs: ``shape``,
    ``device``, ``len`` and rows by a slice or an index tensor (a batch, a
    shuffled epoch), without ever holding ``rows x columns`` values.

    Parameters
    ----------
    crow : int64 tensor of shape (n_rows + 1,)
        Where each row's values start in ``col`` and ``val`` (``crow[0] == 0``).
    col : int64 tensor of shape (nnz,)
        The column of each stored value.
    val : float tensor of shape (nnz,)
        The stored values.
    n_cols : int
        The number of columns.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> rows = SparseRows.from_scipy(sp.csr_matrix([[0.0, 2.0], [1.0, 0.0], [0.0, 0.0]]))
    >>> rows.shape, rows[1:].to_dense().tolist()
    ((3, 2), [[1.0, 0.0], [0.0, 0.0]])
    """

    def __init__(self, crow: torch.Tensor, col: torch.Tensor, val: torch.Tensor, n_cols: int):
        self.crow, self.col, self.val, self.n_cols = crow, col, val, int(n_cols)

    @classmethod
    def from_scipy(
        cls, X: Any, dtype: torch.dtype = torch.float32, device: Any = None
    ) -> SparseRows:
        """``X`` (any scipy sparse matrix or array) as rows on ``device``."""
        csr = X.tocsr()
        if not csr.has_canonical_format:
            csr = csr.copy()
            csr.sum_duplicates()
        return cls(
            torch.as_tensor(csr.indptr.astype(np.int64), device=device),
            torch.as_tensor(csr.indices.astype(np.int64), device=device),
            torch.as_tensor(np.asarray(csr.data), dtype=dtype, device=device),
            csr.shape[1],
        )

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.crow) - 1, self.n_cols)

    @property
    def device(self) -> torch.device:
        return self.val.device

    @property
    def dtype(self) -> torch.dtype:
        return self.val.dtype

    def __len__(self) -> int:
        return len(self.crow) - 1

    def __getitem__(self, rows: slice | torch.Tensor) -> SparseRows:
        """Rows by a slice, or by an index or boolean tensor (negative indices count from
        the end); always rows, never one row's values (``rows[i : i + 1]`` for row ``i``)."""
        n = len(self)
        if isinstance(rows, slice):
            start, stop, step = rows.indices(n)
            if step == 1:
                stop = max(start, stop)
                first, last = int(self.crow[start]), int(self.crow[stop])
                crow = self.crow[start : stop + 1] - first
                return SparseRows(crow, self.col[first:last], self.val[first:last], self.n_cols)
            rows = torch.tensor(range(start, stop, step), dtype=torch.long, device=self.device)
        if isinstance(rows, int | np.integer):
            raise TypeError(
                f"SparseRows are indexed by a slice or an index tensor, not the int {rows}; "
                f"rows[{rows}:{rows + 1}] is that row."
            )
        rows = torch.as_tensor(rows, device=self.device).reshape(-1)
        if rows.dtype == torch.bool:
            if len(rows) != n:
                raise IndexError(f"a boolean index of {len(rows)} entries for {n} rows.")
            rows = rows.nonzero().reshape(-1)
        if len(rows) and (int(rows.min()) < -n or int(rows.max()) >= n):
            raise IndexError(f"a row index outside [-{n}, {n - 1}].")
        rows = torch.where(rows < 0, rows + n, rows)
        starts = self.crow[rows]
        lengths = self.crow[rows + 1] - starts
        crow = torch.zeros(len(rows) + 1, dtype=self.crow.dtype, device=self.device)
        torch.cumsum(lengths, 0, out=crow[1:])
        total = int(crow[-1])
        row_of = torch.repeat_interleave(
            torch.arange(len(rows), device=self.device), lengths, output_size=total
        )
        where = starts[row_of] + torch.arange(total, device=self.device) - crow[:-1][row_of]
        return SparseRows(crow, self.col[where], self.val[where], self.n_cols)

    def to(self, device: Any = None, dtype: torch.dtype | None = None, **kwargs) -> SparseRows:
        """The rows on ``device`` (and their values as ``dtype``)."""
        move = {"device": device, **kwargs}
        return SparseRows(
            self.crow.to(**move),
            self.col.to(**move),
            self.val.to(dtype=dtype or self.val.dtype, **move),
            self.n_cols,
        )

    def to_dense(self) -> torch.Tensor:
        """The rows as a dense tensor (for tests and small checks)."""
        n = len(self)
        row_of = torch.repeat_interleave(
            torch.arange(n, device=self.device), self.crow[1:] - self.crow[:-1]
        )
        out = torch.zeros(n, self.n_cols, dtype=self.dtype, device=self.device)
        out[row_of, self.col] = self.val
        return out

    @staticmethod
    def cat(parts: list[SparseRows]) -> SparseRows:
        """The rows of ``parts`` one after another."""
        offsets = [0]
        for part in parts[:-1]:
            offsets.append(offsets[-1] + int(part.crow[-1]))
        crow = torch.cat(
            [parts[0].crow[:1]] + [p.crow[1:] + o for p, o in zip(parts, offsets, strict=True)]
        )
        return SparseRows(
            crow,
            torch.cat([p.col for p in parts]),
            torch.cat([p.val for p in parts]),
            parts[0].n_cols,
        )


def sparse_linear(
    x: SparseRows,
    weight: torch.Tensor,
    factors: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """``(x * factors[m]) @ weight + bias`` for each row of ``factors``, from the non-zeros.

    Parameters
    ----------
    x : SparseRows
        ``B`` rows of ``n_cols`` columns.
    weight : tensor of shape (n_cols, out)
        The layer's weight, input features first (``nn.Linear.weight.t()``).
    factors : tensor of shape (k, n_cols), default=None
        Per-feature factors of ``k`` copies of the input (ensemble members);
        ``None`` for one copy, unscaled.
    bias : tensor broadcastable to (k * B, out), default=None

    Returns
    -------
    out : tensor of shape (k * B, out)
        Copy ``m``'s rows in block ``m`` (rows ``m * B`` to ``(m + 1) * B``).
    """
    crow, col, val = x.crow, x.col, x.val.to(weight.dtype)
    if factors is None:
        out = F.embedding_bag(
            col, weight, crow, mode="sum", per_sample_weights=val, include_last_offset=True
        )
    else:
        k, nnz = factors.shape[0], len(col)
        shifts = torch.arange(k, device=crow.device).unsqueeze(1) * nnz
        offsets = torch.cat(
            [(crow[:-1].unsqueeze(0) + shifts).reshape(-1), crow[-1:] + (k - 1) * nnz]
        )
        scaled = (val.unsqueeze(0) * factors[:, col]).reshape(-1)
        out = F.embedding_bag(
            col.repeat(k),
            weight,
            offsets,
            mode="sum",
            per_sample_weights=scaled,
            include_last_offset=True,
        )
    return out if bias is None else out + bias


def check_sparse_input(module: Any, x: SparseRows) -> None:
    """Refuse sparse rows a :class:`~sknn.nn.TabularMLP` cannot take: its input must be
    plain numeric columns (no numeric embedding, no code columns), as many as ``x`` has."""
    if module.n_periodic or len(module.embeddings) or module.n_dense != x.n_cols:
        raise ValueError(
            f"Sparse rows of {x.n_cols} columns reach a network built for "
            f"{module.n_dense} dense columns, {module.n_periodic} of them embedded, and "
            f"{len(module.embeddings)} code columns; sparse rows take a network of plain "
            "numeric columns (n_periodic=0, no cardinalities)."
        )


def first_layer(module: Any, x: SparseRows, rows: torch.Tensor | None = None) -> torch.Tensor:
    """The first hidden layer's pre-activation of a :class:`~sknn.nn.TabularMLP` for sparse
    rows, laid out as the layer gives it on the members' dense inputs.

    Parameters
    ----------
    module : TabularMLP
        The network (its first layer is ``module.mlp[0]``).
    x : SparseRows
        The rows.
    rows : int tensor of shape (n_groups, size), default=None
        For groups of members: which rows of ``x`` each group answers (its
        out-of-fold rows); ``None``: every group answers every row.

    Returns
    -------
    tensor of shape (B, H) for one network, (k * B, H) for members sharing
    their layers, or (n_groups, k / n_groups * size, H) for groups
    """
    first = module.mlp[0]
    if module.n_ensemble > 1:
        factors = module.member_factors()
    else:  # one network: the feature scale alone, if any
        factors = None if module.scale is None else module.scale.weight.unsqueeze(0)
    groups = module.n_groups
    if groups == 1:  # a gather of the weight's rows, fast where they are contiguous
        return sparse_linear(x, first.weight.t().contiguous(), factors, first.bias)
    per = module.n_ensemble // groups
    return torch.stack(
        [
            sparse_linear(
                x if rows is None else x[rows[g]],
                first.weight[g],
                factors[g * per : (g + 1) * per],
                first.bias[g],
            )
            for g in range(groups)
        ]
    )


def sparse_heads(module: Any, x: SparseRows, rows: torch.Tensor | None = None) -> torch.Tensor:
    """The members' outputs ``(B, k, n_outputs)`` of a :class:`~sknn.nn.TabularMLP` without
    hidden layers: each member's head meets its scaled sparse rows (its group's ``rows``)."""
    factors = module.member_factors()
    per = module.n_ensemble // module.n_groups
    outs = [
        sparse_linear(
            x if rows is None else x[rows[m // per]],
            module.head_weight[m],
            factors[m : m + 1],
            module.head_bias[m],
        )
        for m in range(module.n_ensemble)
    ]
    return torch.stack(outs, dim=1)
