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
    """Standardized outputs -> targets in their own units.

    Parameters
    ----------
    mean, scale : ndarray of shape (n_outputs,)
        The training targets' (weighted) mean and standard deviation.
    """

    mean: np.ndarray
    scale: np.ndarray

    def values(self, out: torch.Tensor) -> np.ndarray:
        """Predictions, ``(n,)`` for one target, else ``(n, n_outputs)``."""
        pred = out.double().numpy() * self.scale + self.mean
        return pred.ravel() if pred.shape[1] == 1 else pred
