"""What the pretrained estimators share: parameters, tags, the cached network, batching."""

from __future__ import annotations

import sys
from numbers import Integral

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions

from sknn.sklearn_glue.input_types import ImagesLike, Self, TextsLike

# inputs longer than this show a progress bar when progress_bar=None
LONG_INPUT = 1_000


def is_missing_item(value) -> bool:
    """Whether one input item (an image, a text) is missing: ``None``, NaN or ``pd.NA``."""
    if value is None:
        return True
    try:
        return bool(np.ndim(value) == 0 and pd.isna(value))
    except (TypeError, ValueError):
        return False


def batch_starts(n: int, batch_size: int, progress_bar: bool | None, desc: str):
    """The first index of each batch, wrapped in a tqdm bar when asked or when ``n`` is long.

    Parameters
    ----------
    n : int
        Number of inputs.
    batch_size : int
        Inputs per batch.
    progress_bar : bool or None
        Show a bar; None: for more than :data:`LONG_INPUT` inputs, where
        stderr is a terminal.
    desc : str
        The bar's label.

    Returns
    -------
    starts : iterable of int
    """
    starts = range(0, n, batch_size)
    if progress_bar is False or (progress_bar is None and n <= LONG_INPUT):
        return starts
    from tqdm.auto import tqdm

    # automatic bars only where stderr is a terminal or a notebook, never in logs
    disable = None if progress_bar is None else False
    return tqdm(starts, unit="batch", file=sys.stderr, desc=desc, disable=disable)


class PretrainedEstimator(BaseEstimator):
    """A pretrained network as an estimator: nothing to fit, the network read on first use.

    The network is cached on the instance but left out of pickles (and so of
    clones and joblib workers), which read it again from the wheel.
    Subclasses define ``_check(X)``, the input check ``fit`` runs.
    """

    _parameter_constraints: dict = {
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "device": [StrOptions({"auto", "cpu", "cuda"}), str, torch.device],
        "progress_bar": ["boolean", None],
    }

    def __init__(self, batch_size=None, device="cpu", progress_bar=None):
        self.batch_size = batch_size
        self.device = device
        self.progress_bar = progress_bar

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return True  # pretrained: nothing to learn

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_network", None)  # read again from the wheel when needed
        return state

    def _cached_network(self, load):
        """The network ``load()`` gives, built once per instance."""
        if getattr(self, "_network", None) is None:
            self._network = load()
        return self._network

    def fit(self, X: ImagesLike | TextsLike, y: object = None) -> Self:
        """Check the input; nothing is trained.

        Parameters
        ----------
        X : list or array-like
            The inputs, in the forms ``transform``/``predict`` accept.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._validate_params()
        self._check(X)
        return self


class PretrainedTransformerMixin(TransformerMixin):
    """scikit-learn's ``TransformerMixin`` for outputs of a dtype of their own (float32
    embeddings, int64 token ids): no input dtype is preserved."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
