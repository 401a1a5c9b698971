"""A GE2E speaker encoder (Resemblyzer's) and its mel front end, in torch.

The network of Wan et al.'s generalized end-to-end speaker verification as
Resemblyzer 0.1.4 ships it: a 3-layer LSTM of 256 units over 40-channel mel
power spectrograms (16 kHz, 25 ms windows, 10 ms hop), the last layer's final
hidden state through a linear layer and a ReLU, L2-normalised to a 256-d
embedding. An utterance is cut into partial utterances of 160 frames
(1.6 s), overlapping at 1.3 partials a second; their embeddings are averaged
and normalised again. The front end reproduces ``librosa.feature.melspectrogram``
(a periodic Hann window, zero-padded centred frames, the Slaney mel scale and
area normalisation), which Resemblyzer's own code calls, so its weights see
the features they were trained on.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

SAMPLING_RATE = 16_000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s
HIDDEN = EMBEDDING = 256
LAYERS = 3
TARGET_DBFS = -30.0  # the loudness clips are raised to


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """The Slaney mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_part = hz >= 1000.0
    mel[log_part] = 15.0 + np.log(hz[log_part] / 1000.0) / (np.log(6.4) / 27.0)
    return mel


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * (200.0 / 3)
    log_part = mel >= 15.0
    hz[log_part] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel[log_part] - 15.0))
    return hz


def mel_filterbank(
    sampling_rate: int = SAMPLING_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS
) -> np.ndarray:
    """Triangular filters on the Slaney mel scale, area-normalised: ``(n_mels, n_fft // 2 + 1)``.

    Parameters
    ----------
    sampling_rate : int
        Samples per second of the audio.
    n_fft : int
        The FFT's length.
    n_mels : int
        Number of filters, evenly spaced in mels from 0 Hz to half the rate.
    """
    bins = np.fft.rfftfreq(n_fft, d=1.0 / sampling_rate)
    edges = _mel_to_hz(np.linspace(0.0, _hz_to_mel(np.array([sampling_rate / 2.0]))[0], n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


class MelFrontEnd(nn.Module):
    """Waveforms ``(batch, samples)`` at 16 kHz to mel power frames ``(batch, frames, 40)``."""

    window: torch.Tensor
    filters: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("window", torch.hann_window(N_FFT, periodic=True), persistent=False)
        self.register_buffer("filters", torch.from_numpy(mel_filterbank()), persistent=False)

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        spectrum = torch.stft(
            waves,
            n_fft=N_FFT,
            hop_length=HOP,
            window=self.window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        power = spectrum.real.square() + spectrum.imag.square()
        return torch.matmul(self.filters, power).transpose(1, 2)


class VoiceEncoder(nn.Module):
    """Mel frames ``(batch, frames, 40)`` to L2-normalised 256-d speaker embeddings."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(N_MELS, HIDDEN, LAYERS, batch_first=True)
        self.linear = nn.Linear(HIDDEN, EMBEDDING)

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)
        raw = torch.relu(self.linear(hidden[-1]))
        return raw / raw.norm(dim=1, keepdim=True).clamp_min(1e-12)


def partial_starts(n_samples: int, rate: float = 1.3, min_coverage: float = 0.75) -> list[int]:
    """The first frame of each partial utterance of a waveform of ``n_samples``.

    Partials of :data:`PARTIAL_FRAMES` frames start every ``1 / rate`` seconds
    and cover the whole utterance; the last is dropped when less than
    ``min_coverage`` of it holds audio, unless it is the only one. The
    waveform is zero-padded to the end of the last partial.

    Parameters
    ----------
    n_samples : int
        The waveform's length at 16 kHz.
    rate : float
        Partials per second.
    min_coverage : float
        The share of the last partial that must hold audio.
    """
    n_frames = math.ceil((n_samples + 1) / HOP)
    step = round((SAMPLING_RATE / rate) / HOP)
    starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step))
    last = starts[-1] * HOP
    coverage = (n_samples - last) / (PARTIAL_FRAMES * HOP)
    if coverage < min_coverage and len(starts) > 1:
        starts.pop()
    return starts


def raise_loudness(waves: torch.Tensor) -> torch.Tensor:
    """Each waveform (the last axis) scaled up to -30 dBFS when quieter, never down.

    Parameters
    ----------
    waves : torch.Tensor
        Float waveforms in [-1, 1], one a row; the level is measured in float64.
    """
    rms = waves.double().square().mean(dim=-1, keepdim=True).sqrt()
    gain = (10.0 ** (TARGET_DBFS / 20.0) / rms.clamp_min(1e-12)).clamp_min(1.0)
    return waves * gain.to(waves.dtype)


def partial_frames(front: MelFrontEnd, waves: torch.Tensor) -> torch.Tensor:
    """The mel frames of each partial utterance of same-length ``waves``.

    Parameters
    ----------
    front : MelFrontEnd
        The mel front end.
    waves : torch.Tensor
        Waveforms ``(batch, samples)`` at 16 kHz, zero-padded here to the end
        of their last partial (see :func:`partial_starts`).

    Returns
    -------
    frames : torch.Tensor of shape (batch, n_partials, 160, 40)
    """
    starts = partial_starts(waves.shape[-1])
    end = (starts[-1] + PARTIAL_FRAMES) * HOP
    frames = front(nn.functional.pad(waves, (0, max(0, end - waves.shape[-1]))))
    return torch.stack([frames[:, s : s + PARTIAL_FRAMES] for s in starts], dim=1)
