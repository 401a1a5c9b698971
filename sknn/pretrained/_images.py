"""Images in the forms analysts hold them, checked, and prepared for EfficientNet-Lite0.

Accepted: a list (or tuple, Series, or the one-column 2-D object array that
``ColumnTransformer`` passes) of arrays of any sizes, or one array holding a
batch of same-sized images, first axis samples. Each image is ``uint8`` in
[0, 255], float in [0, 1] or bool (True white, as scikit-image reads it), of
shape ``(H, W)`` (grayscale, replicated to three channels), ``(H, W, 1)``,
``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA; alpha dropped). A PIL image is
read by its mode: 16-bit and 32-bit ones (``I;16``, ``I``, ``F``) as their
numbers, which must then be uint8-ranged or float in [0, 1] as above (PIL's
own conversion to RGB would clip them to black and white).

Refused, naming the image's position and the fix: a missing image (None,
NaN), a file name (files are not read), an empty image (no rows or columns),
a channel count other than 1, 3 or 4, another number of dimensions, another
dtype, and one colour image ``(H, W, C)`` passed without a list: read as a
batch it would be ``H`` grayscale images ``C`` pixels wide, so it needs
``[image]`` (a batch of grayscale images 1, 3 or 4 pixels wide is shaped
``(n, H, W, 1)``).

Preparation, as the weights expect it (checked on photos of known class, see
``benchmarks/results/pretrained.md``): the shorter side resized to 224 pixels
(bilinear, antialiased), the centre 224 x 224 cropped, and each channel mapped
from [0, 1] to [-1, 1] (mean 0.5, standard deviation 0.5, the Lite family's
normalisation).
"""

from __future__ import annotations

import os

import numpy as np
import torch

from sknn.pretrained._base import is_missing_item

IMAGE_SIZE = 224
MEAN = 0.5
STD = 0.5
FORMS = (
    "images as a list of arrays (any sizes) or one array of shape (n, H, W) or (n, H, W, C); "
    "each image uint8 in [0, 255], float in [0, 1] or bool, grayscale (H, W) or (H, W, 1), RGB "
    "(H, W, 3) or RGBA (H, W, 4)"
)


COLOUR_CHANNELS = (1, 3, 4)
_CONVERT = (
    "convert it to uint8 in [0, 255] (for 16-bit pixels (image // 257).astype(np.uint8)) or "
    "to float in [0, 1] (image / image.max())"
)
# read as they are (16- and 32-bit numbers checked as arrays: PIL's convert("RGB") clips
# them to 0 and 255); other modes (palette, bilevel, CMYK...) are converted to RGB
_PIL_MODES = ("RGB", "RGBA", "L", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def _check_image(image, position: int) -> np.ndarray:
    where = f"Image {position}"
    if is_missing_item(image):
        raise ValueError(
            f"{where} is missing ({image!r}); drop it (and its row of y), or load the image "
            "before passing it."
        )
    if isinstance(image, (str, bytes, os.PathLike)):
        raise ValueError(
            f"{where} is a file name ({os.fsdecode(image)!r}), not pixels; files are not read "
            "here: load the images first, e.g. [skimage.io.imread(path) for path in paths]."
        )
    if hasattr(image, "mode") and hasattr(image, "convert"):  # a PIL image: by its mode
        where += f" (a PIL image of mode {image.mode!r}, read as np.asarray(image))"
        image = np.array(image if image.mode in _PIL_MODES else image.convert("RGB"))
    try:
        array = np.asarray(image)
    except ValueError:  # numpy's "inhomogeneous shape"
        raise ValueError(
            f"{where} is not a rectangular array of pixels: its rows have different lengths."
        ) from None
    if array.ndim == 0:
        raise ValueError(f"{where} is a single {type(image).__name__}, not an array of pixels.")
    if array.ndim == 1:
        raise ValueError(
            f"{where} has shape {array.shape}: flat pixels; reshape it to (H, W) or (H, W, C)."
        )
    if array.ndim == 4:
        raise ValueError(
            f"{where} has shape {array.shape}: a batch inside the list; pass the batch array "
            "itself, or list its images (list(batch))."
        )
    if array.ndim != 3 and array.ndim != 2:
        raise ValueError(f"{where} has shape {array.shape}; expected {FORMS}.")
    if array.ndim == 3 and array.shape[2] not in COLOUR_CHANNELS:
        if array.shape[0] in COLOUR_CHANNELS:
            raise ValueError(
                f"{where} has shape {array.shape}: channels first, as torch keeps them; "
                f"images here are channels last (H, W, C): pass image.transpose(1, 2, 0)."
            )
        raise ValueError(
            f"{where} has shape {array.shape}: {array.shape[2]} channels, where 1 "
            f"(grayscale), 3 (RGB) or 4 (RGBA) are accepted; expected {FORMS}."
        )
    if 0 in array.shape[:2]:
        raise ValueError(
            f"{where} is empty: shape {array.shape} has no pixels; drop it (and its row of "
            "y), or check how it was loaded."
        )
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:  # a mask: True white
        return array.astype(np.float32)
    if array.dtype.kind != "f":
        raise ValueError(f"{where} has dtype {array.dtype}; {_CONVERT}. Expected {FORMS}.")
    if not np.isfinite(array).all():
        raise ValueError(f"{where} contains NaN or infinity; expected {FORMS}.")
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"{where} is float with values in [{low:g}, {high:g}]; float images must lie in "
            "[0, 1] (divide uint8-range values by 255, or pass them as uint8)."
        )
    return array


def _one_image(shape: tuple[int, ...]) -> bool:
    """A 3-D array that reads better as one colour image ``(H, W, C)`` than as a batch.

    Read as a batch ``(n, H, W)``, its images would be 1, 3 or 4 pixels wide:
    that is a photo's channel axis, not a width.
    """
    return len(shape) == 3 and shape[2] in COLOUR_CHANNELS


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
    if isinstance(images, (str, bytes, os.PathLike)):
        raise ValueError(
            f"Got a file name ({os.fsdecode(images)!r}), not pixels; files are not read here: "
            f"load the image first and pass [skimage.io.imread(path)]; expected {FORMS}."
        )
    if hasattr(images, "to_numpy"):  # a Series or a one-column DataFrame
        images = images.to_numpy()
    if isinstance(images, np.ndarray) and images.dtype == object:
        if images.ndim == 2 and images.shape[1] > 1:
            raise ValueError(
                f"Got images in {images.shape[1]} columns; an image transformer reads one "
                "column of images. Give each column its own transformer (in a "
                "ColumnTransformer, one entry a column)."
            )
        images = list(images.ravel())
    if isinstance(images, np.ndarray):
        if _one_image(images.shape):
            height, width, channels = images.shape
            raise ValueError(
                f"Got one array of shape {images.shape}: one {height} x {width} image with "
                f"{channels} channels, or {height} grayscale images {channels} pixels wide? Pass "
                "[image] for one image; a batch of such narrow grayscale images must be shaped "
                "(n, H, W, 1)."
            )
        if images.ndim not in (3, 4):
            single = " Pass [image] for one grayscale image." if images.ndim == 2 else ""
            raise ValueError(
                f"Got one array of shape {images.shape}: not a batch of images.{single} "
                f"Expected {FORMS}. Flattened pixels must be reshaped to (n, H, W) first."
            )
        images = list(images)
    if not isinstance(images, (list, tuple)):
        raise ValueError(f"Got {type(images).__name__}; expected {FORMS}.")
    if not len(images):
        raise ValueError(f"Got no images; expected {FORMS}.")
    return [_check_image(image, i) for i, image in enumerate(images)]


def check_batch(images: torch.Tensor) -> None:
    """Refuse a tensor that is not a batch ``(n, H, W)`` or ``(n, H, W, C)`` of images.

    Parameters
    ----------
    images : torch.Tensor
        What a module such as :class:`~sknn.pretrained.ImageBackbone` was given.

    Raises
    ------
    ValueError
        If it has another number of dimensions, a channel count other than
        1, 3 or 4, no pixels, values outside [0, 1] (float) or [0, 255]
        (integers), or is one colour image rather than a batch.
    """
    shape = tuple(images.shape)
    if _one_image(shape):
        raise ValueError(
            f"Got images of shape {shape}: one {shape[0]} x {shape[1]} image with {shape[2]} "
            f"channels, or {shape[0]} grayscale images {shape[2]} pixels wide? Pass image[None] "
            "(a batch of one) for one image; a batch of such narrow grayscale images must be "
            "shaped (n, H, W, 1)."
        )
    if len(shape) not in (3, 4):
        raise ValueError(
            f"Got images of shape {shape}; expected a batch (n, H, W) or (n, H, W, C), first "
            "axis samples (flattened pixels must be reshaped first)."
        )
    if len(shape) == 4 and shape[3] not in COLOUR_CHANNELS:
        raise ValueError(
            f"Got images of shape {shape}: {shape[3]} channels, where 1 (grayscale), 3 (RGB) "
            "or 4 (RGBA) are accepted, channels last."
        )
    if 0 in shape[1:3]:
        raise ValueError(f"Got images of shape {shape}: empty images, without pixels.")
    if images.dtype != torch.uint8:
        low, high = float(images.min()), float(images.max())
        top = 1.0 if images.is_floating_point() else 255.0
        if low < 0.0 or high > top:
            raise ValueError(
                f"Got {images.dtype} images with values in [{low:g}, {high:g}]; float images "
                "must lie in [0, 1] and integer ones in [0, 255] (pass uint8 pixels, or "
                "divide by 255; not normalised ones)."
            )


def to_tensor(images: torch.Tensor) -> torch.Tensor:
    """A batch ``(n, H, W)`` or ``(n, H, W, C)`` as float ``(n, 3, H, W)`` in [0, 1].

    Integer tensors are read as uint8 values (0-255); float and bool ones as [0, 1].
    """
    scale = images.is_floating_point() or images.dtype == torch.bool
    x = images.float() if scale else images.float() / 255.0
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
