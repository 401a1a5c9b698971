"""Speech: the pretrained voice encoder against MFCC features, on speech made offline.

The clips are synthesised with ``espeak-ng`` (Debian's package: ``apt-get
install espeak-ng``), so the benchmark needs no download and makes its own
data. A "speaker" is one of espeak-ng's voice variants (``en-us+<variant>``)
at a pitch and a speed of its own; every clip draws its sentence at random
and jitters the speaker's pitch and speed.

Two tasks, each cross-validated (stratified 3-fold, the same folds for
every model):

- **speaker identification**: 24 speakers, 4 clips each (a random sentence
  of 4-7 words from a 40-word list; pitch jittered by +-6, speed by +-15
  words a minute): which speaker is talking;
- **spoken digits**: the ten digits "zero" ... "nine", each said by 8
  speakers: which digit was said (what, not who: the speaker encoder was
  trained to ignore it).

Models: ``VoiceEmbedder`` + logistic regression (frozen embeddings,
standardised as the MFCC statistics are: unit-length embeddings are small
numbers that logistic regression's default penalty would shrink away);
``NeuralNetClassifier(module=VoiceBackbone, module__train_encoder=True,
lr_multipliers={"encoder.*": 0.1})`` (fine-tuned; clips cut or padded to
one length at 16 kHz); MFCC statistics (the mean and standard deviation over
frames of 20 MFCCs and of their deltas, 80 numbers a clip) + logistic
regression; and ``NeuralNetClassifier`` (defaults) on those MFCC statistics.
The MFCCs come from the same mel front end (40 mel bands, 25 ms / 10 ms),
log-compressed and DCT-II'd, as speech front ends commonly do.

    python benchmarks/speech.py        # writes results/speech.md (about 10 min)
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
WORDS = (
    "the a morning river green small house quickly never open garden yellow "
    "window travel seven happy letter winter bright table summer narrow under "
    "silver market gentle paper orange finish quiet forest number simple "
    "kitchen basket often wonder evening castle pocket"
).split()
DIGITS = "zero one two three four five six seven eight nine".split()
VARIANTS = (
    "Alex Andy Annie Denis Gene Hugo Jacky Lee Marco Michael Mike Storm adam anika "
    "aunty boris edward f1 f2 f3 f4 m1 m2 m3 m4 m5 m6 m7 belinda caleb david john "
    "linda max norbert paul quincy rob steph travis victor zac"
).split()
RATE = 16_000


def speak(text: str, variant: str, pitch: int, speed: int, folder: str, name: str) -> str:
    path = os.path.join(folder, f"{name}.wav")
    command = ["espeak-ng", "-v", f"en-us+{variant}", "-p", str(pitch), "-s", str(speed)]
    subprocess.run([*command, "-w", path, text], check=True, capture_output=True)
    return path


def speakers(n: int, rng: np.random.Generator) -> list[tuple[str, int, int]]:
    variants = rng.choice(VARIANTS, size=n, replace=False)
    return [(str(v), int(rng.integers(20, 80)), int(rng.integers(130, 190))) for v in variants]


def speaker_task(folder: str, rng) -> tuple[list[str], np.ndarray]:
    paths, labels = [], []
    for label, (variant, pitch, speed) in enumerate(speakers(24, rng)):
        for k in range(4):
            text = " ".join(rng.choice(WORDS, size=int(rng.integers(4, 8))))
            jitter_p, jitter_s = int(rng.integers(-6, 7)), int(rng.integers(-15, 16))
            name = f"speaker{label}_{k}"
            paths.append(speak(text, variant, pitch + jitter_p, speed + jitter_s, folder, name))
            labels.append(label)
    return paths, np.array(labels)


def digit_task(folder: str, rng) -> tuple[list[str], np.ndarray]:
    paths, labels = [], []
    voices = speakers(8, rng)
    for digit, word in enumerate(DIGITS):
        for k, (variant, pitch, speed) in enumerate(voices):
            paths.append(speak(word, variant, pitch, speed, folder, f"digit{digit}_{k}"))
            labels.append(digit)
    return paths, np.array(labels)


def waveforms(paths: list[str]) -> list[np.ndarray]:
    """Each WAV at 16 kHz, float in [-1, 1]."""
    from fractions import Fraction

    from scipy.io import wavfile
    from scipy.signal import resample_poly

    out = []
    for path in paths:
        rate, data = wavfile.read(path)
        wav = data.astype(np.float64) / 32_768.0
        ratio = Fraction(RATE, rate)
        out.append(resample_poly(wav, ratio.numerator, ratio.denominator).astype(np.float32))
    return out


def mfcc_statistics(waves: list[np.ndarray]) -> np.ndarray:
    """Mean and standard deviation over frames of 20 MFCCs and their deltas."""
    import torch
    from scipy.fft import dct

    from sknn.nn.voice import MelFrontEnd

    front = MelFrontEnd()
    rows = []
    with torch.inference_mode():
        for wav in waves:
            mel = front(torch.from_numpy(wav)[None])[0].numpy()
            ceps = dct(np.log(mel + 1e-10), type=2, norm="ortho", axis=1)[:, :20]
            delta = np.gradient(ceps, axis=0)
            rows.append(np.concatenate([ceps.mean(0), ceps.std(0), delta.mean(0), delta.std(0)]))
    return np.array(rows)


def same_length(waves: list[np.ndarray], seconds: float) -> np.ndarray:
    """Each clip cut or zero-padded to ``seconds``."""
    n = int(seconds * RATE)
    return np.stack([np.pad(w[:n], (0, max(0, n - len(w)))) for w in waves])


def evaluate(waves, y, seconds: float) -> dict[str, tuple[float, float]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sknn import NeuralNetClassifier
    from sknn.pretrained import VoiceBackbone, VoiceEmbedder

    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    fixed = same_length(waves, seconds)
    candidates = {
        "VoiceEmbedder + logistic regression": (
            lambda: make_pipeline(
                VoiceEmbedder(sampling_rate=RATE),
                StandardScaler(),
                LogisticRegression(max_iter=2000),
            ),
            waves,
        ),
        "VoiceBackbone fine-tuned": (
            lambda: NeuralNetClassifier(
                module=VoiceBackbone,
                module__train_encoder=True,
                lr_multipliers={"encoder.*": 0.1},
                batch_size=8,
                learning_rate=3e-3,
                max_iter=20,
                random_state=0,
            ),
            fixed,
        ),
        "MFCC statistics + logistic regression": (
            lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
            mfcc_statistics(waves),
        ),
        "MFCC statistics + NeuralNetClassifier": (
            lambda: NeuralNetClassifier(random_state=0),
            mfcc_statistics(waves),
        ),
    }
    out = {}
    for name, (make, X) in candidates.items():
        tic = time.perf_counter()
        X_in = X
        if isinstance(X, list):  # clips of many lengths: a 1-D object array that folds index
            X_in = np.empty(len(X), dtype=object)
            X_in[:] = X
        scores = cross_val_score(make(), X_in, y, cv=folds)
        out[name] = (float(scores.mean()), time.perf_counter() - tic)
        print(f"  {name}: {scores.mean():.3f} ({time.perf_counter() - tic:.0f} s)", flush=True)
    return out


def main() -> int:
    if shutil.which("espeak-ng") is None:
        print("espeak-ng is not installed: apt-get install espeak-ng", file=sys.stderr)
        return 1
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    results = {}
    tic = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for task, make, seconds in (
            ("speaker identification (24 speakers x 4 clips)", speaker_task, 3.0),
            ("spoken digits (10 digits x 8 speakers)", digit_task, 1.0),
        ):
            paths, y = make(folder, rng)
            waves = waveforms(paths)
            print(task, f"{np.mean([len(w) for w in waves]) / RATE:.2f} s a clip", flush=True)
            results[task] = evaluate(waves, y, seconds)
    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True)
    lines = [
        "# Speech: the pretrained voice encoder against MFCC features",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/speech.py` "
        f"({platform.machine()}, {os.cpu_count()} CPUs; clips synthesised by "
        f"espeak-ng {version.stdout.split(':')[1].split()[0]}; "
        "see its docstring). Accuracy: mean over stratified 3-fold cross-validation; "
        "seconds: the whole cross-validation, features included.",
        "",
        "| task | model | accuracy | seconds |",
        "|---|---|---|---|",
    ]
    for task, rows in results.items():
        for name, (accuracy, seconds) in rows.items():
            lines.append(f"| {task} | {name} | {accuracy:.3f} | {seconds:.0f} |")
    lines += ["", f"Ran in {time.perf_counter() - tic:.0f} s.", ""]
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "speech.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
