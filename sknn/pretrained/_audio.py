"""Sounds in the forms analysts hold them, checked, and prepared for the voice encoder.

Accepted: a list (or tuple, Series, or the one-column 2-D object array that
``ColumnTransformer`` passes) of clips, each a 1-D waveform (float in
[-1, 1], or int16 PCM, scaled by 1 / 32,768) of any length, or the path of a
WAV file (read with :func:`scipy.io.wavfile.read`; its header gives its
rate); or one 2-D float array holding a batch of same-length waveforms
(first axis clips).

Refused, naming the clip's position and the fix: a missing clip, an empty or
all-silent one, NaN or infinite samples, float samples beyond [-2, 2] (int16
PCM given as floats: resampling may overshoot [-1, 1] a little, never so), a
stereo clip (average its channels first: ``wav.mean(axis=1)``; a WAV file's
channels are averaged, the header says which axis they are), a waveform
given without ``sampling_rate`` or a ``sampling_rate`` that disagrees with a
WAV's header, one waveform given without a list (read as a batch, it would
be that many clips of one sample: it needs ``[wav]``), and one multichannel
clip ``(samples, channels)`` given as the batch (it would be that many clips
of a sample a channel: it needs ``[clip.mean(axis=1)]``).

Preparation, as Resemblyzer prepares a clip for its encoder: resampled to
16 kHz (:func:`scipy.signal.resample_poly`), its loudness raised to -30 dBFS
when quieter (never lowered; :func:`sknn.nn.voice.raise_loudness`, which the
backbone shares), and optionally its long silences trimmed (an
energy gate over 30 ms windows, smoothed over 8 and widened by 6 on each
side, the shape of Resemblyzer's WebRTC voice detector, which is not used).
The ``silero-vad`` wheel (MIT, 6.2.3) ships a learned voice detector inside
it (TorchScript, safetensors and ONNX, 1-3 MB): on noisy recordings, where a
gate on loudness keeps the noise, it would earn its place in trimming; on
the clean and synthesised speech tested here the gate does the job, so it
is not a dependency.
"""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np

from sknn.nn.voice import SAMPLING_RATE
from sknn.pretrained._base import is_missing_item

INT16_SCALE = 32_768.0
_WINDOW = SAMPLING_RATE * 30 // 1000  # 30 ms
# floats beyond this are PCM integers given as floats; a resampled full-scale clip
# overshoots [-1, 1] by a few percent (espeak-ng's speech resampled: 1.03)
MAX_FLOAT_SAMPLE = 2.0
MAX_CHANNELS = 8  # a 2-D array this narrow is one multichannel clip, not clips
_PATH = (str, bytes, os.PathLike)  # a WAV file's path
FORMS = (
    "clips as a list of 1-D waveforms (float in [-1, 1] or int16 PCM, any length) or of "
    "WAV paths, or one 2-D float array of same-length waveforms (first axis clips)"
)


def _as_array(X):
    """A Series, DataFrame, tensor or other array-like as numpy; lists and paths as given."""
    if hasattr(X, "tocsr") or hasattr(X, "to_coo"):  # scipy or pandas sparse
        raise TypeError(
            f"Sparse input is not supported: expected {FORMS}; densify it (X.toarray())."
        )
    if hasattr(X, "to_numpy"):  # a Series or DataFrame
        return X.to_numpy()
    if hasattr(X, "__array__") and not isinstance(X, (np.ndarray, list, tuple)):
        return np.asarray(X)  # a tensor or another array-like
    return X


def _as_items(X) -> list:
    """The clips of ``X`` (see :func:`_as_array`), one waveform or path refused."""
    X = _as_array(X)
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim == 1:
            raise ValueError(_one_waveform(X.shape[0]))
        if X.ndim != 2:
            raise ValueError(f"Expected {FORMS}; got an array of shape {X.shape}.")
        if X.shape[1] == 0:
            raise ValueError(
                f"0 feature(s) (shape={X.shape}) while a minimum of 1 is required: each "
                "row is a clip's samples."
            )
        return list(X)
    if isinstance(X, _PATH):
        raise ValueError(f"Got one path where a list of clips was meant: pass [{X!r}].")
    if isinstance(X, np.ndarray) and X.dtype == object:
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        return list(X)
    try:
        return list(X)
    except TypeError as error:
        raise TypeError(f"Expected {FORMS}; got {type(X).__name__}.") from error


def _one_waveform(n_samples: int) -> str:
    return (
        f"Got one waveform of {n_samples} samples where a list of clips was meant (it "
        "would read as that many clips of one sample): pass [wav]."
    )


def _read_wav(path, index: int) -> tuple[np.ndarray, int]:
    from scipy.io import wavfile

    try:
        rate, data = wavfile.read(os.fspath(path))
    except (OSError, ValueError) as error:
        raise ValueError(
            f"Clip {index}: cannot read {os.fsdecode(path)!r} as WAV ({error})."
        ) from error
    if data.ndim == 2:  # (samples, channels) in a WAV file
        data = data.astype(np.float64).mean(axis=1).astype(data.dtype)
    return data, rate


def _as_float(wav: np.ndarray, index: int, from_file: bool = False) -> np.ndarray:
    """Samples as float32 in [-1, 1]: int16 PCM scaled; a WAV file's 32- and 8-bit PCM
    too, but not an array's, whose int32 may well hold int16 values (read at 1/65536)."""
    if np.iscomplexobj(wav):
        raise ValueError(f"Complex data not supported: clip {index} holds complex samples.")
    if wav.dtype == object:
        try:
            wav = wav.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"Clip {index}: samples must be numbers ({error}).") from error
    if wav.dtype == np.int16:
        return (wav / INT16_SCALE).astype(np.float32)
    if wav.dtype == np.int32 and from_file:  # 32-bit PCM WAV
        return (wav / 2.0**31).astype(np.float32)
    if wav.dtype == np.uint8 and from_file:  # 8-bit PCM WAV, centred on 128
        return ((wav.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    if wav.dtype in (np.int32, np.uint8):
        raise ValueError(
            f"Clip {index}: samples are {wav.dtype}, whose scale an array does not say; pass "
            "int16 PCM (wav.astype(np.int16) if it holds 16-bit values) or float in [-1, 1] "
            "(wav / 2**31 for 32-bit PCM, (wav - 128) / 128 for 8-bit)."
        )
    if not np.issubdtype(wav.dtype, np.floating):
        raise ValueError(f"Clip {index}: samples are {wav.dtype}; expected float or int16.")
    wav = wav.astype(np.float32)
    if not np.isfinite(wav).all():
        raise ValueError(f"Input X contains NaN or infinity: clip {index}; clean or drop it.")
    if np.abs(wav).max(initial=0.0) > MAX_FLOAT_SAMPLE:
        raise ValueError(
            f"Clip {index}: float samples reach {np.abs(wav).max():.3g}, far beyond [-1, 1]; "
            "scale int16 PCM by 1 / 32768 (or pass it as int16)."
        )
    return wav


def resample(wav: np.ndarray, rate: int) -> np.ndarray:
    """``wav`` at ``rate`` samples a second, resampled to 16 kHz (polyphase)."""
    if rate == SAMPLING_RATE:
        return wav
    from scipy.signal import resample_poly

    ratio = Fraction(SAMPLING_RATE, rate)
    return resample_poly(wav, ratio.numerator, ratio.denominator).astype(np.float32)


def trim_long_silences(wav: np.ndarray) -> np.ndarray:
    """``wav`` without its silences longer than about 0.2 s (see the module)."""
    usable = len(wav) - len(wav) % _WINDOW
    if usable == 0:
        return wav
    windows = wav[:usable].reshape(-1, _WINDOW).astype(np.float64)
    level = np.sqrt(np.mean(windows**2, axis=1))
    voiced = level > 10 ** (-40 / 20) * level.max()  # within 40 dB of the loudest window
    width = 8
    padded = np.concatenate([np.zeros((width - 1) // 2), voiced, np.zeros(width // 2)])
    smooth = np.convolve(padded, np.ones(width) / width, mode="valid") >= 0.5
    # widened by 6 windows each side, kept to the clip's length (mode="same" returns at
    # least the kernel's 13: a mask longer than a clip of fewer windows)
    keep = np.convolve(smooth, np.ones(2 * 6 + 1))[6 : 6 + len(smooth)] > 0
    if not keep.any():
        return wav
    return wav[:usable][np.repeat(keep, _WINDOW)]


def check_clips(X, sampling_rate: int | None) -> list[tuple[np.ndarray, int]]:
    """Each clip as a float32 waveform and its rate (see the module), or a clear error."""
    if isinstance(sampling_rate, bool):  # an int to Python, 1 Hz: 16,000 times upsampled
        raise TypeError(
            f"sampling_rate={sampling_rate!r}; give the clips' rate in samples a second, "
            "e.g. sampling_rate=16000."
        )
    if len(getattr(X, "shape", ())) == 2:  # a DataFrame or tensor: checked as its array is
        X = _as_array(X)
    shape: tuple[int, ...] = tuple(getattr(X, "shape", ()))
    samples = isinstance(X, np.ndarray) and X.dtype.kind in "fiu"  # before any clip's check
    if samples and len(shape) == 2 and 0 < shape[1] <= MAX_CHANNELS:  # one multichannel clip
        raise ValueError(
            f"X has shape {shape}: {shape[1]} feature(s) a row would be clips of "
            f"{shape[1]} sample(s) each. One clip of shape (samples, channels)? Pass "
            "[clip.mean(axis=1)]; a batch of clips has one row a clip."
        )
    items = _as_items(X)
    if not items:
        raise ValueError(f"Got no clips; expected {FORMS}.")
    first = items[0]
    number = isinstance(first, (int, float, np.number)) and not isinstance(first, bool)
    if number and not is_missing_item(first):
        raise ValueError(_one_waveform(len(items)))  # a list of samples
    clips = []
    for index, item in enumerate(items):
        if is_missing_item(item):
            raise ValueError(f"Clip {index} is missing (None or NaN); drop or fill it.")
        if isinstance(item, _PATH):
            wav, rate = _read_wav(item, index)
            if sampling_rate is not None and rate != sampling_rate:
                raise ValueError(
                    f"Clip {index}: {os.fsdecode(item)!r} is recorded at {rate} Hz but "
                    f"sampling_rate={sampling_rate}; leave sampling_rate=None for WAV files "
                    "(their header gives it)."
                )
        else:
            if sampling_rate is None:
                raise ValueError(
                    "Waveforms need their rate: set sampling_rate (e.g. sampling_rate=16000); "
                    "WAV paths carry theirs."
                )
            wav, rate = np.asarray(item), sampling_rate
        if wav.ndim == 2 and min(wav.shape) <= MAX_CHANNELS:
            raise ValueError(
                f"Clip {index} has shape {wav.shape}, several channels: average them first "
                "(wav.mean(axis=1) for (samples, channels), wav.mean(axis=0) for "
                "(channels, samples))."
            )
        if wav.ndim != 1:
            raise ValueError(f"Clip {index} has shape {wav.shape}; expected {FORMS}.")
        if len(wav) == 0:
            raise ValueError(f"Clip {index} is empty (no samples); drop it.")
        wav = _as_float(wav, index, from_file=isinstance(item, _PATH))
        if not wav.any():
            raise ValueError(f"Clip {index} is all silence (every sample 0); drop it.")
        clips.append((wav, int(rate)))
    return clips
