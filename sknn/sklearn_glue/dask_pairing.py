"""Dask collections paired row by row: ``X`` beside ``y`` and ``sample_weight``.

:func:`aligned_partitions` gives each partition of ``X`` with the rows of the
other collections that belong to it: joined by Dask where it computes them
together or knows their divisions, zipped partition by partition (the same
index labels in each pair, or refused) where Dask would shuffle every row on
labels that may repeat. Dask is imported only by the callers' inputs.
"""

from __future__ import annotations


def is_dask_frame(X) -> bool:
    """Whether ``X`` is a Dask DataFrame or Series (rather than a Dask Array)."""
    import dask.dataframe as dd

    return isinstance(X, (dd.DataFrame, dd.Series))


def by_rows(X):
    """A Dask Array in blocks of whole rows (a block cut across columns cannot be answered)."""
    return X.rechunk({axis: -1 for axis in range(1, X.ndim)})


def _partitions(collection):
    """The collection as a list of delayed partitions (Dask Series/DataFrame/Array)."""
    if is_dask_frame(collection):
        return collection.to_delayed()
    return list(by_rows(collection).to_delayed().ravel())


def _require_one_count(parts: list, message: str) -> None:
    """Refuse collections split into different numbers of partitions (``{counts}`` in
    ``message`` lists them)."""
    if len({len(p) for p in parts}) != 1:
        raise ValueError(message.format(counts=", ".join(str(len(p)) for p in parts)))


_JOINED = "__sknn_joined_{}_{}"


def _split_joined(frame, n_x: int, shapes: list[tuple[int, bool, object]]):
    """A joined partition back as ``X`` and the collections joined to it.

    ``shapes``: each joined collection's column count, whether it is a
    Series, and the Series' name.
    """
    pieces, start = [frame.iloc[:, :n_x]], n_x
    for width, is_series, name in shapes:
        block = frame.iloc[:, start : start + width]
        pieces.append(block.iloc[:, 0].rename(name) if is_series else block)
        start += width
    return tuple(pieces)


def aligned_partitions(X, *others) -> list:
    """Delayed tuples ``(X_part, other_part, ...)``: the collections side by side, row by row.

    Dask DataFrames and Series are joined to ``X`` (by index, as Dask aligns
    them), so each partition of the join holds matching rows, however Dask
    partitions each collection (a column projected out of a Parquet dataset
    may come in fewer partitions than the rest). Collections of unknown
    divisions that Dask does not compute together are zipped partition by
    partition instead, each pair holding the same index labels (see
    :func:`_zipped_partitions`). Dask Arrays are zipped by row blocks, which
    must then match.
    """
    import dask

    if not is_dask_frame(X) or not all(is_dask_frame(o) for o in others):
        parts = [_partitions(c) for c in (X, *others)]
        _require_one_count(
            parts,
            "X and y (and sample_weight) come in different numbers of blocks ({counts}); "
            "chunk their rows alike. Beside a Dask DataFrame X, pass y as a Series of it "
            "(ddf['y'], not ddf['y'].to_dask_array()): Series and DataFrames are lined up by "
            "index.",
        )
        return list(zip(*parts, strict=True))
    if any(o.known_divisions != X.known_divisions for o in others):
        raise ValueError(
            "Dask knows the divisions of X but not of y (or sample_weight), or the other way "
            "round, so it cannot line their rows up. Take y from the same Dask DataFrame as "
            "X (ddf['y']), or clear both's divisions (X.clear_divisions(), "
            "y.clear_divisions())."
        )
    if not X.known_divisions and not all(_split_alike(X, o) for o in others):
        return _zipped_partitions(X, *others)
    columns, shapes = {}, []
    for k, other in enumerate(others):
        if other.ndim == 1:
            columns[_JOINED.format(k, 0)] = other
            shapes.append((1, True, other.name))
        else:
            for c, name in enumerate(other.columns):
                columns[_JOINED.format(k, c)] = other[name]
            shapes.append((len(other.columns), False, None))
    joined = X.assign(**columns) if columns else X
    split = dask.delayed(_split_joined, nout=1 + len(shapes))
    try:
        parts = joined.to_delayed()
    except AssertionError:  # dask's "Mismatched divisions": two reads of one dataset,
        return _zipped_partitions(X, *others)  # taken as one lineage, split differently
    return [split(part, X.shape[1], shapes) for part in parts]


def _split_alike(X, other) -> bool:
    """Whether Dask computes ``other`` partition by partition beside ``X`` (one lineage)."""
    try:
        from dask.dataframe.dask_expr._expr import are_co_aligned
    except ImportError:  # another dask: line them up as unrelated collections
        return False
    return bool(are_co_aligned(X.expr, other.expr))


def _paired(x_part, *other_parts) -> tuple:
    """Partition ``i`` of X beside partition ``i`` of each other collection, refused
    unless they hold the same rows (one index, label for label)."""
    for other in other_parts:
        if not x_part.index.equals(other.index):
            raise ValueError(
                f"A partition of X ({len(x_part)} rows) and the matching partition of y (or "
                f"sample_weight, {len(other)} rows) have different index labels, so their "
                "rows cannot be paired. Take y from the same Dask DataFrame as X "
                "(y = ddf['target']), or give both a sorted index of unique row ids "
                "(set_index) for Dask to line them up by."
            )
    return (x_part, *other_parts)


def _zipped_partitions(X, *others) -> list:
    """Partitions of collections of unknown divisions and separate lineages, zipped.

    Dask would line them up by shuffling every row by its index label (the
    whole table, again for each partition loaded), and would pair rows wrongly,
    silently, where labels repeat (Parquet files written each with its own
    RangeIndex, a ``y`` repartitioned or rebuilt). Partition ``i`` of each
    collection holding the same index labels pair row by row; anything else is
    refused.
    """
    import dask

    parts = [c.to_delayed() for c in (X, *others)]
    _require_one_count(
        parts,
        "X and y (or sample_weight) are not computed together: they come in different "
        "numbers of partitions ({counts}) and Dask does not know their divisions, so their "
        "rows cannot be paired (Dask would pair them by index label, wrongly where labels "
        "repeat, as each Parquet file's own 0, 1, 2, ... do). Read X and y as one Dask "
        "DataFrame and take y from it (y = ddf['target']), or give both a sorted index of "
        "unique row ids (set_index).",
    )
    pair = dask.delayed(_paired, nout=len(parts))
    return [pair(*pieces) for pieces in zip(*parts, strict=True)]


def gathered(*collections) -> tuple:
    """The collections computed into memory, their rows paired as
    :func:`aligned_partitions` pairs them (pandas objects, or numpy arrays).

    Categorical columns keep their dtype with the union of the partitions'
    categories, as Dask's own ``compute`` gives them (``pd.concat`` would turn
    partitions of different category sets into their values' dtype).
    """
    import dask
    import numpy as np
    import pandas as pd

    parts = dask.compute(*aligned_partitions(*collections))
    joined = []
    for pieces in zip(*parts, strict=True):
        if isinstance(pieces[0], (pd.DataFrame, pd.Series)):
            joined.append(pd.concat(_with_all_categories(list(pieces))))
        else:
            joined.append(np.concatenate(pieces))
    return tuple(joined)


def _with_all_categories(pieces: list) -> list:
    """Pandas partitions whose categorical columns share the union of their categories."""
    import pandas as pd
    from pandas.api.types import union_categoricals

    frames = [p.to_frame() if isinstance(p, pd.Series) else p for p in pieces]
    dtypes = {}  # column position: the categorical dtype of every partition's values
    for k, first in enumerate(frames[0].dtypes):
        if not isinstance(first, pd.CategoricalDtype):
            continue
        each = [frame.iloc[:, k] for frame in frames]
        if all(isinstance(c.dtype, pd.CategoricalDtype) for c in each):
            union = union_categoricals(each, ignore_order=True).categories
            dtypes[k] = pd.CategoricalDtype(union, ordered=first.ordered)
    if not dtypes:
        return pieces
    joined = []
    for piece in pieces:
        if isinstance(piece, pd.Series):
            joined.append(piece.astype(dtypes[0]))
            continue
        piece = piece.copy(deep=False)
        for k, dtype in dtypes.items():
            piece.isetitem(k, piece.iloc[:, k].astype(dtype))
        joined.append(piece)
    return joined
