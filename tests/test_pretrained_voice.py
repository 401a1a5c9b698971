"""VoiceEmbedder: Resemblyzer's GE2E speaker encoder, offline, as a transformer (issue 36).

The clips are generated signals (a gliding pitch through moving formants,
syllable-rate loudness): deterministic, no recordings. The parity reference
was computed once with Resemblyzer's own code (``benchmarks/speech_reference.py``).
"""

import importlib.util
import os
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

HERE = os.path.dirname(os.path.abspath(__file__))
CLIPS = [(0.9, 110.0), (2.3, 180.0), (3.7, 140.0), (6.0, 220.0)]  # (seconds, pitch in Hz)


def clip(seconds: float, pitch: float, rate: int = 16_000, formant_shift: float = 1.0):
    """A voiced-speech-like signal: a gliding pitch with harmonics shaped by moving
    formants, syllable-rate loudness, and a little deterministic hiss."""
    t = np.arange(int(seconds * rate)) / rate
    f0 = pitch * (1 + 0.15 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(f0) / rate
    formants = (
        formant_shift * (700 + 300 * np.sin(2 * np.pi * 1.3 * t)),
        formant_shift * (1800 + 500 * np.sin(2 * np.pi * 0.9 * t)),
    )
    wave = np.zeros_like(t)
    for k in range(1, 30):
        freq = k * f0
        gain = sum(np.exp(-(((freq - f) / 150.0) ** 2)) for f in formants) / k**0.5
        wave += gain * np.sin(k * phase)
    syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 3.1 * t) ** 2
    hiss = 0.02 * np.sin(12345.678 * t**2 * 16_000)
    wave = syllables * wave + hiss
    return (0.3 * wave / np.abs(wave).max()).astype(np.float32)


# the wheel only carries the weights (its own imports need librosa): look, don't import
if importlib.util.find_spec("resemblyzer") is None:
    pytest.skip("resemblyzer's weights are not installed", allow_module_level=True)
from sknn.pretrained import VoiceEmbedder  # noqa: E402


def _torch_full(shape, value):
    import torch

    return torch.full(shape, value, dtype=torch.float32)


@pytest.fixture(scope="module")
def waves():
    return [clip(seconds, pitch) for seconds, pitch in CLIPS]


def test_embeddings_equal_resemblyzers_own(waves):
    """Parity with Resemblyzer 0.1.4's embed_utterance (its librosa mel front end)."""
    reference = np.load(os.path.join(HERE, "data", "voice_reference.npz"))
    embedded = VoiceEmbedder(sampling_rate=16_000).fit_transform(waves)
    assert embedded.shape == (4, 256) and embedded.dtype == np.float32
    for i, row in enumerate(embedded):
        expected = reference[f"clip{i}"]
        np.testing.assert_allclose(row, expected, atol=1e-4)
        assert float(row @ expected) >= 0.9999
    # unit length, non-negative (the encoder ends in a ReLU), deterministic
    np.testing.assert_allclose(np.linalg.norm(embedded, axis=1), 1.0, rtol=1e-5)
    assert (embedded >= 0).all()
    np.testing.assert_array_equal(VoiceEmbedder(sampling_rate=16_000).transform(waves), embedded)


def test_batches_equal_one_clip_at_a_time_and_rates_and_files_agree(waves, tmp_path):
    from scipy.io import wavfile

    together = VoiceEmbedder(sampling_rate=16_000).transform(waves)
    alone = np.vstack([VoiceEmbedder(sampling_rate=16_000).transform([w]) for w in waves])
    one_partial = VoiceEmbedder(sampling_rate=16_000, batch_size=1).transform(waves)
    np.testing.assert_allclose(alone, together, atol=1e-5)
    np.testing.assert_allclose(one_partial, together, atol=1e-5)
    # the same voice recorded at 8 kHz or 44.1 kHz, resampled: nearly the same embedding
    for rate in (8_000, 44_100):
        other = clip(3.7, 140.0, rate=rate)
        embedded = VoiceEmbedder(sampling_rate=rate).transform([other])[0]
        assert float(embedded @ together[2]) > 0.95
    # a WAV file (int16 PCM; its header gives the rate) and an int16 array agree
    pcm = np.round(waves[2] * 32767).astype(np.int16)
    path = tmp_path / "voice.wav"
    wavfile.write(path, 16_000, pcm)
    from_file = VoiceEmbedder().transform([str(path), path])
    from_pcm = VoiceEmbedder(sampling_rate=16_000).transform([pcm])
    np.testing.assert_allclose(from_file[0], from_pcm[0], atol=1e-5)
    assert float(from_file[1] @ together[2]) > 0.9999
    stereo = tmp_path / "stereo.wav"  # a WAV's channels are averaged
    wavfile.write(stereo, 16_000, np.stack([pcm, pcm], axis=1))
    np.testing.assert_allclose(VoiceEmbedder().transform([stereo]), from_pcm, atol=1e-5)
    with pytest.raises(ValueError, match="16000 Hz but sampling_rate=8000"):
        VoiceEmbedder(sampling_rate=8_000).transform([path])


def test_a_clip_shorter_than_one_partial_is_padded_and_silences_can_be_trimmed(waves):
    embedder = VoiceEmbedder(sampling_rate=16_000)
    short = embedder.transform([waves[1][:4_000]])  # 0.25 s, padded to 1.6 s
    assert np.isfinite(short).all() and abs(np.linalg.norm(short) - 1) < 1e-5
    # a long pause inside speech: trimmed, the embedding moves toward the pause-free one
    voice = waves[2]
    paused = np.concatenate([voice[:28_000], np.zeros(48_000, np.float32), voice[28_000:]])
    plain, cut = (
        VoiceEmbedder(sampling_rate=16_000, trim_silence=trim).transform([paused, voice])
        for trim in (False, True)
    )
    assert float(cut[0] @ cut[1]) > float(plain[0] @ plain[1])
    assert float(cut[0] @ cut[1]) > 0.95  # 0.885 untrimmed, 0.974 trimmed when written


@pytest.mark.parametrize(
    "X, kwargs, message",
    [
        ([np.zeros(0, np.float32)], {"sampling_rate": 16_000}, "empty"),
        ([np.zeros(16_000, np.float32)], {"sampling_rate": 16_000}, "all silence"),
        ([np.full(16_000, np.nan, np.float32)], {"sampling_rate": 16_000}, "NaN or infinity"),
        ([np.full(16_000, 3.0, np.float32)], {"sampling_rate": 16_000}, r"far beyond \[-1, 1\]"),
        ([np.zeros((16_000, 2), np.float32)], {"sampling_rate": 16_000}, "mean\\(axis=1\\)"),
        ([None], {"sampling_rate": 16_000}, "missing"),
        (np.zeros(16_000, np.float32), {"sampling_rate": 16_000}, r"pass \[wav\]"),
        (np.full((16_000, 2), 0.1, np.float32), {"sampling_rate": 16_000}, "channels"),
        # a first row of digital zeros said "all silence" instead of naming the channels
        (np.r_[np.zeros((1, 2)), np.full((15_999, 2), 0.1)], {"sampling_rate": 16_000}, "channels"),
        ("voice.wav", {}, r"pass \['voice.wav'\]"),
        ([np.ones(16_000, np.float32) * 0.1], {}, "set sampling_rate"),
        ([np.ones(16_000, np.int64)], {"sampling_rate": 16_000}, "expected float or int16"),
        # an int32 array holding int16 values was read at 1/65536, then levelled: silently
        ([np.full(16_000, 300, np.int32)], {"sampling_rate": 16_000}, r"int32.*astype\(np.int16\)"),
        ([np.full(16_000, 140, np.uint8)], {"sampling_rate": 16_000}, "uint8"),
        ([], {"sampling_rate": 16_000}, "no clips"),
        # a stereo clip as a DataFrame or tensor was read as thousands of 2-sample clips;
        # one waveform as a Series or a list was "Clip 0 has shape ()"
        (pd.DataFrame(np.full((16_000, 2), 0.1)), {"sampling_rate": 16_000}, "channels"),
        (_torch_full((16_000, 2), 0.1), {"sampling_rate": 16_000}, "channels"),
        (pd.Series(np.full(16_000, 0.1)), {"sampling_rate": 16_000}, r"pass \[wav\]"),
        ([0.1] * 16_000, {"sampling_rate": 16_000}, r"16000 samples.*pass \[wav\]"),
        (b"voice.wav", {}, r"pass \[b'voice.wav'\]"),
        ([np.nan, np.full(16_000, 0.1)], {"sampling_rate": 16_000}, "Clip 0 is missing"),
    ],
)
def test_bad_clips_are_refused_with_the_fix(X, kwargs, message):
    with pytest.raises(ValueError, match=message):
        VoiceEmbedder(**kwargs).fit(X)


def test_a_true_sampling_rate_is_no_rate():
    # an int to Python: read as 1 Hz, every clip upsampled 16,000 times, without a word
    with pytest.raises(TypeError, match="sampling_rate=True.*16000"):
        VoiceEmbedder(sampling_rate=True).transform([np.full(160, 0.1, np.float32)])


def test_short_clips_are_trimmed_and_wav_paths_may_be_bytes(waves, tmp_path):
    from scipy.io import wavfile

    # clips of fewer than 13 windows of 30 ms (0.12-0.39 s) failed to trim: IndexError
    for n in (1_600, 5_000, 6_239, 6_240):
        trimmed = VoiceEmbedder(sampling_rate=16_000, trim_silence=True).transform([waves[1][:n]])
        kept = VoiceEmbedder(sampling_rate=16_000).transform([waves[1][:n]])
        # no pause in them: the same voice (trimming keeps whole 30 ms windows only)
        assert float(trimmed[0] @ kept[0]) > 0.95
    path = tmp_path / "voice.wav"
    wavfile.write(path, 16_000, waves[0])
    as_bytes = VoiceEmbedder().transform([os.fsencode(path)])
    np.testing.assert_array_equal(as_bytes, VoiceEmbedder().transform([str(path)]))


def test_an_ordinary_transformer_in_pipelines_and_pickles(waves):
    embedder = VoiceEmbedder(sampling_rate=16_000)
    before = embedder.transform(waves[:2])
    for copy in (pickle.loads(pickle.dumps(embedder)), clone(embedder)):
        np.testing.assert_array_equal(copy.transform(waves[:2]), before)
    assert len(pickle.dumps(embedder)) < 2_000  # the network stays in the wheel
    frame = embedder.set_output(transform="pandas").transform(waves[:2])
    assert isinstance(frame, pd.DataFrame) and list(frame.columns[:2]) == [
        "voiceembedder0",
        "voiceembedder1",
    ]
    # a batch of same-length waveforms as one 2-D array
    batch = np.stack([waves[1][:16_000], waves[2][:16_000]])
    np.testing.assert_allclose(
        VoiceEmbedder(sampling_rate=16_000).transform(batch),
        VoiceEmbedder(sampling_rate=16_000).transform(list(batch)),
    )


def test_speakers_are_told_apart_through_a_pipeline():
    """Four generated 'speakers' (pitch and vocal-tract length), six clips each."""
    rng = np.random.default_rng(0)
    speakers = [(100.0, 1.0), (130.0, 1.15), (190.0, 1.25), (240.0, 0.9)]
    X, y = [], []
    for label, (pitch, shift) in enumerate(speakers):
        for _ in range(6):
            seconds = rng.uniform(1.0, 2.5)
            X.append(clip(seconds, pitch * rng.uniform(0.95, 1.05), formant_shift=shift))
            y.append(label)
    model = make_pipeline(VoiceEmbedder(sampling_rate=16_000), LogisticRegression(max_iter=1000))
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    assert cross_val_score(model, X, np.array(y), cv=folds).mean() > 0.9


def test_scikit_learn_estimator_checks_where_they_apply():
    from sklearn.utils.estimator_checks import check_estimator

    not_audio = (
        "scikit-learn's generic data are not audio: rows of 1 to 8 samples (refused as one "
        "multichannel clip given as a batch) and float samples far beyond [-1, 1] (int16 "
        "PCM given as floats, to the embedder), both refused with a message naming the fix"
    )
    checks = [
        "check_array_api_input", "check_dict_unchanged", "check_dont_overwrite_parameters",
        "check_estimators_dtypes", "check_estimators_fit_returns_self", "check_estimators_nan_inf",
        "check_estimators_overwrite_params", "check_estimators_pickle",
        "check_f_contiguous_array_estimator", "check_fit2d_1feature", "check_fit2d_1sample",
        "check_fit2d_predict1d", "check_fit_check_is_fitted", "check_fit_idempotent",
        "check_fit_score_takes_y", "check_methods_sample_order_invariance",
        "check_methods_subset_invariance", "check_n_features_in",
        "check_n_features_in_after_fitting", "check_pipeline_consistency",
        "check_positive_only_tag_during_fit", "check_readonly_memmap_input",
        "check_transformer_general", "check_transformers_unfitted_stateless",
    ]  # fmt: skip
    results = check_estimator(
        VoiceEmbedder(sampling_rate=16_000),
        expected_failed_checks=dict.fromkeys(checks, not_audio),
        on_fail=None,
    )
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert not failed, failed
    # what the generic data can check: parameters, tags, refusals (sparse, complex,
    # empty), object and list inputs, get/set_params, clone
    assert sum(r["status"] == "passed" for r in results) >= 18


def speakers(clips_each: int, seconds: float = 2.0, seed: int = 0):
    """Four generated 'speakers' (pitch and vocal-tract length), same-length clips."""
    rng = np.random.default_rng(seed)
    voices = [(100.0, 1.0), (130.0, 1.15), (190.0, 1.25), (240.0, 0.9)]
    X, y = [], []
    for label, (pitch, shift) in enumerate(voices):
        for _ in range(clips_each):
            X.append(clip(seconds, pitch * rng.uniform(0.95, 1.05), formant_shift=shift))
            y.append(label)
    return np.stack(X), np.array(y)


def test_a_voice_backbone_learns_frozen_and_fine_tunes_by_name():
    import torch

    from sknn import NeuralNetClassifier
    from sknn.pretrained import VoiceBackbone

    X, y = speakers(4)
    X_test, y_test = speakers(2, seed=1)
    params = {"batch_size": 8, "learning_rate": 3e-3, "random_state": 0, "n_threads": 1}
    frozen = NeuralNetClassifier(module=VoiceBackbone, max_iter=40, **params).fit(X, y)
    assert frozen.score(X_test, y_test) > 0.85
    encoder = {n: p for n, p in frozen.module_.named_parameters() if n.startswith("encoder.")}
    assert encoder and not any(p.requires_grad for p in encoder.values())
    assert len(pickle.dumps(frozen)) < 100_000  # the encoder travels as the wheel's reference
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(frozen)).predict_proba(X_test), frozen.predict_proba(X_test)
    )
    # fine-tuning: the first LSTM layer frozen by name, the rest at a tenth of the rate
    tuned = NeuralNetClassifier(
        module=VoiceBackbone, module__train_encoder=True, frozen=["encoder.lstm.*_l0"],
        lr_multipliers={"encoder.*": 0.1}, max_iter=2, **params,
    ).fit(X, y)  # fmt: skip
    start = VoiceBackbone(n_outputs=4).state_dict()
    after = tuned.module_.state_dict()
    assert torch.equal(after["encoder.lstm.weight_ih_l0"], start["encoder.lstm.weight_ih_l0"])
    assert not torch.equal(after["encoder.lstm.weight_ih_l2"], start["encoder.lstm.weight_ih_l2"])
    with pytest.raises(ValueError, match=r"far beyond"):
        NeuralNetClassifier(module=VoiceBackbone, max_iter=1).fit(X * 10, y)
    with pytest.raises(ValueError, match="same-length waveforms"):
        VoiceBackbone(n_outputs=2)(torch.zeros(2, 3, 16_000))


def test_skops_saves_the_embedder_and_a_fitted_backbone_trusting_only_sknn_types():
    sio = pytest.importorskip("skops.io")
    from sknn import NeuralNetClassifier
    from sknn.pretrained import VoiceBackbone

    X, y = speakers(3)
    embedder = VoiceEmbedder(sampling_rate=16_000)
    model = NeuralNetClassifier(module=VoiceBackbone, max_iter=2, batch_size=8, random_state=0)
    model.fit(X, y)
    for est, out in ((embedder, embedder.transform), (model, model.predict_proba)):
        data = sio.dumps(est)
        untrusted = sio.get_untrusted_types(data=data)
        assert all(t.startswith("sknn.") for t in untrusted), untrusted
        loaded = sio.loads(data, trusted=untrusted)
        method = getattr(loaded, out.__name__)
        np.testing.assert_array_equal(method(X), out(X))


def test_without_the_weights_the_error_names_the_install_command(tmp_path):
    import subprocess
    import sys

    # a 'resemblyzer' package without its weights file shadows the installed one
    (tmp_path / "resemblyzer").mkdir()
    (tmp_path / "resemblyzer" / "__init__.py").write_text("")
    code = (
        "import numpy as np\n"
        "from sknn.pretrained import VoiceEmbedder\n"
        "try:\n"
        "    VoiceEmbedder(sampling_rate=16000).transform([np.full(16000, 0.1, np.float32)])\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert 'pip install --no-deps "resemblyzer==0.1.4"' in out.stdout, out.stderr
