"""Reference embeddings from Resemblyzer's own code, for the voice encoder's parity test.

``tests/data/voice_reference.npz`` holds, for the test clips of
``tests/test_pretrained_voice.py`` (generated signals, no recordings), the
embeddings Resemblyzer 0.1.4 computes with its own code:
``VoiceEncoder("cpu").embed_utterance(normalize_volume(wav, -30, increase_only=True))``,
its mel spectrogram from librosa. They were computed once, with resemblyzer
0.1.4, librosa 0.11.0 and webrtcvad-wheels installed outside the project's
environment (resemblyzer's own dependencies are not sknn's):

    pip install --target /tmp/refpkgs librosa webrtcvad-wheels
    pip download --no-deps resemblyzer==0.1.4 -d /tmp/resem
    unzip /tmp/resem/*.whl -d /tmp/resem/whl
    PYTHONPATH=/tmp/refpkgs:/tmp/resem/whl python benchmarks/speech_reference.py
"""

from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "data", "voice_reference.npz")


def main() -> int:
    sys.path.insert(0, os.path.join(HERE, "..", "tests"))
    from resemblyzer import VoiceEncoder, audio
    from test_pretrained_voice import CLIPS, clip

    encoder = VoiceEncoder("cpu", verbose=False)
    out = {}
    for i, (seconds, pitch) in enumerate(CLIPS):
        wav = audio.normalize_volume(clip(seconds, pitch), -30, increase_only=True)
        out[f"clip{i}"] = encoder.embed_utterance(wav.astype(np.float32))
    np.savez(OUT, **out)
    print("wrote", os.path.normpath(OUT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
