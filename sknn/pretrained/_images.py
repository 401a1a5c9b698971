"""Images in the forms analysts hold them, checked, and prepared for EfficientNet-Lite0.

Accepted: a list (or tuple, Series, or the one-column 2-D object array that
``ColumnTransformer`` passes) of arrays of any sizes, or one array holding a
batch of same-sized images, first axis samples. Each image is ``uint8`` in
[0, 255] or float in [0, 1], of shape ``(H, W)`` (grayscale, replicated to
three channels), ``(H, W, 1)``, ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA;
alpha dropped).

Preparation, as the weights expect it (checked on photos of known class, see
``benchmarks/results/pretrained.md``): the shorter side resized to 224 pixels
(bilinear, antialiased), the centre 224 x 224 cropped, and each channel mapped
from [0, 1] to [-1, 1] (mean 0.5, standard deviation 0.5, the Lite family's
normalisation).
"""

from __future__ import annotations

import numpy as np
import torch

IMAGE_SIZE = 224
MEAN = 0.5
STD = 0.5
FORMS = (
    "images as a list of arrays (any sizes) or one array of shape (n, H, W) or (n, H, W, C); "
    "each image uint8 in [0, 255] or float in [0, 1], grayscale (H, W) or (H, W, 1), RGB "
    "(H, W, 3) or RGBA (H, W, 4)"
)


def _check_image(image, position: int) -> np.ndarray:
    array = np.asarray(image)
    where = f"Image {position}"
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4) or array.ndim not in (2, 3):
        raise ValueError(f"{where} has shape {array.shape}; expected {FORMS}.")
    if array.dtype == np.uint8:
        return array
    if array.dtype.kind != "f":
        raise ValueError(f"{where} has dtype {array.dtype}; expected {FORMS}.")
    if not np.isfinite(array).all():
        raise ValueError(f"{where} contains NaN or infinity; expected {FORMS}.")
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"{where} is float with values in [{low:g}, {high:g}]; float images must lie in "
            "[0, 1] (divide uint8-range values by 255, or pass them as uint8)."
        )
    return array


def check_images(images) -> list[np.ndarray]:
    """The images as a list of checked arrays; a ``ValueError`` names what is wrong.

    Parameters
    ----------
    images : list of array-like, or ndarray
        See the module description for the accepted forms.

    Returns
    -------
    images : list of ndarray
        One ``uint8`` or float array per image, as given.
    """
    if hasattr(images, "to_numpy"):  # a Series or a one-column DataFrame
        images = images.to_numpy()
    if isinstance(images, np.ndarray) and images.dtype == object:
        images = list(images.ravel())
    if isinstance(images, np.ndarray):
        if images.ndim not in (3, 4):
            raise ValueError(
                f"Got one array of shape {images.shape}: not a batch of images. Expected "
                f"{FORMS}. Flattened pixels must be reshaped to (n, H, W) first."
            )
        images = list(images)
    if not isinstance(images, (list, tuple)):
        raise ValueError(f"Got {type(images).__name__}; expected {FORMS}.")
    if not len(images):
        raise ValueError(f"Got no images; expected {FORMS}.")
    return [_check_image(image, i) for i, image in enumerate(images)]


def to_tensor(images: torch.Tensor) -> torch.Tensor:
    """A batch ``(n, H, W)`` or ``(n, H, W, C)`` as float ``(n, 3, H, W)`` in [0, 1].

    Integer tensors are read as uint8 values (0-255); float ones as [0, 1].
    """
    x = images.float() / 255.0 if not images.is_floating_point() else images.float()
    if x.ndim == 3:
        x = x[..., None]
    x = x[..., :3]  # alpha dropped
    if x.shape[-1] == 1:
        x = x.expand(*x.shape[:-1], 3)
    return x.permute(0, 3, 1, 2)


def prepare(x: torch.Tensor, size: int = IMAGE_SIZE) -> torch.Tensor:
    """``(n, 3, H, W)`` in [0, 1] -> resized, centre-cropped, normalised ``(n, 3, size, size)``."""
    height, width = x.shape[-2:]
    scale = size / min(height, width)
    shape = (max(size, round(height * scale)), max(size, round(width * scale)))
    if shape != (height, width):
        x = torch.nn.functional.interpolate(
            x, size=shape, mode="bilinear", antialias=True, align_corners=False
        )
    top, left = (shape[0] - size) // 2, (shape[1] - size) // 2
    x = x[:, :, top : top + size, left : left + size]
    return (x - MEAN) / STD


def image_batch(images: list[np.ndarray], size: int = IMAGE_SIZE) -> torch.Tensor:
    """Checked images of any sizes as one prepared batch ``(n, 3, size, size)``."""
    return torch.cat(
        [
            prepare(to_tensor(torch.from_numpy(np.ascontiguousarray(im))[None]), size)
            for im in images
        ]
    )
