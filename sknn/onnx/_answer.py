"""Each estimator's prediction path as a torch module, ready for ``torch.onnx.export``.

Three modules, one per kind of fitted estimator: :class:`TabularAnswer`
(sknn's own network behind the fitted ``TabularEncoder``, whose part
:class:`TabularEncoding` also stands alone), :class:`ModuleAnswer` (a user's
``module`` fed the array as given), both ending in sknn's output link, and
:class:`DropInAnswer` (the drop-in ``MLPClassifier`` / ``MLPRegressor``).
Categorical columns arrive as integer codes (see
:mod:`sknn.onnx._columns`), so no string ever reaches torch.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from sknn.neural_net._outputs import as_members
from sknn.preprocessing._categorical import FIRST_SEEN_CODE
from sknn.preprocessing._numeric import CLIP_BOUND
from sknn.training.losses import combine, ordered_quantiles


def _float_buffer(values) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values, dtype=np.float32))


class _Link(nn.Module):
    """The flagship's output link: probabilities, or targets in their own units.

    A regressor's quantiles are sorted within each member, as in training,
    and its outputs are a tuple: the ``(batch, n_outputs)`` values, or with
    several quantiles the values shaped as ``predict``'s followed by one
    ``(batch, n_outputs)`` output per level.
    """

    def __init__(self, est):
        super().__init__()
        self.classifier = hasattr(est, "classes_")
        self.kind = est._output_kind
        self.n_outputs = est._n_model_outputs
        self.link = est._output_link()
        self.n_quantiles = getattr(est, "_n_quantiles", 1)
        self.n_targets = getattr(est, "n_outputs_", 1)

    def forward(self, out: torch.Tensor):
        members = ordered_quantiles(as_members(out, self.kind, self.n_outputs), self.n_quantiles)
        out = combine(members, self.kind)
        if self.classifier:
            return self.link.proba_tensor(out)
        values = self.link.values_tensor(out)
        if values.ndim == 2:
            return values
        levels = [values[:, :, j] for j in range(values.shape[2])]
        return (values[:, 0] if self.n_targets == 1 else values, *levels)


class TabularEncoding(nn.Module):
    """Raw numeric features and category codes -> the fitted ``TabularEncoder``'s output.

    Inputs, positionally: the numeric and boolean columns as float (NaN where
    missing), if the table has any; then the categorical columns' codes as
    int64 (0 missing, 1 unseen, 2.. the categories seen at fit), if it has any.
    With ``double``, the numbers come as float64 and are centred and scaled in
    float64, then clipped in float32, as ``transform`` does; otherwise all in
    float32.
    """

    fill: torch.Tensor  # buffers
    center: torch.Tensor
    scale: torch.Tensor
    indicators: torch.Tensor
    is_bool: torch.Tensor
    bound: torch.Tensor

    def __init__(self, enc, double: bool = False):
        super().__init__()
        exact = torch.float64 if double else torch.float32
        for name, values in (("fill", enc._fill), ("center", enc._center), ("scale", enc._scale)):
            self.register_buffer(name, torch.as_tensor(np.asarray(values), dtype=exact))
        self.register_buffer("indicators", torch.as_tensor(enc._indicator_index, dtype=torch.long))
        self.register_buffer("is_bool", torch.as_tensor(np.asarray(enc._bool_features, dtype=bool)))
        self.clip = bool(enc.clip_numeric)
        bound = np.broadcast_to(getattr(enc, "clip_bound_", CLIP_BOUND), len(enc._fill))
        self.register_buffer("bound", _float_buffer(bound))
        categorical = [c for c in enc._columns if c.kind in ("onehot", "code")]
        self.n_numeric = len(enc._fill)
        self.n_categorical = len(categorical)
        # position among the code inputs and number of categories of each one-hot column
        self.onehot = [
            (k, len(c.categories)) for k, c in enumerate(categorical) if c.kind == "onehot"
        ]
        self.coded = [k for k, c in enumerate(categorical) if c.kind == "code"]

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        parts = []
        if self.n_numeric:
            x = inputs[0]
            missing = torch.isnan(x)
            z = (torch.where(missing, self.fill, x) - self.center) / self.scale
            if self.clip:
                t = torch.clamp(z / self.bound.to(z.dtype), -1e18, 1e18).float()
                z = torch.where(self.is_bool, z.float(), t / torch.sqrt(1.0 + t * t) * self.bound)
            parts.append(z.float())
        if self.n_categorical:
            codes = inputs[-1]
            for k, n_categories in self.onehot:
                seen = torch.arange(FIRST_SEEN_CODE, FIRST_SEEN_CODE + n_categories)
                parts.append((codes[:, k : k + 1] == seen).float())
        if self.indicators.numel():
            parts.append(missing[:, self.indicators].float())
        parts += [codes[:, k : k + 1].float() for k in self.coded]
        return torch.cat(parts, dim=1)


class TabularAnswer(nn.Module):
    """The flagship on a table: its encoding, network and output link."""

    def __init__(self, est, double: bool = False):
        super().__init__()
        self.encoding = TabularEncoding(est.encoder_, double)
        self.network = est.module_
        self.link = _Link(est)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.link(self.network(self.encoding(*inputs)))


class ModuleAnswer(nn.Module):
    """A user's module fed the array as given, then sknn's output link."""

    def __init__(self, est):
        super().__init__()
        self.network = est.module_
        self.link = _Link(est)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.link(self.network(x))


class DropInAnswer(nn.Module):
    """The drop-in MLP: its layers, then its output activation."""

    def __init__(self, est, network: nn.Module, double: bool = False):
        super().__init__()
        self.network = network.double() if double else network.float()
        self.out_activation = est.out_activation_

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.network(x)
        if self.out_activation == "softmax":
            return torch.softmax(out, dim=1)
        if self.out_activation == "logistic":
            p = torch.sigmoid(out)
            return torch.cat([1.0 - p, p], dim=1) if out.shape[1] == 1 else p
        if self.out_activation == "exp":
            return torch.exp(out)
        return out
