"""Output links: the last step from the network's combined output to the answer.

One per task, used by ``predict``, ``predict_proba`` and ``predict_log_proba``
(and by anything that must reproduce them, such as an export): temperature,
softmax or sigmoid and label decoding for classifiers; target
de-standardization for regressors. Inputs are the combined ``(n, width)``
outputs of :func:`sknn.training.losses.combine`, in float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class ClassifierLink:
    """Logits -> probabilities and labels.

    Parameters
    ----------
    classes : ndarray
        Class labels (column indices for multilabel targets).
    kind : {"softmax", "binary", "multilabel"}
        Softmax over one logit per class; one logit for the second of two
        classes; or one independent sigmoid per label.
    temperature : float
        Divides the logits before the softmax or sigmoid (temperature scaling).
    """

    classes: np.ndarray
    kind: str
    temperature: float = 1.0

    def log_proba(self, logits: torch.Tensor) -> np.ndarray:
        """Log-probabilities, ``(n, n_classes)``."""
        z = logits if self.temperature == 1.0 else logits / self.temperature
        if self.kind == "softmax":
            return torch.log_softmax(z, dim=1).numpy()
        if self.kind == "binary":
            return F.logsigmoid(torch.cat([-z, z], dim=1)).numpy()
        return F.logsigmoid(z).numpy()

    def proba(self, logits: torch.Tensor) -> np.ndarray:
        """Probabilities, ``(n, n_classes)``; rows sum to 1 except for multilabel."""
        return self.proba_tensor(logits).numpy()

    def proba_tensor(self, logits: torch.Tensor) -> torch.Tensor:
        """:meth:`proba` in torch ops (traceable, as an ONNX export needs)."""
        z = logits if self.temperature == 1.0 else logits / self.temperature
        if self.kind == "softmax":
            return torch.softmax(z, dim=1)
        if self.kind == "binary":
            return torch.sigmoid(torch.cat([-z, z], dim=1))
        return torch.sigmoid(z)

    def labels(self, logits: torch.Tensor) -> np.ndarray:
        """Predicted labels (a 0/1 matrix for multilabel); the temperature never matters."""
        if self.kind == "multilabel":
            return (logits > 0).numpy().astype(int)
        if self.kind == "binary":
            return self.classes[(logits[:, 0] > 0).numpy().astype(np.int64)]
        return self.classes[logits.argmax(dim=1).numpy()]


@dataclass(frozen=True)
class RegressorLink:
    """Encoded outputs -> targets in their own units.

    Parameters
    ----------
    mean, scale : ndarray of shape (n_outputs,)
        What the targets were encoded with: ``(y - mean) / scale``.
    log : bool, default=False
        Outputs are log-means (a log link): the target is ``scale * exp(out)``.
    levels : ndarray or None, default=None
        Quantile levels in the order asked for, when several quantiles were
        trained (each output's values side by side, ascending); None for one
        value per output.
    """

    mean: np.ndarray
    scale: np.ndarray
    log: bool = False
    levels: np.ndarray | None = None

    def values_tensor(self, out: torch.Tensor) -> torch.Tensor:
        """``(n, n_outputs)``, or ``(n, n_outputs, n_levels)`` with levels (traceable)."""
        n_levels = 1 if self.levels is None else len(self.levels)
        mean = torch.as_tensor(np.repeat(self.mean, n_levels), dtype=out.dtype)
        scale = torch.as_tensor(np.repeat(self.scale, n_levels), dtype=out.dtype)
        pred = (out.exp() if self.log else out) * scale + mean
        if self.levels is None:
            return pred
        # column j holds the j-th smallest level: put them in the order asked for
        rank = torch.as_tensor(np.argsort(np.argsort(self.levels)))
        return pred.unflatten(1, (-1, n_levels)).index_select(2, rank)

    def values(self, out: torch.Tensor) -> np.ndarray:
        """Predictions: ``(n,)`` for one target, else ``(n, n_outputs)``; with levels
        ``(n, n_levels)`` for one target, else ``(n, n_outputs, n_levels)``."""
        pred = self.values_tensor(out.double()).numpy()
        if pred.shape[1] != 1:
            return pred
        return pred[:, 0] if pred.ndim == 3 else pred.ravel()
