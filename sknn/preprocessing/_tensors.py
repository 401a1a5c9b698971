"""Torch tensors encoded where they live: the numeric encoder on the tensor's device.

Under scikit-learn's Array API dispatch a numeric torch tensor (float or
integer, on any device) is fitted and encoded by torch, so a table on a GPU
never visits the host: its statistics (each column's weighted median and
quartiles, from :func:`sknn.nn.quantiles.inverted_cdf_quantiles`; its
missing values) are computed on the device, and only they, a few numbers a
column, are read back. The encoding matches the numpy path's to the last bit
on the CPU: the same float64 arithmetic in the same order, the same float32
smooth clip. The fitted encoder is the same object a numpy fit makes.

Only all-numeric plans qualify: a tensor with columns named in
``categorical_features``, or of booleans, takes the host path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn.utils.validation import _check_feature_names_in, _check_sample_weight, validate_data

from sknn.nn.quantiles import inverted_cdf_quantiles
from sknn.preprocessing._columns import ColumnFacts, plan_columns
from sknn.preprocessing._numeric import (
    _FLOAT32_MAX,
    CLIP_BOUND,
    TINY_CLIP_ROWS,
    clip_bounds,
    fill_center_scale,
    refuse_flagged_infinite,
    refuse_too_large,
)
from sknn.sklearn_glue.array_api import to_host

# rows encoded at a time: the float64 temporaries stay a few MB a column
_BLOCK_ROWS = 1 << 16


def encodes_on_device(encoder, X) -> bool:
    """Whether ``encoder`` fits or encodes ``X`` in torch: a 2-D numeric tensor, no column
    named in ``categorical_features``, and (once fitted) an all-numeric encoder."""
    if not isinstance(X, torch.Tensor) or X.ndim != 2:
        return False
    if X.dtype == torch.bool or X.is_complex():
        return False
    spec = encoder.categorical_features  # "from_dtype" (numbers are numeric), None or none
    if not (isinstance(spec, str) or spec is None or len(spec) == 0):
        return False
    return getattr(encoder, "_all_numeric", True)


def on_host_unless_encodable(encoder, X):
    """``X`` as it is, unless it is a tensor that ``encoder`` cannot encode in torch (then
    its numpy view, or a host copy of a tensor on a GPU)."""
    if isinstance(X, torch.Tensor) and not encodes_on_device(encoder, X):
        return to_host(X)
    return X


def _column_stats(x: torch.Tensor, weight: torch.Tensor) -> list[float]:
    """q25, median, q75, std and mean of a column's observed values (NaN when none)."""
    observed = ~torch.isnan(x)
    x, w = x[observed], weight[observed]
    if not len(x) or not bool(w.sum() > 0):
        return [np.nan] * 5
    q25, median, q75 = inverted_cdf_quantiles(x, [0.25, 0.5, 0.75], w)
    mean = (x * w).sum() / w.sum()
    std = torch.sqrt(((x - mean) ** 2 * w).sum() / w.sum())
    return [q25, median, q75, float(std), float(mean)]


def fit_tensor(encoder, X: torch.Tensor, sample_weight) -> None:
    """Fit ``encoder`` on the numeric tensor ``X`` (see the module).

    Parameters
    ----------
    encoder : TabularEncoder
        The encoder to fit.
    X : tensor of shape (n_samples, n_features)
        Numeric training data, NaN where missing, on any device.
    sample_weight : array-like of shape (n_samples,) or None
        Weights of the statistics.
    """
    # shape, dtype and feature count with scikit-learn's own messages; one row visits the host
    probe = validate_data(
        encoder, _host_rows(X, 1), reset=True, dtype=None, ensure_all_finite=False
    )
    names = _check_feature_names_in(encoder, None)
    missing = torch.isnan(X).sum(0).cpu().numpy()
    facts = [ColumnFacts("numeric", None, len(X) - int(k), int(k)) for k in missing]
    columns = plan_columns(pd.DataFrame(probe), names, None, encoder.max_onehot_cardinality, facts)
    for column, k in zip(columns, missing, strict=True):
        column.has_missing = bool(k)
    refuse_flagged_infinite(torch.isinf(X).any(0).cpu().numpy()[None, :], columns)
    weight = _check_sample_weight(
        sample_weight, np.empty((len(X), 0)), dtype=np.float64, ensure_non_negative=True
    )
    weight = torch.as_tensor(weight, device=X.device)
    stats = np.array([_column_stats(X[:, j].to(torch.float64), weight) for j in range(X.shape[1])])
    is_bool = np.zeros(X.shape[1], dtype=bool)
    encoder._columns = columns
    fill, center, scale = fill_center_scale(stats.reshape(-1, 5), is_bool)
    encoder._set_statistics(fill, center, scale, is_bool)
    if len(X) < TINY_CLIP_ROWS:  # a few rows: the bound reads them all, on the host
        raw = _host_rows(X, len(X))
        encoder.clip_bound_ = clip_bounds(raw, encoder._center, encoder._scale)
    else:
        encoder.clip_bound_ = np.full(X.shape[1], CLIP_BOUND)
    encoder._describe_columns(n_continuous=X.shape[1])


def _host_rows(X: torch.Tensor, rows: int) -> np.ndarray:
    """The first ``rows`` rows as float64 numpy (bfloat16 and float16 have no numpy twin)."""
    return X[:rows].detach().to("cpu", torch.float64).numpy()


def encode_tensor(encoder, X: torch.Tensor, owner) -> torch.Tensor:
    """The fitted all-numeric ``encoder``'s output for ``X``, a float32 tensor on its device.

    ``owner`` is the estimator whose feature names and count ``X`` is checked
    against. Infinite values, and values too large for float32 after scaling
    without the clip, are refused naming their columns, as on the host.
    """
    validate_data(owner, X, reset=False, skip_check_array=True)
    if not len(X):
        validate_data(owner, np.empty(tuple(X.shape)), reset=False)  # its message for 0 rows
    columns = encoder._columns
    refuse_flagged_infinite(torch.isinf(X).any(0).cpu().numpy()[None, :], columns)

    def on_device(a) -> torch.Tensor:
        return torch.tensor(np.asarray(a, dtype=np.float64), device=X.device)

    fill, center, scale = (
        on_device(encoder._fill),
        on_device(encoder._center),
        on_device(encoder._scale),
    )
    clip = encoder.clip_numeric
    bound = on_device(np.broadcast_to(getattr(encoder, "clip_bound_", CLIP_BOUND), fill.shape))
    indicators = torch.as_tensor(encoder._indicator_index, dtype=torch.long, device=X.device)
    n, d = X.shape
    out = torch.empty((n, d + len(indicators)), dtype=torch.float32, device=X.device)
    bad = torch.zeros(d, dtype=torch.bool, device=X.device)
    for start in range(0, n, _BLOCK_ROWS):
        rows = slice(start, start + _BLOCK_ROWS)
        z = X[rows].to(torch.float64, copy=True)
        missing = torch.isnan(z)
        torch.where(missing, fill, z, out=z)
        z -= center
        z /= scale
        if clip:  # numpy's smooth clip, bit for bit: float64 to the bound, then float32
            z /= bound
            z.clamp_(-1e18, 1e18)
            t = z.to(torch.float32)
            # glibc's hypotf(1, t) is sqrt(1 + t*t) in float64, rounded: IEEE operations
            # that every device rounds alike (a GPU's own float32 hypot may differ by an ulp)
            wide = t.to(torch.float64)
            t /= wide.mul_(wide).add_(1.0).sqrt_().to(torch.float32)
            t *= bound.to(torch.float32)
            bad |= torch.isnan(t).any(0)
        else:
            bad |= ~(z.abs() <= _FLOAT32_MAX).all(0)
            t = z.to(torch.float32)
        out[rows, :d] = t
        out[rows, d:] = missing[:, indicators].to(torch.float32)
    refuse_too_large(bad.cpu().numpy()[None, :], columns)
    return out
