"""Resemblyzer's pretrained GE2E speaker encoder: a transformer and a ``module=`` backbone.

:class:`VoiceEmbedder` is ready to use without training (``fit`` only checks
its input); its network is read from the resemblyzer wheel on first use and
kept out of pickles. :class:`VoiceBackbone` is the encoder with a new head
for the flagship estimators, frozen unless asked to fine-tune.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from torch import nn

from sknn.nn.voice import (
    EMBEDDING,
    MelFrontEnd,
    VoiceEncoder,
    partial_frames,
    raise_loudness,
)
from sknn.pretrained._audio import (
    MAX_FLOAT_SAMPLE,
    check_clips,
    resample,
    trim_long_silences,
)
from sknn.pretrained._base import PretrainedEstimator, PretrainedTransformerMixin, batch_starts
from sknn.pretrained._reference import PretrainedModule
from sknn.pretrained._weights import pretrained_voice_encoder, voice_encoder_state
from sknn.sklearn_glue.input_types import ClipsLike
from sknn.training import resolve_device
from sknn.training.threads import recommended_threads, torch_threads

# a 3-layer LSTM of 256 units over 160 frames: about 0.25 G multiply-adds per partial
_MACS_PER_PARTIAL = 250_000_000
_CPU_BATCH, _GPU_BATCH = 16, 256


def _voice_network():
    return MelFrontEnd(), pretrained_voice_encoder()


class VoiceEmbedder(PretrainedTransformerMixin, PretrainedEstimator):
    """Sounds to 256-d speaker embeddings from Resemblyzer's pretrained GE2E encoder.

    A transformer for ``Pipeline``: frozen pretrained voice features, then
    any classifier or regressor (who is speaking, their accent, their mood)
    from a few labelled clips. Each clip is resampled to 16 kHz, raised to
    -30 dBFS when quieter, cut into partial utterances of 1.6 s (1.3 a
    second, the last zero-padded; a clip shorter than one is padded to it),
    and the partials' embeddings are averaged and L2-normalised, as
    Resemblyzer's ``embed_utterance`` does. Needs the weights of the
    ``resemblyzer`` wheel (``pip install --no-deps "resemblyzer==0.1.4"``;
    nothing downloads).

    Parameters
    ----------
    sampling_rate : int, default=None
        Samples per second of waveforms given as arrays (required for
        them); WAV files carry their own, which a value here must match.
    trim_silence : bool, default=False
        Cut silences longer than about 0.2 s before embedding (an energy
        gate; see :mod:`sknn.pretrained`). Off by default: the embedding is
        then Resemblyzer's ``embed_utterance`` of the loudness-raised clip.
    batch_size : int, default=None
        Partial utterances per forward pass; None: 16 on the CPU, 256 on a
        GPU.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where the network runs.
    progress_bar : bool or None, default=None
        Show a progress bar over batches; None: for inputs of more than
        1,000 partials.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.pretrained import VoiceEmbedder
    >>> t = np.arange(32_000) / 16_000
    >>> hum = (0.1 * np.sin(2 * np.pi * 140 * t)).astype(np.float32)
    >>> VoiceEmbedder(sampling_rate=16_000).fit_transform([hum, hum[:8000]]).shape
    (2, 256)
    """

    _parameter_constraints: dict = {
        **PretrainedEstimator._parameter_constraints,
        "sampling_rate": [Interval(Integral, 1, None, closed="left"), None],
        "trim_silence": ["boolean"],
    }

    def __init__(
        self,
        sampling_rate=None,
        trim_silence=False,
        batch_size=None,
        device="cpu",
        progress_bar=None,
    ):
        super().__init__(batch_size=batch_size, device=device, progress_bar=progress_bar)
        self.sampling_rate = sampling_rate
        self.trim_silence = trim_silence

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True  # a batch of same-length waveforms
        tags.input_tags.allow_nan = False
        return tags

    def _check(self, X) -> list:
        return check_clips(X, self.sampling_rate)

    def _prepared(self, X) -> list[np.ndarray]:
        clips = []
        for wav, rate in check_clips(X, self.sampling_rate):
            wav = raise_loudness(torch.from_numpy(resample(wav, rate))).numpy()
            clips.append(trim_long_silences(wav) if self.trim_silence else wav)
        return clips

    def transform(self, X: ClipsLike) -> np.ndarray:
        """The speaker embedding of each clip.

        Parameters
        ----------
        X : list of array-like or str, or ndarray of shape (n_clips, n_samples)
            Clips (see :mod:`sknn.pretrained`).

        Returns
        -------
        embeddings : ndarray of shape (n_clips, 256), dtype=float32
            L2-normalised; non-negative (the encoder ends in a ReLU).
        """
        self._validate_params()
        clips = self._prepared(X)
        device = resolve_device(self.device)
        front, encoder = self._cached_network(_voice_network)
        front, encoder = front.to(device), encoder.to(device)
        owners: list[int] = []
        mels: list[torch.Tensor] = []
        with torch.inference_mode():
            for index, wav in enumerate(clips):
                parts = partial_frames(front, torch.from_numpy(wav).to(device)[None])[0]
                mels.extend(parts)
                owners.extend([index] * len(parts))
            batch_size = self.batch_size or (_CPU_BATCH if device.type == "cpu" else _GPU_BATCH)
            threads = recommended_threads(_MACS_PER_PARTIAL * batch_size, device)
            partials = []
            starts = batch_starts(len(mels), batch_size, self.progress_bar, type(self).__name__)
            with torch_threads(threads):
                for start in starts:
                    partials.append(encoder(torch.stack(mels[start : start + batch_size])))
            partial = torch.cat(partials).float()
            owner = torch.as_tensor(owners, device=partial.device)
            summed = torch.zeros(len(clips), EMBEDDING, device=partial.device)
            summed.index_add_(0, owner, partial)
            embedded = summed / summed.norm(dim=1, keepdim=True).clamp_min(1e-12)
        return embedded.cpu().numpy()

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the embedding columns.

        Parameters
        ----------
        input_features : None
            Ignored (sounds have no feature names).

        Returns
        -------
        names : ndarray of str objects
            ``voiceembedder0`` ... ``voiceembedder255``.
        """
        return np.asarray([f"voiceembedder{i}" for i in range(EMBEDDING)], dtype=object)


class VoiceBackbone(PretrainedModule):
    """Resemblyzer's pretrained GE2E speaker encoder with a new linear head.

    A ``module=`` for :class:`~sknn.NeuralNetClassifier` and
    :class:`~sknn.NeuralNetRegressor`. Takes a batch of same-length
    waveforms at 16 kHz, ``(n_clips, n_samples)`` floats in [-1, 1], as sknn
    passes a numeric array to a module (pad or cut clips to one length, and
    resample them first: ``scipy.signal.resample_poly``). Inside, each clip
    is raised to -30 dBFS when quieter, cut into partial utterances of 1.6 s
    (the last zero-padded), embedded, averaged and L2-normalised as
    :class:`VoiceEmbedder` does, then the head maps the embedding to
    ``n_outputs``.

    Parameters
    ----------
    n_outputs : int
        Width of the new head (sknn fills it in from the target).
    train_encoder : bool, default=False
        Fine-tune the pretrained encoder too. False freezes it (the head
        alone trains); with True, the estimator's ``frozen`` and
        ``lr_multipliers`` pick and pace its layers by name (e.g.
        ``frozen=["encoder.lstm.*_l0"]``, ``lr_multipliers={"encoder.*": 0.1}``).
    dropout : float, default=0.1
        Dropout before the head.
    pretrained : bool, default=True
        Start from Resemblyzer's weights (False: random weights, for testing).

    Notes
    -----
    Parameters are named ``encoder.lstm.*``, ``encoder.linear.*`` (the
    pretrained network) and ``head.*``. Pickles carry only the weights that
    differ from the wheel's.
    """

    _arguments = ("n_outputs", "train_encoder", "dropout", "pretrained")

    def __init__(
        self,
        n_outputs: int,
        train_encoder: bool = False,
        dropout: float = 0.1,
        pretrained: bool = True,
    ):
        super().__init__()
        self.n_outputs = n_outputs
        self.train_encoder = train_encoder
        self.dropout = dropout
        self.pretrained = pretrained
        self.front = MelFrontEnd()
        self.encoder = pretrained_voice_encoder() if pretrained else VoiceEncoder()
        self.encoder.requires_grad_(train_encoder)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(EMBEDDING, n_outputs))

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        if waves.ndim != 2 or not waves.is_floating_point():
            raise ValueError(
                "VoiceBackbone takes a batch of same-length waveforms at 16 kHz, a float "
                f"array of shape (n_clips, n_samples); got {tuple(waves.shape)} "
                f"({waves.dtype}). Pad or cut clips to one length and stack them."
            )
        if bool((waves.abs() > MAX_FLOAT_SAMPLE).any()):
            raise ValueError(
                "VoiceBackbone's waveforms are floats in [-1, 1], and these go far beyond; "
                "scale int16 PCM by 1 / 32768."
            )
        partials = partial_frames(self.front, raise_loudness(waves.float()))
        embedded = self.encoder(partials.flatten(0, 1)).view(*partials.shape[:2], -1)
        mean = embedded.mean(dim=1)
        return self.head(mean / mean.norm(dim=1, keepdim=True).clamp_min(1e-12))

    def reference_state(self) -> dict[str, torch.Tensor]:
        """What a new instance holds before training: the wheel's weights (sknn's saving
        stores only the entries that differ from these)."""
        if not self.pretrained:
            return {}
        return {f"encoder.{name}": value for name, value in voice_encoder_state().items()}
