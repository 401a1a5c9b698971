"""EfficientNet-Lite0 in plain torch, with the parameter names of EfficientNet-PyTorch.

EfficientNet-Lite (Tan & Le, 2019; the "Lite" variants for mobile CPUs) is
EfficientNet-B0 without squeeze-and-excitation, with ReLU6 activations and a
fixed stem and head. Its 16 inverted-residual blocks (MBConv) widen each
feature map by an expansion ratio (1x1 convolution), filter it depthwise
(3x3 or 5x5) and project it back (1x1), with a skip connection where the
shape allows. The names (``_conv_stem``, ``_bn0``, ``_blocks.N._expand_conv``,
``_depthwise_conv``, ``_project_conv``, ``_conv_head``, ``_bn1``, ``_fc``)
follow EfficientNet-PyTorch, so its ImageNet weights load as they are.
"""

from __future__ import annotations

import torch
from torch import nn

# (repeats, kernel size, first stride, expansion ratio, output channels), per stage
LITE0_STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
BN_EPS = 1e-3  # TensorFlow's, which trained the weights


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=0.01)


class MBConvBlock(nn.Module):
    """Inverted residual: expand (1x1), depthwise (k x k), project (1x1), skip if shapes match.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels in and out.
    kernel_size : int
        Size of the depthwise filter (3 or 5).
    stride : int
        Stride of the depthwise filter (1 or 2).
    expand_ratio : int
        Width of the expanded feature map, in multiples of ``in_channels``.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int, expand_ratio: int
    ):
        super().__init__()
        mid = in_channels * expand_ratio
        self.expand_ratio = expand_ratio
        if expand_ratio != 1:
            self._expand_conv = nn.Conv2d(in_channels, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = nn.Conv2d(
            mid, mid, kernel_size, stride, padding=kernel_size // 2, groups=mid, bias=False
        )
        self._bn1 = _bn(mid)
        self._project_conv = nn.Conv2d(mid, out_channels, 1, bias=False)
        self._bn2 = _bn(out_channels)
        self.skip = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.expand_ratio != 1:
            out = nn.functional.relu6(self._bn0(self._expand_conv(out)))
        out = nn.functional.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.skip else out


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0: images ``(n, 3, H, W)``, normalized, to class logits.

    Parameters
    ----------
    n_classes : int, default=1000
        Width of the final linear layer ``_fc``.
    dropout : float, default=0.2
        Dropout before ``_fc`` (active in training mode only).

    Notes
    -----
    :meth:`features` gives the 1,280 pooled features before ``_fc``.
    """

    _fc: nn.Module  # a Linear layer, or nn.Identity where a new head takes its place

    def __init__(self, n_classes: int = 1000, dropout: float = 0.2):
        super().__init__()
        self._conv_stem = nn.Conv2d(3, STEM_CHANNELS, 3, 2, padding=1, bias=False)
        self._bn0 = _bn(STEM_CHANNELS)
        blocks, channels = [], STEM_CHANNELS
        for repeats, kernel, stride, expand, out in LITE0_STAGES:
            for i in range(repeats):
                blocks.append(MBConvBlock(channels, out, kernel, stride if i == 0 else 1, expand))
                channels = out
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(channels, HEAD_CHANNELS, 1, bias=False)
        self._bn1 = _bn(HEAD_CHANNELS)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(HEAD_CHANNELS, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled features, ``(n, 1280)``, of normalized images ``(n, 3, H, W)``."""
        x = nn.functional.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = nn.functional.relu6(self._bn1(self._conv_head(x)))
        return x.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self._dropout(self.features(x)))
